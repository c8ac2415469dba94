"""Pinging a worker: a real SMTP server and a real webhook receive the nudge."""

from __future__ import annotations

import socket
import time
from datetime import timedelta
from pathlib import Path

import pytest

from farwatch.actions.ping import plan_bulk, plan_ping, send_ping
from farwatch.actions.templates import TemplateError
from farwatch.actions.workers import AmbiguousWorker, UnknownWorker
from farwatch.state import audit
from farwatch.state.settings import ImChannelSettings
from tests.servers.nudge_kit import (
    FakeEngine,
    SmtpServer,
    Webhook,
    free_port,
    make_settings,
    status,
)


def test_overdue_ping_arrives_by_email_and_webhook(
    tmp_path: Path, smtp_server: SmtpServer, webhook: Webhook
) -> None:
    settings = make_settings(tmp_path, email=smtp_server.url(), im=webhook.channels())
    engine = FakeEngine(settings, [status(im=webhook.cell("/ana"))])
    plan = plan_ping(engine, "ana")
    assert plan.template == "overdue"
    result = send_ping(plan)
    assert result.status == "sent", result.describe()
    [mail] = smtp_server.mails
    assert mail.recipients == ["ana@example.com"]
    assert mail.subject == "Quick check-in, Ana?"
    assert "Inbox triage" in mail.body and "5 hours" in mail.body
    [(path, payload)] = webhook.requests
    assert path == "/ana"
    assert payload["title"] == "Quick check-in, Ana?"
    assert "Inbox triage" in payload["message"]
    log = audit.read_entries(settings.audit_file)
    assert [(e.channel, e.outcome) for e in reversed(log)] == [
        ("email", "intent"),
        ("email", "sent"),
        ("im", "intent"),
        ("im", "sent"),
    ]
    assert log[0].intent_id == log[1].id


def test_edited_message_and_template_choice(tmp_path: Path, smtp_server: SmtpServer) -> None:
    settings = make_settings(tmp_path, email=smtp_server.url())
    engine = FakeEngine(settings, [status(burn=1.05, burn_level="over", hours_used=42.0)])
    plan = plan_ping(engine, "ana")
    assert plan.template == "over_cap"
    assert "42" in plan.body and "40" in plan.body
    plan = plan.with_message(body="Please stop now.\n")
    assert send_ping(plan).ok
    assert smtp_server.mails[0].body.strip() == "Please stop now."
    assert "hours" in smtp_server.mails[0].subject


def test_configured_template_with_subject_line(tmp_path: Path, smtp_server: SmtpServer) -> None:
    settings = make_settings(
        tmp_path,
        email=smtp_server.url(),
        templates={"hello": "Subject: Hi $first_name\n\nHow is $task? ($hours_used/$cap h)"},
    )
    engine = FakeEngine(settings, [status(checkin_level="ok")])
    assert send_ping(plan_ping(engine, "ana", template="hello")).ok
    assert smtp_server.mails[0].subject == "Hi Ana"
    assert smtp_server.mails[0].body.strip() == "How is Inbox triage? (12/40 h)"


def test_bad_configured_template_names_itself(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, email="mailto://x@127.0.0.1", templates={"overdue": "$nme"})
    engine = FakeEngine(settings, [status()])
    with pytest.raises(TemplateError, match=r"'overdue'.*\$nme"):
        plan_ping(engine, "ana")
    with pytest.raises(TemplateError, match="no template named 'nope'"):
        plan_ping(FakeEngine(make_settings(tmp_path), [status()]), "ana", template="nope")


def test_cooldown_refuses_a_repeat_unless_forced(tmp_path: Path, smtp_server: SmtpServer) -> None:
    settings = make_settings(tmp_path, email=smtp_server.url())
    engine = FakeEngine(settings, [status()])
    assert send_ping(plan_ping(engine, "ana")).status == "sent"
    engine.now += timedelta(minutes=10)
    second = send_ping(plan_ping(engine, "ana"))
    assert second.status == "refused" and not second.ok
    assert "cooldown" in second.reason and "20 min" in second.reason
    assert len(smtp_server.mails) == 1
    assert audit.read_entries(settings.audit_file)[0].outcome == "refused"
    assert send_ping(plan_ping(engine, "ana"), force=True).status == "sent"
    engine.now += timedelta(minutes=31)
    assert send_ping(plan_ping(engine, "ana")).status == "sent"
    assert len(smtp_server.mails) == 3


def test_a_crash_between_intent_and_outcome_blocks_a_blind_retry(
    tmp_path: Path, smtp_server: SmtpServer
) -> None:
    settings = make_settings(tmp_path, email=smtp_server.url())
    engine = FakeEngine(settings, [status()])
    audit.append(
        settings.audit_file,
        audit.AuditEntry(
            action="ping",
            worker="ana",
            channel="email",
            outcome="intent",
            time=engine.now - timedelta(minutes=2),
        ),
    )
    result = send_ping(plan_ping(engine, "ana"))
    assert result.status == "refused"
    assert "never recorded" in result.reason
    assert smtp_server.mails == []


def test_dry_run_sends_and_records_nothing(
    tmp_path: Path, smtp_server: SmtpServer, webhook: Webhook
) -> None:
    settings = make_settings(tmp_path, email=smtp_server.url(), im=webhook.channels())
    engine = FakeEngine(settings, [status(im=webhook.cell())])
    result = send_ping(plan_ping(engine, "ana"), dry_run=True)
    assert result.status == "dry_run" and result.ok
    assert "would ping" in result.describe() and "ana@example.com" in result.describe()
    assert smtp_server.mails == [] and webhook.requests == []
    assert not settings.audit_file.exists()


def test_smtp_server_down_fails_fast_and_is_recorded(tmp_path: Path) -> None:
    url = f"mailto://owner@127.0.0.1:{free_port()}?from=owner@example.com&mode=insecure"
    settings = make_settings(tmp_path, email=url)
    engine = FakeEngine(settings, [status()])
    start = time.monotonic()
    result = send_ping(plan_ping(engine, "ana"))
    assert time.monotonic() - start < 10
    assert result.status == "failed"
    assert "127.0.0.1" in result.reason
    outcome = audit.read_entries(settings.audit_file)[0]
    assert outcome.outcome == "failed" and outcome.intent_id
    assert audit.last_ping(settings.audit_file, "ana") is None  # a retry is allowed


def test_smtp_server_that_hangs_times_out(tmp_path: Path) -> None:
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(5)  # accepts the connection, never says hello
    port = listener.getsockname()[1]
    try:
        url = f"mailto://owner@127.0.0.1:{port}?from=owner@example.com&mode=insecure&cto=1"
        engine = FakeEngine(make_settings(tmp_path, email=url), [status()])
        start = time.monotonic()
        result = send_ping(plan_ping(engine, "ana"))
        assert time.monotonic() - start < 8
        assert result.status == "failed"
    finally:
        listener.close()


def test_webhook_500_is_a_failed_channel_with_its_error(
    tmp_path: Path, smtp_server: SmtpServer, webhook: Webhook
) -> None:
    webhook.status = 500
    settings = make_settings(tmp_path, email=smtp_server.url(), im=webhook.channels())
    engine = FakeEngine(settings, [status(im=webhook.cell())])
    result = send_ping(plan_ping(engine, "ana"))
    assert result.status == "partial" and not result.ok
    assert [d.ok for d in result.deliveries] == [True, False]
    assert "500" in result.reason
    assert "failed" in result.describe()
    outcomes = {(e.channel, e.outcome) for e in audit.read_entries(settings.audit_file)}
    assert ("im", "failed") in outcomes and ("email", "sent") in outcomes


def test_smtp_password_comes_from_env_and_never_reaches_the_log(
    tmp_path: Path, smtp_server: SmtpServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = make_settings(
        tmp_path, email=smtp_server.url("owner"), email_password_env="FARWATCH_SMTP_PW"
    )
    engine = FakeEngine(settings, [status()])
    missing = send_ping(plan_ping(engine, "ana"))
    assert missing.status == "failed" and "FARWATCH_SMTP_PW" in missing.reason
    monkeypatch.setenv("FARWATCH_SMTP_PW", "s3cret-pw")
    assert send_ping(plan_ping(engine, "ana")).status == "sent"
    assert smtp_server.logins == [("owner", "s3cret-pw")]
    assert "s3cret" not in settings.audit_file.read_text()


def test_im_secrets_come_from_the_owners_channel_never_from_the_roster(
    tmp_path: Path, webhook: Webhook, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FARWATCH_IM_TOKEN", "tok123-secret")
    hook = ImChannelSettings(
        "hook",
        f"json://127.0.0.1:{webhook.port}/t/{{token}}/{{to}}",
        {"token": "FARWATCH_IM_TOKEN"},
    )
    engine = FakeEngine(make_settings(tmp_path, im={"hook": hook}), [status(im="hook:ana")])
    assert send_ping(plan_ping(engine, "ana")).status == "sent"
    assert webhook.requests[0][0] == "/t/tok123-secret/ana"
    for cell in (webhook.url("/x/${FARWATCH_IM_TOKEN}"), "other:ana", "hook:../../x"):
        engine.workers = [status(im=cell)]
        refused = send_ping(plan_ping(engine, "ana"), force=True)
        assert refused.status != "sent" and "refused" in refused.reason, cell
    assert len(webhook.requests) == 1
    assert "tok123" not in engine.settings.audit_file.read_text()


def test_no_channel_is_a_clear_failure(tmp_path: Path) -> None:
    engine = FakeEngine(make_settings(tmp_path), [status()])
    result = send_ping(plan_ping(engine, "ana"))
    assert result.status == "no_channel" and not result.ok
    assert "[nudge] email" in result.reason


def test_hostile_roster_email_is_not_sent_to_two_people(
    tmp_path: Path, smtp_server: SmtpServer
) -> None:
    engine = FakeEngine(
        make_settings(tmp_path, email=smtp_server.url()),
        [status(email="ana@example.com,boss@evil.example")],
    )
    result = send_ping(plan_ping(engine, "ana"))
    assert not result.ok and "single address" in result.reason
    assert smtp_server.mails == []


def test_worker_resolution(tmp_path: Path) -> None:
    workers = [
        status(id="w1", name="Ana Reyes", email="ana@example.com"),
        status(id="w2", name="Anabel Cruz", email="anabel@example.com"),
        status(id="w3", name="Ben Ito", email="ben@example.com"),
    ]
    engine = FakeEngine(make_settings(tmp_path), workers)
    assert plan_ping(engine, "w3").worker.name == "Ben Ito"
    assert plan_ping(engine, "ANABEL@example.com").worker.id == "w2"
    assert plan_ping(engine, "ben").worker.id == "w3"
    assert plan_ping(engine, "ito").worker.id == "w3"
    assert plan_ping(engine, "ana reyes").worker.id == "w1"
    with pytest.raises(AmbiguousWorker) as amb:
        plan_ping(engine, "an")
    assert "Ana Reyes" in str(amb.value) and "Anabel Cruz" in str(amb.value)
    with pytest.raises(UnknownWorker, match=r"no worker matches 'zed'.*Ben Ito"):
        plan_ping(engine, "zed")


def test_bulk_plans_only_stale_unpaused_workers(tmp_path: Path) -> None:
    workers = [
        status(id="w1", name="Ana", checkin_level="alert"),
        status(id="w2", name="Ben", checkin_level="ok"),
        status(id="w3", name="Cy", checkin_level="warn", paused=True),
        status(id="w4", name="Di", checkin_level="warn"),
    ]
    engine = FakeEngine(make_settings(tmp_path, email="mailto://o@127.0.0.1"), workers)
    plans = plan_bulk(engine)
    assert [p.worker.id for p in plans] == ["w1", "w4"]
    assert all(p.template == "overdue" for p in plans)
    assert "email ana@example.com" in plans[0].summary()


def test_double_press_sends_once(tmp_path: Path, smtp_server: SmtpServer) -> None:
    """The same plan sent twice (a double key press): the second is refused."""
    settings = make_settings(tmp_path, email=smtp_server.url())
    engine = FakeEngine(settings, [status()])
    plan = plan_ping(engine, "ana")
    results = [send_ping(plan), send_ping(plan)]
    assert [r.status for r in results] == ["sent", "refused"]
    assert len(smtp_server.mails) == 1


def test_templates_accept_braces_and_never_crash_on_odd_text(tmp_path: Path) -> None:
    settings = make_settings(
        tmp_path,
        email="mailto://o@127.0.0.1",
        templates={"overdue": "Hi {first_name}, ${task} costs $5 ($$ literal) {hours_used}h"},
    )
    hostile = status(name="\x1b]0;pwned\x07Ana Reyes", task="[/]\x1b[31mInbox")
    plan = plan_ping(FakeEngine(settings, [hostile]), "ana")
    assert plan.body.strip() == "Hi Ana, [/]Inbox costs $5 ($ literal) 12h"
    assert "\x1b" not in plan.subject + plan.body


def test_send_anyway_answers_only_the_refusal_it_was_shown(
    tmp_path: Path, smtp_server: SmtpServer
) -> None:
    """Two dialogs both showing "already pinged" cannot both send: the second answer is stale."""
    engine = FakeEngine(make_settings(tmp_path, email=smtp_server.url()), [status()])
    assert send_ping(plan_ping(engine, "ana")).status == "sent"
    first = send_ping(plan_ping(engine, "ana"))
    second = send_ping(plan_ping(engine, "ana"))
    assert first.status == second.status == "refused"
    assert "already pinged" in first.reason
    assert send_ping(plan_ping(engine, "ana"), answer=first.override).status == "sent"
    again = send_ping(plan_ping(engine, "ana"), answer=second.override)
    assert again.status == "refused"  # another ping went out since that refusal was shown
    assert len(smtp_server.mails) == 2


def test_racing_sends_to_one_worker_go_out_once(tmp_path: Path, smtp_server: SmtpServer) -> None:
    """Bulk ping, a dialog and the palette firing together: the cooldown check is atomic."""
    from concurrent.futures import ThreadPoolExecutor

    engine = FakeEngine(make_settings(tmp_path, email=smtp_server.url()), [status()])
    plans = [plan_ping(engine, "ana") for _ in range(6)]
    with ThreadPoolExecutor(6) as pool:
        results = list(pool.map(send_ping, plans))
    assert sorted(r.status for r in results) == ["refused"] * 5 + ["sent"]
    assert len(smtp_server.mails) == 1


def test_the_cooldown_figures_add_up_and_name_the_way_past_it(
    tmp_path: Path, smtp_server: SmtpServer
) -> None:
    """30 s after a ping with a 30 min cooldown: "1 min ago ... another in 29 min"."""
    settings = make_settings(tmp_path, email=smtp_server.url())
    engine = FakeEngine(settings, [status()])
    assert send_ping(plan_ping(engine, "ana")).status == "sent"
    engine.now += timedelta(seconds=30)
    refused = send_ping(plan_ping(engine, "ana"))
    assert "already pinged 1 min ago; the cooldown allows another in 29 min" in refused.reason
    assert "--force" in refused.reason


def test_a_dry_run_inside_the_cooldown_predicts_the_refusal(
    tmp_path: Path, smtp_server: SmtpServer
) -> None:
    settings = make_settings(tmp_path, email=smtp_server.url())
    engine = FakeEngine(settings, [status()])
    assert send_ping(plan_ping(engine, "ana")).status == "sent"
    engine.now += timedelta(minutes=5)
    dry = send_ping(plan_ping(engine, "ana"), dry_run=True)
    assert not dry.ok and "would be refused" in dry.describe()
    assert "would ping" not in dry.describe()
    assert len(smtp_server.mails) == 1
