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


_until_first_frame = False
"""Whether ``pause_until_first_frame`` has the collector off (and it is still off)."""


def pause_until_first_frame() -> None:
    """Start-up of the dashboard: no collection until its first frame is on screen.

    Importing Textual and farwatch and judging the team build a few hundred
    thousand objects that live as long as the process; the collector's passes
    over them while starting cost about a sixth of the time to the first frame.
    """
    global _until_first_frame
    if gc.isenabled():
        gc.disable()
        _until_first_frame = True


def first_frame_shown() -> None:
    """Collect again, leaving what start-up built out of every later pass (``gc.freeze``).

    Does nothing unless ``pause_until_first_frame`` turned the collector off.
    """
    global _until_first_frame
    if _until_first_frame:
        _until_first_frame = False
        gc.freeze()
        gc.enable()
