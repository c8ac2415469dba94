"""Check-in emails for the demo team, written the way remote workers write them.

Subjects carry the kind ("Check-in:", "Done:", "Blocked:", "Question:") and
what the worker is on; bodies are short notes with a sign-off. Some arrive as
HTML alternatives, some with an attachment, some base64-encoded, so the demo
exercises the same parsing real mail needs.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from farwatch.demo.people import Kind, Persona

Style = Literal["plain", "html", "attachment", "base64"]

PREFIX: dict[Kind, str] = {
    "checkin": "Check-in",
    "done": "Done",
    "blocked": "Blocked",
    "question": "Question",
}
_STYLES: tuple[Style, ...] = ("plain", "html", "attachment", "base64")
_STYLE_WEIGHTS = (70, 18, 6, 6)

_NEXT = (
    "carry on with the rest of the list",
    "pick up the next batch after lunch",
    "send you a summary at the end of my shift",
    "start on the next item in the tracker",
)
_QUESTIONS = (
    "should I prioritise the wholesale orders today?",
    "is it fine to log the call time under this task?",
    "can I use the shared card for this?",
)


@dataclass(frozen=True, slots=True)
class DemoCheckin:
    """One check-in email, ready to be written as an RFC 5322 message."""

    at: datetime
    sender: str
    """``Name <address>`` as it will appear in From."""
    subject: str
    body: str
    message_id: str
    timezone: str = "UTC"
    """The sender's zone, for a realistic Date header."""
    style: Style = "plain"


def _fill(text: str, last_month: str) -> str:
    return text.replace("{last_month}", last_month)


def compose(
    persona: Persona, kind: Kind, at: datetime, rng: random.Random, *, last_month: str
) -> DemoCheckin:
    """A check-in from ``persona`` sent at ``at``; all choices come from ``rng``."""
    if kind == "done" and persona.done:
        what = rng.choice(persona.done)
    elif kind == "blocked" and persona.blocked:
        what = rng.choice(persona.blocked)
    elif kind == "question":
        what = rng.choice(_QUESTIONS)
    else:
        kind = "checkin"
        what = rng.choice(persona.progress) if persona.progress else persona.task
    what = _fill(what, last_month)
    subject = f"{PREFIX[kind]}: {what}"
    detail = {
        "checkin": f"Quick update on {persona.task.lower()}: {what}.",
        "done": f"Finished: {what}. Everything is in the shared folder.",
        "blocked": f"I'm stuck: {what}. I'll switch to other work until then.",
        "question": f"Quick question: {what}",
    }[kind]
    sign_off = persona.sign_off or "Thanks,"
    body = f"{detail}\n\nNext I'll {rng.choice(_NEXT)}.\n\n{sign_off}\n{persona.first_name}\n"
    style = rng.choices(_STYLES, weights=_STYLE_WEIGHTS)[0]
    domain = persona.email.rsplit("@", 1)[-1].lower()
    message_id = f"<{rng.getrandbits(64):016x}.{int(at.timestamp())}@{domain}>"
    return DemoCheckin(
        at=at,
        sender=f"{persona.name} <{persona.email}>",
        subject=subject,
        body=body,
        message_id=message_id,
        timezone=persona.timezone,
        style=style,
    )


def stray_message(at: datetime, rng: random.Random) -> DemoCheckin:
    """Mail from nobody on the roster: the dashboard counts it as unmatched."""
    return DemoCheckin(
        at=at,
        sender="CloudDesk Billing <billing@clouddesk.example>",
        subject="Your CloudDesk receipt",
        body="Thanks for your payment of $29.00 for the Team plan.\n",
        message_id=f"<{rng.getrandbits(64):016x}@clouddesk.example>",
        style="html",
    )
