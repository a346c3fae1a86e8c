"""Privacy (GDPR, Swedish public sector; issue 6): the notice, erasure, "my data", the purge, clean logs.

The end-to-end tests drive ``python -m registration_bot`` against a real
Dovecot and a real aiosmtpd on 127.0.0.1 and then look where personal data
could hide: the bytes of the SQLite file and its WAL, ``status --json``, every
cell of the workbook and of each kept version, the mail that went out, and
the IMAP folders. The unit tests at the end pin the rules (what counts as a
request, what confirms one, the one guard against mailing an erased person).
"""

from __future__ import annotations

import re
import sqlite3
from collections import Counter
from contextlib import closing
from datetime import date, timedelta
from email.utils import make_msgid
from pathlib import Path

import pytest
from e2e_helpers import Bot, message, run_cli, signup_en, signup_sv
from openpyxl import load_workbook

from registration_bot.compose import Templates
from registration_bot.decide import PrivacyFacts, decide
from registration_bot.details import extract
from registration_bot.devservers import Dovecot, SmtpSink
from registration_bot.intent import classify_intent, confirms_erasure
from registration_bot.ledger import Ledger
from registration_bot.models import Action, Guest, InboundMail, Intent, Verdict
from registration_bot.settings import ConfigError, load_settings
from registration_bot.worker import Worker

SAGA = ("Saga", "Wennerholm", "saga.wennerholm@example.se")
ANNA = ("Anna", "Lindqvist", "anna.lindqvist@example.se")
JOHN = ("John", "Kettleworth", "john.kettleworth@example.com")
KARIN = ("Karin", "Östergren", "karin.ostergren@example.se")
QUESTION_SV = "Bekräfta att dina uppgifter ska raderas"
RECEIPT_SV = "Dina uppgifter är raderade"
EXPORT_SV = "Det här har vi sparat om dig"
EXPORT_EN = "What we keep about you"


@pytest.fixture
def bot(tmp_path: Path, dovecot: Dovecot, smtp_sink: SmtpSink) -> Bot:
    return Bot.create(tmp_path / "bot", dovecot, smtp_sink)


# -- helpers ---------------------------------------------------------------------------


def person(who: tuple[str, str, str]) -> dict[str, str]:
    return {"name": f"{who[0]} {who[1]}"}


def ask(who: tuple[str, str, str], subject: str, text: str, **kwargs) -> bytes:
    return message(who[2], subject, f"Hej!\n\n{text}\n\nMvh\n{who[0]} {who[1]}\n", **person(who), **kwargs)


def to(bot: Bot, address: str, subject: str = "") -> list:
    return [m for m in bot.sent().to(address) if str(m.message["Subject"]).startswith(subject)]


def text_of(received) -> str:
    return received.message.get_body(preferencelist=("plain",)).get_content()


def reply(to_mail, who: tuple[str, str, str], text: str) -> bytes:
    """A Gmail-style reply to ``to_mail``: threaded by In-Reply-To and References, the original quoted."""
    original = to_mail.message
    quoted = "\n".join(f"> {line}" for line in text_of(to_mail).splitlines())
    body = f"{text}\n\nDen tors 27 nov. 2026 kl 11:12 skrev {original['From']}:\n{quoted}\n"
    return message(
        who[2],
        f"Re: {original['Subject']}",
        body,
        **person(who),
        headers={"In-Reply-To": original["Message-ID"], "References": original["Message-ID"]},
    )


def workbook_text(path: Path) -> str:
    book = load_workbook(path, read_only=True, data_only=True)
    try:
        cells = (v for sheet in book.worksheets for row in sheet.iter_rows(values_only=True) for v in row)
        return "\n".join(str(v) for v in cells if v is not None)
    finally:
        book.close()


def versions(bot: Bot) -> list[Path]:
    return sorted((bot.workdir / "attendees.versions").glob("*.xlsx"))


def traces(bot: Bot, *needles: str) -> dict[str, list[str]]:
    """Where any of ``needles`` still appears: state file bytes, status, the workbook and its versions."""
    found: dict[str, list[str]] = {}

    def look(place: str, haystack: str | bytes) -> None:
        lowered = haystack.lower()
        hits = [n for n in needles if (n.lower().encode() if isinstance(lowered, bytes) else n.lower()) in lowered]
        if hits:
            found[place] = hits

    for path in sorted(bot.workdir.glob("state.sqlite3*")):
        look(path.name, path.read_bytes())
    look("status --json", bot.run("status", "--json").stdout)
    for path in [bot.workbook_path, *versions(bot)]:
        if path.exists():
            look(path.name, workbook_text(path))
    return found


def db_rows(bot: Bot, sql: str) -> list[tuple]:
    with closing(sqlite3.connect(bot.state_path)) as db:  # closed: an open reader would hold the WAL
        return [tuple(row) for row in db.execute(sql)]


def dump(bot: Bot) -> list[str]:
    with closing(sqlite3.connect(bot.state_path)) as db:
        return list(db.iterdump())


def mailbox(bot: Bot) -> Counter[str]:
    """Every message in every IMAP folder, by Message-ID: what the bot must never delete."""
    return Counter(mid for ids in bot.folders().values() for mid in ids)


# -- the notice ---------------------------------------------------------------------------


def test_confirmations_waitlist_and_promotion_carry_the_notice_in_the_writers_language(
    tmp_path: Path, dovecot: Dovecot, smtp_sink: SmtpSink
) -> None:
    changes = {"event": {"date": "2027-03-12 17:00", "capacity": 1}, "privacy": {"retention_days_after_event": 30}}
    bot = Bot.create(tmp_path / "bot", dovecot, smtp_sink, changes)
    bot.append(signup_sv(*SAGA), signup_en(*JOHN))
    bot.poll()
    bot.append(message(SAGA[2], "Avanmälan", "Jag måste tyvärr avanmäla mig.\n\nSaga Wennerholm", **person(SAGA)))
    bot.poll()  # John is promoted

    (confirmation,) = to(bot, SAGA[2], "Du är anmäld")
    sv = text_of(confirmation)
    assert "Om dina personuppgifter" in sv and "About your personal data" not in sv
    assert "sparas 30 dagar efter evenemanget (till 2027-04-11)" in sv
    assert '"mina uppgifter"' in sv and '"radera mina uppgifter"' in sv and "imy.se" in sv
    assert sv.index("Om dina personuppgifter") > sv.index("Välkommen!")  # at the end
    for subject in ("You are on the waiting list", "A seat is free"):
        (mail,) = to(bot, JOHN[2], subject)
        en = text_of(mail)
        assert "About your personal data" in en and "Om dina personuppgifter" not in en, subject
        assert "kept 30 days after the event (until 2027-04-11)" in en, subject
        assert '"my data"' in en and '"delete my data"' in en, subject
    assert all("${" not in text_of(m) for m in bot.sent().messages)


def test_the_organiser_rewrites_the_notice_like_any_template(tmp_path: Path, dovecot: Dovecot, smtp_sink) -> None:
    own = tmp_path / "templates"
    own.mkdir()
    (own / "privacy_notice.sv.txt").write_text(
        "Dataskydd: ${organiser} sparar dina uppgifter ${retention}. Frågor: dataskyddsombud@kommun.example.se\n",
        encoding="utf-8",
    )
    changes = {"templates": {"dir": str(own)}, "privacy": {"retention_days_after_event": 0}}
    bot = Bot.create(tmp_path / "bot", dovecot, smtp_sink, changes)
    bot.append(signup_sv(*SAGA), signup_en(*JOHN))
    bot.poll()
    sv = text_of(to(bot, SAGA[2], "Du är anmäld")[0])
    assert "Dataskydd: Anmälan Testträffen sparar dina uppgifter tills arrangören raderar dem." in sv
    assert "Om dina personuppgifter" not in sv
    en = text_of(to(bot, JOHN[2], "You are registered")[0])
    assert "About your personal data" in en and "until the organiser deletes it" in en  # the built-in one

    (own / "privacy_notice.en.txt").write_text("${privacy_notice} again\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"privacy_notice\.en\.txt: unknown placeholder\(s\) privacy_notice"):
        Templates(own)


# -- erasure by mail -------------------------------------------------------------------------


def test_erasure_by_mail_needs_a_reply_to_our_question_and_then_leaves_no_trace(bot: Bot) -> None:
    bot.append(signup_sv(*SAGA), signup_sv(*ANNA))
    bot.poll()
    bot.append(ask(SAGA, "Fråga om parkering för Saga Wennerholm", "Finns det parkering vid lokalen?"))
    bot.poll()
    bot.append(ask(SAGA, "Ändring", "Jag vill ändra min anmälan: jag är numera vegetarian."))
    bot.poll()
    assert versions(bot), "the workbook keeps old versions, which hold her too"
    assert set(traces(bot, SAGA[2], "Wennerholm")) >= {"state.sqlite3", "attendees.xlsx"}

    bot.append(ask(SAGA, "Radera mina uppgifter", "Radera mina uppgifter, tack."))
    bot.poll()
    (question,) = to(bot, SAGA[2], QUESTION_SV)
    assert "Svara på det här mejlet" in text_of(question)
    assert bot.status()["registrations"]["registered"] == 2, "a request alone erases nothing"

    bot.append(reply(question, SAGA, "Ja, radera."))
    with closing(sqlite3.connect(bot.state_path)) as keeper:  # like a running service: the WAL outlives `poll`
        keeper.execute("SELECT COUNT(*) FROM messages").fetchall()
        bot.poll()
        assert (bot.workdir / "state.sqlite3-wal").exists()
        assert traces(bot, SAGA[2], "Wennerholm", "saga.wennerholm") == {}

    (receipt,) = to(bot, SAGA[2], RECEIPT_SV)
    assert "saltad kontrollsumma" in text_of(receipt)
    info = bot.status()
    assert info["registrations"]["registered"] == 1
    assert info["messages_total"] == 6 == sum(info["messages"].values())
    assert info["messages"]["privacy"] == 2 and info["messages"]["review"] == 1 and info["messages"]["updated"] == 1
    assert traces(bot, SAGA[2], "Wennerholm", "saga.wennerholm") == {}
    assert "anna.lindqvist@example.se" in bot.workbook().by_email()
    assert not versions(bot)
    ((recipient, payload),) = db_rows(bot, "SELECT recipient, length(payload) FROM outbox WHERE kind = 'erased'")
    assert re.fullmatch(r"[0-9a-f]{64}", recipient) and payload == 0
    assert len(db_rows(bot, "SELECT hash FROM erased")) == 1

    # Never answered again, and recorded without who wrote or what about.
    sent_before = len(bot.sent().messages)
    bot.append(signup_sv(*SAGA), ask(SAGA, "Mina uppgifter", "Mina uppgifter"))
    bot.poll()
    assert len(bot.sent().messages) == sent_before
    assert bot.status()["messages"]["review"] == 3
    assert traces(bot, SAGA[2], "Wennerholm") == {}


def test_an_unconfirmed_request_and_false_confirmations_erase_nothing(bot: Bot) -> None:
    bot.append(signup_sv(*SAGA), signup_sv(*ANNA))
    bot.poll()
    bot.append(ask(SAGA, "GDPR", "Jag vill att ni raderar alla uppgifter ni har om mig."))
    bot.poll()
    bot.poll()
    (question,) = to(bot, SAGA[2], QUESTION_SV)

    bot.append(ask(SAGA, "Radering", "Ja, jag bekräftar."))  # a yes, but not a reply: anyone can forge a From
    bot.append(reply(question, SAGA, "Nej, radera inte! Det var inte jag."))
    bot.append(reply(question, ANNA, "Bekräftar."))  # a reply, but from another address
    bot.poll()

    assert to(bot, SAGA[2], RECEIPT_SV) == []
    assert db_rows(bot, "SELECT COUNT(*) FROM erased") == [(0,)]
    info = bot.status()
    assert info["registrations"]["registered"] == 2
    assert info["messages"]["privacy"] == 1 and info["messages"]["review"] == 3
    assert SAGA[2] in bot.workbook().by_email()


def test_the_organisers_erase_command(bot: Bot) -> None:
    bot.append(signup_sv(*SAGA), signup_sv(*ANNA))
    bot.poll()
    bot.append(ask(SAGA, "Ändring", "Jag vill ändra min anmälan: vi blir två."))
    bot.poll()
    assert versions(bot)
    sent_before = len(bot.sent().messages)

    result = bot.run("erase", SAGA[2].upper())
    assert result.code == 0, result
    assert "erased registration R0001, 2 recorded message(s)" in result.stdout
    assert "old version(s) deleted" in result.stdout
    assert len(bot.sent().messages) == sent_before, "the organiser's erasure mails nobody"
    assert bot.status()["registrations"]["registered"] == 1
    assert traces(bot, SAGA[2], "Wennerholm") == {}

    again = bot.run("erase", SAGA[2])
    assert again.code == 0 and "already erased" in again.stdout
    unknown = bot.run("erase", "nobody@example.se")
    assert unknown.code == 0 and "nothing stored" in unknown.stdout
    assert bot.run("erase", "not-an-address").code == 2

    bot.append(signup_sv(*SAGA), signup_sv("Ny", "Person", "nobody@example.se"))
    bot.poll()
    assert len(bot.sent().messages) == sent_before, "an erased address is never mailed again"


# -- "my data" ---------------------------------------------------------------------------------


def test_my_data_is_sent_to_the_sender_only_and_holds_only_their_data(bot: Bot) -> None:
    bot.append(
        ask(SAGA, "Anmälan", "Jag vill anmäla mig. Jag jobbar på Lantmäteriet och är vegetarian."),
        signup_sv(*ANNA),
    )
    bot.poll()
    bot.append(ask(SAGA, "Mina uppgifter", "Mina uppgifter", headers={"Reply-To": "eve@evil.example.net"}))
    bot.poll()

    exports = [m for m in bot.sent().messages if str(m.message["Subject"]).startswith(EXPORT_SV)]
    assert len(exports) == 1
    assert exports[0].rcpt_tos == [SAGA[2]] and str(exports[0].message["To"]) == SAGA[2]
    text = text_of(exports[0])
    for expected in ("Namn: Saga Wennerholm", f"E-post: {SAGA[2]}", "Lantmäteriet", "vegetarisk", "Status: Anmäld"):
        assert expected in text, expected
    assert '"Anmälan"  (anmälan)' in text and '"Mina uppgifter"' in text
    assert "bekräftelse (skickat)" in text
    assert ANNA[2] not in text and "Lindqvist" not in text

    bot.append(message("eve@evil.example.net", "my data", "What data do you have about me?", name="Eve"))
    bot.poll()
    (eves,) = [m for m in bot.sent().messages if str(m.message["Subject"]).startswith(EXPORT_EN)]
    assert eves.rcpt_tos == ["eve@evil.example.net"]
    assert "We have no registration from this address." in text_of(eves)
    assert SAGA[2] not in text_of(eves) and "Wennerholm" not in text_of(eves)


# -- retention -----------------------------------------------------------------------------------


def test_purge_waits_for_the_retention_time_then_dry_run_lists_and_purge_removes(
    tmp_path: Path, dovecot: Dovecot, smtp_sink: SmtpSink
) -> None:
    soon = (date.today() + timedelta(days=10)).isoformat()
    bot = Bot.create(tmp_path / "bot", dovecot, smtp_sink, {"event": {"date": soon}})
    bot.append(signup_sv(*SAGA), signup_en(*JOHN), ask(ANNA, "Fråga", "Finns det parkering?"))
    bot.poll()
    bot.append(ask(SAGA, "Ändring", "Jag vill ändra min anmälan: vi blir två."))
    bot.poll()
    everyone = (SAGA[2], JOHN[2], ANNA[2], "Wennerholm", "Kettleworth", "Lindqvist")
    assert versions(bot)

    early = bot.run("purge")
    assert early.code == 0 and "not due until" in early.stdout and "registrations: 2" in early.stdout
    assert bot.status()["registrations"]["registered"] == 2

    past = (date.today() - timedelta(days=91)).isoformat()
    Bot.create(bot.workdir, dovecot, smtp_sink, {"event": {"date": past}})  # the event is long over
    before, book, kept, states = dump(bot), bot.workbook_path.read_bytes(), versions(bot), bot.status()["messages"]
    folders_before = mailbox(bot)

    dry = bot.run("purge", "--dry-run")
    assert dry.code == 0, dry
    assert "dry run, nothing changed" in dry.stdout
    assert f"R0001 Saga Wennerholm <{SAGA[2]}>" in dry.stdout and "registrations: 2" in dry.stdout
    assert "IMAP mailbox is not touched" in dry.stdout
    assert dump(bot) == before and bot.workbook_path.read_bytes() == book and versions(bot) == kept

    done = bot.run("purge")
    assert done.code == 0, done
    assert "removed:" in done.stdout and "workbook written" in done.stdout
    assert traces(bot, *everyone) == {}
    info = bot.status()
    assert info["messages"] == states, "the ledger rows and their states stay"
    assert sum(info["registrations"].values()) == 0
    assert bot.workbook().rows == [] and not versions(bot)
    assert mailbox(bot) == folders_before


def test_the_cycle_purges_when_due_and_never_deletes_mail_from_the_mailbox(
    tmp_path: Path, dovecot: Dovecot, smtp_sink: SmtpSink
) -> None:
    past = (date.today() - timedelta(days=31)).isoformat()
    changes = {"event": {"date": past}, "privacy": {"retention_days_after_event": 30}}
    bot = Bot.create(tmp_path / "bot", dovecot, smtp_sink, changes)
    bot.append(signup_sv(*SAGA), signup_en(*JOHN), ask(ANNA, "Radera mina uppgifter", "Radera mina uppgifter"))
    before = mailbox(bot)
    assert sum(before.values()) == 3

    bot.poll()

    assert mailbox(bot) == before, "moved to the processed folders, never deleted"
    assert set(bot.folders()["INBOX"]) == set()
    assert len(to(bot, SAGA[2], "Du är anmäld")) == 1, "mail queued in the cycle went out before the purge"
    assert traces(bot, SAGA[2], JOHN[2], ANNA[2], "Wennerholm", "Kettleworth") == {}
    assert bot.status()["messages"]["registered"] == 2


# -- logs ------------------------------------------------------------------------------------------


def test_logs_at_info_level_carry_no_names_and_no_addresses(bot: Bot) -> None:
    bot.smtp.reject_recipient(JOHN[2], f"550 5.1.1 <{JOHN[2]}>: Recipient address rejected")
    bot.append(
        signup_sv(*SAGA),
        signup_en(*JOHN),
        ask(ANNA, "Anmälan", "Jag vill anmäla mig och min kollega Per Persson (per.persson@example.se)."),
        ask(KARIN, "Fråga om 'Karin Östergren'", "Finns det parkering? Skriv till karin.ostergren@example.se"),
        message("okand.person@example.se", "Avanmälan", "Jag vill avanmäla mig.", name="Okänd Persson"),
        message("anmalan@example.org", "Loop", "Jag vill anmäla mig", name="Oss Själva"),
    )
    first = bot.poll()
    bot.append(ask(SAGA, "Mina uppgifter", "Mina uppgifter"), ask(KARIN, "Radera", "Radera mina uppgifter."))
    second = run_cli("--log-format", "json", "poll", "--config", bot.config)
    assert second.code == 0, second
    assert "uid=" in first.stdout and '"uid"' in second.stdout, "the polls did log, at info level"
    needles = [who[i] for who in (SAGA, JOHN, ANNA, KARIN) for i in (1, 2)]
    needles += ["per.persson", "Persson", "okand.person", "Östergren"]
    for result in (first, second):
        leaked = [n for n in needles if n.lower() in result.output.lower()]
        assert leaked == [], f"{leaked} in the log:\n{result.output}"
    assert len(to(bot, JOHN[2])) == 0 and bot.status()["outbox"]["failed"] == 1  # the 550 was logged, without him

    # The same search finds an address that is logged on purpose at debug level: the search works.
    debug = run_cli("--log-level", "debug", "erase", ANNA[2], "--config", bot.config)
    assert debug.code == 0 and ANNA[2] in debug.stderr
    info = run_cli("erase", SAGA[2], "--config", bot.config)
    assert info.code == 0 and SAGA[2] in info.stdout and SAGA[2] not in info.stderr


# -- the rules, without servers ------------------------------------------------------------------

REQUESTS = [
    ("Radera mina uppgifter", Intent.ERASE),
    ("Hej! Kan ni ta bort mina personuppgifter? Tack!", Intent.ERASE),
    ("Jag vill att ni raderar all information ni har om mig.", Intent.ERASE),
    ("Glöm mig.", Intent.ERASE),
    ("I write to ask you to delete my data.", Intent.ERASE),
    ("Om jag avanmäler mig, raderar ni mina uppgifter då?", None),
    ("Please delete my data.", Intent.ERASE),
    ("Could you erase my personal data?", Intent.ERASE),
    ("Remove all information you have about me.", Intent.ERASE),
    ("Mina uppgifter", Intent.DATA_REQUEST),
    ("Jag vill begära ett registerutdrag.", Intent.DATA_REQUEST),
    ("Vilka uppgifter har ni sparat om mig?", Intent.DATA_REQUEST),
    ("What data do you have about me?", Intent.DATA_REQUEST),
    ("my data", Intent.DATA_REQUEST),
    # not requests
    ("Raderas mina uppgifter efter träffen?", Intent.QUESTION),
    ("Do you delete my data after the event?", Intent.QUESTION),
    ("Will you delete my data after the event?", Intent.QUESTION),
    ("Ni behöver inte radera mina uppgifter, jag kommer gärna nästa år också!", None),
    ("Jag vill uppdatera mina uppgifter: jag jobbar numera på SCB.", Intent.UPDATE),
    ("Mina uppgifter:\nNamn: Anna Berg\nOrganisation: SCB\nJag vill anmäla mig.", Intent.SIGNUP),
    (
        "Jag vill anmäla mig!\nNär du skickar e-post till Skatteverket behandlar vi dina personuppgifter i "
        "enlighet med dataskyddsförordningen. Läs mer på skatteverket.se/personuppgifter.",
        Intent.SIGNUP,
    ),
    ('Svara "radera mina uppgifter" för att få det borttaget.', Intent.QUESTION),  # our own notice, quoted back
    ("Jag kan tyvärr inte komma, ta bort mig från listan.", Intent.CANCEL),
]


@pytest.mark.parametrize(("text", "expected"), REQUESTS, ids=[t[:40] for t, _ in REQUESTS])
def test_privacy_requests_are_read_from_the_writers_own_words(text: str, expected: Intent | None) -> None:
    found = classify_intent(InboundMail(text=text, subject="Hej"))
    if expected is None:
        assert found.value not in (Intent.ERASE, Intent.DATA_REQUEST), found
    else:
        assert found.value is expected, found


def test_a_subject_alone_can_carry_the_request() -> None:
    assert classify_intent(InboundMail(text="", subject="Radera mina uppgifter")).value is Intent.ERASE
    assert classify_intent(InboundMail(text="Tack!", subject="Mina uppgifter")).value is Intent.DATA_REQUEST
    assert classify_intent(InboundMail(text="", subject="Re: Mina uppgifter")).value is Intent.QUESTION


@pytest.mark.parametrize(
    ("text", "expected"),
    [("Ja", True), ("", True), ("Yes, please.", True), ("Bekräftar", True), ("Nej, radera inte!", False),
     ("No!", False), ("I changed my mind", False), ("Vad betyder det här?", None)],
)  # fmt: skip
def test_what_confirms_an_erasure(text: str, expected: bool | None) -> None:
    assert confirms_erasure(InboundMail(text=text)) is expected


def _decide(text: str, facts: PrivacyFacts, automatic: bool = False):
    mail = InboundMail(sender="saga@example.se", display_name="Saga Wennerholm", text=text, subject="Re: Bekräfta")
    ex = None if automatic else extract(mail, "sv", frozenset())
    return decide(mail, Verdict(automatic=automatic, reason="auto-replied"), ex, None, privacy=facts)


def test_decide_follows_the_privacy_rules() -> None:
    assert _decide("Ja", PrivacyFacts(erase_pending=True, replies_to_confirm=True)).action is Action.ERASE
    assert _decide("Nej tack", PrivacyFacts(erase_pending=True, replies_to_confirm=True)).action is Action.REVIEW
    not_threaded = _decide("Ja", PrivacyFacts(erase_pending=True))
    assert not_threaded.action is Action.REVIEW and "not a reply" in not_threaded.reason
    assert _decide("Ja", PrivacyFacts()).action is Action.REGISTER  # a plain yes, as before
    assert _decide("Radera mina uppgifter", PrivacyFacts()).action is Action.ERASE_REQUEST
    assert _decide("Mina uppgifter", PrivacyFacts()).action is Action.DATA_EXPORT
    erased = _decide("Jag vill anmäla mig", PrivacyFacts(erased=True))
    assert erased.action is Action.REVIEW and "erased" in erased.reason
    assert _decide("Frånvaro", PrivacyFacts(erased=True), automatic=True).action is Action.IGNORE


def test_no_mail_can_be_queued_to_an_erased_person_and_nobody_can_register_them(tmp_path: Path) -> None:
    config = tmp_path / "c.toml"
    config.write_text(
        '[imap]\nhost = "127.0.0.1"\nsecurity = "none"\nusername = "anmalan@example.org"\n'
        '[smtp]\nhost = "127.0.0.1"\nsecurity = "none"\nfrom_address = "anmalan@example.org"\n'
    )
    worker = Worker(load_settings(config), Ledger(tmp_path / "state.sqlite3"))
    ledger, registry = worker.ledger, worker.recorder.registry
    worker.process_message(1, 1, signup_sv(*SAGA))
    worker.process_message(1, 2, signup_sv(*ANNA))
    with ledger.transaction() as db:
        change = "INSERT INTO changes (at, registration_id, field, old, new, action) VALUES ('now', ?, ?, ?, ?, 'x')"
        db.execute(change, (1, "diet", "", "vegetarian"))
        db.execute(change, (None, "email", "", SAGA[2]))  # a workbook row that named her, without an ID
        db.execute(change, (2, "seats", "1", "2"))
    with ledger.transaction():
        erasure = worker.recorder.privacy.erase(SAGA[2], why="erased by the organiser")
    assert [tuple(r) for r in ledger.db.execute("SELECT registration_id FROM changes")] == [(2,)]
    assert erasure.registration == "R0001" and ledger.is_erased(SAGA[2].upper())
    with ledger.transaction():
        queued = ledger.queue_mail(
            kind="x", dedup_key="x", recipient=SAGA[2], message_id=make_msgid(), payload=b"x", held=""
        )
        anna = ledger.registration_by_email(ANNA[2])
        registry.invite_guests(anna, (Guest(name="Saga Wennerholm", email=SAGA[2]),), "sv", 2)
    assert queued is False
    assert ledger.registration_by_email(SAGA[2]) is None
    assert ledger.db.execute("SELECT COUNT(*) FROM outbox WHERE recipient = ?", (SAGA[2],)).fetchone()[0] == 0
