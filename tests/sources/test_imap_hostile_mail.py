"""A hostile IMAP server's mail and answers: one bad message or answer never stops the mail.

Against ``ScriptedImap`` on 127.0.0.1: poison messages, UIDs that cannot
exist, FETCH answers that leave messages out, UIDs that go backwards, a
UIDVALIDITY that changes every poll, dates from year 9999 and 0001, and a
server that ignores SINCE. After each, the mail that came later still arrives.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from farwatch.sources.imap import ImapSource
from farwatch.sources.imap_read import BatchRead
from farwatch.sources.imap_sync import FolderSync
from farwatch.sources.model import CheckIn, FetchResult
from tests.servers.imap import ScriptedImap

NOW = datetime(2025, 3, 11, 15, 0, tzinfo=UTC)


def mail(n: int, *, sender: str = "ana@example.com", msgid: bool = True, day: int = 11) -> str:
    return (
        (f"From: {sender}\r\n" if sender else "")
        + f"Subject: Check-in {n}\r\nDate: Tue, {day} Mar 2025 13:{n % 60:02d}:00 +0000\r\n"
        + (f"Message-ID: <m{n}@example.com>\r\n" if msgid else "")
        + f"\r\nDone with part {n}.\r\n"
    )


class Poller:
    """One source, polled repeatedly with the cursor carried over, as the poller does."""

    def __init__(self, server: ScriptedImap, **options: Any) -> None:
        self.source = ImapSource("mail", server.source_options(**options))
        self.cursor: dict[str, Any] = {}

    def poll(self, now: datetime = NOW) -> FetchResult:
        result = self.source.fetch(self.cursor, now)
        self.cursor = result.cursor
        return result

    @property
    def last_uid(self) -> int:
        return int(self.cursor["folders"]["INBOX"]["last_uid"])

    def close(self) -> None:
        self.source.close()


@pytest.fixture
def poller(scripted_imap: ScriptedImap) -> Any:
    p = Poller(scripted_imap)
    yield p
    p.close()


def subjects(checkins: list[CheckIn]) -> list[str]:
    return sorted(c.subject for c in checkins)


POISON = {
    "a +2400 zone": {"INTERNALDATE": b'"11-Mar-2025 13:05:00 +2400"'},
    "a bare-number date": {"INTERNALDATE": b"1741698300"},
    "a NIL structure": {"BODYSTRUCTURE": b"NIL"},
    "an empty structure": {"BODYSTRUCTURE": b"()"},
    "a 1000-level structure": {"BODYSTRUCTURE": b"(" * 1000 + b")" * 1000},
    "unbalanced parentheses": {"BODYSTRUCTURE": b'((("TEXT" "PLAIN")'},
}


@pytest.mark.parametrize("poison", list(POISON), ids=list(POISON))
def test_one_malformed_message_costs_only_itself(
    scripted_imap: ScriptedImap, poller: Poller, poison: str
) -> None:
    scripted_imap.add(mail(1))
    bad = scripted_imap.add(mail(2), items=POISON[poison])
    scripted_imap.add(mail(3))
    first = poller.poll()
    # the bad one is read headers-only (or dated by its Date header), and named
    assert subjects(first.checkins) == ["Check-in 1", "Check-in 2", "Check-in 3"]
    assert any(f"UID {bad}" in w for w in first.warnings), first.warnings
    assert poller.last_uid == 3
    scripted_imap.add(mail(4))
    assert subjects(poller.poll().checkins) == ["Check-in 4"]


def test_a_message_that_cannot_be_read_even_alone_is_skipped_and_named(
    scripted_imap: ScriptedImap, poller: Poller
) -> None:
    scripted_imap.add(mail(1))
    bad = scripted_imap.add(mail(2), items={"BODY": b"((((", "BODYSTRUCTURE": b"(("})
    scripted_imap.add(mail(3))
    first = poller.poll()
    assert subjects(first.checkins) == ["Check-in 1", "Check-in 3"]
    assert any("skipped" in w and f"UID {bad}" in w for w in first.warnings)
    scripted_imap.add(mail(4))
    assert subjects(poller.poll().checkins) == ["Check-in 4"]


def test_an_impossible_uid_in_a_search_answer_is_a_warning_not_the_cursor(
    scripted_imap: ScriptedImap, poller: Poller
) -> None:
    scripted_imap.add(mail(1))
    poller.poll()
    scripted_imap.add(mail(2))
    scripted_imap.search_extra = [4294967295]
    second = poller.poll()
    assert subjects(second.checkins) == ["Check-in 2"]
    assert any("4294967295" in w and "cannot exist" in w for w in second.warnings)
    assert poller.last_uid == 2
    scripted_imap.add(mail(3))
    assert subjects(poller.poll().checkins) == ["Check-in 3"]


def test_a_bogus_uidnext_on_the_first_sync_does_not_swallow_later_mail(
    scripted_imap: ScriptedImap, poller: Poller
) -> None:
    scripted_imap.add(mail(1))
    scripted_imap.uidnext = 4294967295
    assert subjects(poller.poll().checkins) == ["Check-in 1"]
    assert poller.last_uid == 1
    scripted_imap.uidnext = None
    scripted_imap.add(mail(2))
    assert subjects(poller.poll().checkins) == ["Check-in 2"]


def test_a_message_left_out_of_a_fetch_answer_is_asked_for_again(
    scripted_imap: ScriptedImap, poller: Poller
) -> None:
    for n in (1, 2, 3):
        scripted_imap.add(mail(n))
    scripted_imap.omit = {2}
    first = poller.poll()
    assert subjects(first.checkins) == ["Check-in 1", "Check-in 3"]
    assert any("UID 2" in w and "did not return" in w for w in first.warnings)
    assert poller.last_uid == 1
    scripted_imap.omit = set()
    assert "Check-in 2" in subjects(poller.poll().checkins)
    assert poller.last_uid == 3


def test_a_message_never_returned_is_given_up_after_three_polls_and_named(
    scripted_imap: ScriptedImap, poller: Poller
) -> None:
    for n in (1, 2, 3):
        scripted_imap.add(mail(n))
    scripted_imap.omit = {2}
    results = [poller.poll() for _ in range(3)]
    assert any("gave up" in w and "UID 2" in w for w in results[-1].warnings)
    assert poller.last_uid == 3
    scripted_imap.add(mail(4))
    assert subjects(poller.poll().checkins) == ["Check-in 4"]


def test_uids_going_backwards_under_the_same_uidvalidity_do_not_lose_new_mail(
    scripted_imap: ScriptedImap, poller: Poller
) -> None:
    for n in (1, 2, 3, 4):
        scripted_imap.add(mail(n))
    poller.poll()
    scripted_imap.messages.clear()  # the server renumbered its store, same UIDVALIDITY
    scripted_imap.add(mail(5))
    second = poller.poll()
    assert subjects(second.checkins) == ["Check-in 5"]
    assert any("below the last UID" in w for w in second.warnings)


def test_a_message_without_a_sender_is_counted_not_silently_dropped(
    scripted_imap: ScriptedImap, poller: Poller
) -> None:
    scripted_imap.add(mail(1))
    nobody = scripted_imap.add(mail(2, sender=""))
    result = poller.poll()
    assert subjects(result.checkins) == ["Check-in 1"]
    assert any(
        "1 message in INBOX had no sender address, so it matches no worker and was not stored" in w
        and f"UID {nobody}" in w
        for w in result.warnings
    )
    scripted_imap.add(mail(3, sender=""))
    again = poller.poll()
    assert any(
        "2 messages in INBOX had no sender address, so they match no worker and were not stored"
        in w
        for w in again.warnings
    )


@pytest.mark.parametrize("when", ["31-Dec-9999 23:30:00 -0100", "01-Jan-0001 00:00:00 +0000"])
def test_an_arrival_date_in_year_9999_or_0001_gives_way_to_the_date_header(
    scripted_imap: ScriptedImap, poller: Poller, when: str
) -> None:
    scripted_imap.add(mail(1))
    poller.poll()  # after the first sync: SINCE would hide year 0001 from the search itself
    uid = scripted_imap.add(mail(7), internaldate=when)
    result = poller.poll()
    assert [c.at for c in result.checkins] == [datetime(2025, 3, 11, 13, 7, tzinfo=UTC)]
    assert any("impossible arrival date" in w and f"UID {uid}" in w for w in result.warnings)


def test_a_flapping_uidvalidity_neither_duplicates_nor_rereads_everything(
    scripted_imap: ScriptedImap, poller: Poller
) -> None:
    scripted_imap.flap = True
    scripted_imap.vary_received = True  # the server rewrites a header on every fetch
    for n, day in enumerate((1, 2, 3, 11, 11, 11), start=1):
        scripted_imap.add(
            mail(n, msgid=False, day=day), internaldate=f"{day:02d}-Mar-2025 13:0{n}:00 +0000"
        )
    keys: set[str] = set()
    fetched: list[int] = []
    warnings: list[str] = []
    for i in range(4):
        before = len(scripted_imap.fetched)
        result = poller.poll(NOW + timedelta(minutes=2 * i))
        keys |= {c.key for c in result.checkins}
        fetched.append(len(scripted_imap.fetched) - before)
        warnings += result.warnings
    assert len(keys) == 6  # six check-ins, however often the folder is re-read
    assert fetched[:2] == [6, 6]
    assert fetched[2:] == [3, 3]  # backed off: only mail since the day before the last poll
    assert any("re-reading only mail since 2025-03-10" in w for w in warnings)


def test_a_server_that_ignores_since_cannot_stretch_the_lookback(
    scripted_imap: ScriptedImap, poller: Poller
) -> None:
    scripted_imap.ignore_since = True
    for n in (1, 2, 3):
        scripted_imap.add(mail(n, day=1), internaldate="01-Jan-2024 09:00:00 +0000")
    scripted_imap.add(mail(4))
    result = poller.poll()
    assert subjects(result.checkins) == ["Check-in 4"]
    assert any("older than the lookback" in w for w in result.warnings)


def test_a_uid_listed_twice_is_fetched_once(scripted_imap: ScriptedImap, poller: Poller) -> None:
    scripted_imap.search_twice = True
    for n in (1, 2):
        scripted_imap.add(mail(n))
    assert subjects(poller.poll().checkins) == ["Check-in 1", "Check-in 2"]
    assert sorted(scripted_imap.fetched) == [1, 2]


def test_counts_of_unreadable_messages_agree_in_number() -> None:
    sync = FolderSync("mail", "owner@127.0.0.1", "INBOX", 86400.0)
    for uids, noun, verb in (([7], "1 message", "was"), ([7, 9], "2 messages", "were")):
        result = FetchResult()
        sync._report(BatchRead(skipped=uids, too_old=len(uids)), result)
        assert [str(w).split(" (UID")[0] for w in result.warnings] == [
            f"mail: {noun} in INBOX could not be read at all and {verb} skipped",
            f"mail: the server listed {noun} older than the lookback; not stored",
        ]
