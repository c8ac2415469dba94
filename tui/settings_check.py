"""What `farwatch check` can tell about the dashboard's settings without opening it.

The dashboard itself is lenient: an unknown theme falls back to the default
and an unknown binding id in ``[ui.keys]`` rebinds nothing. That is right for
a dashboard that must open, and wrong for ``check``, whose job is to say
"Config OK" only for a config that does what the owner wrote.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable

from textual.binding import Binding
from textual.screen import ModalScreen
from textual.theme import BUILTIN_THEMES

from farwatch.state.settings import UiSettings
from farwatch.themes import FARWATCH_THEMES
from farwatch.tui.app import FarwatchApp
from farwatch.tui.screens.audit_log import AuditLogScreen
from farwatch.tui.screens.compose import ComposeScreen
from farwatch.tui.screens.confirm import ConfirmScreen
from farwatch.tui.screens.detail import DetailScreen
from farwatch.tui.screens.help import HelpScreen
from farwatch.tui.screens.main import MainScreen
from farwatch.tui.screens.pay import PayScreen
from farwatch.tui.screens.sources import SourcesScreen
from farwatch.tui.textual_compat import key_names

SCREENS_WITH_KEYS = (
    FarwatchApp,
    MainScreen,
    DetailScreen,
    SourcesScreen,
    AuditLogScreen,
    HelpScreen,
    ComposeScreen,
    ConfirmScreen,
    PayScreen,
)


def binding_ids() -> set[str]:
    """Every id ``[ui.keys]`` may rebind."""
    return {
        binding.id
        for owner in SCREENS_WITH_KEYS
        for binding in owner.BINDINGS
        if isinstance(binding, Binding) and binding.id
    }


def theme_names() -> set[str]:
    return {theme.name for theme in FARWATCH_THEMES} | set(BUILTIN_THEMES)


def _suggest(word: str, choices: Iterable[str]) -> str:
    close = difflib.get_close_matches(word, sorted(choices), n=1)
    return f' (did you mean "{close[0]}"?)' if close else ""


def ui_problems(ui: UiSettings) -> list[str]:
    """One line per setting the dashboard would quietly ignore, naming the key."""
    problems = []
    themes = theme_names()
    if ui.theme not in themes:
        problems.append(
            f'ui.theme: unknown theme "{ui.theme}"{_suggest(ui.theme, themes)}; '
            f"expected one of: {', '.join(sorted(themes))}"
        )
    ids = binding_ids()
    for binding_id in sorted(set(ui.keys) - ids):
        problems.append(
            f"ui.keys.{binding_id}: unknown binding id{_suggest(binding_id, ids)}; "
            "the ids are listed by ? in the dashboard"
        )
    return problems + key_clashes(ui.keys)


def _bindings(owner: type) -> list[Binding]:
    return [b for b in getattr(owner, "BINDINGS", ()) if isinstance(b, Binding) and b.id]


def key_clashes(keys: dict[str, str]) -> list[str]:
    """A rebound key that another binding of the same screen (or the app) already has.

    Only one of the two would ever run, so ``check`` names both. Dialogs see
    only their own keys; the other screens see theirs and the app's.
    """
    problems: list[str] = []
    said: set[tuple[str, str]] = set()
    app_bindings = _bindings(FarwatchApp)
    for screen in SCREENS_WITH_KEYS[1:]:
        together = _bindings(screen)
        if not issubclass(screen, ModalScreen):
            together += app_bindings
        bound = [
            (b.id or "", key_names(keys.get(b.id or "", b.key)), key_names(b.key)) for b in together
        ]
        for rebound, rebound_keys, rebound_default in bound:
            if rebound not in keys:
                continue
            for other, other_keys, other_default in bound:
                pair = (min(rebound, other), max(rebound, other))
                if other == rebound or not rebound_keys & other_keys or pair in said:
                    continue
                if rebound_default & other_default:
                    continue  # one shadows the other by design (a screen's "u" over the app's)
                said.add(pair)
                problems.append(
                    f'ui.keys.{rebound}: "{keys[rebound]}" is also the key of "{other}"; '
                    "only one of them would work: choose another key"
                )
    return sorted(problems)
