"""Is this the NAME of an environment variable, or a secret pasted where a name belongs?

Owners paste keys into ``api_key_env`` instead of the variable's name
(``api_key_env = "pk_live_51Hx…"``). Such a value must be refused without being
echoed: the error would otherwise print the key and store it in the cache and
the audit log. Variable names are conventionally ``UPPER_CASE``; lower-case
letters mixed with digits, a long run of lower-case letters without a word
break (a 16-letter Gmail app password), or more than 40 characters read as a
secret.
"""

from __future__ import annotations

import re

MAX_NAME = 40
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_LOWER_RUN = re.compile(r"[a-z]{12,}")


def looks_like_secret(value: str) -> bool:
    """True when ``value`` reads as a pasted secret rather than a variable name."""
    if len(value) > MAX_NAME or not _NAME.match(value):
        return True
    has_lower = any(c.islower() for c in value)
    if has_lower and any(c.isdigit() for c in value):
        return True
    return bool(_LOWER_RUN.search(value))


def is_env_name(value: str) -> bool:
    """True for a plausible environment variable name (``FARWATCH_IMAP_PASSWORD``)."""
    return not looks_like_secret(value)


def looks_like_keyring_ref(value: str) -> bool:
    """True for ``service/username`` with printable parts and no secret-looking length."""
    service, _, user = value.partition("/")
    if not service.strip() or not user.strip() or len(value) > 200:
        return False
    return value.isprintable() and " " not in service
