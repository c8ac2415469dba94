"""The commented starter config that ``farwatch init`` writes.

The fixed sections are written out by hand (every key, with what it means);
the ``[[sources]]`` examples are generated from each installed source class's
declared ``options``, so a new source type or plugin documents itself. All
source examples are commented out, so the file loads as it is, and each block
loads once uncommented.
"""

from __future__ import annotations

import json
from collections.abc import Iterable

from farwatch.sources.base import Option, Source
from farwatch.sources.registry import load_source_class, source_types
from farwatch.state.config_types import format_duration
from farwatch.state.settings import DEFAULT_RETENTION

# The order an owner usually sets things up in: roster, check-ins, timers.
PREFERRED_ORDER = ("sheet", "maildir", "imap", "timesheet", "clockify", "toggl", "harvest")

HEADER = """\
# farwatch config (TOML). Every key below is optional unless it says otherwise;
# the values shown are the defaults. Durations are strings such as "45s", "90m",
# "2h", "1h30m" or "2d" (a bare number is an error: "2" could mean anything).
# Relative paths are relative to this file; "~" is your home directory.
#
# Secrets never go in this file. Name an environment variable instead
# (password_env = "FARWATCH_IMAP_PASSWORD", then export it), or the system
# keyring (password_keyring = "service/username"). An inline secret is ignored
# with a warning.
#
# Check this file and every source with:  farwatch check
# Try farwatch without any of this with:  farwatch demo

[thresholds]
# Working time since a worker's last check-in before it shows as a warning and
# as an alert. Only time inside the worker's own hours counts.
checkin_warn = "2h"
checkin_alert = "4h"
# Fraction of the cap (above 0, at most 1) used before the burn shows a warning.
burn_warn = 0.8

[policy]
# Pause a worker automatically (and stop their timer) when they reach their cap.
auto_pause_at_cap = false
# How long before the same worker can be pinged again.
nudge_cooldown = "30m"
# Remind workers by themselves: the check-in-overdue ping when their working
# time since the last check-in reaches checkin_warn (once per quiet spell, only
# in their working hours, never while paused; a roster column auto_nudge = "no"
# turns it off for one worker). Runs in "farwatch poll" and open dashboards.
auto_nudge = false
auto_nudge_max_per_day = 3
# Also remind a worker this long after their day begins if they have not
# checked in yet ("0s" for never).
shift_start_reminder = "0s"

[owner]
# Your own timezone, and hours when alerts to you (the digest) wait until after.
timezone = "UTC"
# quiet_hours = "22:00-07:00"

[digest]
# One message a day to you: who is quiet, near or over the cap, paused, hours
# and pay so far, failing sources, what changed. Also: farwatch digest --dry-run
# at = "08:00"                          # in [digest] timezone (default: [owner] timezone)
# channels = ["email:you@example.com"]  # email:ADDRESS, or an im value as in the roster

[defaults]
# Used for roster rows that leave these columns empty.
timezone = "UTC"            # an IANA zone such as "Asia/Manila" or "Europe/Kyiv"
hours = "09:00-17:00"       # working hours in the worker's timezone ("22:00-06:00" works)
days = "Mon-Fri"            # working days ("Sun-Thu", "Mon,Wed,Fri")
cap_period = "week"         # what cap_hours is per: "day", "week", "month" or "task"

[cache]
# Where farwatch keeps what it has fetched (default: in your user data dir).
# path = "~/.local/share/farwatch/cache.json"
# How long check-ins and time entries are kept.
retention = "<retention>"

[audit]
# The append-only log of every ping, pause and resume (default: beside the cache).
# path = "~/farwatch-audit.jsonl"

[nudge]
# How pings reach workers: an apprise URL for email; the recipient is the
# worker's roster email.
# email = "mailtos://owner@example.com@smtp.example.com"
# The environment variable holding the SMTP password:
# email_password_env = "FARWATCH_SMTP_PASSWORD"

# Instant messages: each channel lives here, with its apprise URL and secrets;
# the roster's "im" column only names the channel and the recipient
# ("slack:#ops", "slack:@ana"). {to} is the recipient; {token} is filled from
# the variable named by token_env (any x_env fills {x}). The roster can never
# hold a URL or a token, so whoever edits a shared sheet cannot redirect them.
# [nudge.im.slack]
# url = "slack://{token}/{to}"
# token_env = "FARWATCH_SLACK_TOKEN"

[nudge.templates]
# Your own wording for the messages a ping suggests, by situation.
# overdue = "Hi {name}, could you send a quick update on {task}?"

[ui]
theme = "farwatch-dark"     # or "farwatch-light", "farwatch-high-contrast", any Textual theme
bell = true                 # ring the terminal bell when someone crosses a threshold
tick = "1s"                 # how often ages on screen are updated

[ui.keys]
# Rebind keys by binding id (the help screen, "?", lists them), e.g.:
# poll_now = "ctrl+r"
"""

SOURCES_INTRO = """
# ---------------------------------------------------------------------------
# Sources: one [[sources]] table each. Every source has
#   type      which kind of source (required)
#   name      a unique name for it (default: the type; "imap-2" for a second imap)
#   interval  how often to poll it
#   deadline  the longest one poll may take before it is abandoned and counted as
#             failed (default: 4 x the source's timeout, at most 3m; else 2m)
# plus the options of its type, listed below. Uncomment and edit a block to use it;
# "optional" lines describe keys you may add.
"""


def render_template(types: Iterable[str] | None = None) -> str:
    """The whole starter config, with an example for each installed source type."""
    names = list(types) if types is not None else _ordered(source_types())
    blocks = []
    for name in names:
        try:
            cls = load_source_class(name)
        except (LookupError, ImportError):
            continue  # a broken plugin gets no example; "farwatch check" reports it
        blocks.append(source_example(cls, name))
    header = HEADER.replace("<retention>", format_duration(DEFAULT_RETENTION))
    return header + SOURCES_INTRO + "".join(blocks)


def _ordered(names: list[str]) -> list[str]:
    rank = {name: i for i, name in enumerate(PREFERRED_ORDER)}
    return sorted(names, key=lambda n: (rank.get(n, len(rank)), n))


def source_example(cls: type[Source], type_name: str) -> str:
    """A commented ``[[sources]]`` block for one source class."""
    lines = [
        "",
        f"# --- {type_name}" + (f": {_one_line(cls.description)}" if cls.description else ""),
    ]
    lines.append("# [[sources]]")
    lines.append(f'# type = "{type_name}"')
    lines.append(f'# interval = "{format_duration(cls.default_interval)}"')
    required = [o for o in cls.options if o.required]
    defaulted = [o for o in cls.options if not o.required and o.default is not None]
    bare = [o for o in cls.options if not o.required and o.default is None]
    for opt in (*required, *defaulted):
        lines.append(f"# {opt.name} = {_example_value(opt, type_name)}{_comment(opt)}")
    for opt in bare:  # no default: described, not given a made-up value
        help_text = f" - {_one_line(opt.help)}" if opt.help else ""
        lines.append(f"#   optional {opt.name}: {_kind_words(opt)}{help_text}")
    return "\n".join(lines) + "\n"


def _kind_words(opt: Option) -> str:
    if opt.kind == "env":
        base = opt.name.removesuffix("_env")
        return f'the name of an environment variable (or {base}_keyring = "service/username")'
    if opt.kind == "choice":
        return "one of " + ", ".join(f'"{c}"' for c in opt.choices)
    return {
        "str": "text",
        "int": "a whole number",
        "float": "a number",
        "bool": "true or false",
        "duration": 'a duration like "90m"',
        "path": "a file path",
        "url": "a URL",
        "host": "a host name",
    }.get(opt.kind, "a value")


def _comment(opt: Option) -> str:
    notes = []
    if opt.help:
        notes.append(_one_line(opt.help))
    if opt.required:
        notes.append("required")
    if opt.kind == "env":
        base = opt.name.removesuffix("_env")
        notes.append(f'or {base}_keyring = "service/username"')
    if opt.kind == "choice" and opt.choices:
        notes.append("one of " + ", ".join(opt.choices))
    return "  # " + "; ".join(notes) if notes else ""


def _example_value(opt: Option, type_name: str) -> str:
    """A TOML literal that validates for ``opt``: its default, else a placeholder."""
    default = opt.default
    if opt.kind == "duration":
        if isinstance(default, int | float) and not isinstance(default, bool):
            return json.dumps(format_duration(float(default)))
        return json.dumps(default if isinstance(default, str) else "5m")
    if opt.kind == "env":
        base = opt.name.removesuffix("_env").upper()
        return json.dumps(default or f"FARWATCH_{type_name.upper()}_{base}")
    if opt.kind == "bool":
        return "true" if default else "false"
    if opt.kind == "int":
        return str(default if isinstance(default, int) else 0)
    if opt.kind == "float":
        return repr(float(default)) if isinstance(default, int | float) else "0.0"
    if opt.kind == "choice":
        return json.dumps(default or (opt.choices[0] if opt.choices else ""))
    if default is not None:
        return json.dumps(str(default))
    if opt.kind == "url":
        return json.dumps("https://example.com/")
    if opt.kind == "path":
        return json.dumps(f"~/farwatch/{type_name}-{opt.name}")
    return json.dumps(f"<{opt.name}>")  # a required value only the owner knows


def _one_line(text: str) -> str:
    return " ".join(text.split())
