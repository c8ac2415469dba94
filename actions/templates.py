"""Ping templates: a short, polite message for each situation.

Placeholders are ``$name`` (``string.Template``) or ``{name}``: ``name``,
``first_name``, ``task``, ``hours_used``, ``cap``, ``period``, ``burn``,
``last_checkin`` and ``reason``. Filling never crashes on a value that is
missing; an *unknown* placeholder in a configured template is a config error
that names the template, found when the config loads rather than when a
message is about to go.

A configured template (``[nudge.templates]``) may start with a
``Subject: ...`` line; otherwise it keeps the built-in subject of its
situation (or a generic one for a new name).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from string import Template

from farwatch.state.status import WorkerStatus
from farwatch.state.text import strip_control

SITUATIONS = ("overdue", "near_cap", "over_cap", "hello", "paused", "resumed")

PLACEHOLDERS = frozenset(
    {"name", "first_name", "task", "hours_used", "cap", "period", "burn", "last_checkin", "reason"}
)

BUILTIN: dict[str, tuple[str, str]] = {
    "overdue": (
        "Quick check-in, $first_name?",
        "Hi $first_name,\n\n"
        "I haven't had an update from you for $last_checkin. "
        'Could you send me a short note on where "$task" stands '
        "and anything you are stuck on?\n\nThanks!",
    ),
    "near_cap": (
        'Heads-up: $burn of the hours for "$task"',
        "Hi $first_name,\n\n"
        "You have used $hours_used of the $cap hours agreed for $period ($burn). "
        "Please let me know if the task will fit in what is left, "
        "or if we should talk about it before you go over.\n\nThanks!",
    ),
    "over_cap": (
        'The hours for "$task" are used up',
        "Hi $first_name,\n\n"
        "You have now logged $hours_used hours against a cap of $cap for $period. "
        'Please stop work on "$task" and send me a short status note '
        "so we can decide how to go on.\n\nThanks!",
    ),
    "hello": (
        "Hello from the office, $first_name",
        'Hi $first_name,\n\nJust checking in: how is "$task" going?\n\nThanks!',
    ),
    "paused": (
        'Please pause work on "$task"',
        "Hi $first_name,\n\n"
        'Please stop working on "$task" for now and don\'t track more time on it. '
        "$reason\n\nI'll get back to you before you continue. Thanks!",
    ),
    "resumed": (
        'You can continue with "$task"',
        "Hi $first_name,\n\n"
        'Thanks for waiting. You can pick "$task" up again whenever you are ready.\n\n'
        "Thanks!",
    ),
}

_PERIOD_WORDS = {
    "day": "today",
    "week": "this week",
    "month": "this month",
    "task": "this task",
}


class TemplateError(ValueError):
    """A configured template cannot be used; the message names it."""


@dataclass(frozen=True, slots=True)
class Message:
    """A filled-in message, ready to edit or send."""

    template: str
    subject: str
    body: str


def _split(text: str) -> tuple[str | None, str]:
    """Separate an optional leading ``Subject:`` line from the body."""
    first, _, rest = text.partition("\n")
    if first.lower().startswith("subject:"):
        return first[len("subject:") :].strip(), rest.lstrip("\n")
    return None, text


_BRACED = re.compile(r"(?<!\$)\{([A-Za-z_][A-Za-z0-9_]*)\}")


def _braces_to_dollars(text: str) -> str:
    """Accept ``{name}`` as well as ``$name`` (people write both)."""
    return _BRACED.sub(r"${\1}", text)


def _as_written(identifier: str, original: str) -> str:
    """``{nmae}`` when the owner wrote braces, else ``$nmae``: their spelling, not ours."""
    return f"{{{identifier}}}" if f"{{{identifier}}}" in original else f"${identifier}"


def _check(name: str, text: str, original: str) -> None:
    unknown = sorted(set(Template(text).get_identifiers()) - PLACEHOLDERS)
    if unknown:
        known = ", ".join("{" + p + "}" for p in sorted(PLACEHOLDERS))
        raise TemplateError(
            f"template {name!r} uses unknown placeholder(s) "
            f"{', '.join(_as_written(u, original) for u in unknown)}; known: {known}"
        )


def load_templates(overrides: Mapping[str, object]) -> dict[str, tuple[str, str]]:
    """Built-ins merged with configured templates, validated.

    Raises:
        TemplateError: naming the template that is empty, not text, or uses an
            unknown placeholder.
    """
    merged = dict(BUILTIN)
    for name, text in overrides.items():
        if not isinstance(text, str):
            raise TemplateError(f"template {name!r} must be text, not {type(text).__name__}")
        if not text.strip():
            raise TemplateError(f"template {name!r} is empty")
        subject, body = _split(_braces_to_dollars(text))
        if not body.strip():
            raise TemplateError(f"template {name!r} has a subject but no message")
        default_subject = BUILTIN.get(name, ("A note about $task", ""))[0]
        subject = subject if subject is not None else default_subject
        _check(name, subject, text)
        _check(name, body, text)
        merged[name] = (subject, body)
    return merged


def choose_template(status: WorkerStatus) -> str:
    """The situation that fits this worker best: over cap, overdue, near cap, hello."""
    if status.burn_level == "over":
        return "over_cap"
    if status.checkin_level in ("warn", "alert", "never"):
        return "overdue"
    if status.burn_level == "warn":
        return "near_cap"
    return "hello"


def _hours(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".") if value != int(value) else str(int(value))


def _age(seconds: float | None) -> str:
    if seconds is None:
        return "a while"
    minutes = int(seconds // 60)
    if minutes < 90:
        return f"{max(minutes, 1)} minutes"
    hours = seconds / 3600
    if hours < 36:
        return f"{round(hours)} hours"
    return f"{round(hours / 24)} days"


def values_for(status: WorkerStatus, reason: str = "") -> dict[str, str]:
    """The placeholder values for one worker; untrusted text cleaned."""
    name = strip_control(status.name).strip() or status.id
    task = strip_control(status.task).strip() or "your current task"
    cap = _hours(status.cap_hours) if status.cap_hours is not None else "no"
    return {
        "name": name,
        "first_name": name.split()[0] if name.split() else name,
        "task": task,
        "hours_used": _hours(round(status.hours_used, 1)),
        "cap": cap,
        "period": _PERIOD_WORDS.get(status.cap_period, status.cap_period or "the period"),
        "burn": f"{round(status.burn * 100)}%" if status.burn is not None else "n/a",
        "last_checkin": _age(status.checkin_work_age or status.checkin_age),
        "reason": _reason_sentence(reason),
    }


def _reason_sentence(reason: str) -> str:
    """``Reason: holiday.``: the owner's words as a sentence, not glued onto the last one."""
    text = " ".join(strip_control(reason).split())
    if not text:
        return ""
    return f"Reason: {text}" + ("" if text[-1] in ".!?" else ".")


def render(
    name: str,
    status: WorkerStatus,
    templates: Mapping[str, tuple[str, str]] | None = None,
    *,
    reason: str = "",
) -> Message:
    """Fill template ``name`` for ``status``.

    Raises:
        TemplateError: when no template has that name (the message lists them).
    """
    table = templates if templates is not None else BUILTIN
    if name not in table:
        raise TemplateError(f"no template named {name!r}; available: {', '.join(sorted(table))}")
    subject, body = table[name]
    values = values_for(status, reason)
    filled_subject = Template(subject).safe_substitute(values)
    filled_body = Template(body).safe_substitute(values)
    # A subject is one line, whatever the task name contained.
    filled_subject = " ".join(filled_subject.split())
    filled_body = "\n".join(line.rstrip() for line in filled_body.splitlines()).strip() + "\n"
    return Message(template=name, subject=filled_subject, body=filled_body)
