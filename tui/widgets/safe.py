"""Make untrusted text inert before it reaches the screen.

Names, subjects, tasks and API fields come from other people. Rich and Textual
pass ESC straight to the terminal (an OSC sequence can retitle it or write to
the clipboard), and markup in a string can run actions when clicked
(``[@click=app.quit]``) or crash the app (``[/]``). Every such string goes
through ``safe_text``: control sequences removed, bidi overrides and
zero-width characters removed, length bounded, and the result built as a
``rich.text.Text`` so it is never parsed as markup.
"""

from __future__ import annotations

from rich.style import Style
from rich.text import Text

from farwatch.state.text import strip_control

MAX_SOURCE_CHARS = 400
"""Characters kept from any one string before display: bounds the work a
10,000-character subject can cause."""


def clean(value: object, limit: int = MAX_SOURCE_CHARS) -> str:
    """``strip_control`` plus a length bound, with an ellipsis when cut."""
    text = "" if value is None else str(value)
    if len(text) > limit * 4:  # cut before the regexes run on huge input
        text = text[: limit * 4]
    text = strip_control(text).strip()
    if len(text) > limit:
        text = text[: limit - 1].rstrip() + "…"
    return text


def safe_text(value: object, style: Style | str = "", *, limit: int = MAX_SOURCE_CHARS) -> Text:
    """A single-line ``Text`` holding ``value`` literally (never markup)."""
    return Text(clean(value, limit), style=style, no_wrap=True, overflow="ellipsis", end="")
