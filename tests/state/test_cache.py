"""The cache keeps what sources saw: exactly, once, safely, and not forever."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from dataclasses import fields
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import orjson
import pytest

from farwatch.sources.model import CheckIn, FetchResult, RosterRow, TimeEntry
from farwatch.state.cache import SCHEMA_VERSION, Cache, CacheError
from farwatch.state.snapshot import SourceHealth

NOW = datetime(2024, 5, 6, 12, 0, 0, 123456, tzinfo=UTC)
DAY = 86400.0


def checkin(key: str, at: datetime = NOW, who: str = "ann@example.com") -> CheckIn:
    return CheckIn(key=key, who=who, at=at, subject=f"update {key}", first_line="on it")


def entry(key: str, start: datetime, end: datetime | None = None, who: str = "u1") -> TimeEntry:
    return TimeEntry(key=key, who=who, start=start, end=end, task="books")


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "data" / "farwatch.db"


@pytest.fixture
def cache(db_path: Path) -> Iterator[Cache]:
    c = Cache.open(db_path, retention=90 * DAY)
    yield c
    c.close()


def reopen(cache: Cache, path: Path) -> Cache:
    cache.close()
    return Cache.open(path, retention=cache.retention)


def test_new_cache_file_is_private_even_with_a_permissive_umask(tmp_path: Path) -> None:
    old = os.umask(0)
    try:
        path = tmp_path / "deep" / "er" / "farwatch.db"
        c = Cache.open(path, retention=DAY)
        c.apply("mail", FetchResult(checkins=[checkin("m1")]), NOW)
        c.commit()
    finally:
        os.umask(old)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(Path(f"{path}.lock").stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    c.close()


def test_an_existing_world_readable_cache_becomes_private_on_the_next_write(db_path: Path) -> None:
    c = Cache.open(db_path, retention=DAY)
    os.chmod(db_path, 0o644)
    c.apply("mail", FetchResult(checkins=[checkin("m1")]), NOW)
    c.commit()
    assert stat.S_IMODE(db_path.stat().st_mode) == 0o600
    c.close()


def test_observations_round_trip_exactly(cache: Cache, db_path: Path) -> None:
    manila = timezone(timedelta(hours=8))
    row = RosterRow(
        worker_id="w1",
        name="Maria Santos",
        email="maria@example.com",
        cap_hours=37.5,
        cap_period="week",
        rate=12.5,
        timezone="Asia/Manila",
        aliases=("m.santos@example.org",),
        extra={"team": "support"},
    )
    ci = CheckIn("<a@b>", "maria@example.com", NOW.astimezone(manila), "done: inbox", kind="done")
    closed = TimeEntry("t1", "u1", NOW - timedelta(hours=2), NOW - timedelta(hours=1), "x", 90.5)
    running = entry("t2", NOW - timedelta(minutes=5))
    health = SourceHealth(name="mail", type="imap", last_success=NOW, requests=3, next_poll=NOW)
    result = FetchResult(roster=[row], checkins=[ci], entries=[closed, running], cursor={"uid": 9})
    cache.apply("mail", result, NOW)
    cache.set_health(health)
    cache.commit()
    before = cache.snapshot()
    again = reopen(cache, db_path)
    after = again.snapshot()
    assert after == before
    assert after.roster["mail"] == [row]
    assert after.checkins["mail"] == [ci]
    assert after.entries["mail"] == [closed, running]
    assert after.health["mail"] == health
    assert again.cursor("mail") == {"uid": 9}
    again.close()


def test_cache_stores_every_field_of_a_checkin() -> None:
    # cache_codec.checkin spells the fields out for load speed; a new field needs adding there.
    assert [f.name for f in fields(CheckIn)] == [
        "key",
        "who",
        "at",
        "subject",
        "first_line",
        "kind",
        "task",
    ]


def test_the_files_are_tinydb_json_with_a_schema_version(cache: Cache, db_path: Path) -> None:
    cache.apply("mail", FetchResult(checkins=[checkin("m1")]), NOW)
    cache.commit()
    data = orjson.loads(db_path.read_bytes())
    assert next(iter(data["meta"].values()))["schema"] == SCHEMA_VERSION
    assert "checkins" not in data  # they have their own file, beside a summary
    [checkins_file] = db_path.parent.glob("farwatch.db.checkins.*")
    checkins = orjson.loads(checkins_file.read_bytes())
    assert next(iter(checkins["checkins"].values()))["at"] == NOW.isoformat()
    assert stat.S_IMODE(os.stat(checkins_file).st_mode) == 0o600


def test_checkins_are_deduplicated_by_key(cache: Cache) -> None:
    first = FetchResult(checkins=[checkin("<1@x>"), checkin("<2@x>"), checkin("<1@x>")])
    assert cache.apply("mail", first, NOW) == 2
    resync = FetchResult(checkins=[checkin("<1@x>"), checkin("<2@x>"), checkin("<3@x>")])
    assert cache.apply("mail", resync, NOW) == 1
    keys = [c.key for c in cache.snapshot().checkins["mail"]]
    assert sorted(keys) == ["<1@x>", "<2@x>", "<3@x>"]


def test_same_key_from_two_sources_is_kept_per_source(cache: Cache) -> None:
    cache.apply("mail", FetchResult(checkins=[checkin("k")]), NOW)
    assert cache.apply("other", FetchResult(checkins=[checkin("k")]), NOW) == 1
    assert cache.record_count("mail") == cache.record_count("other") == 1


def test_complete_roster_replaces_and_partial_roster_merges(cache: Cache) -> None:
    ann, bob, cy = (RosterRow(w, w.title()) for w in ("ann", "bob", "cy"))
    full = FetchResult(roster=[ann, bob], roster_complete=True)
    assert cache.apply("sheet", full, NOW) == 2
    renamed = RosterRow("bob", "Robert")
    assert cache.apply("sheet", FetchResult(roster=[renamed, cy], roster_complete=True), NOW) == 1
    assert cache.snapshot().roster["sheet"] == [renamed, cy]
    assert cache.apply("sheet", FetchResult(roster=[ann]), NOW) == 1
    assert {r.worker_id for r in cache.snapshot().roster["sheet"]} == {"ann", "bob", "cy"}


def test_unchanged_result_never_empties_the_roster(cache: Cache) -> None:
    cache.apply("sheet", FetchResult(roster=[RosterRow("ann", "Ann")], roster_complete=True), NOW)
    cache.apply("sheet", FetchResult(roster_complete=True, unchanged=True), NOW)
    assert [r.worker_id for r in cache.snapshot().roster["sheet"]] == ["ann"]


def test_running_complete_closes_vanished_timers_at_their_last_sighting(cache: Cache) -> None:
    start = NOW - timedelta(hours=1)
    cache.apply("toggl", FetchResult(entries=[entry("a", start), entry("b", start)]), NOW)
    later = NOW + timedelta(minutes=10)
    cache.apply("toggl", FetchResult(entries=[entry("b", start)], running_complete=True), later)
    entries = {e.key: e for e in cache.snapshot().entries["toggl"]}
    assert entries["a"].end == NOW  # last seen by the first poll, not "now"
    assert entries["b"].end is None
    # a partial report (no running_complete) closes nothing
    cache.apply("toggl", FetchResult(entries=[]), later + timedelta(minutes=5))
    assert {e.key: e.end for e in cache.snapshot().entries["toggl"]}["b"] is None


def test_entries_complete_drops_entries_deleted_upstream_inside_the_window(cache: Cache) -> None:
    week = NOW - timedelta(days=7)
    old = entry("old", week - timedelta(days=1), week - timedelta(days=1) + timedelta(hours=1))
    kept = entry("kept", NOW - timedelta(days=2), NOW - timedelta(days=2) + timedelta(hours=3))
    gone = entry("gone", NOW - timedelta(days=1), NOW - timedelta(days=1) + timedelta(hours=2))
    cache.apply("harvest", FetchResult(entries=[old, kept, gone]), NOW)
    complete = FetchResult(entries=[kept], entries_complete=True, entries_window=(week, NOW))
    assert cache.apply("harvest", complete, NOW) == 0
    assert sorted(e.key for e in cache.snapshot().entries["harvest"]) == ["kept", "old"]


def test_changed_entry_is_updated_not_duplicated(cache: Cache) -> None:
    start = NOW - timedelta(hours=1)
    cache.apply("clockify", FetchResult(entries=[entry("a", start)]), NOW)
    stopped = entry("a", start, NOW)
    assert cache.apply("clockify", FetchResult(entries=[stopped]), NOW) == 0
    assert cache.snapshot().entries["clockify"] == [stopped]


def test_prune_drops_old_records_but_never_a_running_timer(db_path: Path) -> None:
    c = Cache.open(db_path, retention=30 * DAY)
    long_ago = NOW - timedelta(days=40)
    c.apply(
        "mail",
        FetchResult(checkins=[checkin("old", NOW - timedelta(days=20)), checkin("new", NOW)]),
        NOW - timedelta(days=20),
    )
    c.apply(
        "toggl",
        FetchResult(
            entries=[
                entry("closed-old", long_ago, long_ago + timedelta(hours=1)),
                entry("running-old", long_ago),
                entry("recent", NOW - timedelta(days=1), NOW - timedelta(hours=20)),
            ]
        ),
        NOW - timedelta(days=20),
    )
    assert c.record_count("toggl") == 3
    # 15 days later, the cutoff is NOW - 15 days: "old" and "closed-old" go.
    assert c.prune(NOW + timedelta(days=15)) == 2
    snap = c.snapshot()
    assert [x.key for x in snap.checkins["mail"]] == ["new"]
    assert sorted(e.key for e in snap.entries["toggl"]) == ["recent", "running-old"]
    c.close()


def test_records_older_than_the_retention_are_not_stored_at_all(db_path: Path) -> None:
    c = Cache.open(db_path, retention=7 * DAY)
    ancient = checkin("ancient", NOW - timedelta(days=8))
    assert c.apply("mail", FetchResult(checkins=[ancient, checkin("fresh")]), NOW) == 1
    c.close()


def test_commit_writes_once_and_only_when_something_changed(cache: Cache, db_path: Path) -> None:
    writes = cache.writes
    stamp = db_path.stat().st_mtime_ns
    assert cache.commit() is False
    assert db_path.stat().st_mtime_ns == stamp
    for n in range(50):
        cache.apply("mail", FetchResult(checkins=[checkin(f"m{n}")]), NOW)
    assert cache.writes == writes
    assert cache.commit() is True
    assert cache.writes == writes + 1
    cache.apply("mail", FetchResult(checkins=[checkin("m1")]), NOW)  # nothing new
    assert cache.commit() is False


def test_cursor_is_a_private_copy_and_must_be_json(cache: Cache) -> None:
    cache.apply("imap", FetchResult(cursor={"uids": [1, 2]}), NOW)
    got = cache.cursor("imap")
    got["uids"].append(3)
    assert cache.cursor("imap") == {"uids": [1, 2]}
    bad = FetchResult(checkins=[checkin("x")], cursor={"seen": {1, 2}})
    with pytest.raises(ValueError, match="cursor"):
        cache.apply("imap", bad, NOW)
    assert cache.record_count("imap") == 0  # nothing half-applied


def test_naive_datetime_is_refused_before_anything_changes(cache: Cache) -> None:
    naive = CheckIn("k", "a@x", datetime(2024, 1, 1), "hi")
    with pytest.raises(ValueError, match="naive"):
        cache.apply("mail", FetchResult(checkins=[checkin("ok"), naive]), NOW)
    assert cache.record_count("mail") == 0


# -- unreadable files and bad paths ----------------------------------------------


@pytest.mark.parametrize(
    "content",
    [b'{"meta": {"1": {"schema": 1}}, "checkins": {"1": {"sour', b"\x00\xff garbage", b"[1, 2]"],
    ids=["truncated", "binary", "not-tables"],
)
def test_unreadable_cache_is_moved_aside_and_rebuilt(db_path: Path, content: bytes) -> None:
    db_path.parent.mkdir(parents=True)
    db_path.write_bytes(content)
    c = Cache.open(db_path, retention=DAY, clock=lambda: NOW)
    backups = list(db_path.parent.glob("farwatch.db.corrupt-*"))
    assert len(backups) == 1
    assert backups[0].read_bytes() == content  # kept exactly as it was
    stamp = NOW.astimezone().strftime("%Y%m%d-%H%M%S")
    assert backups[0].name == f"farwatch.db.corrupt-{stamp}"
    assert len(c.notices) == 1
    assert "unreadable" in c.notices[0] and str(backups[0].name) in c.notices[0]
    assert c.apply("mail", FetchResult(checkins=[checkin("m1")]), NOW) == 1
    c.commit()
    c.close()
    again = Cache.open(db_path, retention=DAY)
    assert again.notices == [] and again.record_count("mail") == 1
    again.close()


def test_a_second_corruption_in_the_same_second_keeps_both_backups(db_path: Path) -> None:
    db_path.parent.mkdir(parents=True)
    for n in range(2):
        db_path.write_bytes(b"{broken %d" % n)
        Cache.open(db_path, retention=DAY, clock=lambda: NOW).close()
    assert len(list(db_path.parent.glob("farwatch.db.corrupt-*"))) == 2


def test_a_malformed_record_is_dropped_and_a_newer_schema_is_unreadable(db_path: Path) -> None:
    db_path.parent.mkdir(parents=True)
    bad_record = {"meta": {"1": {"schema": 1}}, "checkins": {"1": {"source": "m", "key": "k"}}}
    db_path.write_bytes(orjson.dumps(bad_record))
    c = Cache.open(db_path, retention=DAY)
    assert "checkins record 1 of source 'm': no who" in c.notices[0]
    assert not list(db_path.parent.glob("*.corrupt-*"))
    c.close()
    db_path.write_bytes(orjson.dumps({"meta": {"1": {"schema": SCHEMA_VERSION + 1}}}))
    c = Cache.open(db_path, retention=DAY)
    assert "newer farwatch" in c.notices[0]
    c.close()


def test_empty_file_is_a_new_cache_not_a_corrupt_one(db_path: Path) -> None:
    db_path.parent.mkdir(parents=True)
    db_path.touch()
    c = Cache.open(db_path, retention=DAY)
    assert c.notices == []
    assert not list(db_path.parent.glob("*.corrupt-*"))
    c.close()


def test_directory_as_cache_path_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(CacheError) as info:
        Cache.open(tmp_path, retention=DAY)
    assert str(tmp_path) in str(info.value)
    assert "is a directory" in str(info.value)


def test_file_in_the_way_of_the_cache_folder_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "data").write_text("not a folder")
    with pytest.raises(CacheError) as info:
        Cache.open(tmp_path / "data" / "farwatch.db", retention=DAY)
    assert "cannot create the cache folder" in str(info.value)
    assert str(tmp_path / "data") in str(info.value)


def test_home_paths_are_shown_with_a_tilde(isolated_user_dirs: Path) -> None:
    target = isolated_user_dirs / "farwatch-data"
    target.mkdir()
    with pytest.raises(CacheError, match=r"cache path ~/farwatch-data is a directory"):
        Cache.open(target, retention=DAY)
