"""``status --json`` names each worker's next automatic reminder: when and which kind.

Tuesday 4 March 2025, 12:00 UTC; ``checkin_warn = "2h"``, ``shift_start_reminder =
"15m"``. Worked by hand:

* Ana (UTC, 09:00-17:00 Mon-Fri) checked in at 11:00: two working hours later,
  13:00 UTC, she is overdue.
* Bo (New York, EST until 9 March, 09:00-17:00) last checked in Monday 16:59 local;
  his Tuesday starts at 14:00 UTC with no check-in: the start-of-shift reminder is
  due 15 minutes in, 14:15 UTC (his overdue one would be 15:59 UTC).
* Cy opted out (roster ``auto_nudge`` = ``no``): none.

With ``auto_nudge`` off nobody has one. The poll runs before the policy is on, so
the real clock never sends anything.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from click.testing import Result

Run = Callable[..., Result]
MakeConfig = Callable[..., Path]
NOW = "2025-03-04T12:00:00Z"
DAY = {"hours": "09:00-17:00", "days": "Mon-Fri"}
TEAM: dict[str, Any] = {
    "roster": [
        {"worker_id": "ana", "name": "Ana Reyes", "email": "ana@example.com", "timezone": "UTC"}
        | DAY,
        {
            "worker_id": "bo",
            "name": "Bo Lim",
            "email": "bo@example.com",
            "timezone": "America/New_York",
        }
        | DAY,
        {
            "worker_id": "cy",
            "name": "Cy Park",
            "email": "cy@example.com",
            "timezone": "UTC",
            "extra": {"auto_nudge": "no"},
        }
        | DAY,
    ],
    "checkins": [
        {"key": "a1", "who": "ana@example.com", "at": "2025-03-04T11:00:00+00:00", "subject": "x"},
        {"key": "b1", "who": "bo@example.com", "at": "2025-03-03T21:59:00+00:00", "subject": "y"},
        {"key": "c1", "who": "cy@example.com", "at": "2025-03-04T08:00:00+00:00", "subject": "z"},
    ],
}
POLICY = '[policy]\nauto_nudge = true\nshift_start_reminder = "15m"\n'
POLICY += '[thresholds]\ncheckin_warn = "2h"\ncheckin_alert = "4h"\n'


def next_reminders(run: Run, config: Path) -> dict[str, Any]:
    result = run("status", "--json", "--now", NOW, "--config", str(config))
    assert result.exit_code == 0, result.output
    return {w["id"]: w["next_reminder"] for w in json.loads(result.stdout)["workers"]}


def test_status_json_lists_each_workers_next_automatic_reminder(
    run: Run, make_config: MakeConfig
) -> None:
    config = make_config([("team", TEAM)])
    assert run("poll", "--once", "--config", str(config)).exit_code == 0
    assert next_reminders(run, config) == {"ana": None, "bo": None, "cy": None}

    config = make_config([("team", TEAM)], extra=POLICY)
    assert next_reminders(run, config) == {
        "ana": {"at": "2025-03-04T13:00:00Z", "kind": "overdue"},
        "bo": {"at": "2025-03-04T14:15:00Z", "kind": "shift_start"},
        "cy": None,
    }


def test_the_plain_table_lists_the_next_reminders_soonest_first(
    run: Run, make_config: MakeConfig
) -> None:
    config = make_config([("team", TEAM)])
    assert run("poll", "--once", "--config", str(config)).exit_code == 0
    quiet = run("status", "--now", NOW, "--config", str(config))
    assert quiet.exit_code == 0, quiet.output
    assert "Next automatic reminders" not in quiet.output

    config = make_config([("team", TEAM)], extra=POLICY)
    shown = run("status", "--now", NOW, "--config", str(config))
    assert shown.exit_code == 0, shown.output
    block = shown.output.split("Next automatic reminders:\n", 1)[1].split("\n\n", 1)[0]
    assert block.splitlines() == [
        "  Tue 13:00 UTC (13:00 theirs)  Ana Reyes: check-in overdue",
        "  Tue 14:15 UTC (09:15 theirs)  Bo Lim: start of shift",
    ]
