"""Operating the bot: the health check, alerts, the daily digest and JSON logs (issue 5)."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from e2e_helpers import ADDRESS, Bot, run_cli, signup_en, signup_sv

from registration_bot.devservers import Dovecot, SmtpSink

ORGANISER = "organiser@example.org"


def organised(tmp_path: Path, dovecot: Dovecot, smtp_sink: SmtpSink, **kwargs) -> Bot:
    return Bot.create(tmp_path / "bot", dovecot, smtp_sink, {"organiser": {"email": ORGANISER}}, **kwargs)


def mails_to(sink: SmtpSink, address: str) -> list:
    return [m for m in sink.messages if address in m.rcpt_tos]


def test_status_check_is_healthy_after_a_good_cycle(tmp_path: Path, dovecot: Dovecot, smtp_sink: SmtpSink) -> None:
    bot = organised(tmp_path, dovecot, smtp_sink)
    bot.append(signup_sv("Anna", "Svensson", "anna@example.se"))
    bot.poll()
    result = bot.run("status", "--check")
    assert result.code == 0, str(result)
    assert "Health:        ok" in result.stdout
    info = json.loads(bot.run("status", "--json", "--check").stdout)
    assert info["healthy"] is True and info["health_problems"] == []


def test_status_check_fails_when_cycles_stop_sending_pauses_or_the_workbook_lags(
    tmp_path: Path, dovecot: Dovecot, smtp_sink: SmtpSink
) -> None:
    bot = organised(tmp_path, dovecot, smtp_sink)
    bot.append(signup_sv("Anna", "Svensson", "anna@example.se"))
    bot.poll()
    db = sqlite3.connect(bot.state_path)
    try:
        # 1. No successful cycle for more than 3 x poll_seconds (60 s by default).
        db.execute("UPDATE cycles SET finished_at = '2020-01-01T00:00:00+00:00'")
        db.commit()
        result = bot.run("status", "--check")
        assert result.code == 1 and "last successful cycle" in result.stderr, str(result)
        assert len(result.stderr.strip().splitlines()) == 1
        bot.poll()  # a fresh good cycle
        assert bot.run("status", "--check").code == 0
        # 2. Sending paused by an SMTP authentication failure.
        db.execute("INSERT OR REPLACE INTO meta VALUES ('smtp_pause_reason', 'SMTP login refused')")
        db.commit()
        result = bot.run("status", "--check")
        assert result.code == 1 and "sending is paused" in result.stderr
        db.execute("UPDATE meta SET value = '' WHERE key = 'smtp_pause_reason'")
        # 3. The workbook not written since a change.
        db.execute("UPDATE meta SET value = CAST(value AS INTEGER) + 1 WHERE key = 'state_version'")
        db.execute("INSERT OR REPLACE INTO meta VALUES ('workbook_error', 'attendees.xlsx is open in Excel')")
        db.commit()
        result = bot.run("status", "--check")
        assert result.code == 1 and "workbook has not been written" in result.stderr
    finally:
        db.close()


def test_a_refused_imap_login_alerts_the_organiser_once_and_again_on_recovery(
    tmp_path: Path, dovecot: Dovecot, smtp_sink: SmtpSink
) -> None:
    bot = organised(tmp_path, dovecot, smtp_sink, password="wrong")
    for _ in range(3):
        result = bot.run("poll")
        assert result.code == 1 and "IMAP login failed" in result.stderr
    alerts = mails_to(smtp_sink, ORGANISER)
    assert len(alerts) == 1, [m.message["Subject"] for m in alerts]
    assert alerts[0].message["Subject"].startswith("Larm: IMAP-inloggningen nekas")
    assert alerts[0].message["Auto-Submitted"] == "auto-generated"
    assert "wrong" not in alerts[0].data.decode("utf-8", "replace")  # never the password
    assert "imap_login" in bot.status()["incidents"]

    fixed = bot.config.read_text().replace('password = "wrong"', 'password = "secret"')
    bot.config.write_text(fixed)
    bot.poll()
    bot.poll()
    mails = mails_to(smtp_sink, ORGANISER)
    assert [m.message["Subject"].split(":")[0] for m in mails] == ["Larm", "Åtgärdat"]
    assert bot.status()["incidents"] == {}


def test_the_daily_digest_carries_the_workbook_and_goes_once_a_day(
    tmp_path: Path, dovecot: Dovecot, smtp_sink: SmtpSink
) -> None:
    bot = organised(tmp_path, dovecot, smtp_sink)
    bot.append(signup_sv("Anna", "Svensson", "anna@example.se"), signup_en("John", "Smith", "john@example.com"))
    bot.poll()
    result = bot.run("digest")
    assert result.code == 0 and "digest: queued; sent 1" in result.stdout, str(result)
    [digest] = mails_to(smtp_sink, ORGANISER)
    msg = digest.message
    assert msg["Subject"].startswith("Dagens anmälningar")
    body = msg.get_body(preferencelist=("plain",)).get_content()
    assert "Nya anmälningar: 2" in body and "Anna Svensson" in body and "John Smith" in body
    [attachment] = list(msg.iter_attachments())
    assert attachment.get_filename() == "attendees.xlsx"
    assert attachment.get_content()[:2] == b"PK"  # an .xlsx is a zip file
    again = bot.run("digest")
    assert "already sent today" in again.stdout
    assert len(mails_to(smtp_sink, ORGANISER)) == 1


def test_the_digest_needs_an_organiser_address(tmp_path: Path, dovecot: Dovecot, smtp_sink: SmtpSink) -> None:
    bot = Bot.create(tmp_path / "bot", dovecot, smtp_sink)
    result = bot.run("digest")
    assert result.code == 2 and "organiser.email" in result.stderr


def test_json_logs_name_each_message_and_never_carry_its_body(
    tmp_path: Path, dovecot: Dovecot, smtp_sink: SmtpSink
) -> None:
    bot = organised(tmp_path, dovecot, smtp_sink)
    raw = signup_sv("Anna", "Svensson", "anna@example.se").replace(
        b"anm\xc3\xa4la mig", b"anm\xc3\xa4la mig SECRET-BODY-WORD"
    )
    bot.append(raw, signup_en("John", "Smith", "john@example.com"))
    result = run_cli("--log-format", "json", "poll", "--config", bot.config)
    assert result.code == 0, str(result)
    lines = [line for line in result.stdout.splitlines() if not line.startswith("poll:")]
    entries = [json.loads(line) for line in lines]  # every log line is one JSON object
    assert all({"time", "level", "logger", "message"} <= set(e) for e in entries)
    about_messages = [e for e in entries if e["logger"] == "registration_bot.inbox"]
    assert len(about_messages) == 2
    assert all(isinstance(e["uid"], int) and e["message_id"].startswith("<") for e in about_messages)
    assert all("message_id" in e for e in entries if e["logger"] == "registration_bot.outbox")
    assert "SECRET-BODY-WORD" not in result.output
    assert "secret" not in result.output  # the IMAP password
    assert "anna@example.se" not in result.output  # addresses appear only at debug level


def test_the_service_schedules_the_digest_at_the_organisers_time(tmp_path: Path) -> None:
    from registration_bot.ledger import Ledger
    from registration_bot.service import Service
    from registration_bot.settings import load_settings

    config = tmp_path / "c.toml"
    config.write_text(
        f'[imap]\nhost = "127.0.0.1"\nsecurity = "none"\nusername = "{ADDRESS}"\n'
        f'[smtp]\nhost = "127.0.0.1"\nsecurity = "none"\nfrom_address = "{ADDRESS}"\n'
        f'[organiser]\nemail = "{ORGANISER}"\ndigest_time = "07:45"\n'
    )
    settings = load_settings(config)
    with Ledger(settings.state.path) as ledger:
        service = Service(settings, ledger)
        service.schedule()
        trigger = service.scheduler.get_job("digest").trigger
        assert str(trigger.timezone) == "Europe/Stockholm"
        assert {f.name: str(f) for f in trigger.fields}["hour"] == "7"
        assert {f.name: str(f) for f in trigger.fields}["minute"] == "45"
        assert service.scheduler.get_job("poll") is not None
