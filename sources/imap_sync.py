"""One folder's incremental sync: which UIDs to read, and how far the cursor may move.

The cursor keeps ``{folder: {uidvalidity, last_uid, flaps, seen_at, missing}}``
and trusts only what was fetched: it moves over UIDs actually read (or given
up after ``MISSING_TRIES`` polls, named), never past UIDNEXT, and stops before
a UID the server listed but did not return. Answers that cannot be true — a
UID at or past UIDNEXT or above 2^32, UIDNEXT below the last UID read under
the same UIDVALIDITY — are warnings. A first sync (or a re-read after a
changed UIDVALIDITY) searches SINCE the lookback and then skips to the newest
message; a UIDVALIDITY that changes poll after poll is re-read only from the
day before the last poll.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from imapclient import IMAPClient

from farwatch.sources.imap_read import BatchRead, MessageReader
from farwatch.sources.imap_wire import MAX_UID, as_int
from farwatch.sources.model import Cursor, FetchResult
from farwatch.sources.text import plural, was_were

MESSAGES_PER_POLL = 100_000
"""Messages one poll reads at most; the cursor stops before the rest, read next poll."""
MISSING_TRIES = 3
"""Polls a listed UID may go unanswered by FETCH before it is given up (named in a warning)."""
FLAPS_BEFORE_BACKOFF = 2
"""UIDVALIDITY changes in a row before a re-read covers only the day before the last poll."""
SHOWN = 5
"""UIDs named in one warning."""


@dataclass(frozen=True, slots=True)
class FolderSync:
    """How one source reads one folder (its settings; no state between polls)."""

    name: str
    account: str
    folder: str
    lookback: float
    batch_size: int = 200
    per_poll: int = MESSAGES_PER_POLL

    def poll(
        self,
        client: IMAPClient,
        info: dict[bytes, Any],
        cursor: Cursor,
        now: datetime,
        result: FetchResult,
    ) -> None:
        """Read what is new in the EXAMINEd folder into ``result`` and move its cursor."""
        uidvalidity = as_int(info.get(b"UIDVALIDITY"))
        uidnext = as_int(info.get(b"UIDNEXT"))
        exists = as_int(info.get(b"EXISTS"))
        if uidnext > MAX_UID + 1:
            result.warn(f"{self.name}: ignored an impossible UIDNEXT {uidnext}")
            uidnext = 0
        folders = dict(cursor.get("folders", {})) if cursor.get("account") == self.account else {}
        state = dict(folders.get(self.folder) or {})
        last_uid = as_int(state.get("last_uid"))
        missing = {int(k): int(v) for k, v in dict(state.get("missing") or {}).items()}
        flaps = as_int(state.get("flaps"))
        since = now - timedelta(seconds=self.lookback)
        resync = not state
        if state and as_int(state.get("uidvalidity")) != uidvalidity:
            flaps += 1
            since = self._rebuilt(state, flaps, since, result)
            last_uid, missing, resync = 0, {}, True
        elif state:
            flaps = 0
        if not resync and uidnext and uidnext <= last_uid:
            result.warn(
                f"{self.name}: folder {self.folder}: UIDNEXT {uidnext} is below the last UID "
                f"read ({last_uid}) under the same UIDVALIDITY; re-reading the folder"
            )
            last_uid, missing, resync = 0, {}, True
        uids = self._search(client, last_uid, uidnext, since, resync, result)
        todo = uids[: self.per_poll]
        if len(uids) > len(todo):
            result.warn(
                f"{self.name}: {len(uids) - len(todo)} more messages than one poll reads "
                f"({self.per_poll}); they are read by the next polls"
            )
        reader = MessageReader(self.name, since, now)
        read = BatchRead()
        for batch in _chunks(todo, self.batch_size):
            part = reader.read(client, batch)
            read.checkins += part.checkins
            read.done |= part.done
            read.missing |= part.missing
            read.headers_only += part.headers_only
            read.skipped += part.skipped
            read.no_sender += part.no_sender
            read.bad_dates += part.bad_dates
            read.too_old += part.too_old
        result.checkins.extend(read.checkins)
        new_last, missing = self._advance(last_uid, uids, todo, read, missing, resync, result)
        if resync and not missing and len(todo) == len(uids):
            new_last = max(new_last, self._top_uid(client, exists))
        if uidnext:
            new_last = min(new_last, uidnext - 1)
        self._report(read, result)
        senderless = (0 if resync else as_int(state.get("no_sender"))) + len(read.no_sender)
        if senderless:  # repeated every poll, like the Maildir source's count
            latest = f" (new: UID {_names(sorted(read.no_sender))})" if read.no_sender else ""
            result.warn(
                f"{self.name}: {plural(senderless, 'message')} in {self.folder} had no "
                f"sender address, so {'it matches' if senderless == 1 else 'they match'} no "
                f"worker and {was_were(senderless)} not stored{latest}"
            )
        folders[self.folder] = {
            "uidvalidity": uidvalidity,
            "last_uid": max(new_last, 0),
            "flaps": flaps,
            **({"no_sender": senderless} if senderless else {}),
            "seen_at": now.isoformat(),
            **({"missing": {str(k): v for k, v in missing.items()}} if missing else {}),
        }
        result.cursor = {"account": self.account, "folders": folders}
        result.unchanged = not uids and not resync

    def _rebuilt(
        self, state: dict[str, Any], flaps: int, since: datetime, result: FetchResult
    ) -> datetime:
        """The warning for a changed UIDVALIDITY, and how far back to read again."""
        seen_at = _when(state.get("seen_at"))
        if flaps >= FLAPS_BEFORE_BACKOFF and seen_at is not None:
            narrowed = max(since, seen_at - timedelta(days=1))
            result.warn(
                f"{self.name}: folder {self.folder} changed its UIDVALIDITY {flaps} polls in a "
                f"row (a misbehaving server); re-reading only mail since {narrowed:%Y-%m-%d}, "
                "not the whole lookback, until it settles"
            )
            return narrowed
        result.warn(
            f"{self.name}: folder {self.folder} was rebuilt on the server "
            "(UIDVALIDITY changed); re-reading it — check-ins are matched by Message-ID "
            "(or sender, date and subject), so none are duplicated"
        )
        return since

    def _search(
        self,
        client: IMAPClient,
        last_uid: int,
        uidnext: int,
        since: datetime,
        resync: bool,
        result: FetchResult,
    ) -> list[int]:
        """The UIDs to read, sorted and de-duplicated; impossible ones dropped with a warning."""
        if not resync and uidnext and uidnext <= last_uid + 1:
            return []  # nothing new: skip the SEARCH round trip
        if resync:
            found = client.search(["SINCE", since.date()])
        else:
            found = client.search(["UID", f"{last_uid + 1}:*"])
        listed = {int(u) for u in found}
        impossible = sorted(u for u in listed if u < 1 or u > MAX_UID or (uidnext and u >= uidnext))
        if impossible:
            result.warn(
                f"{self.name}: the server listed UIDs that cannot exist "
                f"({_names(impossible)}; UIDNEXT is {uidnext or 'unknown'}); ignored"
            )
        dropped = set(impossible)
        return sorted(u for u in listed if u > last_uid and u not in dropped)

    def _advance(
        self,
        last_uid: int,
        uids: list[int],
        todo: list[int],
        read: BatchRead,
        missing: dict[int, int],
        resync: bool,
        result: FetchResult,
    ) -> tuple[int, dict[int, int]]:
        """The new last UID: past what was read, never past a UID still owed.

        A UID FETCH left unanswered is asked for again next poll (the cursor
        stops before it) up to ``MISSING_TRIES`` polls, then given up and named.
        """
        pending: dict[int, int] = {}
        given_up: list[int] = []
        for uid in sorted(read.missing):
            tries = missing.get(uid, 0) + 1
            if tries >= MISSING_TRIES:
                given_up.append(uid)
            else:
                pending[uid] = tries
        if pending:
            result.warn(
                f"{self.name}: the server did not return {plural(len(pending), 'listed message')} "
                f"(UID {_names(sorted(pending))}); asking again next poll"
            )
        if given_up:
            result.warn(
                f"{self.name}: gave up on {plural(len(given_up), 'message')} the server lists but "
                f"never returns (UID {_names(given_up)})"
            )
        new_last = last_uid
        stop = min([*pending, *uids[len(todo) : len(todo) + 1]], default=None)
        for uid in todo:
            if stop is not None and uid >= stop:
                break
            if uid in read.done:
                new_last = uid
        if resync and stop is not None:
            new_last = max(new_last, stop - 1)  # SINCE left out only old mail below it
        return new_last, pending

    def _top_uid(self, client: IMAPClient, exists: int) -> int:
        """The UID of the newest message (first sync skips the old mail below it)."""
        if exists <= 0:
            return 0
        with contextlib.suppress(Exception):
            typ, data = client._imap.fetch(str(exists), "(UID)")
            for entry in data if typ == "OK" else []:
                text = entry[0] if isinstance(entry, tuple) else entry
                if isinstance(text, bytes) and b"UID " in text.upper():
                    uid = as_int(text.upper().split(b"UID ", 1)[1].split(b")")[0].split()[0])
                    return uid if 0 < uid <= MAX_UID else 0
        return 0

    def _report(self, read: BatchRead, result: FetchResult) -> None:
        """Count and name every message that was not read whole."""
        for uids, what in (
            (read.skipped, "could not be read at all and {was} skipped"),
            (read.headers_only, "had answers farwatch could not read; read again headers-only"),
            (read.bad_dates, "had an impossible arrival date; dated by the Date header or now"),
        ):
            if uids:
                said = what.format(was=was_were(len(uids)))
                result.warn(
                    f"{self.name}: {plural(len(uids), 'message')} in {self.folder} {said} "
                    f"(UID {_names(sorted(uids))})"
                )
        if read.too_old:
            result.warn(
                f"{self.name}: the server listed {plural(read.too_old, 'message')} older than the "
                "lookback; not stored"
            )


def _when(value: Any) -> datetime | None:
    try:
        when = datetime.fromisoformat(str(value))
    except (TypeError, ValueError):
        return None
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def _names(uids: list[int]) -> str:
    shown = ", ".join(str(u) for u in uids[:SHOWN])
    return shown + (f" and {len(uids) - SHOWN} more" if len(uids) > SHOWN else "")


def _chunks(items: list[int], size: int) -> Iterator[list[int]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]
