"""A ``Text`` cell that knows its row key, so ``DataTable.sort`` can order rows by key.

``DataTable.sort`` hands the key function cell values only; carrying the key
in one cell lets a table be put into any computed order in place.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from rich.text import Text


class KeyedText(Text):
    __slots__ = ("row_key",)

    def __init__(self, source: Text, row_key: str) -> None:
        super().__init__(
            source.plain, style=source.style, end="", no_wrap=True, overflow=source.overflow
        )
        self._spans = list(source.spans)
        self.row_key = row_key


def order_by(position: dict[str, int]) -> Callable[[Any], int]:
    """A sort key function for a column of ``KeyedText`` cells."""

    def key(cell: object) -> int:
        return position.get(getattr(cell, "row_key", ""), len(position))

    return key
