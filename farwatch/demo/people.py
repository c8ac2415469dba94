"""The demo team: twelve remote workers a small online shop might hire.

Brightleaf Home Goods sells kitchenware online. Its owner hires help across
the world: virtual assistants for the inbox and bookkeeping (VA), outsourced
support and data entry (BPO), research and analysis (KPO) and technical
support (TSO). Each person here has a *role* in the demo, the state they show
when it starts (fresh, stale, off-hours, near the cap...), and the phrases
their check-in emails are made from.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Role = Literal["fresh", "warn", "alert", "off_hours", "never", "near_cap", "over_cap", "paused"]
ROLES: tuple[Role, ...] = (
    "fresh",
    "warn",
    "alert",
    "off_hours",
    "never",
    "near_cap",
    "over_cap",
    "paused",
)

Kind = Literal["checkin", "done", "blocked", "question"]

OWNER = "Dana Whitfield <dana@brightleaf.example>"
"""Who the check-ins are addressed to."""


@dataclass(frozen=True, slots=True)
class Persona:
    """A demo worker's fixed facts; the shift and history are made per run.

    ``days`` is the preferred working-day range (Monday 0): the demo moves it
    only when the worker must be on shift today and today is outside it.
    """

    id: str
    name: str
    email: str
    timezone: str
    category: str
    task: str
    cap_hours: float | None
    cap_period: str
    rate: float
    currency: str
    role: Role
    running: bool = False
    shift_minutes: int = 480
    days: tuple[int, int] = (0, 4)
    progress: tuple[str, ...] = ()
    done: tuple[str, ...] = ()
    blocked: tuple[str, ...] = ()
    side_tasks: tuple[str, ...] = ()
    sign_off: str = ""
    latest: Kind = "checkin"
    """What their most recent check-in says (a fresh one may still be blocked)."""

    @property
    def first_name(self) -> str:
        return self.name.split()[0]


PEOPLE: tuple[Persona, ...] = (
    Persona(
        id="msantos",
        name="Maria Santos",
        email="maria.santos.va@mail.example",
        timezone="Asia/Manila",
        category="VA",
        task="Inbox triage and calendar",
        cap_hours=40,
        cap_period="week",
        rate=6.5,
        currency="USD",
        role="fresh",
        running=True,
        progress=(
            "cleared the support inbox to zero",
            "rescheduled the supplier calls to Thursday",
            "drafted replies for the wholesale enquiries",
            "sorted the Etsy messages",
        ),
        done=("calendar for next week", "sent the meeting notes to everyone"),
        blocked=("need the new Shopify login",),
        side_tasks=("Admin: weekly report",),
        sign_off="Salamat po!",
    ),
    Persona(
        id="jdelacruz",
        name="Jerome Dela Cruz",
        email="jerome.dc@mail.example",
        timezone="Asia/Manila",
        category="BPO",
        task="Customer support queue",
        cap_hours=45,
        cap_period="week",
        rate=5.0,
        currency="USD",
        role="warn",
        shift_minutes=540,
        days=(0, 5),
        progress=(
            "answered 18 tickets, 3 refunds pending approval",
            "chat queue under 5 minutes",
            "escalated two damaged-item claims",
            "updated the shipping FAQ macro",
        ),
        done=("refund batch for the cracked-lid orders", "all tickets older than 24 h"),
        blocked=("waiting for VPN access to the order system",),
    ),
    Persona(
        id="cokafor",
        name="Chinedu Okafor",
        email="Chinedu@Okafor-IT.example",
        timezone="Africa/Lagos",
        category="TSO",
        task="Server patching and backups",
        cap_hours=30,
        cap_period="week",
        rate=14.0,
        currency="USD",
        role="alert",
        progress=(
            "patched the web server, rebooting tonight",
            "backup restore test in progress",
            "rotated the TLS certificates",
            "checking disk usage on the database host",
        ),
        done=("nightly backups verified", "security updates on both servers"),
        blocked=("waiting for VPN access", "need root on the mail server"),
    ),
    Persona(
        id="okovalenko",
        name="Oksana Kovalenko",
        email="oksana.k@research.example",
        timezone="Europe/Kyiv",
        category="KPO",
        task="Market research: EU pricing",
        cap_hours=60,
        cap_period="task",
        rate=18.0,
        currency="EUR",
        role="over_cap",
        running=True,
        progress=(
            "аналіз цін конкурентів (Польща, Чехія)",
            "competitor price table for DE and AT",
            "summarising marketplace fees per country",
            "checking VAT rules for the Nordics",
        ),
        done=("pricing deck draft v2", "competitor list for Poland"),
        blocked=("need access to the sales figures sheet",),
        sign_off="Дякую!",
    ),
    Persona(
        id="dshevchenko",
        name="Dmytro Shevchenko",
        email="dmytro@devops.example",
        timezone="Europe/Kyiv",
        category="TSO",
        task="Website migration to new host",
        cap_hours=25,
        cap_period="task",
        rate=16.0,
        currency="USD",
        role="near_cap",
        progress=(
            "DNS TTLs lowered, migrating images next",
            "staging site up on the new host",
            "copied the product database",
            "testing checkout on staging",
        ),
        done=("image migration", "redirects for the old blog URLs"),
        blocked=("waiting for the registrar to unlock the domain",),
    ),
    Persona(
        id="loliveira",
        name="Lucas Oliveira",
        email="lucas.oliveira@mail.example",
        timezone="America/Sao_Paulo",
        category="KPO",
        task="Sales forecast model for Q3",
        cap_hours=20,
        cap_period="week",
        rate=15.0,
        currency="USD",
        role="off_hours",
        progress=(
            "cleaned two years of order history",
            "seasonality model fitted",
            "forecast by product line drafted",
        ),
        done=("Q3 forecast v1 in the shared folder",),
        blocked=("need last year's ad spend numbers",),
        sign_off="Abraço,",
    ),
    Persona(
        id="fcosta",
        name="Fernanda Costa",
        email="fernanda.costa@mail.example",
        timezone="America/Sao_Paulo",
        category="VA",
        task="Social media scheduling",
        cap_hours=25,
        cap_period="week",
        rate=7.0,
        currency="USD",
        role="paused",
        progress=(
            "revisão do calendário de posts ✅",
            "scheduled Instagram posts until Friday",
            "replied to comments on the new mug post",
        ),
        done=("Pinterest boards refreshed",),
        blocked=("waiting for client approval of the new posting calendar",),
        sign_off="Obrigada!",
    ),
    Persona(
        id="ruddin",
        name="Rahim Uddin",
        email="rahim.uddin@mail.example",
        timezone="Asia/Dhaka",
        category="BPO",
        task="Data entry: product catalogue",
        cap_hours=160,
        cap_period="month",
        rate=4.5,
        currency="USD",
        role="fresh",
        running=True,
        days=(6, 3),
        progress=(
            "entered 120 SKUs with photos",
            "fixed the missing weights in the cookware range",
            "catalogue now at 640 of 900 items",
            "checked barcodes against the supplier list",
        ),
        done=("bakeware category complete",),
        blocked=("supplier sheet has no prices for the new range",),
    ),
    Persona(
        id="njahan",
        name="Nusrat Jahan",
        email="nusrat.books@mail.example",
        timezone="Asia/Dhaka",
        category="VA",
        task="Bookkeeping: invoices",
        cap_hours=None,
        cap_period="week",
        rate=6.0,
        currency="USD",
        role="fresh",
        days=(6, 3),
        shift_minutes=420,
        progress=(
            "reconciled {last_month} invoices",
            "matched the PayPal payouts to orders",
            "entered the supplier bills",
            "chasing two unpaid wholesale invoices",
        ),
        done=("{last_month} bank reconciliation", "expense receipts filed"),
        blocked=("bank statement for the savings account is missing",),
        sign_off="ধন্যবাদ,",
    ),
    Persona(
        id="praghavan",
        name="Priya Raghavan",
        email="priya.r@mail.example",
        timezone="Asia/Kolkata",
        category="KPO",
        task="Onboarding: supplier research",
        cap_hours=20,
        cap_period="week",
        rate=12.0,
        currency="USD",
        role="never",
        shift_minutes=360,
    ),
    Persona(
        id="wkamau",
        name="Wanjiru Kamau",
        email="wanjiru.kamau@mail.example",
        timezone="Africa/Nairobi",
        category="VA",
        task="Travel booking and expenses",
        cap_hours=8,
        cap_period="day",
        rate=7.5,
        currency="USD",
        role="fresh",
        progress=(
            "booked the trade fair hotel in Frankfurt",
            "expense report for {last_month} drafted",
            "compared three freight quotes",
            "renewed the domain and the PO box",
        ),
        done=("flights for the trade fair", "receipts uploaded"),
        blocked=("card declined on the airline site",),
        side_tasks=("Admin: weekly report",),
        sign_off="Asante,",
    ),
    Persona(
        id="crestrepo",
        name="Camilo Restrepo",
        email="camilo@qa-lab.example",
        timezone="America/Bogota",
        category="TSO",
        task="QA testing of the checkout",
        cap_hours=30,
        cap_period="week",
        rate=13.0,
        currency="USD",
        role="fresh",
        shift_minutes=540,
        progress=(
            "regression run on mobile Safari",
            "found a rounding bug in the discount code",
            "retested the PayPal flow",
            "wrote test cases for gift cards",
        ),
        done=("checkout regression suite", "bug report for the coupon rounding"),
        blocked=("waiting for VPN access", "staging is down since 10:00"),
        latest="blocked",
    ),
)
