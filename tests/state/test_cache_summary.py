"""Statuses from the cache's per-sender summary are the statuses of every check-in.

``status`` and the dashboard's rows read each sender's newest check-in and
count from the main cache file, not the check-ins file. These tests hold that
shortcut to the answer of grouping every check-in, on caches shaped the way
real ones get: pruned by retention, workers who never checked in, mail
arriving out of order, clocks running ahead, the same message seen by two
sources, a cache written by the one-file farwatch, and a writer killed
between the two files' writes.
"""

from __future__ import annotations

import json
import os
import random
import shutil
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson
import pytest

from farwatch.sources.model import CheckIn, FetchResult, RosterRow, TimeEntry
from farwatch.state.cache import SCHEMA_VERSION, Cache
from farwatch.state.data_warnings import data_warnings
from farwatch.state.derive import derive_statuses, worker_history
from farwatch.state.report import worker_json
from farwatch.state.settings import CacheSettings, Settings
from farwatch.state.snapshot import CacheSnapshot

FIXTURES = Path(__file__).resolve().parent / "fixtures"
NOW = datetime(2025, 6, 11, 12, 0, tzinfo=UTC)
DAY = 86400.0


def settings(path: Path) -> Settings:
    return Settings(path=None, cache=CacheSettings(path=path))


def full(snapshot: CacheSnapshot) -> CacheSnapshot:
    """The same snapshot with every check-in read and no summary: the long way."""
    return replace(snapshot, checkins=dict(snapshot.checkins.items()), checkin_summary=None)


def findings(snapshot: CacheSnapshot, at: datetime) -> dict[str, object]:
    return {
        name: (d.unmatched, d.unmatched_who, [w.to_json() for w in d.warnings])
        for name, d in data_warnings(snapshot, at).items()
    }


def derived(snapshot: CacheSnapshot, path: Path, at: datetime) -> object:
    statuses = derive_statuses(snapshot, settings(path), at)
    return [worker_json(s) for s in statuses], findings(snapshot, at)


def checkins_path(path: Path) -> Path:
    """The newest check-ins file beside the cache at ``path``."""
    found = list(path.parent.glob(f"{path.name}.checkins.*"))
    return max(found, key=lambda f: int(f.suffix[1:]))


def read(path: Path) -> CacheSnapshot:
    reader = Cache.open(path, retention=0, writer=False)
    try:
        return reader.snapshot()
    finally:
        reader.close()


# -- a cache written by farwatch before the check-ins had their own file ---------


def old_cache(tmp_path: Path) -> Path:
    path = tmp_path / "farwatch.db"
    shutil.copyfile(FIXTURES / "cache_v1.json", path)
    return path


def golden() -> list[dict[str, object]]:
    """What the one-file farwatch derived; the warnings' wording has changed since,
    so they are compared with every check-in's (``test_statuses_from_the_summary...``)."""
    expected: list[dict[str, Any]] = json.loads(
        (FIXTURES / "cache_v1_statuses.json").read_text(encoding="utf-8")
    )
    for instant in expected:
        for found in instant["sources"].values():
            del found["warnings"]
    return expected


V1_FIELDS = frozenset(golden()[0]["workers"][0])  # type: ignore[index]
"""The fields ``status --json`` had then; later ones are not the migration's business."""


def as_golden(snapshot: CacheSnapshot, path: Path, at: datetime) -> dict[str, object]:
    """What ``make_cache_v1.py`` recorded, computed by today's code."""
    return json.loads(
        json.dumps(
            {
                "at": at.isoformat(),
                "workers": [
                    {k: v for k, v in worker_json(s).items() if k in V1_FIELDS}
                    for s in derive_statuses(snapshot, settings(path), at)
                ],
                "sources": {
                    name: {
                        "unmatched": d.unmatched,
                        "unmatched_who": d.unmatched_who,
                    }
                    for name, d in data_warnings(snapshot, at).items()
                },
            },
            sort_keys=True,
        )
    )


def test_a_one_file_cache_moves_over_on_first_open_losing_nothing(tmp_path: Path) -> None:
    path = old_cache(tmp_path)
    before = orjson.loads(path.read_bytes())
    writer = Cache.open(path, retention=20 * DAY)
    writer.close()
    after = orjson.loads(path.read_bytes())
    moved = orjson.loads(checkins_path(path).read_bytes())
    assert "checkins" not in after
    assert moved["checkins"] == before["checkins"]  # every check-in, same ids
    for table in ("roster", "entries", "cursors", "health"):
        assert after[table] == before[table]
    assert next(iter(after["meta"].values()))["schema"] == SCHEMA_VERSION


def test_statuses_are_those_the_one_file_farwatch_derived(tmp_path: Path) -> None:
    path = old_cache(tmp_path)
    as_before = read(path)  # read-only, before any writer moved it over
    Cache.open(path, retention=20 * DAY).close()
    migrated = read(path)
    assert migrated.checkin_summary is not None
    for expected in golden():
        at = datetime.fromisoformat(str(expected["at"]))
        assert as_golden(as_before, path, at) == expected
        assert as_golden(migrated, path, at) == expected
        assert findings(migrated, at) == findings(full(migrated), at)


def test_status_rows_need_only_the_main_file(tmp_path: Path) -> None:
    path = old_cache(tmp_path)
    Cache.open(path, retention=20 * DAY).close()
    reader = Cache.open(path, retention=0, writer=False)
    checkins = checkins_path(path)
    os.rename(checkins, tmp_path / "elsewhere")  # nobody reads it from here on
    snapshot = reader.snapshot()
    expected = golden()[1]  # a day on: no check-in is later (bob's clock ran 6 h ahead)
    assert as_golden(snapshot, path, datetime.fromisoformat(str(expected["at"]))) == expected
    os.rename(tmp_path / "elsewhere", checkins)
    history = worker_history(snapshot, "ann")  # the detail screen reads them all, now
    assert [c.subject for c in history.checkins] == ["Re: payroll", "update 1", "older"]
    reader.close()


# -- the summary against every check-in, on varied caches --------------------------


def roster(n: int) -> list[RosterRow]:
    rows = [
        RosterRow(
            worker_id=f"w{i}",
            name=f"W{i}",
            email=f"w{i}@example.com",
            timezone=("UTC", "Asia/Manila", "America/New_York")[i % 3],
        )
        for i in range(n)
    ]
    rows[1] = replace(rows[1], aliases=("w1@alt.example.net", "Wanda One"))
    return rows


def senders(n: int) -> list[str]:
    return [
        *(f"w{i}@example.com" for i in range(n - 2)),  # the last two never check in
        "W0 <W0@Example.com>",  # the same worker under another spelling
        "w1@alt.example.net",
        "stranger@example.org",
        "",
    ]


def random_cache(path: Path, seed: int, *, shared: bool) -> None:
    rng = random.Random(seed)
    who = senders(8)
    cache = Cache.open(path, retention=30 * DAY)
    cache.apply("sheet", FetchResult(roster=roster(8), roster_complete=True), NOW)
    keys = iter(range(10**6))
    seen: list[CheckIn] = []
    for poll in range(6):  # out of order: each poll brings mail from any time
        at_poll = NOW - timedelta(days=5 - poll)
        for source in ("imap", "maildir"):
            batch = []
            for _ in range(rng.randrange(0, 25)):
                if shared and seen and rng.random() < 0.2:
                    batch.append(rng.choice(seen))  # the same message through both
                    continue
                at = at_poll - timedelta(seconds=rng.randrange(40 * 86400))
                if rng.random() < 0.05:
                    at = at_poll + timedelta(hours=rng.randrange(1, 30))  # clock ahead
                item = CheckIn(
                    key=f"<{next(keys)}@m>",
                    who=rng.choice(who),
                    at=at,
                    subject=f"update {rng.randrange(5)}",
                    task=rng.choice(("", "books")),
                )
                seen.append(item)
                batch.append(item)
            cache.apply(source, FetchResult(checkins=batch, cursor={"poll": poll}), at_poll)
        cache.apply(
            "clock",
            FetchResult(
                entries=[
                    TimeEntry(f"e{poll}", rng.choice(who), at_poll - timedelta(hours=2), at_poll)
                ]
            ),
            at_poll,
        )
        cache.prune(at_poll)
        cache.commit()
    cache.close()


@pytest.mark.parametrize("seed", range(12))
def test_statuses_from_the_summary_equal_those_from_every_checkin(
    tmp_path: Path, seed: int
) -> None:
    path = tmp_path / "farwatch.db"
    random_cache(path, seed, shared=False)
    snapshot = read(path)
    assert snapshot.checkin_summary is not None
    for hours in (0, 3, -30, 24 * 400):
        at = NOW + timedelta(hours=hours)
        assert derived(snapshot, path, at) == derived(full(snapshot), path, at)


@pytest.mark.parametrize("seed", range(4))
def test_a_message_seen_by_two_sources_still_counts_once(tmp_path: Path, seed: int) -> None:
    path = tmp_path / "farwatch.db"
    random_cache(path, seed, shared=True)
    snapshot = read(path)
    for hours in (0, -30):
        at = NOW + timedelta(hours=hours)
        assert derived(snapshot, path, at) == derived(full(snapshot), path, at)


def test_an_empty_key_is_counted_as_every_checkin_counts_it(tmp_path: Path) -> None:
    path = tmp_path / "farwatch.db"
    cache = Cache.open(path, retention=0)
    cache.apply("sheet", FetchResult(roster=roster(2), roster_complete=True), NOW)
    items = [CheckIn(key="", who="w0@example.com", at=NOW, subject="no id")]
    items.append(CheckIn(key="<k>", who="w0@example.com", at=NOW, subject="id"))
    cache.apply("imap", FetchResult(checkins=items), NOW)
    cache.commit()
    cache.close()
    snapshot = read(path)
    assert derived(snapshot, path, NOW) == derived(full(snapshot), path, NOW)


# -- crash between the two files' writes ---------------------------------------------


def test_a_writer_killed_between_the_two_files_keeps_records_and_cursor_together(
    tmp_path: Path,
) -> None:
    path = tmp_path / "farwatch.db"
    cache = Cache.open(path, retention=0)
    cache.apply("sheet", FetchResult(roster=roster(3), roster_complete=True), NOW)
    first = CheckIn(key="<1>", who="w0@example.com", at=NOW - timedelta(hours=3), subject="a")
    cache.apply("imap", FetchResult(checkins=[first], cursor={"uid": 1}), NOW)
    cache.commit()
    main_before = path.read_bytes()
    later = CheckIn(key="<2>", who="w0@example.com", at=NOW - timedelta(hours=1), subject="b")
    cache.apply("imap", FetchResult(checkins=[later], cursor={"uid": 2}), NOW)
    cache.commit()
    cache.close()
    path.write_bytes(main_before)  # the new check-ins file was written; the main file not

    for writer in (False, True):
        cache = Cache.open(path, retention=0, writer=writer)
        snapshot = cache.snapshot()
        assert {c.key for c in snapshot.checkins["imap"]} == {"<1>"}
        assert cache.cursor("imap") == {"uid": 1}  # the source fetches <2> again
        [row, *_] = derive_statuses(snapshot, settings(path), NOW)
        assert (row.last_checkin_subject, row.checkins_total) == ("a", 1)
        cache.close()
    cache = Cache.open(path, retention=0)
    assert cache.apply("imap", FetchResult(checkins=[later], cursor={"uid": 2}), NOW) == 1
    cache.commit()
    cache.close()
    snapshot = read(path)
    assert derived(snapshot, path, NOW) == derived(full(snapshot), path, NOW)
    [row, *_] = derive_statuses(snapshot, settings(path), NOW)
    assert (row.last_checkin_subject, row.checkins_total) == ("b", 2)
    assert len(list(tmp_path.glob("farwatch.db.checkins.*"))) == 2  # this one and the last


def test_unknown_senders_keep_the_order_of_their_first_remaining_checkin(
    tmp_path: Path,
) -> None:
    path = tmp_path / "farwatch.db"
    cache = Cache.open(path, retention=10 * DAY)
    cache.apply("sheet", FetchResult(roster=roster(2), roster_complete=True), NOW)
    mail = [
        CheckIn(key="<1>", who="ann@else.org", at=NOW - timedelta(days=9), subject="old"),
        CheckIn(key="<2>", who="bo@else.org", at=NOW - timedelta(days=5), subject="hi"),
        CheckIn(key="<3>", who="ann@else.org", at=NOW - timedelta(days=1), subject="new"),
    ]
    cache.apply("imap", FetchResult(checkins=mail), NOW)
    cache.commit()
    assert findings(read(path), NOW)["imap"][1] == ["ann@else.org", "bo@else.org"]
    cache.prune(NOW + timedelta(days=2))  # ann's first check-in goes; her newest stays
    cache.commit()
    cache.close()
    snapshot = read(path)
    assert findings(snapshot, NOW)["imap"][1] == ["bo@else.org", "ann@else.org"]
    assert findings(snapshot, NOW) == findings(full(snapshot), NOW)


def test_an_unreadable_checkins_file_is_named_set_aside_and_read_again(tmp_path: Path) -> None:
    path = tmp_path / "farwatch.db"
    random_cache(path, 1, shared=False)
    checkins_path(path).write_bytes(b'{"checkins": {"1": ')  # a disk error, say
    reader = Cache.open(path, retention=0, writer=False)
    assert reader.snapshot().checkin_summary is not None  # rows still come from the summary
    assert worker_history(reader.snapshot(), "w0").checkins == []
    assert any("unreadable" in n for n in reader.notices)
    reader.close()

    writer = Cache.open(path, retention=30 * DAY)
    assert writer.record_count("imap") > 0  # from the summary, before anything is read
    writer.prune(NOW)  # reads the check-ins: the file is set aside, every cursor dropped
    assert writer.cursor("imap") == {} and writer.cursor("maildir") == {}
    assert any("moved them to" in n for n in writer.notices)
    assert list(tmp_path.glob("farwatch.db.checkins.*.corrupt-*"))
    writer.commit()
    writer.close()
    assert read(path).checkin_summary == {}  # nothing left to summarise; sources refill it


def test_a_reader_two_generations_behind_reads_the_newest_pair(tmp_path: Path) -> None:
    path = tmp_path / "farwatch.db"
    writer = Cache.open(path, retention=0)
    writer.apply("sheet", FetchResult(roster=roster(2), roster_complete=True), NOW)

    def poll(n: int) -> None:
        item = CheckIn(key=f"<{n}>", who="w0@example.com", at=NOW, subject=f"s{n}")
        writer.apply("imap", FetchResult(checkins=[item]), NOW)
        writer.commit()

    poll(0)
    reader = Cache.open(path, retention=0, writer=False)
    snapshot = reader.snapshot()  # rows from the summary; the check-ins not read yet
    poll(1)
    poll(2)  # the writer keeps this file and the one before: the reader's is gone
    assert [c.key for c in worker_history(snapshot, "w0").checkins] == ["<2>", "<1>", "<0>"]
    reader.close()
    writer.close()
