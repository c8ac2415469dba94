"""Rich styles for worker states, resolved from the current theme's variables.

Table cells are Rich ``Text``; they cannot read CSS variables, so the
dashboard resolves farwatch's semantic variables (``state-warn`` ...) into
styles once per theme and rebuilds the cells when the theme changes. Every
state also has a symbol, so nothing depends on colour alone (``NO_COLOR``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from rich.style import Style
from textual.color import Color, ColorParseError

from farwatch.themes import STATE_VARIABLES

CHECKIN_SYMBOLS: dict[str, str] = {
    "ok": "●",
    "warn": "▲",
    "alert": "✖",
    "off_hours": "◌",
    "never": "?",
}
PAUSED_SYMBOL = "‖"
BURN_SYMBOLS: dict[str, str] = {"ok": "", "warn": "▲", "over": "✖", "no_cap": ""}

CHECKIN_VARIABLE: dict[str, str] = {
    "ok": "state-ok",
    "warn": "state-warn",
    "alert": "state-alert",
    "off_hours": "state-off",
    "never": "state-never",
}
BURN_VARIABLE: dict[str, str] = {
    "ok": "burn-ok",
    "warn": "burn-warn",
    "over": "burn-over",
    "no_cap": "state-off",
}


_NO_STYLE = Style()


def _style(value: str | None, *, bold: bool = False) -> Style:
    if not value:
        return Style(bold=bold or None)
    try:
        color = Color.parse(value.split()[0])
    except ColorParseError:
        return Style(bold=bold or None)
    return Style(color=color.rich_color, bold=bold or None)


@dataclass(frozen=True, slots=True)
class Palette:
    """Styles by variable name; ``name`` identifies the theme it came from."""

    name: str
    styles: dict[str, Style] = field(default_factory=dict)

    @classmethod
    def from_variables(cls, name: str, variables: Mapping[str, str]) -> Palette:
        styles = {var: _style(variables.get(var)) for var in STATE_VARIABLES}
        styles["state-alert-bold"] = _style(variables.get("state-alert"), bold=True)
        styles["muted"] = _style(variables.get("state-off"))
        return cls(name=name, styles=styles)

    def get(self, variable: str) -> Style:
        return self.styles.get(variable, _NO_STYLE)

    def checkin(self, level: str) -> Style:
        if level == "alert":
            return self.get("state-alert-bold")
        return self.get(CHECKIN_VARIABLE.get(level, "state-never"))

    def burn(self, level: str) -> Style:
        return self.get(BURN_VARIABLE.get(level, "state-off"))


PLAIN = Palette(name="plain")
"""No colours at all: used before a theme is known, and in pure unit tests."""
