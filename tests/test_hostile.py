"""Hostile and broken input: each message is recorded with a reason, and the loop goes on.

Every case is real message bytes, run two ways:

* through :meth:`Worker.process_message` with a real :class:`Ledger` (no servers):
  exactly one ledger row in a known state with a reason, no reply unless the mail
  is a genuine sign-up from one valid sender, and the next ordinary sign-up after
  it is still registered and answered;
* all of them together in one real Dovecot mailbox through the real ``poll``
  command and a real aiosmtpd sink: ``poll`` exits 0, ``status --json`` counts
  every message, the inbox ends empty, only genuine sign-ups get a reply, replies
  carry no injected header, and the workbook holds text, never formulas.

Two cases cannot reach the server exactly as built: Dovecot refuses a 0-byte
APPEND ("Can't save a zero byte message"), so the mailbox gets a CRLF-only message
instead, and Dovecot stores a NUL byte as 0x80, so NULs are only seen unchanged by
the in-process run. Oversized mail is decided before anything is fetched (by
``RFC822.SIZE``), so it is tested through ``poll_inbox`` on a real Dovecot rather
than through ``process_message``.
"""

from __future__ import annotations

import email
import email.policy
import functools
import gc
import hashlib
import random
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from email.utils import getaddresses
from pathlib import Path

import pytest
from e2e_helpers import (
    ADDRESS,
    REVIEW,
    Bot,
    base_config,
    server_folder,
    signup_en,
    signup_sv,
    wait_until,
    write_config,
)
from openpyxl import load_workbook

from registration_bot.devservers import Dovecot, SmtpSink
from registration_bot.ledger import Ledger
from registration_bot.mailbox import Mailbox
from registration_bot.reading import read_message
from registration_bot.settings import load_settings
from registration_bot.worker import Worker

STATES = {"registered", "updated", "cancelled", "ignored", "review", "failed", "privacy"}
CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
FORMULA_START = ("=", "+", "-", "@")
OVERSIZED_LIMIT = 20_000  # [imap] max_message_bytes of the in-process oversized test
CLI_LIMIT = 6_000_000  # ... and of the CLI run, so that the 5 MB header is still read whole

CONFIG = f"""
[imap]
host = "127.0.0.1"
security = "none"
username = "{ADDRESS}"
max_message_bytes = {OVERSIZED_LIMIT}
[smtp]
host = "127.0.0.1"
security = "none"
from_address = "{ADDRESS}"
"""

SIGNUP_SV = "Hej!\r\n\r\nJag vill anmäla mig till träffen.\r\n"
SIGNUP_EN = "Hello,\r\n\r\nI would like to register for the event.\r\n"


# -- message builders ------------------------------------------------------------------


def raw_message(
    sender: str | None,
    body: bytes | str = SIGNUP_SV,
    *,
    subject: str = "Anmälan",
    message_id: str | None = None,
    content_type: str | None = "text/plain; charset=utf-8",
    extra: tuple[str, ...] = (),
) -> bytes:
    """Hand-made wire bytes: the builders of ``email`` refuse most of what is tested here."""
    lines = [f"From: {sender}"] if sender is not None else []
    lines += [
        f"To: {ADDRESS}",
        f"Subject: {subject}",
        "Date: Thu, 26 Nov 2026 09:12:00 +0100",
        f"Message-ID: {message_id or _message_id(sender, subject, body)}",
        "MIME-Version: 1.0",
    ]
    if content_type:
        lines.append(f"Content-Type: {content_type}")
    lines += list(extra)
    head = ("\r\n".join(lines) + "\r\n\r\n").encode("utf-8", "surrogateescape")
    return head + (body.encode("utf-8") if isinstance(body, str) else body)


def _message_id(*parts: object) -> str:
    return f"<{hashlib.sha1(repr(parts).encode()).hexdigest()[:20]}@hostile.example>"


def _deep_nesting(levels: int) -> bytes:
    body = ""
    for level in range(1, levels):
        body += f'--b{level - 1}\r\nContent-Type: multipart/mixed; boundary="b{level}"\r\n\r\n'
    body += f"--b{levels - 1}\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n{SIGNUP_SV}Mvh\r\nDag Djup\r\n"
    for level in reversed(range(levels)):
        body += f"--b{level}--\r\n"
    return raw_message("Dag Djup <dag.djup@example.se>", body, content_type='multipart/mixed; boundary="b0"')


def _many_parts(count: int) -> bytes:
    first = f"--P\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n{SIGNUP_SV}Mvh\r\nMaja Mångdel\r\n"
    rest = "".join(f"--P\r\nContent-Type: text/plain\r\n\r\npart {i}\r\n" for i in range(count - 1))
    return raw_message(
        "Maja Mångdel <maja.mangdel@example.se>",
        first + rest + "--P--\r\n",
        content_type='multipart/mixed; boundary="P"',
    )


def _outlook_msg_blob() -> bytes:
    """The compound-file signature of an Outlook .msg, then seeded noise: not a message at all."""
    rng = random.Random(20261126)
    return bytes.fromhex("d0cf11e0a1b11ae1") + bytes(rng.randrange(256) for _ in range(8192))


def _question_dated(date: str) -> bytes:
    raw = raw_message(
        "Fred Fråga <fred.fraga@example.se>",
        "Hej!\r\n\r\nFinns det parkering vid lokalen?\r\n\r\nMvh\r\nFred Fråga\r\n",
        subject="Fråga om parkering",
    )
    return raw.replace(b"Date: Thu, 26 Nov 2026 09:12:00 +0100", f"Date: {date}".encode())


@dataclass(frozen=True)
class Case:
    id: str
    build: Callable[[], bytes]
    replies_to: str | None = None  # a genuine sign-up from this one valid sender may be answered
    must_register: bool = False  # a reader that copes must register it
    bug: str = ""  # a known product bug: the in-process case is a strict xfail, and it stays out of the CLI run


CASES = [
    Case("deep-mime-nesting-200", lambda: _deep_nesting(200), "dag.djup@example.se"),
    Case("5000-mime-parts", lambda: _many_parts(5000), "maja.mangdel@example.se", must_register=True),
    Case(
        "missing-closing-boundary",
        lambda: raw_message(
            "Bo Gränslös <bo.granslos@example.se>",
            f"--B\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n{SIGNUP_SV}Mvh\r\nBo Gränslös\r\n",
            content_type='multipart/mixed; boundary="B"',
        ),
        "bo.granslos@example.se",
        must_register=True,
    ),
    Case(
        "multipart-without-boundary-parameter",
        lambda: raw_message(
            "Ida Ingengräns <ida.ingengrans@example.se>",
            f"--X\r\nContent-Type: text/plain\r\n\r\n{SIGNUP_SV}--X--\r\n",
            content_type="multipart/mixed",
        ),
        "ida.ingengrans@example.se",
    ),
    Case(
        "nul-bytes-in-headers-and-body",
        lambda: raw_message(
            "Nils\x00 Nollsson <nils.nollsson@example.se>",
            "Hej!\r\n\r\nJag vill anm\x00äla mig till träffen.\x00\r\n\r\nMvh\r\nNils Nollsson\r\n",
            subject="Anm\x00älan",
            extra=("X-Note: a\x00b",),
        ),
        "nils.nollsson@example.se",
    ),
    Case(
        "unknown-charset-x-klingon",
        lambda: raw_message(
            "Klara Klingon <klara.klingon@example.se>",
            f"{SIGNUP_SV}Mvh\r\nKlara Klingon\r\n",
            content_type="text/plain; charset=x-klingon",
        ),
        "klara.klingon@example.se",
        must_register=True,
    ),
    Case(
        "lying-charset-utf8-declared-latin1-sent",
        lambda: raw_message(
            "Kåre Öberg <kare.oberg@example.se>".encode("latin-1").decode("ascii", "surrogateescape"),
            "Hej!\r\n\r\nJag vill anmäla mig till träffen.\r\n\r\nMvh\r\nKåre Öberg\r\n".encode("latin-1"),
        ),
        "kare.oberg@example.se",
        must_register=True,
    ),
    Case("missing-from", lambda: raw_message(None, f"{SIGNUP_SV}Mvh\r\nOkänd\r\n")),
    Case(
        "two-from-headers",
        lambda: raw_message("Anna Ett <anna.ett@example.se>", extra=("From: Bertil Två <bertil.tva@example.se>",)),
    ),
    Case("address-as-display-name", lambda: raw_message("a@x.se <b@y.se>")),
    Case("empty-from-address", lambda: raw_message("<>")),
    Case(
        "encoded-word-injection-in-from-naming-an-address",
        lambda: raw_message(
            "=?utf-8?q?Eve=0D=0ABcc:_victim@x.se?= <eve@example.se>",
            subject="=?utf-8?q?Anm=C3=A4lan=0D=0ABcc:_victim@x.se?=",
        ),
    ),
    Case(
        "encoded-word-injection-in-from",
        lambda: raw_message(
            "=?utf-8?q?Eva_Ek=0D=0AX-Injected:_yes?= <eva.ek@example.se>", f"{SIGNUP_SV}Mvh\r\nEva Ek\r\n"
        ),
        "eva.ek@example.se",
    ),
    Case(
        "encoded-word-injection-in-subject",
        lambda: raw_message(
            "Ebba Ämne <ebba.amne@example.se>",
            f"{SIGNUP_SV}Mvh\r\nEbba Ämne\r\n",
            subject="=?utf-8?q?Anm=C3=A4lan=0D=0ABcc:_victim@x.se=0D=0AX-Injected:_yes?=",
        ),
        "ebba.amne@example.se",
    ),
    Case(
        "formula-as-display-name-and-subject",
        lambda: raw_message(
            '"=HYPERLINK(""http://x"",""y"")" <formel@example.se>', SIGNUP_SV, subject='=HYPERLINK("http://x","y")'
        ),
        "formel@example.se",
    ),
    Case(
        "formulas-in-the-body",
        lambda: raw_message(
            "Fia Formel <fia.formel@example.se>",
            "Hej!\r\n\r\nJag vill anmäla mig till träffen.\r\n"
            "Organisation: +cmd|'/c calc'!A0\r\n"
            'Allergier: =HYPERLINK("http://x","y") @SUM(1)\r\n\r\nMvh\r\nFia Formel\r\n',
            subject="+cmd|'/c calc'!A0",
        ),
        "fia.formel@example.se",
    ),
    Case(
        "at-formula-display-name",
        lambda: raw_message('"@SUM(1)" <summa@example.se>', SIGNUP_EN, subject="@SUM(1)"),
        "summa@example.se",
    ),
    Case(
        "control-characters-in-name-and-body",
        lambda: raw_message(
            "=?utf-8?q?Carl=07_Ctrl=1B=7F=C2=9Bsson?= <carl.ctrl@example.se>",
            "Hej!\r\n\r\nJag vill anmäla mig till träffen.\r\nOrganisation: Evil\x0bCorp\x1b\x07\r\n"
            "Specialkost: vegetarisk\x0c\x01\r\n\r\nMvh\r\nCarl Ctrlsson\r\n",
            subject="Anm\x07älan\x1b",
        ),
        "carl.ctrl@example.se",
    ),
    Case(
        "outlook-message-id-with-brackets",
        lambda: raw_message(
            "Olle Outlook <olle.outlook@example.se>",
            message_id="<[AM0PR07MB1234]@AM0PR07MB1234.eurprd07.prod.outlook.com>",
        ),
        "olle.outlook@example.se",
        must_register=True,
    ),
    Case(
        "message-id-with-trailing-comment",
        lambda: raw_message(
            "Tina Trailing <tina.trailing@example.se>",
            message_id="<AM0PR07MB1234A1B2C3@AM0PR07MB1234.eurprd07.prod.outlook.com> (added by postmaster@x.se)",
        ),
        "tina.trailing@example.se",
        must_register=True,
    ),
    Case(
        "message-id-with-two-ids",
        lambda: raw_message("Jonas Junk <jonas.junk@example.se>", message_id="<foo@bar.com> <extra@junk>"),
        "jonas.junk@example.se",
        must_register=True,
    ),
    Case("zero-bytes", lambda: b""),
    Case(
        "only-headers-no-body",
        lambda: raw_message("Hedda Huvud <hedda.huvud@example.se>", b"").rstrip(b"\r\n") + b"\r\n",
        "hedda.huvud@example.se",
    ),
    Case("binary-outlook-msg-blob", _outlook_msg_blob),
    Case(
        "5mb-single-line-header",
        lambda: raw_message(
            "Stina Stor <stina.stor@example.se>",
            f"{SIGNUP_SV}Mvh\r\nStina Stor\r\n",
            extra=("X-Huge: " + "a" * 5_000_000,),
        ),
        "stina.stor@example.se",
        must_register=True,
    ),
    # Beyond the list: what else a stranger can send.
    Case("deep-mime-nesting-2000", lambda: _deep_nesting(2000)),  # the parser's recursion limit
    Case(
        "non-ascii-address-rfc6532",
        lambda: raw_message("Åsa Ek <åsa.ek@exempel.se>", f"{SIGNUP_SV}Mvh\r\nÅsa Ek\r\n"),
        "åsa.ek@exempel.se",
    ),
    Case(
        "date-in-year-9999-west-of-utc",
        lambda: _question_dated("Fri, 31 Dec 9999 23:59:59 -1200"),
    ),
]
CASE_IDS = [case.id for case in CASES]
CASE_PARAMS = [
    pytest.param(
        case.id,
        marks=[
            pytest.mark.xfail(strict=True, reason=case.bug),
            # openpyxl's half-built sheets complain when collected after the failure; that is the same bug
            pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning"),
        ]
        if case.bug
        else [],
        id=case.id,
    )
    for case in CASES
]


@functools.cache
def raw_of(case_id: str) -> bytes:
    return next(case for case in CASES if case.id == case_id).build()


def by_id(case_id: str) -> Case:
    return next(case for case in CASES if case.id == case_id)


# -- in-process: Worker.process_message with a real ledger ---------------------------------


@pytest.fixture
def worker(tmp_path: Path):
    config = tmp_path / "c.toml"
    config.write_text(CONFIG)
    settings = load_settings(config)
    with Ledger(settings.state.path) as ledger:
        yield Worker(settings, ledger)


def _outbox(worker: Worker, message_row: int | None = None) -> list[dict]:
    query = "SELECT * FROM outbox" + (" WHERE message_row = ?" if message_row is not None else "")
    return [dict(r) for r in worker.ledger.db.execute(query, () if message_row is None else (message_row,))]


def assert_clean_reply(payload: bytes, recipient: str) -> None:
    """One recipient, no Bcc, nothing injected, and every header one line."""
    reply = email.message_from_bytes(payload, policy=email.policy.default)
    assert "Bcc" not in reply and "Cc" not in reply and "X-Injected" not in reply, reply.keys()
    assert [addr.lower() for _name, addr in getaddresses(reply.get_all("To", []))] == [recipient]
    for name, value in reply.items():
        assert "\r" not in str(value) and "\n" not in str(value), (name, value)
        assert not CONTROL.search(str(value)), (name, value)


def assert_workbook_is_text(path: Path) -> list[str]:
    """No formula anywhere; text that looks like one is a string; no control characters or CR/LF."""
    book = load_workbook(path)  # not read-only: cell.data_type says formula or string
    texts: list[str] = []
    try:
        for sheet in book.worksheets:
            for row in sheet.iter_rows():
                for cell in row:
                    if cell.value is None:
                        continue
                    assert cell.data_type != "f", (sheet.title, cell.coordinate, cell.value)
                    if isinstance(cell.value, str):
                        texts.append(cell.value)
                        if cell.value.startswith(FORMULA_START):
                            assert cell.data_type == "s", (sheet.title, cell.coordinate, cell.value)
                        assert "\r" not in cell.value and "\n" not in cell.value, (cell.coordinate, cell.value)
                        assert not CONTROL.search(cell.value), (cell.coordinate, cell.value)
    finally:
        book.close()
    return texts


def export_or_fail(worker: Worker) -> str:
    """Rebuild the workbook; an exception is a test failure, cleaned up here (not in a later test)."""
    try:
        return worker.export_workbook()
    except Exception as exc:  # noqa: BLE001
        problem = f"{type(exc).__name__}: {exc}"
    gc.collect()  # openpyxl's half-written sheets complain when collected; let them do it now
    pytest.fail(f"rebuilding the workbook raised {problem}")


@pytest.mark.parametrize("case_id", CASE_PARAMS)
def test_each_hostile_message_is_recorded_once_with_a_reason_and_the_loop_goes_on(worker: Worker, case_id: str) -> None:
    case = by_id(case_id)
    raw = raw_of(case_id)

    state, destination, row = worker.process_message(1, 1, raw)  # never raises

    rows = [dict(r) for r in worker.ledger.db.execute("SELECT * FROM messages")]
    assert len(rows) == 1 and rows[0]["id"] == row and rows[0]["uid"] == 1
    recorded = rows[0]
    assert recorded["state"] == state and state in STATES, recorded
    assert recorded["reason"].strip(), recorded
    assert destination in (worker.settings.imap.processed_folder, worker.settings.imap.review_folder)
    for column in ("sender", "subject", "message_id", "reason"):
        assert not CONTROL.search(recorded[column]) and "\n" not in recorded[column], (column, recorded[column])

    replies = _outbox(worker)
    if case.replies_to is None:
        assert replies == [], f"{case_id}: answered a message that must not be answered: {recorded}"
        assert state in ("review", "failed", "ignored"), recorded
    else:
        assert len(replies) <= 1, replies
        for reply in replies:
            assert reply["recipient"] == case.replies_to
            assert_clean_reply(reply["payload"], case.replies_to)
    if case.must_register:
        assert state == "registered", recorded
        assert len(replies) == 1, recorded
    for registration in worker.ledger.registrations():
        for column in ("name", "organisation", "diet_text", "email"):
            value = registration[column]
            assert not CONTROL.search(value) and "\ufffd" not in value, (column, value)
            assert "\r" not in value and "\n" not in value, (column, value)

    # The next ordinary sign-up is still registered and answered.
    state2, _dest, row2 = worker.process_message(1, 2, signup_sv("Vanlig", "Person", "vanlig.person@example.se"))
    assert state2 == "registered"
    [next_reply] = _outbox(worker, row2)
    assert next_reply["recipient"] == "vanlig.person@example.se" and next_reply["state"] == "queued"

    # The workbook, rebuilt from this state, holds only text.
    assert export_or_fail(worker) == "written"
    assert_workbook_is_text(worker.settings.workbook.path)


def test_the_lying_charset_is_read_as_latin_1(worker: Worker) -> None:
    worker.process_message(1, 1, raw_of("lying-charset-utf8-declared-latin1-sent"))
    [registration] = worker.ledger.registrations()
    assert registration["name"] == "Kåre Öberg"


def test_nul_bytes_never_reach_the_state(worker: Worker) -> None:
    worker.process_message(1, 1, raw_of("nul-bytes-in-headers-and-body"))
    for table in ("messages", "registrations", "outbox"):
        for row in worker.ledger.db.execute(f"SELECT * FROM {table}"):
            for value in tuple(row):
                if isinstance(value, str | bytes):
                    assert (b"\x00" if isinstance(value, bytes) else "\x00") not in value, (table, value)


def test_injected_lines_stay_inside_one_header(worker: Worker) -> None:
    for uid, case_id in enumerate(["encoded-word-injection-in-from", "encoded-word-injection-in-subject"], start=1):
        worker.process_message(1, uid, raw_of(case_id))
    subjects = [r["subject"] for r in worker.ledger.db.execute("SELECT subject FROM messages ORDER BY id")]
    assert "Bcc: victim@x.se" in subjects[1]  # kept as text on one line, for the organiser to see
    assert all("\r" not in s and "\n" not in s for s in subjects)
    for reply in _outbox(worker):
        assert_clean_reply(reply["payload"], reply["recipient"])
        assert b"victim@x.se" not in reply["payload"].split(b"\r\n\r\n", 1)[0]


def test_microsoft_message_ids_are_kept_and_replies_thread_safely(worker: Worker) -> None:
    ids = ["outlook-message-id-with-brackets", "message-id-with-trailing-comment", "message-id-with-two-ids"]
    for uid, case_id in enumerate(ids, start=1):
        worker.process_message(1, uid, raw_of(case_id))
    stored = [r["message_id"] for r in worker.ledger.db.execute("SELECT message_id FROM messages ORDER BY id")]
    assert stored[0] == "<[AM0PR07MB1234]@AM0PR07MB1234.eurprd07.prod.outlook.com>"
    assert stored[1].startswith("<AM0PR07MB1234A1B2C3@")
    assert stored[2].startswith("<foo@bar.com>")
    for reply in _outbox(worker):
        parsed = email.message_from_bytes(reply["payload"], policy=email.policy.compat32)
        for header in ("In-Reply-To", "References"):
            value = parsed[header]
            assert value is None or re.fullmatch(r"<[^<>\s]+>", value), (header, value)
    assert len(_outbox(worker)) == 3


# -- oversized mail, on a real Dovecot: decided by RFC822.SIZE, never fetched -----------------


class RecordingMailbox(Mailbox):
    """The product's own mailbox, noting which UIDs it fetched whole."""

    fetched: list[int]

    def fetch(self, uids: list[int]) -> dict[int, bytes]:
        self.fetched = [*getattr(self, "fetched", []), *uids]
        return super().fetch(uids)


def test_oversized_mail_goes_to_review_without_its_body_being_fetched(
    tmp_path: Path, dovecot: Dovecot, smtp_sink: SmtpSink
) -> None:
    sections = base_config(tmp_path, dovecot.port, smtp_sink.port)
    sections["imap"]["max_message_bytes"] = OVERSIZED_LIMIT
    settings = load_settings(write_config(tmp_path, sections))
    filler = "".join(f"Rad {i}: bilagan klistrad in som text, {'x' * 40}\r\n" for i in range(640))
    big = raw_message("Bertil Bilaga <bertil.bilaga@example.se>", f"{SIGNUP_SV}Mvh\r\nBertil Bilaga\r\n{filler}")
    assert 50_000 <= len(big) <= 60_000
    raws = [big, raw_of("5mb-single-line-header"), signup_en("John", "Smith", "john.smith@example.com")]
    for raw in raws:
        dovecot.append(ADDRESS, raw)
    boxes: list[RecordingMailbox] = []

    def factory() -> RecordingMailbox:
        boxes.append(RecordingMailbox(settings.imap))
        return boxes[-1]

    with Ledger(settings.state.path) as ledger:
        worker = Worker(settings, ledger, mailbox_factory=factory)
        try:
            states = worker.poll_inbox()
        finally:
            worker.close()
        rows = {r["uid"]: dict(r) for r in ledger.db.execute("SELECT * FROM messages")}
        replies = [r["recipient"] for r in ledger.db.execute("SELECT recipient FROM outbox")]

    assert states == {"review": 2, "registered": 1}
    assert sorted(boxes[0].fetched) == [3]  # only the ordinary sign-up was downloaded
    for uid, raw in ((1, big), (2, raw_of("5mb-single-line-header"))):
        row = rows[uid]
        assert row["state"] == "review" and row["destination"] == REVIEW
        assert "too large" in row["reason"] and str(len(raw)) in row["reason"], row["reason"]
        assert row["size"] == len(raw)
    assert rows[1]["sender"] == "bertil.bilaga@example.se"  # read from the header alone
    assert replies == ["john.smith@example.com"]


# -- everything together, through the real CLI against Dovecot and aiosmtpd --------------------


def _cli_raw(case_id: str) -> bytes:
    if case_id == "zero-bytes":
        return b"\r\n"  # Dovecot refuses to store a 0-byte message; the nearest thing it keeps
    return raw_of(case_id)


def _sessions(log: str) -> list[dict[str, int]]:
    """Dovecot's counters for each IMAP session that logged out (its default imap_logout_format)."""
    return [{k: int(v) for k, v in re.findall(r"(\w+)=(\d+)", line)} for line in re.findall(r"Logged out (.*)", log)]


def test_all_hostile_messages_in_one_mailbox_through_poll(
    tmp_path: Path, dovecot: Dovecot, smtp_sink: SmtpSink
) -> None:
    bot = Bot.create(tmp_path / "bot", dovecot, smtp_sink, {"imap": {"max_message_bytes": CLI_LIMIT}})
    oversized = raw_message("Olga Överstor <olga.overstor@example.se>", SIGNUP_SV + ("y" * 76 + "\r\n") * 82_000)
    assert len(oversized) > CLI_LIMIT
    genuine = [
        ("Anna", "Svensson", "anna.svensson@example.se", signup_sv),
        ("John", "Smith", "john.smith@example.com", signup_en),
    ]
    raws = [genuine[0][3](*genuine[0][:3])]
    raws += [_cli_raw(case.id) for case in CASES if not case.bug]
    raws += [oversized, genuine[1][3](*genuine[1][:3])]
    appended = bot.append(*raws)
    log_before = dovecot.log_path.read_text(errors="replace")

    result = bot.poll()

    assert result.code == 0, result
    assert "Traceback" not in result.output, result
    info = bot.status()
    assert sum(info["messages"].values()) == info["messages_total"] == appended, info["messages"]
    assert set(info["messages"]) == STATES, info["messages"]
    with dovecot.client(ADDRESS) as client:
        inbox = client.folder_status("INBOX", [b"MESSAGES"])[b"MESSAGES"]
        in_review = client.folder_status(server_folder(dovecot, REVIEW), [b"MESSAGES"])[b"MESSAGES"]
    assert inbox == 0
    assert in_review == info["messages"]["review"] + info["messages"]["failed"]

    # Only genuine sign-ups were answered: each once, to exactly one recipient, nothing injected.
    allowed = {case.replies_to for case in CASES if case.replies_to and not case.bug} | {g[2] for g in genuine}
    sent = bot.sent().messages
    recipients = [rcpt.lower() for m in sent for rcpt in m.rcpt_tos]
    assert all(len(m.rcpt_tos) == 1 for m in sent)
    assert set(recipients) <= allowed, set(recipients) - allowed
    assert len(recipients) == len(set(recipients)), recipients
    for m in sent:
        assert_clean_reply(m.data, m.rcpt_tos[0].lower())
    for _first, _last, address, _build in genuine:
        assert recipients.count(address) == 1, address
    for case in CASES:
        if case.must_register and not case.bug:
            assert case.replies_to in recipients, case.id
    assert "olga.overstor@example.se" not in recipients
    assert info["outbox"]["sent"] == len(sent) and info["outbox"]["queued"] == info["outbox"]["retry"] == 0

    # The oversized mail went to review unread: Dovecot counted every other body fetched, not it.
    def poll_session() -> list[dict[str, int]]:
        log = dovecot.log_path.read_text(errors="replace")[len(log_before) :]
        return [session for session in _sessions(log) if session.get("body_count")]

    [session] = wait_until(poll_session, 10, what="Dovecot to log the poll's session")
    assert session["body_count"] == appended - 1, session
    assert session["body_bytes"] < sum(len(raw) for raw in raws if raw is not oversized) + 100_000, session

    # The workbook holds text only: formulas as strings, no control characters, no CR/LF.
    texts = assert_workbook_is_text(bot.workbook_path)
    assert any(t.startswith("=HYPERLINK") for t in texts), texts
    assert any(t.startswith("+cmd|") for t in texts), texts
    assert any("Bcc: victim@x.se" in t for t in texts), texts  # the injected subject, on one line


# -- product bugs found here, through the command line ------------------------------------------


def test_a_non_ascii_sender_address_does_not_stop_the_loop(
    tmp_path: Path, dovecot: Dovecot, smtp_sink: SmtpSink
) -> None:
    bot = Bot.create(tmp_path / "bot", dovecot, smtp_sink)
    bot.append(
        signup_sv("Anna", "Svensson", "anna.svensson@example.se"),
        raw_of("non-ascii-address-rfc6532"),
        signup_en("John", "Smith", "john.smith@example.com"),
    )

    result = bot.run("poll")

    assert result.code == 0, result
    assert bot.status()["messages_total"] == 3
    assert bot.folders()["INBOX"] == []
    assert {r.lower() for m in bot.sent().messages for r in m.rcpt_tos} >= {
        "anna.svensson@example.se",
        "john.smith@example.com",
    }


def test_a_date_header_at_the_end_of_time_does_not_stop_the_workbook(
    tmp_path: Path, dovecot: Dovecot, smtp_sink: SmtpSink
) -> None:
    bot = Bot.create(tmp_path / "bot", dovecot, smtp_sink)
    bot.append(signup_sv("Anna", "Svensson", "anna.svensson@example.se"), raw_of("date-in-year-9999-west-of-utc"))

    result = bot.run("poll")

    assert result.code == 0, result
    assert "Traceback" not in result.output, result
    assert bot.status()["workbook"]["up_to_date"]
    assert [row["E-post"] for row in bot.workbook().rows] == ["anna.svensson@example.se"]


def _seconds_to_read(subject_word: str, words: int = 20_000, tries: int = 1) -> float:
    raw = raw_message("Ewa Ord <ewa.ord@example.se>", subject=" ".join([subject_word] * words))
    best = float("inf")
    for _ in range(tries):
        started = time.perf_counter()
        read_message(raw)
        best = min(best, time.perf_counter() - started)
    return best


def test_a_subject_of_many_encoded_words_is_read_about_as_fast_as_a_plain_one() -> None:
    # The same 340 KB Subject, once as 20,000 plain words and once as 20,000 encoded words ("å").
    assert len("plain-word-12345") == len("=?utf-8?b?w6U=?=")
    plain = _seconds_to_read("plain-word-12345", tries=5)  # about 0.01 s
    encoded = _seconds_to_read("=?utf-8?b?w6U=?=")  # a linear decoder: a few times that; today about 1.5 s
    assert encoded < 20 * plain + 0.05, f"plain: {plain:.3f} s; encoded words: {encoded:.3f} s"
