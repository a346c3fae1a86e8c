"""IMAP faults against the real Dovecot: restarts, dropped IDLE, refused logins, UIDVALIDITY
resets, missing folders, servers without MOVE or UIDPLUS, people working in the inbox, and
servers that stop answering.

Faults are injected on the server's side: Dovecot is restarted or killed, its mail files
are rewritten while it is stopped, its capabilities are cut down with ``imap_capability``,
and a small TCP relay (:class:`Relay`) between the bot and Dovecot can cut, stall or refuse
connections at an exact protocol moment (it sees each command line before forwarding it).
The bot runs as the real CLI in a child process, except where a test needs the connection
that ``run`` keeps between cycles or a simulated clock.
"""

from __future__ import annotations

import re
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from conftest import USERS
from e2e_helpers import (
    ADDRESS,
    PROCESSED,
    REVIEW,
    Bot,
    base_config,
    message_id_of,
    one_line_error,
    out_of_office,
    people,
    question_sv,
    run_cli,
    signup_en,
    signup_sv,
    start_cli,
    stop_process,
    wait_until,
    write_config,
)

from registration_bot.devservers import HOST, Dovecot, SmtpSink
from registration_bot.idle import IdleWatcher
from registration_bot.ledger import Ledger
from registration_bot.mailbox import Mailbox
from registration_bot.settings import load_settings
from registration_bot.worker import Worker

ANNA = ("Anna", "Svensson", "anna.svensson@example.se")
JOHN = ("John", "Smith", "john.smith@example.com")
KARIN = ("Karin", "Berg", "karin.berg@example.se")
READY = "registration-bot running"
# Dovecot 2.3's post-login capabilities, cut down: no MOVE (and, on request, no UIDPLUS).
BASIC_CAPABILITIES = "IMAP4rev1 SASL-IR LOGIN-REFERRALS ID ENABLE IDLE UNSELECT CHILDREN NAMESPACE LITERAL+"


# -- a TCP relay that injects faults ------------------------------------------------------


class Link:
    """One relayed connection. A hook may set ``stall`` (drop everything the server sends
    from now on) or ``budget`` (forward that many more bytes, call ``on_spent``, then cut)."""

    def __init__(self, client: socket.socket, upstream: socket.socket) -> None:
        self.client, self.upstream = client, upstream
        self.stall = False
        self.budget: int | None = None
        self.on_spent: Callable[[], None] | None = None
        self._lock = threading.Lock()
        self._ended = 0

    def cut(self) -> None:
        for sock in (self.client, self.upstream):
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def _pump_ended(self) -> None:
        self.cut()
        with self._lock:
            self._ended += 1
            last = self._ended == 2
        if last:
            self.client.close()
            self.upstream.close()


class Relay:
    """A TCP relay on 127.0.0.1 in front of Dovecot.

    Every command line a client sends is recorded in ``commands`` and shown to
    ``on_command(link, line)`` *before* it is forwarded, so a hook can act at an exact
    moment (restart the server, let a person change the mailbox, stall the link).
    With ``refuse`` set, new connections are accepted and closed at once (a server
    that is down), and ``accepted`` keeps the time of every connection attempt.
    """

    def __init__(self, upstream_port: int) -> None:
        self.upstream_port = upstream_port
        self.listener = socket.create_server((HOST, 0))
        self.listener.settimeout(0.05)
        self.port = self.listener.getsockname()[1]
        self.refuse = False
        self.commands: list[bytes] = []
        self.accepted: list[float] = []
        self.on_command: Callable[[Link, bytes], None] | None = None
        self.links: list[Link] = []
        self._closed = threading.Event()
        self._threads: list[threading.Thread] = []
        self._spawn(self._serve)

    def _spawn(self, target: Callable[..., None], *args: object) -> None:
        thread = threading.Thread(target=target, args=args, daemon=True)
        self._threads.append(thread)
        thread.start()

    def _serve(self) -> None:
        while not self._closed.is_set():
            try:
                client, _ = self.listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            self.accepted.append(time.monotonic())
            if self.refuse:
                client.close()
                continue
            try:
                upstream = socket.create_connection((HOST, self.upstream_port), timeout=5)
            except OSError:
                client.close()
                continue
            client.settimeout(None)
            upstream.settimeout(None)
            link = Link(client, upstream)
            self.links.append(link)
            self._spawn(self._client_to_server, link)
            self._spawn(self._server_to_client, link)

    def _client_to_server(self, link: Link) -> None:
        buffer = b""
        try:
            while data := link.client.recv(65536):
                buffer += data
                while b"\r\n" in buffer:
                    line, buffer = buffer.split(b"\r\n", 1)
                    self.commands.append(line)
                    if self.on_command is not None:
                        self.on_command(link, line)
                    link.upstream.sendall(line + b"\r\n")
        except OSError:
            pass
        finally:
            link._pump_ended()

    def _server_to_client(self, link: Link) -> None:
        try:
            while data := link.upstream.recv(65536):
                if link.stall:
                    continue
                if link.budget is not None:
                    part = data[: link.budget]
                    link.budget -= len(part)
                    link.client.sendall(part)
                    if link.budget <= 0:
                        if link.on_spent is not None:
                            link.on_spent()
                        return
                    continue
                link.client.sendall(data)
        except OSError:
            pass
        finally:
            link._pump_ended()

    def drop_all(self) -> None:
        for link in list(self.links):
            link.cut()

    def close(self) -> None:
        self._closed.set()
        self.listener.close()
        self.drop_all()
        for thread in self._threads:
            thread.join(timeout=5)

    def sent(self, pattern: bytes) -> list[bytes]:
        """Command lines (tag included) matching the regular expression ``pattern``."""
        return [line for line in list(self.commands) if re.search(pattern, line)]


def is_body_fetch(line: bytes) -> bool:
    return b"FETCH" in line and b"BODY.PEEK[]" in line


@pytest.fixture
def relay(dovecot: Dovecot) -> Iterator[Relay]:
    r = Relay(dovecot.port)
    yield r
    r.close()


@pytest.fixture
def bot(tmp_path: Path, dovecot: Dovecot, smtp_sink: SmtpSink) -> Bot:
    return Bot.create(tmp_path / "bot", dovecot, smtp_sink)


def relayed_bot(tmp_path: Path, dovecot: Dovecot, sink: SmtpSink, relay: Relay, **imap: object) -> Bot:
    return Bot.create(tmp_path / "bot", dovecot, sink, {"imap": {"port": relay.port, **imap}})


# -- helpers ---------------------------------------------------------------------------


class RunningBot:
    """``registration-bot run`` in a child process, with its log."""

    def __init__(self, bot: Bot, log: Path) -> None:
        self.log = log
        self.proc = start_cli("run", "--config", bot.config, log_path=log)

    def text(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def wait_ready(self, timeout: float = 15) -> None:
        wait_until(lambda: READY in self.text() or self.proc.poll() is not None, timeout, what="run to start")
        assert self.proc.poll() is None, f"run exited early with {self.proc.returncode}:\n{self.text()}"

    def stop(self) -> int:
        self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            pytest.fail(f"run did not stop within 10 s of SIGTERM:\n{self.text()}")


@pytest.fixture
def running() -> Iterator[list[RunningBot]]:
    started: list[RunningBot] = []
    yield started
    for one in started:
        stop_process(one.proc)


def dovecot_log(server: Dovecot) -> str:
    return server.log_path.read_text(errors="replace") if server.log_path.exists() else ""


def logins(server: Dovecot, user: str = ADDRESS) -> int:
    return dovecot_log(server).count(f"Login: user=<{user}>")


def folder_name(server: Dovecot, folder: str) -> str:
    with server.client(ADDRESS) as c:
        delimiter = c.list_folders("", "")[0][1]
    sep = delimiter.decode() if isinstance(delimiter, bytes) else delimiter
    return folder if folder.upper() == "INBOX" else folder.replace("/", sep)


def flags_by_message_id(server: Dovecot, folder: str) -> dict[str, set[bytes]]:
    """The system flags of every message in ``folder`` (read with EXAMINE and BODY.PEEK)."""
    wanted = {b"\\seen", b"\\flagged", b"\\answered", b"\\deleted", b"\\draft"}
    name = folder_name(server, folder)
    with server.client(ADDRESS) as c:
        c.select_folder(name, readonly=True)
        uids = c.search(["ALL"])
        found: dict[str, set[bytes]] = {}
        for item in c.fetch(uids, ["FLAGS", "BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)]"]).values() if uids else []:
            header = next(v for k, v in item.items() if k.startswith(b"BODY[HEADER"))
            message_id = header.decode().partition(":")[2].strip()
            found[message_id] = {f for f in item[b"FLAGS"] if f.lower() in wanted}
    return found


def uids_of(c, message_ids: list[str]) -> list[int]:
    """UIDs, in the selected folder, of the messages with these Message-IDs (in that order)."""
    uids = c.search(["ALL"])
    by_id = {}
    for uid, item in c.fetch(uids, ["BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)]"]).items():
        header = next(v for k, v in item.items() if k.startswith(b"BODY[HEADER"))
        by_id[header.decode().partition(":")[2].strip()] = uid
    return [by_id[m] for m in message_ids]


def ledger_rows(bot: Bot) -> list[dict]:
    with Ledger(bot.state_path) as ledger:
        return [dict(r) for r in ledger.db.execute("SELECT * FROM messages ORDER BY id")]


def one_each(bot: Bot, addresses: list[str]) -> None:
    per_person = bot.sent().confirmations_by_recipient()
    assert dict(per_person) == {a.lower(): 1 for a in addresses}, per_person


# -- the server restarted mid-fetch ------------------------------------------------------------


def test_a_server_restart_in_the_middle_of_a_fetch_loses_nothing_and_doubles_nothing(
    tmp_path: Path, dovecot: Dovecot, smtp_sink: SmtpSink, relay: Relay
) -> None:
    """Dovecot restarts while the second batch's FETCH response is on the wire; the poll
    reconnects within the cycle (backoff) and finishes the job in the same run."""
    bot = relayed_bot(tmp_path, dovecot, smtp_sink, relay, batch_size=10)
    everyone = people(30)
    raws = [signup_sv(*p) for p in everyone]
    bot.append(*raws)
    fetches: list[bytes] = []
    restarted = threading.Event()

    def restart_mid_fetch(link: Link, line: bytes) -> None:
        if is_body_fetch(line):
            fetches.append(line)
            if len(fetches) == 2:  # the first batch is done; cut the second one's response short
                link.budget = 1500

                def restart() -> None:
                    dovecot.restart()
                    restarted.set()

                link.on_spent = restart

    relay.on_command = restart_mid_fetch

    result = bot.poll()

    assert restarted.is_set(), "the fault was never injected"
    assert dovecot_log(dovecot).count("starting up") == 2
    assert "IMAP connection lost during fetch" in result.stdout, result
    assert re.search(r"reconnecting in \d+\.\d s", result.stdout), result
    info = bot.status()
    assert info["messages_total"] == 30, info
    assert info["registrations"]["registered"] == 30
    assert info["outbox"]["sent"] == 30 and sum(info["outbox"].values()) == 30
    rows = ledger_rows(bot)
    assert len({r["uid"] for r in rows}) == len({r["sha256"] for r in rows}) == 30
    one_each(bot, [p[2] for p in everyone])
    boxes = bot.folders()
    assert boxes["INBOX"] == []
    assert sorted(boxes[PROCESSED]) == sorted(message_id_of(r) for r in raws)  # each exactly once


# -- the connection dropped during IDLE -----------------------------------------------------------


def test_after_dovecot_is_killed_under_idle_the_watcher_reconnects_and_new_mail_is_answered_in_seconds(
    tmp_path: Path, dovecot: Dovecot, smtp_sink: SmtpSink, running: list[RunningBot]
) -> None:
    # poll_seconds = 600: only IDLE can explain an answer within seconds.
    bot = Bot.create(tmp_path / "bot", dovecot, smtp_sink, {"schedule": {"poll_seconds": 600}})
    service = RunningBot(bot, tmp_path / "run.log")
    running.append(service)
    service.wait_ready()
    wait_until(bot.workbook_path.exists, 10, what="the first cycle")
    wait_until(lambda: logins(dovecot) >= 2, 10, what="the poller and the IDLE watcher to log in")

    bot.append(signup_sv(*ANNA))
    bot.smtp.wait_for_messages(1, timeout=8)  # IDLE works before the fault

    dovecot.kill()  # a crash: every connection drops at once, IDLE included
    before = logins(dovecot)
    dovecot.start()
    wait_until(lambda: logins(dovecot) > before, 10, what="the IDLE watcher to log in again")
    time.sleep(0.3)  # let it SELECT and enter IDLE
    arrived = time.monotonic()
    bot.append(signup_en(*JOHN))
    bot.smtp.wait_for_messages(2, timeout=8)
    took = time.monotonic() - arrived

    assert took < 8, took
    assert "IDLE connection lost" in service.text(), service.text()
    assert service.stop() == 0, service.text()
    assert "Traceback" not in service.text(), service.text()
    one_each(bot, [ANNA[2], JOHN[2]])
    assert bot.folders()["INBOX"] == []


def test_the_idle_watcher_reconnects_with_growing_jittered_backoff_while_the_server_refuses(
    tmp_path: Path, dovecot: Dovecot, smtp_sink: SmtpSink, relay: Relay, running: list[RunningBot]
) -> None:
    bot = Bot.create(
        tmp_path / "bot", dovecot, smtp_sink, {"imap": {"port": relay.port}, "schedule": {"poll_seconds": 600}}
    )
    service = RunningBot(bot, tmp_path / "run.log")
    running.append(service)
    service.wait_ready()
    wait_until(lambda: relay.sent(rb"^\S+ IDLE$"), 10, what="the watcher to enter IDLE")
    wait_until(bot.workbook_path.exists, 10, what="the first cycle")

    relay.refuse = True
    attempts_before = len(relay.accepted)
    dropped = time.monotonic()
    relay.drop_all()
    wait_until(lambda: len(relay.accepted) > attempts_before, 5, what="a refused reconnection attempt")
    relay.refuse = False  # the next attempt gets through
    idles = len(relay.sent(rb"^\S+ IDLE$"))
    wait_until(lambda: len(relay.sent(rb"^\S+ IDLE$")) > idles, 10, what="the watcher to enter IDLE again")

    first, second = relay.accepted[attempts_before : attempts_before + 2]
    gaps = [first - dropped, second - first]
    # backoff_seconds(1) and (2): 1 s and 2 s, each with +-25 % jitter
    assert 0.7 <= gaps[0] <= 1.5, gaps
    assert 1.45 <= gaps[1] <= 2.8, gaps
    assert gaps[1] > gaps[0], gaps
    # Nobody else hammers the server meanwhile: the poller sleeps until it is woken.
    assert len(relay.accepted) == attempts_before + 2, relay.accepted

    arrived = time.monotonic()
    bot.append(signup_sv(*ANNA))
    bot.smtp.wait_for_messages(1, timeout=8)
    assert time.monotonic() - arrived < 8
    assert service.stop() == 0, service.text()
    assert "Traceback" not in service.text(), service.text()


def test_mail_that_arrives_while_the_idle_connection_is_down_is_answered_soon_after_it_is_back(
    tmp_path: Path, dovecot: Dovecot, smtp_sink: SmtpSink, relay: Relay, running: list[RunningBot]
) -> None:
    bot = Bot.create(
        tmp_path / "bot", dovecot, smtp_sink, {"imap": {"port": relay.port}, "schedule": {"poll_seconds": 600}}
    )
    service = RunningBot(bot, tmp_path / "run.log")
    running.append(service)
    service.wait_ready()
    wait_until(lambda: relay.sent(rb"^\S+ IDLE$"), 10, what="the watcher to enter IDLE")
    wait_until(bot.workbook_path.exists, 10, what="the first cycle")

    relay.refuse = True
    relay.drop_all()
    bot.append(signup_sv(*ANNA))  # straight to Dovecot, while the bot cannot connect
    relay.refuse = False
    idles = len(relay.sent(rb"^\S+ IDLE$"))
    wait_until(lambda: len(relay.sent(rb"^\S+ IDLE$")) > idles, 10, what="the watcher to enter IDLE again")

    try:
        bot.smtp.wait_for_messages(1, timeout=3.5)
    except TimeoutError:
        pytest.fail(f"no confirmation within 3.5 s of reconnecting (poll_seconds = 600):\n{service.text()}")
    assert service.stop() == 0


# -- a login failure ------------------------------------------------------------------------------


def test_a_refused_password_under_run_alerts_once_and_does_not_storm_the_server(
    tmp_path: Path, dovecot: Dovecot, smtp_sink: SmtpSink, running: list[RunningBot]
) -> None:
    bot = Bot.create(
        tmp_path / "bot",
        dovecot,
        smtp_sink,
        {"schedule": {"poll_seconds": 5}, "organiser": {"email": "organiser@example.org"}},
        password="wrong-password",
    )
    service = RunningBot(bot, tmp_path / "run.log")
    running.append(service)
    service.wait_ready()
    started = time.monotonic()
    wait_until(lambda: "IMAP login failed" in service.text(), 10, what="the login failure to be logged")
    # Past one whole poll interval: without backoff the poller would try again now.
    time.sleep(max(0.0, 5.7 - (time.monotonic() - started)))

    refused = dovecot_log(dovecot).count("Password mismatch")
    text = service.text()
    assert service.proc.poll() is None, text  # the service outlives a refused password
    assert 1 <= refused <= 5, f"{refused} refused logins in ~6 s:\n{text}"
    assert text.count("IMAP login failed") == 1, text
    assert re.search(r"ERROR .*IMAP login failed \(1 in a row\); next attempt in 0:05:00", text), text
    info = bot.status()
    assert "login refused" in info["last_cycle"]["outcome"], info["last_cycle"]
    assert info["last_ok_cycle"] is None
    assert "login refused" in bot.status_text()
    # The organiser hears about it, once.
    alerts = bot.sent().to("organiser@example.org")
    assert len(alerts) == 1 and "IMAP" in str(alerts[0].message["Subject"]), [m.message["Subject"] for m in alerts]
    assert service.stop() == 0, text
    assert "Traceback" not in service.text()
    assert "wrong-password" not in service.text()


class SimulatedClock(threading.Event):
    """A stop event whose ``wait`` advances simulated time instead of sleeping."""

    def __init__(self, horizon: float) -> None:
        super().__init__()
        self.now, self.horizon = 0.0, horizon

    def wait(self, timeout: float | None = None) -> bool:
        self.now += timeout or 0.0
        if self.now >= self.horizon:
            self.set()
        return self.is_set()


def test_the_idle_watcher_does_not_retry_a_refused_password_more_often_than_the_poller(
    tmp_path: Path, dovecot: Dovecot, smtp_sink: SmtpSink
) -> None:
    bot = Bot.create(tmp_path / "bot", dovecot, smtp_sink, password="wrong-password")
    settings = load_settings(bot.config)
    clock = SimulatedClock(horizon=30.0)  # half a simulated minute
    attempts: list[float] = []

    def factory() -> Mailbox:
        attempts.append(clock.now)
        return Mailbox(settings.imap)

    IdleWatcher(settings.imap, lambda: None, clock, mailbox_factory=factory).run()

    assert dovecot_log(dovecot).count("Password mismatch") == len(attempts)
    # The poller (service.py) waits 5 minutes after a refused login, then 10, 20 ... 60.
    # Logging in again sooner, on a second connection, is the storm it backs off to avoid.
    assert len(attempts) <= 1, f"the IDLE watcher tried a refused password at {attempts} s"


# -- a UIDVALIDITY reset --------------------------------------------------------------------------


def test_a_uidvalidity_reset_with_the_same_mail_confirms_nobody_again(bot: Bot, dovecot: Dovecot) -> None:
    everyone = [ANNA, JOHN, KARIN, ("Lars", "Holm", "lars.holm@example.se")]
    raws = [signup_sv(*everyone[0]), signup_en(*everyone[1]), signup_sv(*everyone[2]), signup_sv(*everyone[3])]
    bot.append(*raws)
    bot.poll()
    one_each(bot, [p[2] for p in everyone])
    before = bot.status()
    [old_uidvalidity] = {r["uidvalidity"] for r in ledger_rows(bot)}

    # The mailbox is rebuilt from a backup: the same mail is back in the inbox, two messages
    # byte for byte, two re-delivered with one more Received: line (same Message-ID).
    with dovecot.client(ADDRESS) as c:
        c.select_folder(folder_name(dovecot, PROCESSED))
        uids = uids_of(c, [message_id_of(r) for r in raws])
        c.copy(uids[:2], "INBOX")
        for raw in raws[2:]:
            c.append(
                "INBOX",
                b"Received: from restore.example.org by imap.example.org; Mon, 1 Dec 2025 09:00:00 +0100\r\n" + raw,
            )
    dovecot.stop()
    maildir = dovecot.workdir / "mail" / ADDRESS / "Maildir"
    for path in maildir.iterdir():  # the inbox's own index and UID list; other folders keep theirs
        if path.is_file() and (path.name == "dovecot-uidlist" or path.name.startswith("dovecot.index")):
            path.unlink()
    dovecot.start()
    with dovecot.client(ADDRESS) as c:
        new_uidvalidity = int(c.select_folder("INBOX", readonly=True)[b"UIDVALIDITY"])
        assert len(c.search(["ALL"])) == 4
    assert new_uidvalidity != old_uidvalidity

    result = bot.poll()

    assert "4 ignored" in result.stdout, result
    one_each(bot, [p[2] for p in everyone])  # still exactly one each
    assert len(bot.sent().messages) == 4
    after = bot.status()
    assert after["registrations"] == before["registrations"]
    assert after["messages_total"] == 8 and after["messages"]["ignored"] == 4, after["messages"]
    fresh = [r for r in ledger_rows(bot) if r["uidvalidity"] == new_uidvalidity]
    assert len(fresh) == 4 and all(r["reason"].startswith("duplicate of message M") for r in fresh), fresh
    assert bot.folders()["INBOX"] == []


# -- a folder missing ----------------------------------------------------------------------------


def delete_bot_folders(server: Dovecot) -> None:
    """Someone deletes the bot's folders (with the mail in them) in their mail client."""
    with server.client(ADDRESS) as c:
        for folder in (PROCESSED, REVIEW, "Registrations"):
            name = folder_name(server, folder)
            if c.folder_exists(name):
                c.delete_folder(name)
        assert not any(
            "Registrations" in n.decode() if isinstance(n, bytes) else "Registrations" in n
            for _f, _d, n in c.list_folders()
        )


def test_folders_deleted_between_polls_are_created_again_and_mail_is_moved_there(bot: Bot, dovecot: Dovecot) -> None:
    bot.append(signup_sv(*ANNA), question_sv(*KARIN))
    bot.poll()
    delete_bot_folders(dovecot)
    signup, question = signup_en(*JOHN), question_sv("Per", "Nyberg", "per.nyberg@example.se")
    bot.append(signup, question)

    result = bot.poll()

    assert "1 registered" in result.stdout and "1 review" in result.stdout, result
    boxes = bot.folders()
    assert boxes["INBOX"] == []
    assert boxes[PROCESSED] == [message_id_of(signup)]
    assert boxes[REVIEW] == [message_id_of(question)]


def test_folders_deleted_while_the_connection_is_kept_are_created_again(bot: Bot, dovecot: Dovecot) -> None:
    """``run`` keeps its IMAP connection between cycles; a folder deleted meanwhile must come back."""
    settings = load_settings(bot.config)
    with Ledger(settings.state.path) as ledger:
        worker = Worker(settings, ledger)
        try:
            bot.append(signup_sv(*ANNA))
            worker.cycle()
            delete_bot_folders(dovecot)
            signup = signup_en(*JOHN)
            bot.append(signup)

            worker.cycle()
            worker.cycle()  # and a retry, in case the first one only noticed
        finally:
            worker.close()
    boxes = bot.folders()
    assert boxes["INBOX"] == [], boxes
    assert boxes.get(PROCESSED) == [message_id_of(signup)], boxes


# -- no MOVE: the UIDPLUS fallback ---------------------------------------------------------------


@pytest.mark.parametrize("uidplus", [True, False], ids=["uidplus", "no-uidplus"])
def test_without_move_the_bot_copies_flags_and_expunges_only_its_own_messages(
    tmp_path: Path, dovecot_dir: Path, smtp_sink: SmtpSink, uidplus: bool
) -> None:
    capabilities = BASIC_CAPABILITIES + (" UIDPLUS" if uidplus else "")
    with Dovecot(dovecot_dir, USERS, extra_config=f"imap_capability = {capabilities}\n") as server:
        relay = Relay(server.port)
        try:
            bot = relayed_bot(tmp_path, server, smtp_sink, relay)
            everyone = [ANNA, JOHN, KARIN]
            raws = [signup_sv(*ANNA), signup_en(*JOHN), signup_sv(*KARIN)]
            bot.append(*raws)
            persons = out_of_office("maria.lindell@example.se", "Maria Lindell")
            acted = threading.Event()

            def person_deletes_a_message(link: Link, line: bytes) -> None:
                # Between the bot's SEARCH and its EXPUNGE a message arrives, and a person
                # marks it deleted in their mail client without expunging it.
                if b" UID COPY " in line and not acted.is_set():
                    acted.set()
                    with server.client(ADDRESS) as c:
                        c.append("INBOX", persons, flags=[b"\\Deleted"])

            relay.on_command = person_deletes_a_message

            bot.poll()

            assert acted.is_set(), "the person never acted"
            assert not relay.sent(rb"(?i)^\S+ (UID )?MOVE "), relay.commands
            assert relay.sent(rb"(?i)^\S+ UID COPY ")
            assert relay.sent(rb"(?i)^\S+ UID STORE \S+ \+FLAGS(\.SILENT)? \(\\Deleted\)")
            assert not relay.sent(rb"(?i)^\S+ EXPUNGE"), "a plain EXPUNGE also purges what people deleted"
            assert bool(relay.sent(rb"(?i)^\S+ UID EXPUNGE ")) == uidplus
            one_each(bot, [p[2] for p in everyone])
            processed = flags_by_message_id(server, PROCESSED)
            assert sorted(processed) == sorted(message_id_of(r) for r in raws)
            assert all(not flags for flags in processed.values()), processed  # no \Seen, no \Deleted
            inbox = flags_by_message_id(server, "INBOX")
            assert inbox[message_id_of(persons)] == {b"\\Deleted"}  # the person's message survived
            if uidplus:
                assert list(inbox) == [message_id_of(persons)]
            else:
                # Copied and marked, never expunged; and not marked read.
                assert {m: inbox[m] for m in map(message_id_of, raws)} == dict.fromkeys(
                    map(message_id_of, raws), {b"\\Deleted"}
                )
                again = bot.poll()  # the marked originals are not processed or copied again
                assert "1 ignored" in again.stdout, again  # only the person's (automatic) message is new
                assert len(bot.sent().messages) == 3
                assert sorted(bot.folders()[PROCESSED]) == sorted(map(message_id_of, [*raws, persons]))
        finally:
            relay.close()


# -- a person reading and flagging mail in the inbox meanwhile --------------------------------------------


def test_people_reading_flagging_and_moving_inbox_mail_meanwhile_change_nothing_for_the_bot(
    tmp_path: Path, dovecot: Dovecot, smtp_sink: SmtpSink, relay: Relay
) -> None:
    bot = relayed_bot(tmp_path, dovecot, smtp_sink, relay)
    everyone = people(6)
    raws = [signup_sv(*p) for p in everyone]
    ids = [message_id_of(r) for r in raws]
    bot.append(*raws)
    inbox = folder_name(dovecot, "INBOX")
    with dovecot.client(ADDRESS) as c:  # before the poll: someone reads, flags and answers
        c.select_folder(inbox)
        u = uids_of(c, ids)
        c.fetch([u[0]], ["BODY[]"])  # reading it sets \Seen
        c.add_flags([u[1]], [b"\\Flagged"])
        c.add_flags([u[2]], [b"\\Seen", b"\\Answered"])
        c.create_folder("Personal")
    acted = threading.Event()

    def person_meanwhile(link: Link, line: bytes) -> None:
        # While the bot fetches, someone flags one message and moves another to their own folder.
        if is_body_fetch(line) and not acted.is_set():
            acted.set()
            with dovecot.client(ADDRESS) as c:
                c.select_folder(inbox)
                u = uids_of(c, ids)
                c.add_flags([u[3]], [b"\\Flagged"])
                c.move([u[4]], "Personal")

    relay.on_command = person_meanwhile

    result = bot.poll()

    assert acted.is_set()
    assert "5 registered" in result.stdout, result
    one_each(bot, [p[2] for i, p in enumerate(everyone) if i != 4])
    processed = flags_by_message_id(dovecot, PROCESSED)
    assert processed == {
        ids[0]: {b"\\Seen"},
        ids[1]: {b"\\Flagged"},
        ids[2]: {b"\\Seen", b"\\Answered"},
        ids[3]: {b"\\Flagged"},
        ids[5]: set(),
    }
    assert flags_by_message_id(dovecot, "Personal") == {ids[4]: set()}
    assert bot.folders()["INBOX"] == []
    # The bot itself never reads with a command that sets \Seen, and never stores \Seen.
    assert not relay.sent(rb"(?i)FETCH .*(?<![.\w])(BODY\[|RFC822(\.TEXT)?[\s)])"), relay.sent(rb"FETCH")
    assert not relay.sent(rb"(?i)STORE .*\\Seen")


# -- every IMAP call has a socket timeout --------------------------------------------------------------


def test_a_server_that_accepts_and_never_answers_fails_the_poll_in_seconds_with_one_line(
    tmp_path: Path, smtp_sink: SmtpSink
) -> None:
    silent = socket.create_server((HOST, 0), backlog=16)  # the kernel completes the handshake; nobody answers
    port = silent.getsockname()[1]
    try:
        sections = base_config(tmp_path, port, smtp_sink.port)
        sections["imap"]["timeout_seconds"] = 0.5
        config = write_config(tmp_path, sections)
        started = time.monotonic()
        result = run_cli("poll", "--config", config, timeout=30)
        took = time.monotonic() - started
    finally:
        silent.close()

    assert result.code == 1, result
    line = one_line_error(result)
    assert "timed out" in line and f"127.0.0.1:{port}" in line, line
    # Four attempts of 0.5 s, and reconnection waits of 1, 2 and 4 s, each with +-25 % jitter.
    waits = [float(w) for w in re.findall(r"reconnecting in (\d+\.\d) s", result.stdout)]
    assert len(waits) == 3, result
    assert 0.75 <= waits[0] <= 1.25 and 1.5 <= waits[1] <= 2.5 and 3.0 <= waits[2] <= 5.0, waits
    assert took < 4 * 0.5 + sum(waits) + 4, took


def test_a_server_that_stops_answering_mid_fetch_times_out_and_the_poll_recovers(
    tmp_path: Path, dovecot: Dovecot, smtp_sink: SmtpSink, relay: Relay
) -> None:
    bot = relayed_bot(tmp_path, dovecot, smtp_sink, relay, timeout_seconds=0.5)
    everyone = people(4)
    bot.append(*[signup_sv(*p) for p in everyone])
    stalled = threading.Event()

    def black_hole(link: Link, line: bytes) -> None:
        if is_body_fetch(line) and not stalled.is_set():
            stalled.set()
            link.stall = True  # the server's answer never arrives

    relay.on_command = black_hole
    started = time.monotonic()

    result = bot.poll()

    took = time.monotonic() - started
    assert stalled.is_set()
    assert re.search(r"IMAP connection lost during fetch: .*timed out", result.stdout), result
    assert took < 8, took
    one_each(bot, [p[2] for p in everyone])
    assert bot.status()["messages_total"] == 4
    assert bot.folders()["INBOX"] == []
