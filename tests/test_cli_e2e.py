"""End to end through the command line: real Dovecot in, real aiosmtpd out, a real workbook.

Each test runs ``python -m registration_bot`` as a child process and checks what an
operator would see: the confirmations in the SMTP sink, the IMAP folders, the
workbook and ``status --json``. The messages are plain, unambiguous ones, because
these tests are about the plumbing, not about how well the reader understands.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from e2e_helpers import (
    ADDRESS,
    PROCESSED,
    REVIEW,
    Bot,
    cancel_sv,
    dsn,
    file_identity,
    folder_delimiter,
    message_flags,
    message_id_of,
    newsletter,
    out_of_office,
    question_sv,
    read_workbook,
    server_folder,
    signup_en,
    signup_sv,
)

from registration_bot.devservers import Dovecot, SmtpSink

ANNA = ("Anna", "Svensson", "anna.svensson@example.se")
JOHN = ("John", "Smith", "john.smith@example.com")
KARIN = ("Karin", "Berg", "karin.berg@example.se")
HEADER_SV = [
    "Namn",
    "E-post",
    "Organisation",
    "Specialkost",
    "Specialkost, egna ord",
    "Platser",
    "Status",
    "Anmäld",
    "Organisation (förslag)",
    "ID",
]
REVIEW_HEADER_SV = ["Avsändare", "Ämne", "Datum", "Läge", "Orsak", "Meddelande"]


@pytest.fixture
def bot(tmp_path: Path, dovecot: Dovecot, smtp_sink: SmtpSink) -> Bot:
    return Bot.create(tmp_path / "bot", dovecot, smtp_sink)


def _stable(info: dict) -> dict:
    """``status --json`` without the timestamps of the last cycle."""
    return {k: v for k, v in info.items() if k not in ("last_cycle", "last_ok_cycle")}


def test_swedish_and_english_signups_get_one_confirmation_each_in_their_language(bot: Bot) -> None:
    anna, john = signup_sv(*ANNA), signup_en(*JOHN)
    bot.append(anna, john)

    result = bot.poll()
    assert "2 registered" in result.stdout, result

    rows = bot.workbook().by_email()
    assert set(rows) == {ANNA[2], JOHN[2]}
    assert rows[ANNA[2]]["Namn"] == "Anna Svensson"
    assert rows[JOHN[2]]["Namn"] == "John Smith"
    assert {row["Status"] for row in rows.values()} == {"Anmäld"}

    sent = bot.sent()
    assert len(sent.messages) == 2
    for (first, _last, address), original, subject in (
        (ANNA, anna, "Du är anmäld till Testträffen"),
        (JOHN, john, "You are registered for Testträffen"),
    ):
        [mail] = sent.to(address)
        msg = mail.message
        assert mail.rcpt_tos == [address]
        assert mail.mail_from == ADDRESS
        assert msg["To"].addresses[0].addr_spec == address
        assert msg["From"].addresses[0].addr_spec == ADDRESS
        assert str(msg["Subject"]) == subject  # the writer's language
        assert msg["Auto-Submitted"] == "auto-replied"
        assert msg["X-Auto-Response-Suppress"] == "All"
        assert ADDRESS in msg["X-Loop"]
        assert msg["In-Reply-To"] == message_id_of(original)
        assert message_id_of(original) in msg["References"]
        assert msg["Message-ID"] and msg["Message-ID"] != message_id_of(original)
        assert first in msg.get_content()
    assert len({m.message["Message-ID"] for m in sent.messages}) == 2

    folders = bot.folders()
    assert folders["INBOX"] == []
    assert sorted(folders[PROCESSED]) == sorted([message_id_of(anna), message_id_of(john)])
    # Processing never marks mail read: people read the shared inbox in Outlook too.
    assert all(b"\\Seen" not in flags for flags in message_flags(bot.imap, server_folder(bot.imap, PROCESSED)))


def test_confirmations_carry_the_writers_language_in_content_language(bot: Bot) -> None:
    bot.append(signup_sv(*ANNA), signup_en(*JOHN))
    bot.poll()
    sent = bot.sent()
    assert [m.message["Content-Language"] for m in sent.to(ANNA[2])] == ["sv"]
    assert [m.message["Content-Language"] for m in sent.to(JOHN[2])] == ["en"]


def test_a_second_poll_sends_nothing_and_leaves_the_workbook_alone(bot: Bot) -> None:
    bot.append(signup_sv(*ANNA), signup_en(*JOHN), question_sv(*KARIN))
    bot.poll()
    before_status = bot.status()
    before_book = file_identity(bot.workbook_path)
    before_rows = bot.workbook()
    before_files = sorted(p.name for p in bot.workdir.rglob("*") if "state.sqlite3" not in p.name)
    assert len(bot.sent().messages) == 2

    result = bot.poll()

    assert "no new mail" in result.stdout and "sent 0" in result.stdout, result
    assert len(bot.sent().messages) == 2
    assert _stable(bot.status()) == _stable(before_status)
    assert file_identity(bot.workbook_path) == before_book, "the workbook was rewritten although nothing changed"
    assert bot.workbook() == before_rows
    assert sorted(p.name for p in bot.workdir.rglob("*") if "state.sqlite3" not in p.name) == before_files


def test_robots_get_no_reply_are_recorded_as_ignored_and_filed_as_processed(bot: Bot) -> None:
    robots = [out_of_office("olle.franvarande@example.se", "Olle Frånvarande"), dsn(), newsletter()]
    person = signup_sv(*ANNA)  # the control: the same poll does answer a person
    bot.append(*robots, person)

    result = bot.poll()

    for raw in robots:
        line = next(line for line in result.stdout.splitlines() if message_id_of(raw) in line)
        assert ": ignored (" in line, result
    sent = bot.sent()
    assert [m.rcpt_tos for m in sent.messages] == [[ANNA[2]]]
    info = bot.status()
    assert info["messages"]["ignored"] == 3
    assert info["messages"]["registered"] == 1
    assert info["messages_total"] == 4
    assert info["outbox"]["sent"] == 1 and sum(info["outbox"].values()) == 1

    # The folders exist under the server's own spelling ("." is Dovecot's Maildir++ separator) ...
    with bot.imap.client(ADDRESS) as client:
        names = {name for _flags, _delim, name in client.list_folders()}
    assert folder_delimiter(bot.imap) == "."
    assert {"Registrations.Processed", "Registrations.Review"} <= names
    # ... and every message left the inbox for the processed folder.
    folders = bot.folders()
    assert folders["INBOX"] == []
    assert folders[REVIEW] == []
    assert sorted(folders[PROCESSED]) == sorted(message_id_of(raw) for raw in [*robots, person])
    assert bot.workbook().review == []  # ignored mail is not work for the organiser

    # Our own confirmation coming back into the inbox (a forward, a misrouted copy) is no sign-up:
    # answering it would start a mail loop.
    bot.append(sent.messages[0].data)
    again = bot.poll()
    assert "1 ignored" in again.stdout and "sent 0" in again.stdout, again
    assert len(bot.sent().messages) == 1


def test_cancellation_marks_the_row_and_sends_one_receipt_and_a_question_goes_to_review(bot: Bot) -> None:
    bot.append(signup_sv(*ANNA))
    bot.poll()
    cancel, question = cancel_sv(*ANNA), question_sv(*KARIN)
    bot.append(cancel, question)

    result = bot.poll()
    assert "1 cancelled" in result.stdout and "1 review" in result.stdout, result

    book = bot.workbook()
    assert book.by_email()[ANNA[2]]["Status"] == "Avanmäld"
    assert KARIN[2] not in book.by_email()
    [review] = book.review
    assert review["Avsändare"] == KARIN[2]
    assert review["Ämne"] == "Fråga om parkering"
    assert review["Läge"] == "review"

    sent = bot.sent()
    assert sent.to(KARIN[2]) == []
    confirmation, receipt = sent.to(ANNA[2])
    assert str(confirmation.message["Subject"]).startswith("Du är anmäld")
    assert str(receipt.message["Subject"]) == "Din anmälan till Testträffen är avbokad"
    assert receipt.message["In-Reply-To"] == message_id_of(cancel)
    assert receipt.message["Auto-Submitted"] == "auto-replied"

    info = bot.status()
    assert info["registrations"] == {"registered": 0, "cancelled": 1, "pending": 0, "waitlisted": 0}
    assert info["seats_registered"] == 0
    folders = bot.folders()
    assert folders["INBOX"] == []
    assert folders[REVIEW] == [message_id_of(question)]
    assert message_id_of(cancel) in folders[PROCESSED]

    # Cancelling twice gives no second receipt.
    bot.append(cancel_sv(*ANNA))
    bot.poll()
    assert len(bot.sent().to(ANNA[2])) == 2
    assert bot.status()["registrations"]["cancelled"] == 1


def test_status_json_counts_every_message_registration_and_mail(bot: Bot) -> None:
    signups = [signup_sv(*ANNA), signup_en(*JOHN), signup_sv("Lars", "Nyberg", "lars.nyberg@example.se")]
    others = [
        out_of_office("olle.franvarande@example.se", "Olle Frånvarande"),
        newsletter(),
        question_sv(*KARIN),
        cancel_sv("Per", "Holm", "per.holm@example.se"),  # not registered: a person must look
        signups[0],  # the very same bytes again: a duplicate, not a second registration
    ]
    appended = bot.append(*signups, *others)

    bot.poll()
    info = bot.status()

    assert info["messages_total"] == appended == sum(info["messages"].values())
    assert info["messages"] == {
        "registered": 3,
        "updated": 0,
        "cancelled": 0,
        "ignored": 3,
        "review": 2,
        "failed": 0,
        "privacy": 0,
    }
    assert info["registrations"] == {"registered": 3, "cancelled": 0, "pending": 0, "waitlisted": 0}
    assert info["seats_registered"] == 3
    assert info["outbox"]["sent"] == 3
    assert sum(info["outbox"].values()) == 3
    assert info["outbox_problems"] == []
    assert info["last_cycle"]["outcome"] == "ok"
    assert info["workbook"]["up_to_date"] is True and info["workbook"]["error"] is None
    assert info["smtp"] == {"paused": None, "paused_until": None, "outage": None}
    assert len(bot.sent().messages) == 3
    assert len(bot.workbook().review) == 2


def test_export_writes_a_workbook_with_our_header_and_a_review_sheet(bot: Bot, tmp_path: Path) -> None:
    bot.append(signup_sv(*ANNA), question_sv(*KARIN))
    bot.poll()
    target = tmp_path / "elsewhere" / "export.xlsx"

    result = bot.run("export", "--output", target)

    assert result.code == 0, result
    assert str(target) in result.stdout
    book = read_workbook(target)
    assert book.sheet_names == ["Anmälda", "Att granska", "Sammanfattning", "Ändringar"]
    assert book.header == HEADER_SV
    assert book.review_header == REVIEW_HEADER_SV
    [row] = book.rows
    assert (row["Namn"], row["E-post"], row["Status"], row["ID"]) == ("Anna Svensson", ANNA[2], "Anmäld", "R0001")
    [review] = book.review
    assert review["Avsändare"] == KARIN[2] and review["Meddelande"].startswith("M")
    # Exporting elsewhere leaves the organiser's own workbook as it was ...
    assert read_workbook(bot.workbook_path) == book
    # ... and without --output, export rebuilds that one.
    bot.workbook_path.unlink()
    again = bot.run("export")
    assert again.code == 0, again
    assert read_workbook(bot.workbook_path) == book
    assert len(bot.sent().messages) == 1  # export never sends mail


def test_replies_held_by_the_circuit_breaker_go_out_when_the_organiser_releases_them(
    tmp_path: Path, dovecot: Dovecot, smtp_sink: SmtpSink
) -> None:
    bot = Bot.create(tmp_path / "bot", dovecot, smtp_sink, {"limits": {"inbound_per_minute": 2}})
    bot.append(signup_sv(*ANNA), signup_en(*JOHN), signup_sv(*KARIN))
    assert bot.poll().code == 0
    info = bot.status()
    assert info["registrations"]["registered"] == 3
    assert info["outbox"]["held"] == 3 and smtp_sink.messages == []

    listed = bot.run("release", "--dry-run")
    assert listed.code == 0 and listed.stdout.count("circuit breaker") == 3, listed
    assert bot.status()["outbox"]["held"] == 3

    [first] = [p["id"] for p in info["outbox_problems"] if ANNA[2] in p["recipient"]]
    one = bot.run("release", str(first))
    assert one.code == 0 and "sent 1" in one.stdout, one
    assert [m.rcpt_tos for m in smtp_sink.messages] == [[ANNA[2]]]

    rest = bot.run("release")
    assert rest.code == 0 and "sent 2" in rest.stdout, rest
    assert sorted(r for m in smtp_sink.messages for r in m.rcpt_tos) == sorted([ANNA[2], JOHN[2], KARIN[2]])
    assert "no held mail" in bot.run("release").stdout
    assert bot.status()["outbox"] == {**bot.status()["outbox"], "held": 0, "sent": 3}
