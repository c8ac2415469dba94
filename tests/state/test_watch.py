"""A source is watched for news only when its class can wait and the owner asked for it."""

from __future__ import annotations

import threading
from datetime import datetime
from typing import ClassVar

import pytest

from farwatch.sources.base import Source, SourceError
from farwatch.sources.model import Cursor, FetchResult
from farwatch.sources.sheet import SheetSource
from farwatch.state.watch import ChangeWatcher, watchable


class Plain(Source):
    type_name: ClassVar[str] = "plain"

    def fetch(self, cursor: Cursor, now: datetime) -> FetchResult:
        return FetchResult()


class Waiting(Plain):
    """Wakes its caller once, as a mailbox with IDLE does when mail arrives."""

    type_name: ClassVar[str] = "waiting"
    can_wait_for_change: ClassVar[bool] = True

    def __init__(self, name: str, idle: bool) -> None:
        super().__init__(name, {"idle": idle})
        self.woken = threading.Event()

    def wants_watching(self) -> bool:
        return bool(self.config["idle"])

    def wait_for_change(self, timeout: float) -> bool:
        if self.woken.is_set():
            self.woken.wait(timeout)
            return False
        self.woken.set()
        return True


def test_only_sources_that_can_wait_and_were_asked_to_are_watched() -> None:
    sources: dict[str, Source] = {
        "mail": Waiting("mail", idle=True),
        "mail-no-idle": Waiting("mail-no-idle", idle=False),
        "plain": Plain("plain", {}),
        "sheet": SheetSource("sheet", {"path": "roster.csv"}),
    }
    assert list(watchable(sources)) == ["mail"]


def test_a_source_that_cannot_wait_says_so() -> None:
    with pytest.raises(SourceError, match="plain cannot wait for changes"):
        Plain("plain", {}).wait_for_change(0.1)


def test_news_from_a_watched_source_reaches_the_caller() -> None:
    seen: list[str] = []
    called = threading.Event()

    def on_change(name: str) -> None:
        seen.append(name)
        called.set()

    watcher = ChangeWatcher({"mail": Waiting("mail", idle=True)}, on_change, wait=0.05)
    assert watcher.start() == ["mail"]
    try:
        assert called.wait(30)
    finally:
        watcher.stop()
    assert seen == ["mail"]
