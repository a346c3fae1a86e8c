"""Faults, through the command line: SMTP errors, crashes, bad configuration, secrets, TLS.

Every test drives ``python -m registration_bot`` as a child process against a real
Dovecot and a real aiosmtpd sink on 127.0.0.1, with faults injected on the servers'
side (SMTP replies, dropped connections, wrong passwords, SIGKILL of the bot).
"""

from __future__ import annotations

import random
import signal
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from e2e_helpers import (
    ADDRESS,
    PROCESSED,
    Bot,
    base_config,
    one_line_error,
    people,
    run_cli,
    signup_en,
    signup_sv,
    start_cli,
    stop_process,
    wait_until,
    write_config,
)

from registration_bot.devservers import DROP, Dovecot, SmtpSink, TlsFiles, free_port

ANNA = ("Anna", "Svensson", "anna.svensson@example.se")
JOHN = ("John", "Smith", "john.smith@example.com")
IMAP_PASSWORD = "imap-Pw-7hQ2-lantern"  # distinctive, so a leak is found by a plain search
SMTP_PASSWORD = "smtp-Pw-K9x4-harbour"
WRONG_PASSWORD = "wrong-Pw-3zR8-meadow"


@pytest.fixture
def bot(tmp_path: Path, dovecot: Dovecot, smtp_sink: SmtpSink) -> Bot:
    return Bot.create(tmp_path / "bot", dovecot, smtp_sink)


@pytest.fixture
def imap_with_secret(dovecot_dir: Path) -> Iterator[Dovecot]:
    """A Dovecot whose only user has a distinctive password."""
    with Dovecot(dovecot_dir, {ADDRESS: IMAP_PASSWORD}) as server:
        yield server


@pytest.fixture
def smtp_with_auth() -> Iterator[SmtpSink]:
    with SmtpSink(auth={ADDRESS: SMTP_PASSWORD}) as sink:
        yield sink


def assert_no_secrets(*texts: str | bytes) -> None:
    for text in texts:
        blob = text if isinstance(text, bytes) else text.encode()
        for secret in (IMAP_PASSWORD, SMTP_PASSWORD, WRONG_PASSWORD):
            assert secret.encode() not in blob, f"a password leaked into: {blob[:2000]!r}"


# -- SMTP replies ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fault", "at"),
    [
        ("451 4.3.0 Try again later", "data"),
        ("421 4.3.2 Service shutting down", "data"),
        ("450 4.2.1 Mailbox busy", "rcpt"),
    ],
    ids=["451-at-data", "421-at-data", "450-at-rcpt"],
)
def test_a_temporary_smtp_failure_is_retried_and_delivered_exactly_once(bot: Bot, fault: str, at: str) -> None:
    bot.append(signup_sv(*ANNA))
    bot.smtp.queue_replies(fault, at=at)

    first = bot.poll()

    assert "1 registered" in first.stdout, first
    assert "retry 1, failed 0" in first.stdout, first  # seen as temporary, not permanent

    bot.poll()

    assert len(bot.sent().to(ANNA[2])) == 1
    assert len(bot.sent().messages) == 1
    outbox = bot.status()["outbox"]
    assert outbox["sent"] == 1 and sum(outbox.values()) == 1


def test_a_dropped_connection_leaves_the_rest_of_the_batch_for_the_next_poll(bot: Bot) -> None:
    bot.append(signup_sv(*ANNA), signup_en(*JOHN))
    bot.smtp.queue_replies(DROP)

    bot.poll()

    assert bot.status()["outbox"] == {
        "queued": 1,
        "sending": 0,
        "data": 0,
        "sent": 0,
        "retry": 1,
        "failed": 0,
        "unknown": 0,
        "held": 0,
    }
    assert bot.sent().messages == []
    bot.poll()
    assert sorted(r for m in bot.sent().messages for r in m.rcpt_tos) == sorted([ANNA[2], JOHN[2]])
    assert bot.status()["outbox"]["sent"] == 2


def test_a_451_is_left_for_the_next_poll_even_when_the_retry_is_due_at_once(bot: Bot) -> None:
    bot.append(signup_sv(*ANNA))
    bot.smtp.queue_replies("451 4.3.0 Try again later")

    bot.poll()

    assert bot.status()["outbox"]["retry"] == 1
    assert bot.sent().messages == []


@pytest.mark.parametrize("at", ["data", "rcpt"])
def test_a_permanent_smtp_failure_is_failed_for_good_and_shown_by_status(bot: Bot, at: str) -> None:
    bot.append(signup_sv(*ANNA), signup_en(*JOHN))
    if at == "data":
        bot.smtp.queue_replies("550 5.7.1 Message rejected")  # answers only the first DATA
    else:
        bot.smtp.reject_recipient(ANNA[2], "550 5.1.1 User unknown")

    first = bot.poll()

    assert "sent 1, retry 0, failed 1" in first.stdout, first
    info = bot.status()
    assert info["outbox"]["failed"] == 1 and info["outbox"]["sent"] == 1
    [problem] = info["outbox_problems"]
    assert problem["recipient"] == ANNA[2] and problem["error"].startswith("550")
    assert [r for m in bot.sent().messages for r in m.rcpt_tos] == [JOHN[2]]  # the other one still went out

    text = bot.status_text()
    assert ANNA[2] in text and "550" in text, text

    later = bot.poll()  # never retried, even though the sink would now accept it (DATA case)
    assert "sent 0, retry 0, failed 0" in later.stdout, later
    assert bot.sent().to(ANNA[2]) == []


def test_mail_stays_queued_while_smtp_is_down_and_goes_out_when_it_is_back(tmp_path: Path, dovecot: Dovecot) -> None:
    down = SmtpSink()
    down.port = free_port()  # nothing listens there yet
    bot = Bot.create(tmp_path / "bot", dovecot, down)
    bot.append(signup_sv(*ANNA))

    first = bot.poll()  # registrations do not wait for SMTP

    assert "1 registered" in first.stdout, first
    info = bot.status()
    assert info["outbox"]["queued"] == 1 and info["registrations"]["registered"] == 1
    assert info["smtp"]["outage"]
    assert [row["E-post"] for row in bot.workbook().rows] == [ANNA[2]]

    with down:
        bot.poll()
        assert len(down.messages) == 1
    info = bot.status()
    assert info["outbox"]["sent"] == 1 and info["smtp"]["outage"] is None


# -- crashes ------------------------------------------------------------------------------


class SlowSink(SmtpSink):
    """A sink that pauses after accepting each message, before answering 250.

    ``hold_next()`` makes it keep the next accepted message's 250 back until
    ``release()``: a SIGKILL then lands exactly where the server has the message
    but the bot cannot know it was delivered (the documented ``unknown`` case).
    """

    delay = 0.02

    def __init__(self) -> None:
        super().__init__()
        self._hold = False
        self.held = threading.Event()
        self._release = threading.Event()

    def hold_next(self) -> None:
        self.held.clear()
        self._release.clear()
        self._hold = True

    def release(self) -> None:
        self._release.set()

    def _record(self, mail_from: str, rcpt_tos: list[str], data: bytes) -> None:
        super()._record(mail_from, rcpt_tos, data)
        # Sleeping blocks the sink's event loop, which is fine: the bot is its only client.
        if self._hold:
            self._hold = False
            self.held.set()
            self._release.wait(10)
        else:
            time.sleep(self.delay)


@pytest.fixture
def slow_sink() -> Iterator[SlowSink]:
    sink = SlowSink()
    with sink:
        try:
            yield sink
        finally:
            sink.release()


def _log_lines(path: Path, marker: str) -> int:
    return path.read_text(errors="replace").count(marker) if path.exists() else 0


def test_kill_9_at_any_moment_never_loses_a_message_nor_confirms_anyone_twice(
    tmp_path: Path, dovecot: Dovecot, slow_sink: SlowSink
) -> None:
    bot = Bot.create(
        tmp_path / "bot",
        dovecot,
        slow_sink,
        # ~20 mails a second, and small IMAP batches so kills also land between record and MOVE
        {"smtp": {"rate_per_minute": 1200}, "imap": {"batch_size": 5}},
    )
    everyone = people(40)
    appended = bot.append(*[signup_sv(*p) for p in everyone[:25]])
    log = tmp_path / "poll.log"
    rng = random.Random()
    seed = rng.randrange(1 << 30)
    rng.seed(seed)

    def recorded() -> int:
        return _log_lines(log, "registration_bot.inbox: uid=")

    def delivered() -> int:
        return len(slow_sink.messages)

    # When to pull the plug, round by round: while the inbox is being recorded, while
    # the server holds back its 250 reply, in the middle of sending, and at random.
    rounds = [
        ("while recording", "recorded", 3),
        ("before the 250 reply", "held", 0),
        ("mid-sending", "delivered", 4),
        ("more mail, while recording", "recorded", 2),
        ("at random", "random", 0),
        ("at random", "random", 0),
    ]
    kills = []
    for name, moment, count in rounds:
        if name.startswith("more mail"):
            appended += bot.append(*[signup_sv(*p) for p in everyone[25:]])
        if moment == "held":
            slow_sink.hold_next()
        progress = {"recorded": recorded, "delivered": delivered}.get(moment, lambda: 0)
        target = progress() + count
        proc = start_cli("poll", "--config", bot.config, log_path=log)
        try:
            if moment == "held":
                assert slow_sink.held.wait(15), "no mail reached the sink"
            elif moment == "random":
                time.sleep(rng.uniform(0.3, 1.2))
            else:

                def moment_reached(progress=progress, target=target, proc=proc) -> bool:
                    return progress() >= target or proc.poll() is not None

                wait_until(moment_reached, 15, interval=0.005, what=name)
            proc.send_signal(signal.SIGKILL)
            code = proc.wait(timeout=10)
        finally:
            slow_sink.release()
            stop_process(proc)
        kills.append((name, code))
        # Between crashes: nothing is lost, and whatever was moved had been recorded first.
        info = bot.status()
        folders = bot.folders()
        where = f"round {name!r} (seed {seed}): {info['messages_total']} in the ledger, {info['outbox']}, {folders}"
        assert sum(len(ids) for ids in folders.values()) == appended, where
        assert len(folders["INBOX"]) + info["messages_total"] >= appended, where
        assert info["messages_total"] >= len(folders[PROCESSED]), where
        assert max(bot.sent().confirmations_by_recipient().values(), default=0) <= 1, where
    # The rounds that wait for a moment must really have crashed there.
    assert [code for _name, code in kills[:4]] == [-signal.SIGKILL] * 4, kills

    bot.poll()

    info = bot.status()
    folders = bot.folders()
    assert folders["INBOX"] == []
    assert info["messages_total"] == appended == 40
    assert info["registrations"]["registered"] == len({p[2] for p in everyone}) == 40
    assert len(bot.workbook().rows) == 40
    outbox = info["outbox"]
    assert outbox["queued"] == outbox["sending"] == outbox["data"] == outbox["retry"] == outbox["failed"] == 0
    assert outbox["sent"] + outbox["unknown"] == 40
    per_person = bot.sent().confirmations_by_recipient()
    unknown = {problem["recipient"] for problem in info["outbox_problems"]}
    assert len(unknown) == outbox["unknown"]
    assert unknown, "the kill before the 250 reply must leave one 'unknown' mail"
    for _first, _last, address in everyone:
        if address in unknown:  # the documented at-most-once outcome: never resent
            assert per_person[address] <= 1, address
        else:
            assert per_person[address] == 1, address
    assert sum(per_person.values()) == len(bot.sent().messages)


# -- configuration and start-up errors --------------------------------------------------------


@pytest.mark.parametrize(
    ("section", "key", "value", "named"),
    [
        ("imap", "prot", 1, "imap.prot"),
        ("imap", "port", 70000, "imap.port"),
        ("smtp", "from_address", "Anmälan <anmalan@example.org>", "smtp.from_address"),
        ("schedule", "poll_seconds", 1, "schedule.poll_seconds"),
    ],
)
def test_a_bad_setting_exits_2_with_one_line_naming_the_key(
    tmp_path: Path, section: str, key: str, value: object, named: str
) -> None:
    sections = base_config(tmp_path, free_port(), free_port())
    sections.setdefault(section, {})[key] = value
    config = write_config(tmp_path, sections)

    result = run_cli("poll", "--config", config)

    assert result.code == 2, result
    assert named in one_line_error(result)
    assert not (tmp_path / "state.sqlite3").exists()


def test_a_missing_configuration_file_exits_2(tmp_path: Path) -> None:
    result = run_cli("poll", "--config", tmp_path / "nowhere.toml")
    assert result.code == 2, result
    assert "nowhere.toml" in one_line_error(result)


def test_a_wrong_imap_password_exits_1_with_one_line_about_login(
    tmp_path: Path, imap_with_secret: Dovecot, smtp_sink: SmtpSink
) -> None:
    bot = Bot.create(tmp_path / "bot", imap_with_secret, smtp_sink, password=WRONG_PASSWORD)

    result = run_cli("--log-level", "debug", "poll", "--config", bot.config)

    assert result.code == 1, result
    assert "login" in one_line_error(result).lower()
    assert_no_secrets(result.stdout, result.stderr, bot.state_path.read_bytes())


def test_an_unreachable_imap_server_exits_1_with_one_line(tmp_path: Path, smtp_sink: SmtpSink) -> None:
    port = free_port()
    config = write_config(tmp_path, base_config(tmp_path, port, smtp_sink.port))

    started = time.monotonic()
    result = run_cli("poll", "--config", config)

    assert result.code == 1, result
    line = one_line_error(result)
    assert f"127.0.0.1:{port}" in line, line
    assert time.monotonic() - started < 15


def test_check_against_good_servers_says_ok_for_both_and_exits_0(
    tmp_path: Path, imap_with_secret: Dovecot, smtp_with_auth: SmtpSink
) -> None:
    bot = Bot.create(
        tmp_path / "bot",
        imap_with_secret,
        smtp_with_auth,
        {"smtp": {"username": ADDRESS, "password": SMTP_PASSWORD}},
        password=IMAP_PASSWORD,
    )

    result = run_cli("--log-level", "debug", "check", "--config", bot.config)

    assert result.code == 0, result
    lines = result.stdout.splitlines()
    assert any(line.startswith("imap: ok") for line in lines), result
    assert any(line.startswith("smtp: ok") for line in lines), result
    assert_no_secrets(result.stdout, result.stderr)


@pytest.mark.parametrize("wrong", ["imap", "smtp"])
def test_check_with_a_wrong_password_exits_non_zero_and_says_which(
    tmp_path: Path, imap_with_secret: Dovecot, smtp_with_auth: SmtpSink, wrong: str
) -> None:
    bot = Bot.create(
        tmp_path / "bot",
        imap_with_secret,
        smtp_with_auth,
        {"smtp": {"username": ADDRESS, "password": WRONG_PASSWORD if wrong == "smtp" else SMTP_PASSWORD}},
        password=WRONG_PASSWORD if wrong == "imap" else IMAP_PASSWORD,
    )

    result = run_cli("--log-level", "debug", "check", "--config", bot.config)

    assert result.code == 1, result
    lines = result.stdout.splitlines()
    assert any(line.startswith(f"{wrong}: FAILED") for line in lines), result
    other = "smtp" if wrong == "imap" else "imap"
    assert any(line.startswith(f"{other}: ok") for line in lines), result
    assert_no_secrets(result.stdout, result.stderr)


def test_poll_with_a_refused_smtp_login_exits_non_zero(
    tmp_path: Path, imap_with_secret: Dovecot, smtp_with_auth: SmtpSink
) -> None:
    bot = Bot.create(
        tmp_path / "bot",
        imap_with_secret,
        smtp_with_auth,
        {"smtp": {"username": ADDRESS, "password": WRONG_PASSWORD}},
        password=IMAP_PASSWORD,
    )
    bot.append(signup_sv(*ANNA))

    result = run_cli("--log-level", "debug", "poll", "--config", bot.config)

    assert_no_secrets(result.stdout, result.stderr, bot.state_path.read_bytes())
    assert bot.status()["smtp"]["paused"]
    assert result.code == 1, result
    assert "smtp" in one_line_error(result).lower()


# -- secrets from the environment and from files ----------------------------------------------


@pytest.mark.parametrize("source", ["env-only", "env-beats-file", "password-file"])
def test_the_imap_password_can_come_from_the_environment_or_a_file(
    tmp_path: Path, imap_with_secret: Dovecot, smtp_sink: SmtpSink, source: str
) -> None:
    env: dict[str, str] = {}
    changes: dict[str, dict[str, object]] = {}
    password: str | None = None
    if source == "env-only":
        env["REGBOT_IMAP__PASSWORD"] = IMAP_PASSWORD
    elif source == "env-beats-file":
        password = WRONG_PASSWORD
        env["REGBOT_IMAP__PASSWORD"] = IMAP_PASSWORD
    else:
        (tmp_path / "bot").mkdir()
        secret = tmp_path / "bot" / "imap-password"
        secret.write_text(IMAP_PASSWORD + "\n")
        secret.chmod(0o600)
        changes["imap"] = {"password_file": "imap-password"}  # relative to the config file
    bot = Bot.create(tmp_path / "bot", imap_with_secret, smtp_sink, changes, password=password)
    assert IMAP_PASSWORD not in bot.config.read_text()
    bot.append(signup_sv(*ANNA))

    result = run_cli("--log-level", "debug", "poll", "--config", bot.config, env=env)

    assert result.code == 0, result
    assert "1 registered" in result.stdout, result
    assert len(bot.sent().to(ANNA[2])) == 1
    assert_no_secrets(result.stdout, result.stderr, bot.state_path.read_bytes())


def test_password_and_password_file_together_are_a_configuration_error(tmp_path: Path) -> None:
    (tmp_path / "pw").write_text(IMAP_PASSWORD)
    sections = base_config(tmp_path, free_port(), free_port(), password=WRONG_PASSWORD)
    sections["imap"]["password_file"] = "pw"
    result = run_cli("poll", "--config", write_config(tmp_path, sections))
    assert result.code == 2, result
    assert "imap.password" in one_line_error(result)
    assert_no_secrets(result.stdout, result.stderr)


# -- TLS ------------------------------------------------------------------------------------------


def test_imap_over_tls_works_with_the_test_ca(
    tmp_path: Path, dovecot_tls: Dovecot, smtp_sink: SmtpSink, tls_files: TlsFiles
) -> None:
    bot = Bot.create(
        tmp_path / "bot", dovecot_tls, smtp_sink, {"imap": {"security": "tls", "ca_file": str(tls_files.ca_file)}}
    )
    bot.append(signup_sv(*ANNA))

    result = bot.poll()

    assert "1 registered" in result.stdout, result
    assert len(bot.sent().to(ANNA[2])) == 1
    assert bot.folders()["INBOX"] == []


def test_imap_over_tls_without_the_ca_fails_verification_in_one_line(
    tmp_path: Path, dovecot_tls: Dovecot, smtp_sink: SmtpSink
) -> None:
    bot = Bot.create(tmp_path / "bot", dovecot_tls, smtp_sink, {"imap": {"security": "tls"}})
    bot.append(signup_sv(*ANNA))

    result = bot.run("poll")

    assert result.code == 1, result
    line = one_line_error(result)
    assert "certificate" in line.lower(), line
    assert bot.sent().messages == []
    assert len(bot.folders()["INBOX"]) == 1
