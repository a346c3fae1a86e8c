"""``registration-bot run`` as a service: scheduling, clean stops on signals, one instance per state file."""

from __future__ import annotations

import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from e2e_helpers import (
    Bot,
    base_config,
    one_line_error,
    people,
    signup_sv,
    start_cli,
    stop_process,
    wait_until,
    write_config,
)

from registration_bot.devservers import Dovecot, SmtpSink

ANNA = ("Anna", "Svensson", "anna.svensson@example.se")
READY = "registration-bot running"


@pytest.fixture
def bot(tmp_path: Path, dovecot: Dovecot, smtp_sink: SmtpSink) -> Bot:
    return Bot.create(tmp_path / "bot", dovecot, smtp_sink, {"schedule": {"poll_seconds": 5}})


class Service:
    """One ``run`` child process with its log file."""

    def __init__(self, bot: Bot, log: Path) -> None:
        self.log = log
        self.proc = start_cli("run", "--config", bot.config, log_path=log)

    def text(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def wait_ready(self, timeout: float = 15) -> None:
        """Until the signal handlers are installed (they are, before READY is logged)."""
        wait_until(lambda: READY in self.text() or self.proc.poll() is not None, timeout, what="the service to start")
        assert self.proc.poll() is None, f"run exited early with {self.proc.returncode}:\n{self.text()}"

    def stop_with(self, signum: int, timeout: float = 5) -> tuple[int, float]:
        started = time.monotonic()
        self.proc.send_signal(signum)
        try:
            code = self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            pytest.fail(f"run did not stop within {timeout} s of {signal.Signals(signum).name}:\n{self.text()}")
        return code, time.monotonic() - started


@pytest.fixture
def services() -> Iterator[list[Service]]:
    started: list[Service] = []
    yield started
    for service in started:
        stop_process(service.proc)


def test_run_picks_up_mail_that_arrives_later_and_stops_cleanly_on_sigterm(
    bot: Bot, tmp_path: Path, services: list[Service]
) -> None:
    service = Service(bot, tmp_path / "run.log")
    services.append(service)
    service.wait_ready()
    # The first cycle runs at once; it writes the (empty) workbook.
    wait_until(bot.workbook_path.exists, 10, what="the first cycle")

    arrived = time.monotonic()
    bot.append(signup_sv(*ANNA))
    [mail] = bot.smtp.wait_for_messages(1, timeout=12)
    took = time.monotonic() - arrived

    assert mail.rcpt_tos == [ANNA[2]]
    assert took < 10, f"a message appended while running took {took:.1f} s (poll_seconds = 5)"
    code, stopping = service.stop_with(signal.SIGTERM)
    assert code == 0, service.text()
    assert stopping < 5
    assert "SIGTERM" in service.text() and "stopped" in service.text()
    assert "Traceback" not in service.text()
    assert [row["E-post"] for row in bot.workbook().rows] == [ANNA[2]]
    assert bot.folders()["INBOX"] == []
    assert len(bot.smtp.messages) == 1


def test_one_instance_per_state_file_and_sigint_stops_cleanly(
    bot: Bot, tmp_path: Path, services: list[Service]
) -> None:
    service = Service(bot, tmp_path / "run.log")
    services.append(service)
    service.wait_ready()

    for command in ("run", "poll"):
        started = time.monotonic()
        other = bot.run(command, timeout=10)
        assert other.code == 3, other
        line = one_line_error(other)
        assert "already" in line and str(service.proc.pid) in line, line
        assert time.monotonic() - started < 5

    code, stopping = service.stop_with(signal.SIGINT)
    assert code == 0, service.text()
    assert stopping < 5
    assert "Traceback" not in service.text()
    # The lock went with the process: a poll works again.
    after = bot.run("poll")
    assert after.code == 0, after


def test_sigterm_in_the_middle_of_sending_finishes_the_current_mail_and_loses_nothing(
    tmp_path: Path, dovecot: Dovecot, services: list[Service]
) -> None:
    class SlowSink(SmtpSink):
        def _record(self, mail_from: str, rcpt_tos: list[str], data: bytes) -> None:
            super()._record(mail_from, rcpt_tos, data)
            time.sleep(0.1)  # the 250 comes 0.1 s after the message has arrived

    with SlowSink() as sink:
        bot = Bot.create(tmp_path / "bot", dovecot, sink, {"schedule": {"poll_seconds": 5}})
        everyone = people(20)
        bot.append(*[signup_sv(*p) for p in everyone])
        service = Service(bot, tmp_path / "run.log")
        services.append(service)
        service.wait_ready()
        wait_until(lambda: len(sink.messages) >= 3, 15, what="sending to start")

        code, stopping = service.stop_with(signal.SIGTERM)

        assert code == 0, service.text()
        assert stopping < 5
        delivered = len(sink.messages)
        assert delivered < 20, "the stop came too late to test anything"
        info = bot.status()
        assert info["outbox"]["data"] == info["outbox"]["sending"] == info["outbox"]["unknown"] == 0, info
        assert info["outbox"]["sent"] == delivered
        assert info["outbox"]["queued"] + info["outbox"]["sent"] == 20

        bot.poll()

        per_person = bot.sent().confirmations_by_recipient()
        assert sorted(per_person) == sorted(p[2] for p in everyone)
        assert set(per_person.values()) == {1}


def test_the_service_follows_a_changed_configuration_without_a_restart(
    tmp_path: Path, dovecot: Dovecot, smtp_sink: SmtpSink, services: list[Service]
) -> None:
    """Raising the capacity promotes on the next cycle; a broken file is refused, the service goes on."""
    sections = base_config(tmp_path / "bot", dovecot.port, smtp_sink.port)
    sections["schedule"] = {"poll_seconds": 5}
    sections["event"]["capacity"] = 1
    bot = Bot(tmp_path / "bot", dovecot, smtp_sink, write_config(tmp_path / "bot", sections))
    first, second = people(2)
    bot.append(signup_sv(*first), signup_sv(*second))
    service = Service(bot, tmp_path / "run.log")
    services.append(service)
    service.wait_ready()
    smtp_sink.wait_for_messages(2, timeout=15)
    wait_until(bot.workbook_path.exists, 10, what="the workbook")
    assert bot.workbook().by_email()[second[2]]["Status"] == "Väntelista"

    # A broken file: said once, and the service keeps running on what it has.
    bot.config.write_text(bot.config.read_text() + "\n[event]\ncapacity = 'many'\n")
    wait_until(lambda: "not valid" in service.text(), 15, what="the broken configuration to be reported")
    assert service.proc.poll() is None

    sections["event"]["capacity"] = 2
    write_config(tmp_path / "bot", sections)
    [promoted] = smtp_sink.wait_for_messages(3, timeout=15)[2:]
    assert promoted.rcpt_tos == [second[2]]
    wait_until(lambda: bot.workbook().by_email()[second[2]]["Status"] == "Anmäld", 15, what="the workbook")
    assert "configuration reloaded" in service.text() and "[event]" in service.text()

    # SIGHUP reloads at once; a change to [state] waits for a restart.
    sections["state"] = {"path": str(tmp_path / "elsewhere.sqlite3")}
    write_config(tmp_path / "bot", sections)
    service.proc.send_signal(signal.SIGHUP)
    wait_until(lambda: "takes a restart" in service.text(), 10, what="the restart-only change to be reported")
    code, _ = service.stop_with(signal.SIGTERM)
    assert code == 0, service.text()
    assert "Traceback" not in service.text()
    assert not (tmp_path / "elsewhere.sqlite3").exists()
