"""Records find their worker by email, alias, tracker id or worker id."""

from __future__ import annotations

from farwatch.sources.model import RosterRow
from farwatch.state.matching import WorkerIndex

ROSTER = [
    RosterRow(
        worker_id="maria",
        name="Maria Santos",
        email="Maria.Santos@Example.PH",
        aliases=("maria@gmail.com",),
        tracker_id="5f1a9c",
    ),
    RosterRow(worker_id="ade", name="Adebayo Okafor", email="ade@example.ng", tracker_id="777"),
    RosterRow(worker_id="olena", name="Olena Koval"),
]


def test_sender_forms_all_find_the_worker() -> None:
    index = WorkerIndex.build(ROSTER)
    assert index.match("maria.santos@example.ph") == "maria"
    assert index.match("  MARIA.SANTOS@EXAMPLE.PH ") == "maria"
    assert index.match('"Santos, Maria" <Maria.Santos@example.ph>') == "maria"
    assert index.match("mailto:ade@EXAMPLE.ng") == "ade"
    assert index.match("Maria@Gmail.com") == "maria"  # alias


def test_tracker_ids_and_worker_ids_match() -> None:
    index = WorkerIndex.build(ROSTER)
    assert index.match("5F1A9C") == "maria"
    assert index.match("777") == "ade"
    assert index.match("olena") == "olena"


def test_strangers_match_nobody() -> None:
    index = WorkerIndex.build(ROSTER)
    assert index.match("boss@example.com") is None
    assert index.match("Someone <someone@example.com>") is None
    assert index.match("") is None
    assert index.match("<>") is None


def test_a_shared_identity_goes_to_the_stronger_claim_and_is_reported() -> None:
    roster = [
        RosterRow(worker_id="a", name="A", email="a@example.com", aliases=("team@example.com",)),
        RosterRow(worker_id="b", name="B", email="team@example.com"),
        RosterRow(worker_id="c", name="C", email="A@example.com"),
    ]
    index = WorkerIndex.build(roster)
    assert index.match("team@example.com") == "b"  # an email beats an alias
    assert index.match("a@example.com") == "a"  # the first row wins a tie
    assert any("'A@example.com' of c already belongs to a" in c for c in index.conflicts)
    assert any("'team@example.com' of a already belongs to b" in c for c in index.conflicts)


def test_a_roster_change_rematches_on_the_next_build() -> None:
    before = WorkerIndex.build(ROSTER)
    assert before.match("olena@example.ua") is None
    fixed = [*ROSTER[:2], RosterRow(worker_id="olena", name="Olena", email="olena@example.ua")]
    assert WorkerIndex.build(fixed).match("olena@example.ua") == "olena"


def test_the_index_of_the_same_rows_is_kept_and_a_changed_roster_gets_its_own() -> None:
    """A dashboard asks once a minute; a roster edit (a fixed address) must re-home at once."""
    first = WorkerIndex.of(ROSTER)
    assert WorkerIndex.of(list(ROSTER)) is first
    assert first.match("olena@example.ua") is None
    fixed = [*ROSTER[:2], RosterRow(worker_id="olena", name="Olena", email="olena@example.ua")]
    assert WorkerIndex.of(fixed).match("olena@example.ua") == "olena"
    assert WorkerIndex.of(ROSTER).match("olena@example.ua") is None
