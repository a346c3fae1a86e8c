"""SMTP faults through the command line, beyond tests/test_cli_faults.py: how retries back
off across attempts, giving up after ``max_attempts``, the pause after an authentication
failure and its end, and an outage logged once however many messages and polls it spans.

Faults are injected on the server's side (the aiosmtpd sink's queued replies, dropped
connections, a refused login, a sink that is not running). Waiting for a retry to fall
due is simulated by moving ``next_attempt_at`` (or the pause's end) into the past in the
state file between polls, never by mocking the clock or smtplib.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from e2e_helpers import (
    ADDRESS,
    Bot,
    Result,
    people,
    run_cli,
    signup_en,
    signup_sv,
)

from registration_bot.devservers import DROP, Dovecot, SmtpSink, free_port

ANNA = ("Anna", "Svensson", "anna.svensson@example.se")
JOHN = ("John", "Smith", "john.smith@example.com")
SMTP_PASSWORD = "smtp-Pw-5tQ1-orchard"
WRONG_PASSWORD = "wrong-Pw-8vB2-quarry"


@pytest.fixture
def smtp_with_auth() -> Iterator[SmtpSink]:
    with SmtpSink(auth={ADDRESS: SMTP_PASSWORD}) as sink:
        yield sink


def state(bot: Bot) -> sqlite3.Connection:
    db = sqlite3.connect(bot.state_path, isolation_level=None)
    db.row_factory = sqlite3.Row
    return db


def outbox(bot: Bot) -> list[dict]:
    db = state(bot)
    try:
        return [dict(r) for r in db.execute("SELECT * FROM outbox ORDER BY id")]
    finally:
        db.close()


def make_due(bot: Bot) -> None:
    """Time passes: every retry falls due now."""
    db = state(bot)
    try:
        db.execute(
            "UPDATE outbox SET next_attempt_at = ? WHERE state = 'retry'",
            (datetime.now(UTC).isoformat(timespec="seconds"),),
        )
    finally:
        db.close()


def meta(bot: Bot, key: str) -> str:
    db = state(bot)
    try:
        row = db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return row[0] if row else ""
    finally:
        db.close()


def delay(row: dict) -> float:
    """How long the bot chose to wait before the next attempt (both stamps come from one ``now``)."""
    return (datetime.fromisoformat(row["next_attempt_at"]) - datetime.fromisoformat(row["updated_at"])).total_seconds()


def poll(bot: Bot, code: int = 0) -> Result:
    result = run_cli("poll", "--config", bot.config)
    assert result.code == code, str(result)
    assert "Traceback" not in result.output, str(result)
    return result


def one_each(bot: Bot, addresses: list[str]) -> None:
    per_person = bot.sent().confirmations_by_recipient()
    assert dict(per_person) == {a.lower(): 1 for a in addresses}, per_person


# -- backoff across attempts ------------------------------------------------------------------------


def test_temporary_failures_back_off_exponentially_with_jitter_and_each_mail_goes_out_once(
    tmp_path: Path, dovecot: Dovecot, smtp_sink: SmtpSink
) -> None:
    bot = Bot.create(tmp_path / "bot", dovecot, smtp_sink, {"smtp": {"retry_base_seconds": 60}})
    everyone = people(6)
    bot.append(*[signup_sv(*p) for p in everyone])
    faults = [
        ("451 4.3.0 Try again later", "data"),
        ("421 4.3.2 Service shutting down", "data"),
        ("450 4.2.1 Mailbox busy", "rcpt"),
        ("452 4.3.1 Insufficient system storage", "data"),
    ]
    delays: list[list[float]] = []

    for attempt, (reply, at) in enumerate(faults, start=1):
        bot.smtp.queue_replies(*[reply] * len(everyone), at=at)
        result = poll(bot)
        assert "sent 0, retry 6, failed 0" in result.stdout, result
        rows = outbox(bot)
        assert {(r["state"], r["attempts"]) for r in rows} == {("retry", attempt)}, rows
        assert all(r["last_error"].startswith(reply[:3]) for r in rows), rows
        nominal = 60 * 2 ** (attempt - 1)  # retry_base_seconds doubled per attempt
        waits = [delay(r) for r in rows]
        assert all(0.8 * nominal - 1 <= w <= 1.2 * nominal + 1 for w in waits), (nominal, waits)
        assert len(set(waits)) > 1, f"no jitter: every row waits {waits[0]} s"
        delays.append(waits)
        if attempt == 1:
            early = poll(bot)  # not due yet: the backoff is honoured
            assert "sent 0, retry 0, failed 0" in early.stdout, early
            assert {r["attempts"] for r in outbox(bot)} == {1}
        make_due(bot)

    for per_row in zip(*delays, strict=True):
        assert list(per_row) == sorted(per_row) and len(set(per_row)) == len(per_row), per_row
    assert bot.sent().messages == []

    final = poll(bot)

    assert "sent 6, retry 0, failed 0" in final.stdout, final
    one_each(bot, [p[2] for p in everyone])
    assert {(r["state"], r["attempts"]) for r in outbox(bot)} == {("sent", 5)}


def test_dropped_connections_back_off_too_and_the_mail_is_sent_once_it_succeeds(
    tmp_path: Path, dovecot: Dovecot, smtp_sink: SmtpSink
) -> None:
    bot = Bot.create(tmp_path / "bot", dovecot, smtp_sink, {"smtp": {"retry_base_seconds": 60}})
    bot.append(signup_sv(*ANNA))
    waits = []
    for at in ("rcpt", "data"):  # hung up on before DATA, then during it
        bot.smtp.queue_replies(DROP, at=at)
        result = poll(bot)
        assert "retry 1" in result.stdout, result
        [row] = outbox(bot)
        assert row["state"] == "retry" and row["last_error"].startswith("connection lost"), row
        waits.append(delay(row))
        make_due(bot)
    assert 47 <= waits[0] <= 73 and 95 <= waits[1] <= 145, waits

    poll(bot)

    one_each(bot, [ANNA[2]])
    [row] = outbox(bot)
    assert row["state"] == "sent" and row["attempts"] == 3


# -- max_attempts -> failed -----------------------------------------------------------------------------


def test_after_max_attempts_a_mail_is_failed_shown_to_the_organiser_and_never_retried(
    tmp_path: Path, dovecot: Dovecot, smtp_sink: SmtpSink
) -> None:
    bot = Bot.create(tmp_path / "bot", dovecot, smtp_sink, {"smtp": {"max_attempts": 3, "retry_base_seconds": 0}})
    bot.append(signup_sv(*ANNA), signup_en(*JOHN))

    for attempt in (1, 2, 3):
        bot.smtp.queue_replies("451 4.3.0 Try again later")  # only Anna's mail (the first) meets it
        result = poll(bot)
        expected = "retry 1, failed 0" if attempt < 3 else "retry 0, failed 1"
        assert expected in result.stdout, result

    anna, john = outbox(bot)
    assert anna["state"] == "failed" and anna["attempts"] == 3, anna
    assert anna["last_error"].startswith("gave up after 3 attempts: 451"), anna
    assert john["state"] == "sent" and john["attempts"] == 1, john
    text = bot.status_text()
    assert "failed 1" in text and "sent 1" in text, text
    assert f"to {ANNA[2]}: gave up after 3 attempts" in text, text

    later = poll(bot)  # the sink would take it now, but a failed mail stays failed

    assert "sent 0, retry 0, failed 0" in later.stdout, later
    assert bot.sent().to(ANNA[2]) == []
    assert outbox(bot)[0]["attempts"] == 3


# -- 5.7.x: authentication failure pauses sending ------------------------------------------------------


def test_a_refused_smtp_login_pauses_sending_keeps_mail_queued_and_resumes_once_fixed(
    tmp_path: Path, dovecot: Dovecot, smtp_with_auth: SmtpSink
) -> None:
    def configure(password: str) -> Bot:
        return Bot.create(
            tmp_path / "bot", dovecot, smtp_with_auth, {"smtp": {"username": ADDRESS, "password": password}}
        )

    bot = configure(WRONG_PASSWORD)
    everyone = people(3)
    bot.append(*[signup_sv(*p) for p in everyone])

    first = poll(bot, code=1)

    assert "sending is paused" in first.stderr, first
    assert first.stdout.count("SMTP authentication failed; sending paused for 15 minutes") == 1, first
    assert "535" in first.stdout, first
    rows = outbox(bot)
    assert {(r["state"], r["attempts"]) for r in rows} == {("queued", 0)}, rows  # not failed, not even tried
    info = bot.status()
    assert info["registrations"]["registered"] == 3  # registrations do not wait for SMTP
    assert "535" in info["smtp"]["paused"], info["smtp"]
    until = datetime.fromisoformat(info["smtp"]["paused_until"])
    assert timedelta(minutes=14) < until - datetime.now(UTC) <= timedelta(minutes=15), until
    assert f"SMTP:          PAUSED until {info['smtp']['paused_until']}" in bot.status_text()

    second = poll(bot, code=1)  # during the pause nobody even tries to log in

    assert "SMTP authentication failed" not in second.stdout, second
    assert meta(bot, "smtp_paused_until") == info["smtp"]["paused_until"]  # not paused anew

    bot = configure(SMTP_PASSWORD)  # the organiser fixes the password ...
    third = poll(bot, code=1)  # ... and the pause still holds until it ends
    assert "sending is paused" in third.stderr, third
    assert smtp_with_auth.messages == []
    assert {r["state"] for r in outbox(bot)} == {"queued"}

    db = state(bot)
    try:
        past = (datetime.now(UTC) - timedelta(seconds=1)).isoformat()
        db.execute("UPDATE meta SET value = ? WHERE key = 'smtp_paused_until'", (past,))
    finally:
        db.close()
    fourth = poll(bot)

    assert "sent 3, retry 0, failed 0" in fourth.stdout, fourth
    assert "SMTP is reachable again" in fourth.stdout, fourth
    one_each(bot, [p[2] for p in everyone])
    info = bot.status()
    assert info["smtp"]["paused"] is None and info["outbox"]["sent"] == 3, info
    assert "PAUSED" not in bot.status_text()
    for result in (first, second, third, fourth):
        assert WRONG_PASSWORD not in result.output and SMTP_PASSWORD not in result.output


def test_530_authentication_required_pauses_sending_instead_of_failing_every_mail(
    tmp_path: Path, dovecot: Dovecot, smtp_with_auth: SmtpSink
) -> None:
    # The server requires AUTH but the bot was configured without a username.
    bot = Bot.create(tmp_path / "bot", dovecot, smtp_with_auth)
    bot.append(signup_sv(*ANNA), signup_en(*JOHN))

    run_cli("poll", "--config", bot.config)

    rows = outbox(bot)
    assert [r["state"] for r in rows if r["state"] == "failed"] == [], rows
    assert bot.status()["smtp"]["paused"], "a 5.7.x authentication reply should pause sending"


# -- an outage is logged once ------------------------------------------------------------------------


def test_an_outage_is_logged_once_across_many_messages_and_polls_and_a_new_one_again(
    tmp_path: Path, dovecot: Dovecot
) -> None:
    sink = SmtpSink()
    sink.port = free_port()  # nothing listens there yet
    bot = Bot.create(tmp_path / "bot", dovecot, sink)
    everyone = people(8)
    bot.append(*[signup_sv(*p) for p in everyone])
    warning = "SMTP unavailable, mail stays queued"

    down = [poll(bot) for _ in range(3)]

    logs = "".join(r.stdout for r in down)
    assert logs.count(warning) == 1, logs
    assert "outbox #" not in logs, logs  # nothing logged per message
    assert "8 registered" in down[0].stdout
    assert {(r["state"], r["attempts"]) for r in outbox(bot)} == {("queued", 0)}
    assert "SMTP:          unavailable: cannot connect" in bot.status_text()

    with sink:
        back = poll(bot)
        assert back.stdout.count("SMTP is reachable again") == 1, back
        assert "sent 8" in back.stdout, back
        one_each(bot, [p[2] for p in everyone])
    assert meta(bot, "smtp_outage") == ""

    later = people(10)[8:]
    bot.append(*[signup_en(*p) for p in later])
    again = [poll(bot) for _ in range(2)]  # a new outage is news again, once

    logs = "".join(r.stdout for r in again)
    assert logs.count(warning) == 1, logs
    assert {r["state"] for r in outbox(bot)[8:]} == {"queued"}
