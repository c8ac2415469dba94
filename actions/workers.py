"""Which worker the owner means.

``farwatch ping ana`` should find Ana by id, email or the start of her name,
and say clearly when nobody or several people match.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from farwatch.state.engine_api import EngineLike
from farwatch.state.status import WorkerStatus
from farwatch.state.text import strip_control


class ActionError(Exception):
    """An action could not be done; the message is fit for the owner."""


class UnknownWorker(ActionError, LookupError):
    pass


class AmbiguousWorker(ActionError, LookupError):
    def __init__(self, message: str, candidates: Sequence[WorkerStatus]) -> None:
        super().__init__(message)
        self.candidates = list(candidates)


def describe(status: WorkerStatus) -> str:
    """``Name (id, email)`` with untrusted text cleaned, for lists and errors."""
    name = strip_control(status.name) or status.id
    extra = ", ".join(x for x in (strip_control(status.id), strip_control(status.email)) if x)
    return f"{name} ({extra})" if extra else name


def resolve_worker(statuses: Iterable[WorkerStatus], query: str) -> WorkerStatus:
    """Find the worker ``query`` names: id, email, full name, or a name prefix.

    Exact matches (id, then email, then full name) win over prefixes; a prefix
    must match exactly one worker (by whole name or any word of it).

    Raises:
        UnknownWorker: nobody matches (the message lists who is known).
        AmbiguousWorker: several match (the message lists them).
    """
    rows = list(statuses)
    wanted = query.strip().casefold()
    if not wanted:
        raise UnknownWorker("no worker given")
    for key in ("id", "email", "name"):
        exact = [s for s in rows if str(getattr(s, key)).strip().casefold() == wanted]
        if len(exact) == 1:
            return exact[0]
        if len(exact) > 1:
            raise _ambiguous(query, exact)
    prefix = [
        s
        for s in rows
        if s.name.casefold().startswith(wanted)
        or any(word.startswith(wanted) for word in s.name.casefold().split())
    ]
    if len(prefix) == 1:
        return prefix[0]
    if prefix:
        raise _ambiguous(query, prefix)
    known = ", ".join(describe(s) for s in rows[:12]) or "the roster is empty"
    more = f" and {len(rows) - 12} more" if len(rows) > 12 else ""
    raise UnknownWorker(f"no worker matches {strip_control(query)!r}; known: {known}{more}")


def status_of(engine: EngineLike, worker: WorkerStatus | str) -> WorkerStatus:
    """``worker`` itself, or the worker the query names (see ``resolve_worker``)."""
    if isinstance(worker, WorkerStatus):
        return worker
    return resolve_worker(engine.statuses(), worker)


def _ambiguous(query: str, matches: Sequence[WorkerStatus]) -> AmbiguousWorker:
    names = "; ".join(describe(s) for s in matches)
    return AmbiguousWorker(
        f"{strip_control(query)!r} matches {len(matches)} workers: {names}. "
        "Use more of the name, the email or the id.",
        matches,
    )
