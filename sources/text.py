"""Make untrusted text safe to print to a terminal.

Names, subjects, task names and API strings come from workers' mail and from
third-party services. An ESC byte passes straight through print(), Rich and
Textual and can retitle the terminal, move the cursor or hide text; bidi
overrides and zero-width characters make a name read differently from what it
is. ``strip_control`` removes all of them, so plain output (the CLI's tables,
log lines) shows exactly the visible characters and nothing else.
"""

from __future__ import annotations

import re
import unicodedata

# Whole escape sequences first, so "\x1b[31mred" becomes "red", not "[31mred";
# a sequence cut off by a length limit ("\x1b[3") goes with its parameters too.
_ANSI = re.compile(
    r"""
    \x1b\[[0-?]*[ -/]*[@-~]?             # CSI: colours, cursor moves (or cut short)
  | \x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?   # OSC: window title, hyperlinks
  | \x1b[PX^_][^\x1b]*(?:\x1b\\)?        # DCS, SOS, PM, APC strings
  | \x1b[@-Z\\-_]                        # other two-byte escapes
  | \x9b[0-?]*[ -/]*[@-~]?               # 8-bit CSI (or cut short)
    """,
    re.VERBOSE,
)

# Format characters that are not in category Cf on every Python version, or
# that matter enough to name explicitly (bidi overrides and isolates, marks).
_INVISIBLE = frozenset(
    "\u200b\u200c\u200d\u200e\u200f"  # zero-width space/joiners, LRM, RLM
    "\u202a\u202b\u202c\u202d\u202e"  # bidi embeddings and overrides
    "\u2066\u2067\u2068\u2069"  # bidi isolates
    "\u2060\u2061\u2062\u2063\u2064"  # word joiner, invisible operators
    "\u061c\ufeff\u180e\u00ad"  # Arabic letter mark, BOM, Mongolian vowel separator, soft hyphen
)


def plural(count: int, word: str) -> str:
    """``1 worker``, ``2 workers``, ``1 message``: never "1 messages"."""
    return f"{count} {word}" if count == 1 else f"{count} {word}s"


def was_were(count: int) -> str:
    """The verb that agrees with ``count``: "1 message was", "2 messages were"."""
    return "was" if count == 1 else "were"


_CONTROL_CHAR = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def has_control_character(text: str) -> bool:
    """True when ``text`` holds a C0/C1 control character (a line break, ESC, NUL...)."""
    return _CONTROL_CHAR.search(text) is not None


def strip_control(text: str, *, keep_newlines: bool = False) -> str:
    """Return ``text`` with every control, format and escape character removed.

    Tabs become a space. Line breaks (``\\n``, ``\\r\\n``, ``\\r``, U+2028,
    U+2029) become ``\\n`` when ``keep_newlines`` is true and a space
    otherwise, so a one-line field can never spill onto the next row.
    Everything else in Unicode categories Cc (C0, DEL, C1) and Cf (bidi
    controls, zero-width characters) is dropped.
    """
    if text.isprintable():  # the common case: nothing to do
        return text
    text = _ANSI.sub("", text)
    text = text.replace("\r\n", "\n")
    out: list[str] = []
    for ch in text:
        if ch in "\n\r\u2028\u2029\x85":
            out.append("\n" if keep_newlines else " ")
        elif ch in "\t\x0b\x0c":
            out.append(" ")
        elif ch in _INVISIBLE:
            continue
        elif ch.isprintable() or ch == " ":
            out.append(ch)
        elif unicodedata.category(ch) in ("Cc", "Cf", "Cs", "Co", "Cn"):
            continue
        else:  # other non-printable but visible-as-space characters (Zs, e.g. NBSP)
            out.append(" ")
    return "".join(out)
