"""Capacity, the waiting list and the closing time (issue 6)."""

from __future__ import annotations

from email import message_from_bytes, policy
from pathlib import Path

import pytest
from e2e_helpers import Bot, cancel_sv, message, signup_en, signup_sv

from registration_bot.devservers import Dovecot, SmtpSink
from registration_bot.ledger import Ledger
from registration_bot.settings import load_settings
from registration_bot.worker import Worker

BASE = """
[event]
capacity = {capacity}
{extra}
[imap]
host = "127.0.0.1"
security = "none"
username = "anmalan@example.org"
[smtp]
host = "127.0.0.1"
security = "none"
from_address = "anmalan@example.org"
[limits]
replies_per_domain_per_hour = 1000
"""


def make_worker(tmp_path: Path, capacity: int, extra: str = "") -> tuple[Worker, Path]:
    config = tmp_path / "c.toml"
    config.write_text(BASE.format(capacity=capacity, extra=extra))
    settings = load_settings(config)
    ledger = Ledger(settings.state.path)
    return Worker(settings, ledger), config


@pytest.fixture
def uid():
    counter = iter(range(1, 10_000))
    return lambda: next(counter)


def signup(name: str, address: str, extra: str = "") -> bytes:
    return message(address, "Anmälan", f"Hej!\n\nJag vill anmäla mig. {extra}\n\nMvh\n{name}\n", name=name)


def people(worker: Worker) -> dict[str, tuple[str, int]]:
    rows = worker.ledger.db.execute("SELECT email, status, seats FROM registrations ORDER BY id")
    return {r["email"]: (r["status"], r["seats"]) for r in rows}


def mail_kinds(worker: Worker) -> list[tuple[str, str]]:
    return [tuple(r) for r in worker.ledger.db.execute("SELECT recipient, kind FROM outbox ORDER BY id")]


def payload(worker: Worker, recipient: str, kind: str):
    row = worker.ledger.db.execute(
        "SELECT payload FROM outbox WHERE recipient = ? AND kind = ?", (recipient, kind)
    ).fetchone()
    return message_from_bytes(row[0], policy=policy.default)


def test_seats_go_in_arrival_order_and_the_waiting_list_moves_first_in_first_out(tmp_path: Path, uid) -> None:
    worker, _config = make_worker(tmp_path, capacity=3)
    worker.process_message(1, uid(), signup("Anna Berg", "anna@x.se"))
    worker.process_message(1, uid(), signup("Bo Ek", "bo@x.se", "Vi blir två."))
    worker.process_message(1, uid(), signup("Cilla Holm", "cilla@x.se"))
    worker.process_message(1, uid(), signup("David Lind", "david@x.se", "Vi blir två."))
    assert people(worker) == {
        "anna@x.se": ("registered", 1),
        "bo@x.se": ("registered", 2),
        "cilla@x.se": ("waitlisted", 1),
        "david@x.se": ("waitlisted", 2),
    }
    waitlist = payload(worker, "cilla@x.se", "waitlist")
    assert "väntelistan" in waitlist["Subject"]
    assert "Din plats i kön: 1" in waitlist.get_content()
    assert "Din plats i kön: 2" in payload(worker, "david@x.se", "waitlist").get_content()

    # Bo cancels: two seats free. Cilla (1 seat) is first and fits; David (2) no longer fits in the 1 left.
    worker.process_message(1, uid(), cancel_sv("Bo", "Ek", "bo@x.se"))
    assert people(worker)["cilla@x.se"] == ("registered", 1)
    assert people(worker)["david@x.se"] == ("waitlisted", 2)
    assert ("cilla@x.se", "promoted") in mail_kinds(worker)
    # Anna cancels: now two seats are free and David's party fits.
    worker.process_message(1, uid(), cancel_sv("Anna", "Berg", "anna@x.se"))
    assert people(worker)["david@x.se"] == ("registered", 2)
    assert sum(seats for status, seats in people(worker).values() if status == "registered") <= 3
    assert [k for r, k in mail_kinds(worker) if r == "david@x.se"] == ["waitlist", "promoted"]


def test_a_batch_of_sign_ups_never_overbooks(tmp_path: Path, uid) -> None:
    worker, _config = make_worker(tmp_path, capacity=5)
    names = ["Anna Berg", "Bo Ek", "Cilla Holm", "David Lind", "Eva Sjö", "Fia Al", "Gustav Ny", "Hanna Ros"]
    for index, name in enumerate(names):
        worker.process_message(1, uid(), signup(name, f"p{index}@x.se", "Vi blir två." if index % 3 == 0 else ""))
    registered = [seats for status, seats in people(worker).values() if status == "registered"]
    assert sum(registered) <= 5
    assert sum(registered) >= 4  # nobody was waitlisted while a party of one could still fit
    assert len([1 for status, _ in people(worker).values() if status == "waitlisted"]) >= 3


def test_raising_the_capacity_promotes_on_the_next_cycle(tmp_path: Path, uid) -> None:
    worker, config = make_worker(tmp_path, capacity=1)
    worker.process_message(1, uid(), signup("Anna Berg", "anna@x.se"))
    worker.process_message(1, uid(), signup("Bo Ek", "bo@x.se"))
    assert people(worker)["bo@x.se"][0] == "waitlisted"
    config.write_text(BASE.format(capacity=2, extra=""))
    raised = Worker(load_settings(config), worker.ledger)
    assert raised.promote_waitlist() == 1
    assert people(raised)["bo@x.se"][0] == "registered"
    assert ("bo@x.se", "promoted") in mail_kinds(raised)


def test_asking_for_more_seats_than_are_free_goes_to_review(tmp_path: Path, uid) -> None:
    worker, _config = make_worker(tmp_path, capacity=2)
    worker.process_message(1, uid(), signup("Anna Berg", "anna@x.se"))
    worker.process_message(1, uid(), signup("Bo Ek", "bo@x.se"))
    state, _dest, _row = worker.process_message(
        1,
        uid(),
        message("anna@x.se", "Ändring", "Hej!\n\nÄndring: vi blir tre istället.\n\nAnna Berg\n", name="Anna Berg"),
    )
    assert state == "review"
    assert people(worker)["anna@x.se"] == ("registered", 1)
    reason = worker.ledger.db.execute("SELECT reason FROM messages ORDER BY id DESC LIMIT 1").fetchone()[0]
    assert "only the 1 held fit" in reason


def test_after_registration_closes_a_sign_up_gets_a_polite_no(tmp_path: Path, uid) -> None:
    worker, _config = make_worker(tmp_path, capacity=0, extra='registration_closes = "2020-01-01T00:00:00+01:00"')
    state, _dest, _row = worker.process_message(1, uid(), signup_en("John", "Smith", "john@example.com"))
    assert state == "review"
    assert people(worker) == {}
    [(recipient, kind)] = mail_kinds(worker)
    assert (recipient, kind) == ("john@example.com", "closed")
    assert "has closed" in payload(worker, "john@example.com", "closed")["Subject"]
    # A second try gets no second reply.
    worker.process_message(1, uid(), message("john@example.com", "Sign up", "Please sign me up!\n", name="John Smith"))
    assert len(mail_kinds(worker)) == 1


def test_the_waiting_list_through_the_command_line(tmp_path: Path, dovecot: Dovecot, smtp_sink: SmtpSink) -> None:
    bot = Bot.create(tmp_path / "bot", dovecot, smtp_sink, {"event": {"capacity": 1}})
    bot.append(signup_sv("Anna", "Berg", "anna@example.se"), signup_en("John", "Smith", "john@example.com"))
    bot.poll()
    subjects = {m.rcpt_tos[0]: m.message["Subject"] for m in bot.sent().messages}
    assert subjects["anna@example.se"].startswith("Du är anmäld")
    assert subjects["john@example.com"].startswith("You are on the waiting list")
    assert bot.status()["registrations"]["waitlisted"] == 1
    rows = bot.workbook().by_email()
    assert rows["john@example.com"]["Status"] == "Väntelista"
    bot.append(cancel_sv("Anna", "Berg", "anna@example.se"))
    bot.poll()
    promoted = [m for m in bot.sent().messages if m.rcpt_tos == ["john@example.com"]][-1]
    assert promoted.message["Subject"].startswith("A seat is free")
    assert bot.workbook().by_email()["john@example.com"]["Status"] == "Anmäld"
