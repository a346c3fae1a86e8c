"""Abuse limits: reply caps, the circuit breaker, DMARC trust and what a reply may echo."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from registration_bot.ledger import Ledger
from registration_bot.limits import release
from registration_bot.settings import load_settings
from registration_bot.status import collect
from registration_bot.textutil import echo_name, echo_subject
from registration_bot.worker import Worker

CONFIG = """
[imap]
host = "127.0.0.1"
security = "none"
username = "anmalan@example.org"
[smtp]
host = "127.0.0.1"
security = "none"
from_address = "anmalan@example.org"
[limits]
replies_per_address_per_day = 2
replies_per_domain_per_hour = 3
inbound_per_minute = 5
[security]
authserv_id = "mx.example.org"
"""


@pytest.fixture
def worker(tmp_path: Path):
    config = tmp_path / "c.toml"
    config.write_text(CONFIG)
    settings = load_settings(config)
    with Ledger(settings.state.path) as ledger:
        yield Worker(settings, ledger)


def mail(sender: str, body: str, *, headers: str = "", mid: str = "") -> bytes:
    mid = mid or f"<{abs(hash((sender, body, headers)))}@x.se>"
    return (
        f"From: {sender}\r\nTo: anmalan@example.org\r\nSubject: Anmälan\r\nMessage-ID: {mid}\r\n{headers}"
        f"Content-Type: text/plain; charset=utf-8\r\n\r\n{body}\r\n"
    ).encode()


def outbox(worker: Worker) -> list[tuple[str, str, str]]:
    return [tuple(r) for r in worker.ledger.db.execute("SELECT recipient, state, last_error FROM outbox ORDER BY id")]


def test_one_address_gets_at_most_its_daily_replies(worker: Worker) -> None:
    victim = "Offer Victim <victim@victim.example>"
    texts = ["Jag vill anmäla mig.", "Jag måste tyvärr avanmäla mig.", "Jag vill anmäla mig igen.", "Avanmäl mig."]
    for uid, text in enumerate(texts, start=1):
        worker.process_message(1, uid, mail(victim, text + f"\n\n{uid}"))
    states = [state for _recipient, state, _error in outbox(worker)]
    assert states == ["queued", "queued", "held", "held"]
    assert "reply cap" in outbox(worker)[2][2]
    # Held mail is recorded, shown by status, and the registrations still happened.
    info = collect(worker.ledger)
    assert info["outbox"]["held"] == 2
    assert any(p["error"].startswith("reply cap") for p in info["outbox_problems"])


def test_one_domain_gets_at_most_its_hourly_replies(worker: Worker) -> None:
    for uid, name in enumerate(["Anna Berg", "Bo Ek", "Cecilia Holm", "David Lind", "Eva Sjö"], start=1):
        worker.process_message(1, uid, mail(f"{name} <p{uid}@victim.example>", "Räkna med mig!"))
    assert [state for _r, state, _e in outbox(worker)] == ["queued"] * 3 + ["held"] * 2
    assert worker.ledger.counts("registrations", "status") == {"registered": 5}


def test_a_domain_capped_reply_goes_out_when_the_domains_hour_has_room(worker: Worker) -> None:
    for uid, name in enumerate(["Anna Berg", "Bo Ek", "Cecilia Holm", "David Lind"], start=1):
        worker.process_message(1, uid, mail(f"{name} <p{uid}@popular.example>", "Räkna med mig!"))
    assert [state for _r, state, _e in outbox(worker)] == ["queued"] * 3 + ["held"]
    assert worker.limits.release_deferred() == 0  # the hour is still full
    # An hour later the first three no longer count.
    worker.ledger.db.execute(
        "UPDATE outbox SET created_at = ? WHERE state = 'queued'",
        ((datetime.now(UTC) - timedelta(minutes=61)).isoformat(timespec="seconds"),),
    )
    assert worker.limits.release_deferred() == 1
    assert [state for _r, state, _e in outbox(worker)] == ["queued"] * 4
    assert worker.limits.release_deferred() == 0


def test_breaker_and_address_holds_wait_for_the_organisers_release(worker: Worker) -> None:
    victim = "Offer Victim <victim@victim.example>"
    for uid, text in enumerate(["Jag vill anmäla mig.", "Avanmäl mig.", "Jag vill anmäla mig igen."], start=1):
        worker.process_message(1, uid, mail(victim, text + f"\n\n{uid}"))
    [held_id] = [r[0] for r in worker.ledger.db.execute("SELECT id FROM outbox WHERE state = 'held'")]
    worker.ledger.db.execute(
        "UPDATE outbox SET created_at = ?", ((datetime.now(UTC) - timedelta(days=2)).isoformat(timespec="seconds"),)
    )
    assert worker.limits.release_deferred() == 0  # not a domain cap: never by itself
    assert [r["id"] for r in release(worker.ledger, dry_run=True)] == [held_id]
    assert outbox(worker)[2][1] == "held"
    assert [r["id"] for r in release(worker.ledger, [held_id])] == [held_id]
    assert outbox(worker)[2][1:] == ("queued", "released by the organiser")
    assert release(worker.ledger) == []


def test_the_circuit_breaker_holds_replies_but_keeps_recording(worker: Worker) -> None:
    now = datetime.now(UTC)
    assert not worker.limits.note_arrivals([now - timedelta(seconds=5)] * 5)  # at the limit: fine
    assert worker.limits.note_arrivals([now - timedelta(seconds=5)] * 6)  # over it: opens
    worker.process_message(1, 1, mail("Anna <anna@x.se>", "Räkna med mig!"))
    assert worker.ledger.counts("registrations", "status") == {"registered": 1}
    [(recipient, state, error)] = outbox(worker)
    assert (recipient, state) == ("anna@x.se", "held") and error.startswith("circuit breaker")
    assert collect(worker.ledger)["breaker"]["open_until"]


def test_old_backlog_does_not_trip_the_breaker(worker: Worker) -> None:
    long_ago = datetime.now(UTC) - timedelta(days=3)
    assert not worker.limits.note_arrivals([long_ago] * 500)
    assert worker.limits.breaker_open() is None


@pytest.mark.parametrize(
    ("results", "state"),
    [
        ("Authentication-Results: mx.example.org; dmarc=fail (p=reject) header.from=x.se\r\n", "review"),
        ("Authentication-Results: mx.example.org (v1); spf=pass; dmarc=pass header.from=x.se\r\n", "registered"),
        ("Authentication-Results: evil.example; dmarc=fail\r\n", "registered"),  # not our server: ignored
        (
            "Authentication-Results: mx.example.org; dmarc=pass\r\n"
            "Authentication-Results: mx.example.org; dmarc=fail\r\n",  # a forged copy below ours
            "registered",
        ),
    ],
)
def test_only_our_own_servers_dmarc_verdict_counts(worker: Worker, results: str, state: str) -> None:
    got, _dest, _row = worker.process_message(1, 1, mail("Anna <anna@x.se>", "Räkna med mig!", headers=results))
    assert got == state
    if state == "review":
        assert outbox(worker) == []


def test_replies_echo_only_a_clean_name_and_a_short_subject() -> None:
    assert echo_name("Cheap pills at www.spam.example now!!") == "Cheap pills at now!!"
    assert echo_name("Anna Svensson <evil@x.se> http://x.y") == "Anna Svensson"
    assert echo_name("Win 1000000 SEK") == "Win SEK"
    long = "Anmälan " + "x" * 200 + " see https://spam.example/offer"
    assert len(echo_subject(long)) <= 60 and "https" not in echo_subject(long)


def test_the_breakers_alert_tells_the_organiser_how_to_release(tmp_path: Path) -> None:
    config = tmp_path / "c.toml"
    config.write_text(CONFIG + '[organiser]\nemail = "org@example.org"\n[event]\nlanguage = "en"\n')
    settings = load_settings(config)
    with Ledger(settings.state.path) as ledger:
        worker = Worker(settings, ledger)
        assert worker.alerts.update({"breaker": "circuit breaker: 500 messages arrived within a minute"})
        [payload] = [bytes(r[0]) for r in ledger.db.execute("SELECT payload FROM outbox WHERE kind = 'alert'")]
    text = payload.decode()
    assert "too much incoming mail" in text and "registration-bot release" in text
