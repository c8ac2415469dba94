"""Bulk loads without the cyclic garbage collector running in between.

Loading a cache builds a few hundred thousand containers (the parsed JSON,
then a typed record per document) and none of them form cycles worth
collecting. With the collector on, every few hundred allocations trigger a
pass, and the older generations' passes walk everything built so far, so
the load paid about a third of its time for nothing.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def gc_paused() -> Iterator[None]:
    """Disable automatic collection inside the block; restore it as it was after."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
