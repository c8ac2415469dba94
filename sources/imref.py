"""A roster's ``im`` cell: which configured IM channel, and who on it.

A roster is often a shared sheet that people other than the owner can edit,
so a cell may only say *who* a worker is on a channel the owner configured:
``slack:@ana``, ``telegram:123456789``, ``team-hook:ana``. The channel's URL
(scheme, host) and its secrets live in the owner's config (``[nudge.im.NAME]``).
A cell that is a URL, or that references the environment (``${...}``), could
send the owner's tokens or messages to a host of the editor's choosing, so it
is refused: the row keeps no IM contact and a warning says why.
"""

from __future__ import annotations

import re
import string
from urllib.parse import quote, urlsplit

MAX_RECIPIENT = 200
_CHANNEL = re.compile(r"^[A-Za-z][A-Za-z0-9_-]{0,39}$")
_FORBIDDEN = frozenset("/\\{}$?&%<>\"'`|^")


class ImRefError(ValueError):
    """The cell is not ``channel:recipient``; the message says why (never the cell)."""


def parse_im_ref(cell: str) -> tuple[str, str] | None:
    """``(channel, recipient)`` from a roster ``im`` cell, or None when it is empty.

    Raises:
        ImRefError: a URL, an environment reference or a malformed cell.
    """
    text = cell.strip()
    if not text:
        return None
    if "://" in text or "${" in text or text.startswith(("mailto:", "json:", "http")):
        raise ImRefError(
            "im is a URL; IM URLs and tokens now live in the owner's config "
            '([nudge.im.NAME]); write "NAME:recipient" in the roster (refused, nothing sent)'
        )
    channel, sep, recipient = text.partition(":")
    channel, recipient = channel.strip(), recipient.strip()
    if not sep or not is_channel_name(channel) or not recipient:
        raise ImRefError('im must be "channel:recipient", like "slack:@ana" (refused)')
    if (
        len(recipient) > MAX_RECIPIENT
        or not recipient.isprintable()
        or any(c.isspace() or c in _FORBIDDEN for c in recipient)
    ):
        raise ImRefError(
            f"im recipient for channel {channel} has characters a recipient cannot have (refused)"
        )
    return channel.lower(), recipient


def is_channel_name(name: str) -> bool:
    """A configured channel's name: a letter, then letters, digits, ``-`` or ``_``."""
    return bool(_CHANNEL.match(name))


def placeholders(template: str) -> set[str]:
    """The ``{names}`` in a channel URL template (ValueError on a broken one)."""
    return {field for _, field, _, _ in string.Formatter().parse(template) if field is not None}


def channel_url_problem(template: str, secrets: set[str]) -> str:
    """Why a ``[nudge.im.NAME] url`` cannot be used ("" when it can)."""
    try:
        names = placeholders(template)
    except ValueError:
        return (
            "an apprise URL whose placeholders are {to} and {x} for each x_env (braces unbalanced)"
        )
    unknown = names - secrets - {"to"}
    if unknown:
        return (
            f"an apprise URL using only {{to}} and the *_env placeholders (not {sorted(unknown)})"
        )
    if "to" not in names:
        return "an apprise URL with {to} where the roster's recipient goes"
    probe_a = fill_channel_url(template, "a", {n: "s" for n in secrets})
    probe_b = fill_channel_url(template, "b", {n: "s" for n in secrets})
    try:
        a, b = urlsplit(probe_a), urlsplit(probe_b)
    except ValueError:
        return 'an apprise URL like "slack://{token}/{to}"'
    if not a.scheme or "://" not in template:
        return 'an apprise URL like "slack://{token}/{to}"'
    if (a.scheme, a.netloc) != (b.scheme, b.netloc):
        return "an apprise URL with {to} in the path or query, not in the host"
    return ""


def fill_channel_url(template: str, recipient: str, secrets: dict[str, str]) -> str:
    """The channel URL for ``recipient``; every filled value is URL-quoted."""
    values = {name: quote(value, safe="/") for name, value in secrets.items()}
    return template.format(to=quote(recipient, safe="@+:"), **values)


def unknown_channels(cells: list[tuple[str, str]], configured: set[str]) -> list[str]:
    """Warnings for roster ``(who, im cell)`` pairs naming a channel the config lacks."""
    warnings = []
    for who, cell in cells:
        try:
            ref = parse_im_ref(cell)
        except ImRefError:
            continue  # the roster parser already refused it, with its own warning
        if ref is not None and ref[0] not in configured:
            warnings.append(
                f"{who}: im names channel {ref[0]}, which the config does not define "
                f"([nudge.im.{ref[0]}]); refused, nothing will be sent"
            )
    return warnings
