"""The dashboard's start-up pause of the garbage collector ends, and ends only its own."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

from farwatch.state.gc_pause import first_frame_shown, pause_until_first_frame


@pytest.fixture(autouse=True)
def collector_restored() -> Iterator[None]:
    was = gc.isenabled()
    yield
    first_frame_shown()
    if was:
        gc.enable()
    gc.unfreeze()


def test_collection_resumes_with_the_first_frame() -> None:
    gc.enable()
    pause_until_first_frame()
    assert not gc.isenabled()
    first_frame_shown()
    assert gc.isenabled()


def test_a_collector_someone_else_turned_off_stays_off() -> None:
    gc.disable()
    pause_until_first_frame()
    first_frame_shown()
    assert not gc.isenabled()
