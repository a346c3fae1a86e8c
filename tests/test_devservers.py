"""The throwaway servers themselves: real Dovecot and the aiosmtpd sink, no mocks."""

from __future__ import annotations

import os
import shutil
import smtplib
import socket
import ssl
import subprocess
import sys
import tempfile
import textwrap
from email.message import EmailMessage
from pathlib import Path

import imapclient
import pytest
from imapclient.exceptions import LoginError

from registration_bot import devservers
from registration_bot.devservers import DROP, Dovecot, SmtpSink

RAW = (
    b"From: Ada <ada@example.com>\r\nTo: anmalan@example.org\r\n"
    b"Subject: Registration Ada\r\nMessage-ID: <ada-1@example.com>\r\n\r\n"
    b"Name: Ada Lovelace\r\n"
)


def make_message(to: str = "ada@example.com", subject: str = "Confirmed") -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = "anmalan@example.org"
    msg["To"] = to
    msg["Subject"] = subject
    msg.set_content("You are registered.\n")
    return msg


def inbox_uids(server: Dovecot, user: str = "anmalan@example.org") -> list[int]:
    with server.client(user) as c:
        c.select_folder("INBOX", readonly=True)
        return c.search()


# -- Dovecot ---------------------------------------------------------------------------


def test_append_search_fetch_peek_keeps_unseen(dovecot: Dovecot) -> None:
    dovecot.append("anmalan@example.org", RAW)
    dovecot.append("anmalan@example.org", b"Subject: other\r\n\r\nx\r\n", folder="Archive")
    with dovecot.client("anmalan@example.org") as c:
        assert c.folder_exists("Archive")
        c.select_folder("INBOX")
        uids = c.search(["SUBJECT", "Registration"])  # a UID SEARCH
        assert len(uids) == 1
        fetched = c.fetch(uids, ["BODY.PEEK[]"])[uids[0]]
        assert fetched[b"BODY[]"] == RAW
        assert imapclient.SEEN not in c.get_flags(uids)[uids[0]]
        c.fetch(uids, ["BODY[]"])  # the control: a plain BODY[] does mark it read
        assert imapclient.SEEN in c.get_flags(uids)[uids[0]]
    assert inbox_uids(dovecot, "attendee@example.org") == []


def test_wrong_password_is_refused(dovecot: Dovecot) -> None:
    c = imapclient.IMAPClient(dovecot.host, dovecot.port, ssl=False, timeout=5)
    try:
        with pytest.raises(LoginError):
            c.login("anmalan@example.org", "wrong")
    finally:
        c.shutdown()


def test_tls_login_verifies_the_test_ca(dovecot_tls: Dovecot, tls_files: devservers.TlsFiles) -> None:
    assert dovecot_tls.ca_file == tls_files.ca_file
    dovecot_tls.append("anmalan@example.org", RAW)
    assert len(inbox_uids(dovecot_tls)) == 1
    # The system trust store does not know the throwaway CA ...
    with pytest.raises(ssl.SSLCertVerificationError):
        imapclient.IMAPClient(
            dovecot_tls.host, dovecot_tls.port, ssl=True, ssl_context=ssl.create_default_context(), timeout=5
        )
    # ... and the right CA still rejects a name the certificate was not issued for.
    with socket.create_connection((dovecot_tls.host, dovecot_tls.port), timeout=5) as raw:
        with pytest.raises(ssl.SSLCertVerificationError, match="mismatch"):
            tls_files.client_context().wrap_socket(raw, server_hostname="imap.example.net")


def test_restart_keeps_mail_and_port(dovecot: Dovecot) -> None:
    dovecot.append("anmalan@example.org", RAW)
    port = dovecot.port
    dovecot.restart()
    assert dovecot.port == port and dovecot.running
    assert len(inbox_uids(dovecot)) == 1


def test_kill_drops_clients_and_restart_recovers(dovecot: Dovecot) -> None:
    dovecot.append("anmalan@example.org", RAW)
    c = dovecot.client("anmalan@example.org")
    try:
        c.select_folder("INBOX")
        dovecot.kill()
        assert not dovecot.running
        with pytest.raises((imapclient.exceptions.IMAPClientAbortError, OSError)):
            c.noop()
    finally:
        c.shutdown()
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection((dovecot.host, dovecot.port), timeout=2).close()
    dovecot.restart()
    assert len(inbox_uids(dovecot)) == 1


def test_start_failure_reports_dovecot_error(dovecot_dir: Path) -> None:
    server = Dovecot(dovecot_dir, {"a@example.org": "pw"}, extra_config="no_such_setting = 1\n")
    with pytest.raises(RuntimeError, match="no_such_setting"):
        server.start()
    assert not server.running


@pytest.mark.skipif(os.geteuid() != 0, reason="only root needs a workdir 'nobody' can reach")
@pytest.mark.usefixtures("needs_dovecot")
def test_root_refuses_workdir_nobody_cannot_reach(tmp_path: Path) -> None:
    private = tmp_path / "private"
    private.mkdir(mode=0o700)
    with pytest.raises(RuntimeError, match="not traversable by 'nobody'"):
        Dovecot(private / "w", {"a@example.org": "pw"}).start()


def _nobody_python() -> list[str] | None:
    """An interpreter 'nobody' can execute (the venv's may live under /root)."""
    version = "python{}.{}".format(*sys.version_info[:2])
    for candidate in (sys.executable, f"/usr/bin/{version}", f"/usr/local/bin/{version}"):
        if not candidate:
            continue
        probe = subprocess.run(
            ["runuser", "-u", "nobody", "--", candidate, "-c", "import sys; print(sys.version_info[:2])"],
            capture_output=True,
            text=True,
        )
        if probe.returncode == 0 and probe.stdout.strip() == str(sys.version_info[:2]):
            return ["runuser", "-u", "nobody", "--", candidate]
    return None


@pytest.mark.usefixtures("needs_dovecot")
def test_dovecot_runs_without_root(tmp_path: Path) -> None:
    """The non-root configuration, exercised for real (as 'nobody' when we are root)."""
    script = textwrap.dedent("""
        import sys
        from pathlib import Path
        from registration_bot.devservers import Dovecot
        with Dovecot(Path(sys.argv[1]), {"u@example.org": "pw"}) as d:
            d.append("u@example.org", b"Subject: hi\\r\\n\\r\\nbody\\r\\n")
            d.restart()
            with d.client("u@example.org") as c:
                c.select_folder("INBOX")
                print("uids", c.search())
    """)
    if os.geteuid() == 0:
        command = _nobody_python()
        if command is None:
            pytest.skip("no Python interpreter of this version is executable by 'nobody'")
        base = Path(tempfile.mkdtemp(prefix="regbot-nonroot-"))
        shutil.chown(base, "nobody", "nogroup")
    else:
        command, base = [sys.executable], tmp_path
    site = [p for p in sys.path if p.endswith("site-packages")]
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(Path(devservers.__file__).parents[2]), *site]))
    try:
        done = subprocess.run(
            [*command, "-W", "error", "-c", script, str(base / "w")],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
            cwd=base,
        )
        assert done.returncode == 0, done.stderr
        assert done.stdout.strip() == "uids [1]"
        config = (base / "w" / "dovecot.conf").read_text()
        user = "nobody" if os.geteuid() == 0 else os.environ.get("USER", "")
        assert f"default_internal_user = {user}" in config
        maildir = base / "w" / "mail" / "u@example.org" / "Maildir"
        assert maildir.is_dir() and maildir.stat().st_uid == (65534 if os.geteuid() == 0 else os.getuid())
    finally:
        if base != tmp_path:
            shutil.rmtree(base, ignore_errors=True)


# -- SMTP sink ---------------------------------------------------------------------------


def test_sink_records_and_saves_message(smtp_sink: SmtpSink, tmp_path: Path) -> None:
    with smtplib.SMTP(smtp_sink.host, smtp_sink.port, timeout=5) as s:
        s.send_message(make_message())
        s.send_message(make_message(to="Bo <bo/x@example.com>", subject="Second"))
    first, second = smtp_sink.messages
    assert first.mail_from == "anmalan@example.org"
    assert first.rcpt_tos == ["ada@example.com"]
    assert first.message["Subject"] == "Confirmed"
    assert b"You are registered." in first.data
    assert second.message["Subject"] == "Second"
    saved = sorted(p.name for p in (tmp_path / "outbox").iterdir())
    assert saved == ["0001-ada@example.com.eml", "0002-bo_x@example.com.eml"]
    assert (tmp_path / "outbox" / saved[0]).read_bytes() == first.data


def test_sink_451_once_then_accepts(smtp_sink: SmtpSink) -> None:
    smtp_sink.queue_replies("451 4.3.0 Try again later")
    with smtplib.SMTP(smtp_sink.host, smtp_sink.port, timeout=5) as s:
        with pytest.raises(smtplib.SMTPDataError) as excinfo:
            s.send_message(make_message())
        assert excinfo.value.smtp_code == 451
        assert smtp_sink.messages == []
        s.send_message(make_message())
    assert len(smtp_sink.messages) == 1


def test_sink_rejects_recipient_permanently(smtp_sink: SmtpSink) -> None:
    smtp_sink.reject_recipient("Gone@Example.com", "550 5.1.1 User unknown")
    with smtplib.SMTP(smtp_sink.host, smtp_sink.port, timeout=5) as s:
        for _ in range(2):
            with pytest.raises(smtplib.SMTPRecipientsRefused) as excinfo:
                s.sendmail("anmalan@example.org", ["gone@example.com"], b"Subject: x\r\n\r\nx")
            assert excinfo.value.recipients["gone@example.com"][0] == 550
        refused = s.sendmail("anmalan@example.org", ["gone@example.com", "ok@example.com"], b"Subject: x\r\n\r\nx")
        assert refused == {"gone@example.com": (550, b"5.1.1 User unknown")}
    assert [m.rcpt_tos for m in smtp_sink.messages] == [["ok@example.com"]]


def test_sink_queued_rcpt_reply(smtp_sink: SmtpSink) -> None:
    smtp_sink.queue_replies("452 4.2.2 Mailbox full", at="rcpt")
    with smtplib.SMTP(smtp_sink.host, smtp_sink.port, timeout=5) as s:
        with pytest.raises(smtplib.SMTPRecipientsRefused) as excinfo:
            s.send_message(make_message())
        assert excinfo.value.recipients["ada@example.com"][0] == 452
        s.send_message(make_message())
    assert len(smtp_sink.messages) == 1
    with pytest.raises(ValueError):
        smtp_sink.queue_replies("oops")
    with pytest.raises(ValueError):
        smtp_sink.queue_replies("451 later", at="helo")


def test_sink_drop_disconnects_then_recovers(smtp_sink: SmtpSink) -> None:
    smtp_sink.queue_replies(DROP)
    with smtplib.SMTP(smtp_sink.host, smtp_sink.port, timeout=5) as s:
        with pytest.raises(smtplib.SMTPServerDisconnected):
            s.send_message(make_message())
    assert smtp_sink.messages == []
    with smtplib.SMTP(smtp_sink.host, smtp_sink.port, timeout=5) as s:
        s.send_message(make_message())
    assert len(smtp_sink.messages) == 1


def test_sink_auth(tmp_path: Path) -> None:
    with SmtpSink(auth={"bot@example.org": "hunter2"}) as sink:
        with smtplib.SMTP(sink.host, sink.port, timeout=5) as s:
            with pytest.raises(smtplib.SMTPSenderRefused) as refused:
                s.send_message(make_message())  # AUTH is required before MAIL
            assert refused.value.smtp_code == 530
            with pytest.raises(smtplib.SMTPAuthenticationError) as excinfo:
                s.login("bot@example.org", "wrong")
            assert excinfo.value.smtp_code == 535
        for mechanism in ("PLAIN", "LOGIN"):
            with smtplib.SMTP(sink.host, sink.port, timeout=5) as s:
                s.ehlo()
                assert mechanism in s.esmtp_features["auth"].split()
                s.user, s.password = "bot@example.org", "hunter2"
                auth_object = s.auth_plain if mechanism == "PLAIN" else s.auth_login
                assert s.auth(mechanism, auth_object)[0] == 235
                s.send_message(make_message(subject=mechanism))
        assert [m.message["Subject"] for m in sink.messages] == ["PLAIN", "LOGIN"]


def test_sink_starttls_verifies(smtp_sink_tls: SmtpSink, tls_files: devservers.TlsFiles) -> None:
    with smtplib.SMTP(smtp_sink_tls.host, smtp_sink_tls.port, timeout=5) as s:
        s.starttls(context=tls_files.client_context())
        s.send_message(make_message())
    assert len(smtp_sink_tls.messages) == 1


def test_sink_implicit_tls(tls_files: devservers.TlsFiles) -> None:
    with SmtpSink(tls_context=tls_files.server_context(), implicit_tls=True) as sink:
        with pytest.raises(ssl.SSLCertVerificationError):
            smtplib.SMTP_SSL(sink.host, sink.port, timeout=5, context=ssl.create_default_context())
        with smtplib.SMTP_SSL(sink.host, sink.port, timeout=5, context=tls_files.client_context()) as s:
            s.send_message(make_message())
        assert len(sink.messages) == 1


def test_sink_restart_keeps_port() -> None:
    sink = SmtpSink().start()
    port = sink.port
    sink.stop()
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection((sink.host, port), timeout=2).close()
    with sink:
        assert sink.port == port
        with smtplib.SMTP(sink.host, sink.port, timeout=5) as s:
            assert s.noop()[0] == 250
