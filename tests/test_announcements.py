"""Announcements, event updates with calendar invitations, late joiners and reminders (issue 6).

Mail goes through the real CLI to a real Dovecot and aiosmtpd; every ICS is
parsed back with icalendar. The parts without mail (the transaction, the
service's reminder job) are tested in-process on a real ledger.
"""

from __future__ import annotations

import json
import signal
import time
from collections import Counter
from datetime import datetime, timedelta
from email import message_from_bytes, policy
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from e2e_helpers import Bot, cancel_sv, message, signup_en, signup_sv, start_cli, stop_process, wait_until
from icalendar import Calendar

from registration_bot.devservers import Dovecot, SmtpSink
from registration_bot.ledger import Ledger
from registration_bot.service import Service
from registration_bot.settings import load_settings
from registration_bot.worker import Worker

STOCKHOLM = ZoneInfo("Europe/Stockholm")
ANNA = ("Anna", "Berg", "anna.berg@example.se")
JOHN = ("John", "Smith", "john.smith@example.com")
CILLA = ("Cilla", "Holm", "cilla.holm@example.se")
DAVID = ("David", "Lind", "david.lind@example.se")
SUBJECT = "Parkering och program"
BODY = "Hej alla!\n\nProgrammet är klart och det finns parkering bakom huset.\n\nVälkomna!\n"
WHEN, WHERE = "2031-03-12 17:00", "Storgatan 1, Stockholm"


# -- helpers ------------------------------------------------------------------------


def received(bot: Bot, subject: str | None = None, kind: str | None = None) -> Counter[str]:
    """Messages per recipient, with this subject or this kind (a subject prefix)."""
    counts: Counter[str] = Counter()
    for mail in bot.sent().messages:
        text = str(mail.message["Subject"])
        if (subject is None or text == subject) and (kind is None or text.startswith(kind)):
            counts.update(r.lower() for r in mail.rcpt_tos)
    return counts


def invitations(bot: Bot, address: str) -> list[tuple[str, Calendar]]:
    """Each ``invite.ics`` sent to ``address``: (its Content-Type method parameter, the parsed calendar)."""
    found = []
    for mail in bot.sent().to(address):
        for part in mail.message.iter_attachments():
            if part.get_filename() == "invite.ics":
                assert part.get_content_type() == "text/calendar"
                assert part.get_param("charset") == "utf-8"
                found.append((part.get_param("method"), Calendar.from_ical(part.get_content())))
    return found


def vevent(cal: Calendar):
    [event] = cal.walk("VEVENT")
    return event


def body_file(tmp_path: Path, text: str = BODY) -> Path:
    path = tmp_path / "announcement.txt"
    path.write_text(text, encoding="utf-8")
    return path


def announce(bot: Bot, *args: str | Path):
    result = bot.run("announce", *args)
    assert result.code == 0, str(result)
    return result


@pytest.fixture
def bot(tmp_path: Path, dovecot: Dovecot, smtp_sink: SmtpSink) -> Bot:
    """Anna (sv) and John (en) registered, Cilla on the waiting list (capacity 2)."""
    bot = Bot.create(tmp_path / "bot", dovecot, smtp_sink, {"event": {"capacity": 2}})
    bot.append(signup_sv(*ANNA), signup_en(*JOHN), signup_sv(*CILLA))
    bot.poll()
    assert bot.status()["registrations"]["waitlisted"] == 1
    return bot


def reconfigure(bot: Bot, event: dict) -> Bot:
    """The same bot (state, servers) with other [event] settings and an organiser."""
    return Bot.create(
        bot.workdir,
        bot.imap,
        bot.smtp,
        {"event": {"capacity": 2, **event}, "organiser": {"email": "organiser@example.org", "digest": False}},
    )


# -- announce -----------------------------------------------------------------------


def test_announce_reaches_every_registered_person_once_and_the_waitlist_only_when_asked(
    bot: Bot, tmp_path: Path
) -> None:
    text = body_file(tmp_path)
    before = len(bot.sent().messages)

    dry = announce(bot, "--subject", SUBJECT, "--body-file", text, "--dry-run")
    assert "Anna Berg <anna.berg@example.se>" in dry.stdout and "John Smith <john.smith@example.com>" in dry.stdout
    assert CILLA[2] not in dry.stdout
    assert len(bot.sent().messages) == before
    assert bot.status()["outbox"]["queued"] == 0

    first = announce(bot, "--subject", SUBJECT, "--body-file", text)
    assert "queued for 2 people" in first.stdout
    assert received(bot, SUBJECT) == {ANNA[2]: 1, JOHN[2]: 1}
    [mail] = [m for m in bot.sent().to(ANNA[2]) if m.message["Subject"] == SUBJECT]
    assert mail.message.get_content().replace("\r\n", "\n") == BODY
    assert mail.message["Auto-Submitted"] == "auto-generated"

    again = announce(bot, "--subject", SUBJECT, "--body-file", text)
    assert "queued for 0 people; 2 already had it" in again.stdout
    assert received(bot, SUBJECT) == {ANNA[2]: 1, JOHN[2]: 1}

    dry = announce(bot, "--subject", SUBJECT, "--body-file", text, "--waitlist", "--dry-run")
    assert "1 would get it, 2 have it" in dry.stdout and "Cilla Holm <cilla.holm@example.se>" in dry.stdout
    announce(bot, "--subject", SUBJECT, "--body-file", text, "--waitlist")
    assert received(bot, SUBJECT) == {ANNA[2]: 1, JOHN[2]: 1, CILLA[2]: 1}
    with Ledger(bot.state_path) as ledger:
        assert ledger.db.execute("SELECT COUNT(*) FROM announcements").fetchone()[0] == 1


def test_announce_command_line_errors_exit_2_with_one_line(bot: Bot, tmp_path: Path) -> None:
    for args in (("--subject", SUBJECT), ("--event-update", "--subject", SUBJECT, "--body-file", body_file(tmp_path))):
        result = bot.run("announce", *args)
        assert result.code == 2, str(result)
        assert len(result.stderr.strip().splitlines()) == 1 and "Traceback" not in result.stderr
    result = bot.run("announce", "--event-update")  # no [event] date yet
    assert result.code == 2 and "event.date" in result.stderr, str(result)


def test_a_crash_while_sending_an_announcement_sends_nobody_a_second_copy(
    tmp_path: Path, dovecot: Dovecot, services: list
) -> None:
    class SlowSink(SmtpSink):
        def _record(self, mail_from: str, rcpt_tos: list[str], data: bytes) -> None:
            super()._record(mail_from, rcpt_tos, data)
            time.sleep(0.3)  # the 250 comes late: a kill lands between DATA and the reply

    everyone = [(f"P{i}", "Svensson", f"p{i}.svensson@example.se") for i in range(6)]
    with SlowSink() as sink:
        bot = Bot.create(tmp_path / "bot", dovecot, sink)
        bot.append(*(signup_sv(*p) for p in everyone))
        bot.poll()
        confirmations = len(sink.messages)
        text = body_file(tmp_path)
        proc = start_cli(
            "announce", "--config", bot.config, "--subject", SUBJECT, "--body-file", text, log_path=tmp_path / "a.log"
        )
        services.append(proc)
        wait_until(lambda: len(sink.messages) >= confirmations + 2, 20, what="the announcement to start")
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)
        assert len(sink.messages) - confirmations < len(everyone), "the kill came too late to test anything"

        again = announce(bot, "--subject", SUBJECT, "--body-file", text)
        assert "queued for 0 people" in again.stdout

        per_person = received(bot, SUBJECT)
        assert set(per_person.values()) == {1}
        assert sorted(per_person) == sorted(p[2] for p in everyone)
        outbox = bot.status()["outbox"]
        assert outbox["queued"] == outbox["sending"] == outbox["data"] == 0, outbox


@pytest.fixture
def services():
    started: list = []
    yield started
    for proc in started:
        stop_process(proc)


# -- event updates and calendars --------------------------------------------------------


def test_event_update_offer_invitations_sequence_and_cancel(bot: Bot) -> None:
    assert bot.status()["event_update"] is None  # no date, nothing to offer
    bot = reconfigure(bot, {"date": WHEN, "location": WHERE})
    bot.poll()
    bot.poll()
    notices = [m for m in bot.sent().to("organiser@example.org") if "skicka ut" in m.message["Subject"]]
    assert len(notices) == 1, "one notice per change, however many cycles see it"
    assert "announce --config FILE --event-update" in notices[0].message.get_content()
    assert bot.status()["event_update"]["location"] == WHERE
    assert "not announced yet" in bot.status_text() and "--event-update" in bot.status_text()
    assert not invitations(bot, ANNA[2]), "nobody but the organiser is mailed until the organiser says so"

    announce(bot, "--event-update")
    assert bot.status()["event_update"] is None
    uids = set()
    for person, subject in ((ANNA, "Tid och plats"), (JOHN, "Date and venue")):
        [(method, cal)] = invitations(bot, person[2])
        event = vevent(cal)
        assert method == "REQUEST" and cal["METHOD"] == "REQUEST"
        assert event["SEQUENCE"] == 0
        assert event.decoded("DTSTART") == datetime(2031, 3, 12, 17, 0, tzinfo=STOCKHOLM)
        assert event.decoded("DTEND") - event.decoded("DTSTART") == timedelta(hours=3)
        assert str(event["LOCATION"]) == WHERE
        assert str(event["ATTENDEE"]) == f"mailto:{person[2]}" and event["ATTENDEE"].params["RSVP"] == "FALSE"
        assert str(event["ORGANIZER"]) == "mailto:anmalan@example.org"
        assert "DTSTAMP" in event and "SUMMARY" in event
        assert received(bot, kind=subject)[person[2]] == 1
        uids.add(str(event["UID"]))
    assert len(uids) == 1
    assert not invitations(bot, CILLA[2])  # the waiting list was not asked for

    announce(bot, "--event-update")  # nothing changed: nothing new
    assert len(invitations(bot, ANNA[2])) == 1

    bot = reconfigure(bot, {"date": WHEN, "location": "Drottninggatan 2, Stockholm"})
    bot.poll()
    assert len([m for m in bot.sent().to("organiser@example.org") if "skicka ut" in m.message["Subject"]]) == 2
    announce(bot, "--event-update")
    second = vevent(invitations(bot, JOHN[2])[-1][1])
    assert second["SEQUENCE"] == 1 and str(second["UID"]) in uids
    assert str(second["LOCATION"]) == "Drottninggatan 2, Stockholm"

    bot.append(cancel_sv(*CILLA))  # on the waiting list, never invited: no ICS on her receipt
    bot.poll()
    assert received(bot, kind="Din anmälan")[CILLA[2]] == 1 and not invitations(bot, CILLA[2])
    bot.append(cancel_sv(*ANNA))
    bot.poll()
    method, cal = invitations(bot, ANNA[2])[-1]
    cancel = vevent(cal)
    assert method == "CANCEL" and cal["METHOD"] == "CANCEL" and cancel["STATUS"] == "CANCELLED"
    assert str(cancel["UID"]) in uids and cancel["SEQUENCE"] > 1


def test_a_late_joiner_gets_the_earlier_announcement_and_the_current_invitation_once(bot: Bot, tmp_path: Path) -> None:
    bot = reconfigure(bot, {"date": WHEN, "location": WHERE, "capacity": 0})
    announce(bot, "--subject", SUBJECT, "--body-file", body_file(tmp_path))
    announce(bot, "--event-update")
    bot = reconfigure(bot, {"date": WHEN, "location": "Drottninggatan 2", "capacity": 0})
    announce(bot, "--event-update")

    bot.append(signup_sv(*DAVID))
    bot.poll()
    bot.append(message(DAVID[2], "Anmälan igen", "Hej! Jag vill anmäla mig.\n\nMvh\nDavid Lind\n", name="David Lind"))
    bot.poll()
    bot.poll()

    subjects = [str(m.message["Subject"]) for m in bot.sent().to(DAVID[2])]
    assert subjects[0].startswith("Du är anmäld"), subjects
    assert subjects.count(SUBJECT) == 1
    [(method, cal)] = invitations(bot, DAVID[2])
    event = vevent(cal)
    assert method == "REQUEST" and event["SEQUENCE"] == 1 and str(event["LOCATION"]) == "Drottninggatan 2"
    assert str(event["UID"]) == str(vevent(invitations(bot, ANNA[2])[0][1])["UID"])
    assert len(subjects) == 3, subjects


# -- reminders ------------------------------------------------------------------------


def test_remind_sends_each_registered_person_one_reminder_in_their_language(bot: Bot) -> None:
    past = reconfigure(bot, {"date": "2020-01-01 10:00"}).run("remind")
    assert past.code == 2 and "already begun" in past.stderr, str(past)

    bot = reconfigure(bot, {"date": WHEN, "location": WHERE})
    dry = bot.run("remind", "--dry-run")
    assert dry.code == 0 and "2 would get it" in dry.stdout, str(dry)
    assert not received(bot, kind="Påminnelse")
    announce_first = bot.run("remind")
    assert announce_first.code == 0, str(announce_first)
    again = bot.run("remind")
    assert "queued for 0 people; 2 already had it" in again.stdout, str(again)
    assert received(bot, kind="Påminnelse") == {ANNA[2]: 1}
    assert received(bot, kind="Reminder") == {JOHN[2]: 1}
    assert CILLA[2] not in received(bot, kind="Påminnelse")


# -- in-process: the transaction, promotion, re-joining, the breaker, the service -------------------

CONFIG = """
[event]
capacity = {capacity}
date = "{date}"
location = "Storgatan 1"
reminder_days = {days}
[imap]
host = "127.0.0.1"
security = "none"
username = "anmalan@example.org"
[smtp]
host = "127.0.0.1"
security = "none"
from_address = "anmalan@example.org"
"""


def settings_for(folder: Path, capacity: int = 0, date: str = WHEN, days: int = 2):
    folder.mkdir(parents=True, exist_ok=True)
    config = folder / "c.toml"
    config.write_text(CONFIG.format(capacity=capacity, date=date, days=days))
    return load_settings(config)


def make_worker(tmp_path: Path, capacity: int = 0, date: str = WHEN, days: int = 2) -> Worker:
    settings = settings_for(tmp_path, capacity, date, days)
    return Worker(settings, Ledger(settings.state.path))


def sign_up(worker: Worker, name: str, address: str, uid: int) -> None:
    worker.process_message(
        1, uid, message(address, "Anmälan", f"Hej! Jag vill anmäla mig.\n\nMvh\n{name}\n", name=name)
    )


def outbox(worker: Worker, address: str) -> list[tuple[str, str]]:
    return [
        (r["kind"], r["dedup_key"])
        for r in worker.ledger.db.execute(
            "SELECT kind, dedup_key FROM outbox WHERE recipient = ? ORDER BY id", (address,)
        )
    ]


def ics_of(worker: Worker, address: str, kind: str) -> Calendar:
    row = worker.ledger.db.execute(
        "SELECT payload FROM outbox WHERE recipient = ? AND kind = ? ORDER BY id DESC LIMIT 1", (address, kind)
    ).fetchone()
    msg = message_from_bytes(row[0], policy=policy.default)
    [part] = [p for p in msg.iter_attachments() if p.get_filename() == "invite.ics"]
    return Calendar.from_ical(part.get_content())


def test_a_crash_inside_the_announcement_transaction_leaves_nothing(tmp_path: Path, monkeypatch) -> None:
    worker = make_worker(tmp_path)
    for uid, person in enumerate((ANNA, JOHN, CILLA), start=1):
        sign_up(worker, f"{person[0]} {person[1]}", person[2], uid)
    announcer = worker.recorder.registry.announcer
    real, calls = worker.ledger.queue_mail, []

    def crash_on_the_third(**kwargs):
        calls.append(kwargs["recipient"])
        if len(calls) == 3:
            raise OSError("disk full")
        return real(**kwargs)

    monkeypatch.setattr(worker.ledger, "queue_mail", crash_on_the_third)
    with pytest.raises(OSError):
        announcer.announce(SUBJECT, BODY)
    monkeypatch.undo()
    db = worker.ledger.db
    assert db.execute("SELECT COUNT(*) FROM announcements").fetchone()[0] == 0
    assert db.execute("SELECT COUNT(*) FROM outbox WHERE kind = 'announcement'").fetchone()[0] == 0
    outcome = announcer.announce(SUBJECT, BODY)
    assert len(outcome.recipients) == 3 and outcome.created


def test_promotion_and_re_joining_catch_up_and_outrank_the_cancel(tmp_path: Path) -> None:
    worker = make_worker(tmp_path, capacity=1)
    announcer = worker.recorder.registry.announcer
    sign_up(worker, "Anna Berg", ANNA[2], 1)
    sign_up(worker, "Cilla Holm", CILLA[2], 2)  # waiting list
    announcer.announce(SUBJECT, BODY)
    announcer.event_update()
    assert [k for k, _ in outbox(worker, CILLA[2])] == ["waitlist"]

    worker.process_message(1, 3, cancel_sv("Anna", "Berg", ANNA[2]))  # Cilla is promoted and catches up
    assert [k for k, _ in outbox(worker, CILLA[2])] == ["waitlist", "promoted", "announcement", "event_update"]
    cancel_sequence = vevent(ics_of(worker, ANNA[2], "cancellation"))["SEQUENCE"]
    assert ics_of(worker, ANNA[2], "cancellation")["METHOD"] == "CANCEL" and cancel_sequence == 1

    worker.process_message(1, 4, cancel_sv("Cilla", "Holm", CILLA[2]))
    sign_up(worker, "Anna Berg", ANNA[2], 5)  # back again: the announcement once, a new invitation
    kinds = [k for k, _ in outbox(worker, ANNA[2])]
    assert kinds.count("announcement") == 1 and kinds.count("event_update") == 2
    rejoin = vevent(ics_of(worker, ANNA[2], "event_update"))
    assert rejoin["SEQUENCE"] > vevent(ics_of(worker, CILLA[2], "cancellation"))["SEQUENCE"] > cancel_sequence


def test_announcements_pass_the_reply_cap_but_not_the_circuit_breaker(tmp_path: Path) -> None:
    worker = make_worker(tmp_path)
    announcer = worker.recorder.registry.announcer
    sign_up(worker, "Anna Berg", ANNA[2], 1)
    for number in range(6):  # far past replies_per_address_per_day = 5
        announcer.announce(f"Nyhet {number}", BODY)
    states = {r[0] for r in worker.ledger.db.execute("SELECT state FROM outbox WHERE kind = 'announcement'")}
    assert states == {"queued"}
    with worker.ledger.transaction():
        worker.ledger.set_meta("breaker_open_until", (datetime.now(STOCKHOLM) + timedelta(hours=1)).isoformat())
        worker.ledger.set_meta("breaker_reason", "circuit breaker: a flood")
    held = announcer.announce("Under attack", BODY)
    assert held.held == "circuit breaker: a flood"
    row = worker.ledger.db.execute("SELECT state FROM outbox WHERE kind = 'announcement' ORDER BY id DESC").fetchone()
    assert row[0] == "held"


def test_the_reminder_job_runs_at_nine_reminder_days_before_and_moves_with_the_date(tmp_path: Path) -> None:
    with Ledger(tmp_path / "state.sqlite3") as ledger:
        service = Service(settings_for(tmp_path / "a", date="2031-03-12 17:00", days=2), ledger)
        service.schedule()
        job = service.scheduler.get_job("reminders")
        assert job.trigger.run_date == datetime(2031, 3, 10, 9, 0, tzinfo=STOCKHOLM)

        service.settings = settings_for(tmp_path / "b", date="2031-04-20", days=3)  # the date moved
        service.schedule_reminders()
        job = service.scheduler.get_job("reminders")
        assert job.trigger.run_date == datetime(2031, 4, 17, 9, 0, tzinfo=STOCKHOLM)
        assert job.trigger.run_date.utcoffset() == timedelta(hours=2)  # summer time by then

        service.settings = settings_for(tmp_path / "c", days=0)
        assert service.schedule_reminders() is None and service.scheduler.get_job("reminders") is None
        service.worker.close()


def test_a_reminder_time_missed_while_down_runs_once_at_once(tmp_path: Path) -> None:
    tomorrow = (datetime.now(STOCKHOLM) + timedelta(days=1)).strftime("%Y-%m-%d %H:%M")
    settings = settings_for(tmp_path, date=tomorrow, days=2)
    with Ledger(settings.state.path) as ledger:
        service = Service(settings, ledger)
        sign_up(service.worker, "Anna Berg", ANNA[2], 1)
        now = datetime.now(STOCKHOLM)
        assert service.schedule_reminders(now=now) == now
        assert service.scheduler.get_job("reminders").trigger.run_date == now
        service.reminder_job()  # what the date job does: mark them due and wake the poll
        service._reminders()  # the start of the next cycle
        service._reminders()
        assert [k for k, _ in outbox(service.worker, ANNA[2])] == ["confirmation", "reminder"]
        assert service.scheduler.get_job("reminders") is None  # done for this date, even after a restart
        assert Service(settings, ledger).schedule_reminders() is None
        service.worker.close()


def test_status_json_carries_the_pending_update(bot: Bot) -> None:
    bot = reconfigure(bot, {"date": "2031-03-12", "location": WHERE})
    info = json.loads(bot.run("status", "--json").stdout)
    assert info["event_update"]["date"] == "2031-03-12" and info["event_update"]["previous"] is None
