"""farwatch's themes and the semantic state colours every theme must provide.

A worker's state (check-in ok / warn / alert / off hours, paused, over cap) is
named by a CSS variable, not a colour, so the TCSS and the table never carry
hex values. farwatch's own themes set every variable; for Textual's built-in
themes (nord, gruvbox, ...) ``state_variable_defaults`` derives them from the
theme's own success / warning / error colours, so switching theme at runtime
keeps states readable.
"""

from __future__ import annotations

from textual.theme import Theme

STATE_VARIABLES: tuple[str, ...] = (
    "state-ok",
    "state-warn",
    "state-alert",
    "state-off",
    "state-paused",
    "state-never",
    "burn-ok",
    "burn-warn",
    "burn-over",
    "burn-empty",
    "spark",
    "badge-failing",
)
"""Every semantic variable farwatch's TCSS and table styles read."""


def state_variable_defaults(theme: Theme) -> dict[str, str]:
    """Semantic variables derived from any theme's base colours.

    Used as ``App.get_theme_variable_defaults`` so a theme that does not know
    farwatch still renders states with its own palette.
    """
    ok = theme.success or theme.primary
    warn = theme.warning or theme.accent or theme.primary
    alert = theme.error or theme.warning or theme.primary
    muted = theme.secondary or theme.primary
    foreground = theme.foreground or ("#e0e0e0" if theme.dark else "#202020")
    return {
        "state-ok": ok,
        "state-warn": warn,
        "state-alert": alert,
        "state-off": muted,
        "state-paused": theme.accent or muted,
        "state-never": foreground,
        "burn-ok": ok,
        "burn-warn": warn,
        "burn-over": alert,
        "burn-empty": theme.panel or theme.surface or muted,
        "spark": theme.primary,
        "badge-failing": alert,
    }


FARWATCH_DARK = Theme(
    name="farwatch-dark",
    primary="#5fa8d3",
    secondary="#62727b",
    accent="#c792ea",
    warning="#e6b450",
    error="#f07178",
    success="#7fd962",
    foreground="#d8dee4",
    background="#101418",
    surface="#161c22",
    panel="#1f272f",
    dark=True,
    variables={
        "state-ok": "#7fd962",
        "state-warn": "#e6b450",
        "state-alert": "#f07178",
        "state-off": "#7a8a96",
        "state-paused": "#c792ea",
        "state-never": "#d8dee4",
        "burn-ok": "#5fa8d3",
        "burn-warn": "#e6b450",
        "burn-over": "#f07178",
        "burn-empty": "#2b3640",
        "spark": "#5fa8d3",
        "badge-failing": "#f07178",
        "footer-key-foreground": "#5fa8d3",
    },
)

FARWATCH_LIGHT = Theme(
    name="farwatch-light",
    primary="#1f5f8b",
    secondary="#5b6770",
    accent="#7b3fa0",
    warning="#9a6200",
    error="#b3261e",
    success="#2e7d32",
    foreground="#1b1f23",
    background="#f6f7f9",
    surface="#eceff2",
    panel="#dde3e8",
    dark=False,
    variables={
        "state-ok": "#2e7d32",
        "state-warn": "#9a6200",
        "state-alert": "#b3261e",
        "state-off": "#6b7780",
        "state-paused": "#7b3fa0",
        "state-never": "#1b1f23",
        "burn-ok": "#1f5f8b",
        "burn-warn": "#9a6200",
        "burn-over": "#b3261e",
        "burn-empty": "#c9d1d8",
        "spark": "#1f5f8b",
        "badge-failing": "#b3261e",
        "footer-key-foreground": "#1f5f8b",
    },
)

FARWATCH_HIGH_CONTRAST = Theme(
    name="farwatch-high-contrast",
    primary="#ffffff",
    secondary="#ffff00",
    accent="#00ffff",
    warning="#ffff00",
    error="#ff5555",
    success="#00ff00",
    foreground="#ffffff",
    background="#000000",
    surface="#000000",
    panel="#202020",
    dark=True,
    luminosity_spread=0.25,
    text_alpha=1.0,
    variables={
        "state-ok": "#00ff00",
        "state-warn": "#ffff00",
        "state-alert": "#ff5555",
        "state-off": "#c0c0c0",
        "state-paused": "#00ffff",
        "state-never": "#ffffff",
        "burn-ok": "#ffffff",
        "burn-warn": "#ffff00",
        "burn-over": "#ff5555",
        "burn-empty": "#404040",
        "spark": "#00ffff",
        "badge-failing": "#ff5555",
        "block-cursor-background": "#ffff00",
        "block-cursor-foreground": "#000000",
        "block-cursor-text-style": "bold",
        "footer-key-foreground": "#ffff00",
    },
)

FARWATCH_THEMES: tuple[Theme, ...] = (FARWATCH_DARK, FARWATCH_LIGHT, FARWATCH_HIGH_CONTRAST)
DEFAULT_THEME = FARWATCH_DARK.name

__all__ = [
    "DEFAULT_THEME",
    "FARWATCH_DARK",
    "FARWATCH_HIGH_CONTRAST",
    "FARWATCH_LIGHT",
    "FARWATCH_THEMES",
    "STATE_VARIABLES",
    "state_variable_defaults",
]
