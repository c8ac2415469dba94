"""Which currency codes are ISO 4217 codes.

A roster's ``currency`` cell is free text. Amounts in a code nobody knows
(``PESO``, ``US$``) are still shown, as written and marked, because the owner
owes them; but they are never taken for a real currency, and the roster says
so in its warnings.
"""

from __future__ import annotations

from functools import lru_cache

UNKNOWN_MARK = "?"
"""Written after an amount whose currency is not an ISO 4217 code."""


@lru_cache(maxsize=256)
def is_iso_currency(code: str) -> bool:
    """True for a 3-letter ISO 4217 code Babel's CLDR data knows (``USD``, ``PHP``)."""
    if len(code) != 3 or not code.isascii() or not code.isalpha() or not code.isupper():
        return False
    from babel.numbers import is_currency  # CLDR data: loaded only when a code is checked

    return bool(is_currency(code))
