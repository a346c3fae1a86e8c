"""Crash at any point: SIGKILL of ``registration-bot poll`` never loses a message nor confirms anyone twice.

Two kinds of test, both through the real command line against a real Dovecot and a
real aiosmtpd sink on 127.0.0.1:

* a stress test: about 200 sign-ups arrive in waves while a dozen polls are killed
  at random moments (while recording, while sending, at random), then clean polls
  finish the work and every promise is checked;
* one test per step boundary, reached deterministically without any hook in the
  product: the sink holds an SMTP command open (or the bot is frozen with SIGSTOP
  once its log shows a commit), the state file is inspected to prove where the bot
  stands, and only then is it killed.

tests/test_cli_faults.py already kills before the 250 reply (server has the mail,
bot does not know) and at timed moments on 40 sign-ups; these tests add the other
boundaries and the scale.

The stress test's random moments come from a seeded ``random.Random``; the seed is
printed and named in every assertion. Set STRESS_SEED=<n> to replay a run.
"""

from __future__ import annotations

import os
import random
import re
import signal
import sqlite3
import threading
import time
import unicodedata
from collections import Counter
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path

import pytest
from e2e_helpers import (
    PROCESSED,
    Bot,
    folders,
    message_id_of,
    signup_en,
    signup_sv,
    start_cli,
    stop_process,
    wait_until,
)
from openpyxl import load_workbook

from registration_bot.devservers import Dovecot, SmtpSink

# Limits off: 200 sign-ups within a minute, from a handful of domains, are what is tested here.
NO_LIMITS = {"replies_per_domain_per_hour": 1_000_000, "inbound_per_minute": 1_000_000}
RECORDED = re.compile(r": uid=(\d+) message-id=\S*: (\w+)")  # the inbox's line after each commit
SENT = re.compile(r"outbox #\d+ \S+: sent")
KILLS = 12  # polls really killed (still running when SIGKILL came) in the stress test
MAX_ROUNDS = 20

SV_FIRST = ["Anna", "Erik", "Maria", "Lars", "Karin", "Johan", "Sara", "Per", "Emma", "Nils"]
SV_FIRST += ["Ingrid", "Gustav", "Sofia", "Oskar", "Astrid", "Henrik", "Linnea", "Mats", "Elin", "Fredrik"]
SV_LAST = ["Svensson", "Lindqvist", "Berg", "Holm", "Ekström", "Nyberg", "Sandberg", "Wikström", "Lundgren", "Björk"]
EN_FIRST = ["James", "Olivia", "William", "Emily", "Thomas", "Charlotte", "George", "Amelia", "Henry", "Grace"]
EN_FIRST += ["Edward", "Alice", "Daniel", "Hannah", "Samuel", "Lucy", "Oliver", "Sophie", "Jack", "Ruth"]
EN_LAST = ["Smith", "Taylor", "Brown", "Wilson", "Evans", "Walker", "Wright", "Hughes", "Turner", "Parker"]
SV_DOMAINS = ["example.se", "foretag.example.se", "kommun.example.se"]
EN_DOMAINS = ["example.com", "example.co.uk", "uni.example.org"]


def _ascii(text: str) -> str:
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()


def crowd() -> list[tuple[str, str, str, str]]:
    """200 distinct, unambiguous (language, first, last, address): 100 Swedish, 100 English."""
    found: list[tuple[str, str, str, str]] = []
    for language, firsts, lasts, domains in (
        ("sv", SV_FIRST, SV_LAST, SV_DOMAINS),
        ("en", EN_FIRST, EN_LAST, EN_DOMAINS),
    ):
        for index, last in enumerate(lasts):
            for first in firsts[index % 2 :: 2]:  # ten first names per surname
                domain = domains[len(found) % len(domains)]
                found.append((language, first, last, f"{_ascii(first)}.{_ascii(last)}@{domain}"))
    assert len(found) == len({address for *_rest, address in found}) == 200
    return found


def signup(person: tuple[str, str, str, str]) -> bytes:
    language, first, last, address = person
    return (signup_sv if language == "sv" else signup_en)(first, last, address)


# -- a sink that can hold one SMTP step open, and be slow ----------------------------------------


class GateSink(SmtpSink):
    """A recording sink that can stop at one step until released, and sleep after each mail.

    ``hold("rcpt")`` stops at the next RCPT TO (the bot has claimed the row, DATA not
    begun); ``hold("data", swallow=True)`` stops when DATA has been received but not
    yet accepted, and then throws the mail away; ``hold("accepted")`` stops after the
    mail is recorded, before the 250 reply. Blocking the sink's event loop is fine:
    the bot is its only client.
    """

    def __init__(self) -> None:
        super().__init__()
        self.delay = 0.0
        self.reached = threading.Event()
        self.passed = threading.Event()
        self._open = threading.Event()
        self._gate: str | None = None
        self._swallow = False

    def hold(self, at: str, *, swallow: bool = False) -> None:
        assert at in ("rcpt", "data", "accepted")
        self.reached.clear()
        self.passed.clear()
        self._open.clear()
        self._swallow = swallow
        self._gate = at

    def release(self) -> None:
        self._gate = None
        self._open.set()

    def _stop_here(self, at: str) -> bool:
        if self._gate != at:
            return False
        self._gate = None
        self.reached.set()
        self._open.wait(20)
        self.passed.set()
        return True

    def _next_reply(self, at: str, address: str = "") -> str | None:
        if self._stop_here(at) and self._swallow:
            return "451 4.3.0 Not accepted"  # the client is gone: the mail is never delivered
        return super()._next_reply(at, address)

    def _record(self, mail_from: str, rcpt_tos: list[str], data: bytes) -> None:
        super()._record(mail_from, rcpt_tos, data)
        if not self._stop_here("accepted") and self.delay:
            time.sleep(self.delay)


@pytest.fixture
def sink() -> Iterator[GateSink]:
    server = GateSink()
    with server:
        try:
            yield server
        finally:
            server.release()


# -- looking at the state file and the mailbox between crashes ----------------------------------


def query(state: Path, sql: str, *args: object) -> list[tuple]:
    """Read the bot's SQLite state (WAL: a reader never blocks, nor is blocked by, the bot)."""
    if not state.exists():
        return []
    with closing(sqlite3.connect(f"file:{state}?mode=ro", uri=True, timeout=10)) as db:
        return db.execute(sql, args).fetchall()


def outbox_states(state: Path) -> dict[str, str]:
    return dict(query(state, "SELECT recipient, state FROM outbox"))


def confirmations(sink: SmtpSink) -> Counter[str]:
    counts: Counter[str] = Counter()
    for mail in sink.messages:
        assert len(mail.rcpt_tos) == 1, mail.rcpt_tos
        counts[mail.rcpt_tos[0].lower()] += 1
    return counts


def kill(proc) -> int:
    if proc.poll() is None:
        proc.send_signal(signal.SIGKILL)
    return proc.wait(timeout=10)


def clean_polls(bot: Bot, appended: int, limit: int = 5) -> int:
    """Poll until the inbox is empty and nothing is queued or due for retry; return how many polls."""
    for count in range(1, limit + 1):
        bot.poll()
        info = bot.status()
        outbox = info["outbox"]
        if info["messages_total"] == appended and outbox["queued"] == outbox["retry"] == 0:
            return count
    raise AssertionError(f"still work left after {limit} clean polls: {bot.status()}")


# -- the stress test ------------------------------------------------------------------------------


@pytest.mark.slow
def test_200_sign_ups_and_a_dozen_random_kills_lose_nothing_and_confirm_nobody_twice(
    tmp_path: Path, dovecot: Dovecot, sink: GateSink
) -> None:
    seed = int(os.environ.get("STRESS_SEED") or random.SystemRandom().randrange(1 << 32))
    print(f"crash stress seed: {seed} (replay with STRESS_SEED={seed})")
    rng = random.Random(seed)
    bot = Bot.create(tmp_path / "bot", dovecot, sink, {"imap": {"batch_size": 20}, "limits": NO_LIMITS})
    everyone = crowd()
    rng.shuffle(everyone)
    raws = [signup(person) for person in everyone]
    # Sign-ups arrive in waves (40, then 15 per round), so that every round has mail to record
    # as well as mail to send. A poll that finished before its kill is not a kill: rounds go on
    # until a dozen polls were really killed and every sign-up has arrived.
    modes = ["timer"] * 6 + ["recording"] * 3 + ["sending"] * 3
    rng.shuffle(modes)

    appended = 0
    rounds: list[str] = []
    for number in range(MAX_ROUNDS):
        if sum(phase != "finished" for phase in rounds) >= KILLS and appended == len(raws):
            break
        mode = modes[number % len(modes)]
        appended += bot.append(*raws[appended : appended + (40 if number == 0 else 15)])
        # A slow sink (a few ms to 0.15 s per mail) keeps polls sending long enough to be killed:
        # in timer rounds it outlives the longest timer, so the random moment is inside the poll.
        sink.delay = {
            "timer": rng.uniform(0.1, 0.15),
            "recording": rng.choice([0.0, 0.002, 0.005]),
            "sending": rng.uniform(0.005, 0.03),
        }[mode]
        log = tmp_path / f"round-{number:02d}.log"
        already_sent = len(sink.messages)
        proc = start_cli("poll", "--config", bot.config, log_path=log)
        try:
            if mode == "timer":
                time.sleep(rng.uniform(0.05, 2.0))
            else:

                def started(proc=proc, log=log, mode=mode, already_sent=already_sent) -> bool:
                    if proc.poll() is not None:
                        return True
                    if mode == "recording":
                        return bool(RECORDED.search(log.read_text(errors="replace")))
                    return len(sink.messages) > already_sent

                wait_until(started, 30, interval=0.002, what=f"round {number}: {mode} to start (seed {seed})")
                # Recording a batch takes only a few milliseconds a message: kill soon after it starts.
                time.sleep(rng.uniform(0.0, 0.01 if mode == "recording" else 0.15))
            code = kill(proc)
        finally:
            stop_process(proc)
        text = log.read_text(errors="replace")
        if code == 0:
            phase = "finished"
        elif SENT.search(text):
            phase = "sending"
        elif RECORDED.search(text):
            phase = "recording"
        else:
            phase = "starting"
        rounds.append(phase)
        where = (
            f"seed {seed}, round {number} ({mode}, killed while {phase}, sink delay {sink.delay}): "
            f"{len(RECORDED.findall(text))} recorded, {len(SENT.findall(text))} sent in this round"
        )
        print(where)

        # Between crashes: every appended message is in the ledger or still in the inbox,
        # nothing reached Processed without being recorded, and nobody has two confirmations.
        boxes = folders(dovecot)
        ledger_ids = {row[0] for row in query(bot.state_path, "SELECT message_id FROM messages")}
        expected = {message_id_of(raw) for raw in raws[:appended]}
        assert sum(len(ids) for ids in boxes.values()) == appended, where
        assert expected <= ledger_ids | set(boxes["INBOX"]), (
            f"{where}: lost {expected - ledger_ids - set(boxes['INBOX'])}"
        )
        assert set(boxes.get(PROCESSED, [])) <= ledger_ids, where
        assert max(confirmations(sink).values(), default=0) <= 1, where
        assert not query(bot.state_path, "SELECT uid FROM messages GROUP BY uid HAVING COUNT(*) > 1"), where
    print(f"seed {seed}: {len(rounds)} rounds, kill phases {Counter(rounds)}")
    assert appended == len(raws) == 200
    assert sum(phase != "finished" for phase in rounds) >= KILLS, (seed, rounds)
    assert rounds.count("recording") >= 1 and rounds.count("sending") >= 1, (seed, rounds)

    sink.delay = 0.0
    clean_polls(bot, appended)

    info = bot.status()
    where = f"seed {seed}: {info}"
    boxes = folders(dovecot)
    # (c) every message is in the ledger, once; the inbox is empty
    assert boxes["INBOX"] == [], where
    assert info["messages_total"] == appended == 200, where
    assert info["messages"]["registered"] == 200, where  # none read twice (that would be a duplicate)
    assert len(boxes[PROCESSED]) == 200, where
    # (a) every sender registered exactly once
    emails = [row[0] for row in query(bot.state_path, "SELECT email FROM registrations WHERE status = 'registered'")]
    assert sorted(emails) == sorted(address for *_rest, address in everyone), where
    # (e) nothing left mid-send after a clean poll
    outbox = info["outbox"]
    assert outbox["sending"] == outbox["data"] == outbox["queued"] == outbox["retry"] == 0, where
    assert outbox["failed"] == outbox["held"] == 0, where
    assert outbox["sent"] + outbox["unknown"] == 200, where
    # (b), (d) at most one confirmation each; exactly one unless the mail is 'unknown'
    per_person = confirmations(sink)
    unknown = {row[0] for row in query(bot.state_path, "SELECT recipient FROM outbox WHERE state = 'unknown'")}
    assert {p["recipient"] for p in info["outbox_problems"]} == unknown, where
    for *_rest, address in everyone:
        if address in unknown:  # killed after DATA began: documented at-most-once outcome
            assert per_person[address] <= 1, (address, where)
        else:
            assert per_person[address] == 1, (address, where)
    assert set(per_person) <= set(emails), where
    delivered = sum(per_person[address] for address in unknown)
    print(f"seed {seed}: {outbox['sent']} sent, {len(unknown)} unknown ({delivered} of them delivered)")
    # (f) the workbook opens and has one row per registration
    book = load_workbook(bot.workbook_path, read_only=True)
    try:
        rows = [row for row in book.worksheets[0].iter_rows(min_row=2, values_only=True) if any(row)]
    finally:
        book.close()
    assert sorted(str(row[1]) for row in rows) == sorted(emails), where


# -- each step boundary, deterministically ----------------------------------------------------------


ANNA = ("sv", "Anna", "Svensson", "anna.svensson@example.se")
JOHN = ("en", "John", "Smith", "john.smith@example.com")


@pytest.fixture
def bot(tmp_path: Path, dovecot: Dovecot, sink: GateSink) -> Bot:
    return Bot.create(tmp_path / "bot", dovecot, sink, {"limits": NO_LIMITS})


def _poll_in_background(bot: Bot, tmp_path: Path):
    return start_cli("poll", "--config", bot.config, log_path=tmp_path / "poll.log")


def test_killed_after_the_outbox_claim_before_data_the_mail_is_sent_once_later(
    bot: Bot, sink: GateSink, tmp_path: Path
) -> None:
    bot.append(signup(ANNA), signup(JOHN))
    sink.hold("rcpt")
    proc = _poll_in_background(bot, tmp_path)
    try:
        assert sink.reached.wait(20), "the bot never reached RCPT TO"
        # The first row is claimed ('sending'), DATA has not begun; the other is queued or claimed
        # with it (rows are claimed in batches), and not tried either.
        assert sorted(outbox_states(bot.state_path).values()) in (["queued", "sending"], ["sending", "sending"])
        assert kill(proc) == -signal.SIGKILL
    finally:
        sink.release()
        stop_process(proc)
    assert sink.passed.wait(5)
    assert sink.messages == []

    bot.poll()

    assert outbox_states(bot.state_path) == {ANNA[3]: "sent", JOHN[3]: "sent"}
    assert confirmations(sink) == {ANNA[3]: 1, JOHN[3]: 1}
    assert bot.status()["outbox_problems"] == []


def test_killed_during_data_before_the_server_accepted_is_unknown_and_never_resent(
    bot: Bot, sink: GateSink, tmp_path: Path
) -> None:
    bot.append(signup(ANNA), signup(JOHN))
    sink.hold("data", swallow=True)
    proc = _poll_in_background(bot, tmp_path)
    try:
        assert sink.reached.wait(20), "the bot never sent DATA"
        assert sorted(outbox_states(bot.state_path).values()) in (["data", "queued"], ["data", "sending"])
        assert kill(proc) == -signal.SIGKILL
    finally:
        sink.release()
        stop_process(proc)
    assert sink.passed.wait(5)
    [interrupted] = [who for who, state in outbox_states(bot.state_path).items() if state == "data"]

    bot.poll()
    bot.poll()  # and again: an 'unknown' mail is never resent by itself

    other = ({ANNA[3], JOHN[3]} - {interrupted}).pop()
    assert outbox_states(bot.state_path) == {interrupted: "unknown", other: "sent"}
    assert confirmations(sink) == {other: 1}  # the interrupted mail never arrived, and is not resent
    [problem] = bot.status()["outbox_problems"]
    assert problem["recipient"] == interrupted and "DATA" in problem["error"]


def test_killed_after_the_250_reply_before_sent_was_recorded_is_unknown_and_delivered_once(
    bot: Bot, sink: GateSink, tmp_path: Path
) -> None:
    bot.append(signup(ANNA))
    sink.hold("accepted")
    proc = _poll_in_background(bot, tmp_path)
    try:
        assert sink.reached.wait(20), "no mail reached the sink"
        proc.send_signal(signal.SIGSTOP)  # frozen: it cannot read the 250 nor record 'sent'
        sink.release()
        assert sink.passed.wait(5)
        time.sleep(0.2)  # the sink's event loop writes "250 OK" to the socket
        assert outbox_states(bot.state_path) == {ANNA[3]: "data"}
        assert kill(proc) == -signal.SIGKILL
    finally:
        sink.release()
        stop_process(proc)
    assert confirmations(sink) == {ANNA[3]: 1}

    bot.poll()
    bot.poll()

    assert outbox_states(bot.state_path) == {ANNA[3]: "unknown"}
    assert confirmations(sink) == {ANNA[3]: 1}  # delivered once, never twice
    assert [p["recipient"] for p in bot.status()["outbox_problems"]] == [ANNA[3]]


def _slow_sign_up(parts: int = 40_000) -> bytes:
    """A genuine sign-up with tens of thousands of empty MIME parts: about two seconds to read."""
    text = "Hej!\r\n\r\nJag vill anmäla mig till träffen.\r\n\r\nMvh\r\nSven Seg\r\n"
    body = f"--S\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n{text}"
    body += "--S\r\nContent-Type: text/plain\r\n\r\n.\r\n" * parts + "--S--\r\n"
    return (
        "From: Sven Seg <sven.seg@example.se>\r\nTo: anmalan@example.org\r\nSubject: Anmälan\r\n"
        "Date: Thu, 26 Nov 2026 09:12:00 +0100\r\nMessage-ID: <slow-sign-up@example.se>\r\nMIME-Version: 1.0\r\n"
        'Content-Type: multipart/mixed; boundary="S"\r\n\r\n' + body
    ).encode()


def test_killed_after_the_commit_before_the_move_nothing_is_read_twice(
    bot: Bot, dovecot: Dovecot, sink: GateSink, tmp_path: Path
) -> None:
    bot.append(signup(ANNA), _slow_sign_up())  # one batch: both are moved after the second is recorded
    log = tmp_path / "poll.log"
    proc = start_cli("poll", "--config", bot.config, log_path=log)
    try:
        wait_until(
            lambda: RECORDED.search(log.read_text(errors="replace")) or proc.poll() is not None,
            30,
            interval=0.002,
            what="the first commit",
        )
        proc.send_signal(signal.SIGSTOP)
        # Exactly between the two steps: Anna is recorded (her reply queued) but not moved,
        # the slow message is not recorded yet, and both are still in the inbox.
        assert query(bot.state_path, "SELECT uid, state, moved FROM messages") == [(1, "registered", 0)]
        assert outbox_states(bot.state_path) == {ANNA[3]: "queued"}
        assert len(folders(dovecot)["INBOX"]) == 2
        assert kill(proc) == -signal.SIGKILL
    finally:
        stop_process(proc)

    bot.poll()

    assert query(bot.state_path, "SELECT uid, state, moved FROM messages ORDER BY uid") == [
        (1, "registered", 1),
        (2, "registered", 1),
    ]
    boxes = folders(dovecot)
    assert boxes["INBOX"] == [] and len(boxes[PROCESSED]) == 2
    assert confirmations(sink) == {ANNA[3]: 1, "sven.seg@example.se": 1}
