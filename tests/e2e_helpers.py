"""Shared helpers for the end-to-end tests: the real CLI in a subprocess, real servers.

Every e2e test drives ``python -m registration_bot`` as a child process against a
real Dovecot and a real aiosmtpd sink on 127.0.0.1, then looks at the results the
way an operator would: ``status --json``, the workbook (openpyxl), the IMAP folders
(imapclient) and what the sink received. Nothing here mocks a library.
"""

from __future__ import annotations

import email
import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime, make_msgid
from pathlib import Path
from typing import Any

from openpyxl import load_workbook

from registration_bot.devservers import Dovecot, SmtpSink

ADDRESS = "anmalan@example.org"
PROCESSED = "Registrations/Processed"
REVIEW = "Registrations/Review"
REPO = Path(__file__).resolve().parent.parent
CLI_TIMEOUT = 30.0
CONFIRM_SUBJECTS = ("Du är anmäld", "You are registered")


# -- configuration -------------------------------------------------------------------


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, Path):
        value = str(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)  # a JSON string is a valid TOML basic string
    raise TypeError(f"cannot write {value!r} as TOML")


def config_text(sections: Mapping[str, Mapping[str, Any]]) -> str:
    lines: list[str] = []
    for name, values in sections.items():
        lines.append(f"[{name}]")
        lines += [f"{key} = {_toml_value(value)}" for key, value in values.items() if value is not None]
        lines.append("")
    return "\n".join(lines)


def base_config(
    workdir: Path, imap_port: int, smtp_port: int, *, password: str | None = "secret"
) -> dict[str, dict[str, Any]]:
    """A configuration for the local test servers, as nested dicts (edit, then write)."""
    return {
        "event": {"name": "Testträffen", "language": "sv"},
        "imap": {
            "host": "127.0.0.1",
            "port": imap_port,
            "security": "none",
            "username": ADDRESS,
            "password": password,
            "processed_folder": PROCESSED,
            "review_folder": REVIEW,
            "timeout_seconds": 10,
        },
        "smtp": {
            "host": "127.0.0.1",
            "port": smtp_port,
            "security": "none",
            "from_address": ADDRESS,
            "from_name": "Anmälan Testträffen",
            "rate_per_minute": 100_000,
            "retry_base_seconds": 0,
            "timeout_seconds": 10,
        },
        "workbook": {"path": str(workdir / "attendees.xlsx")},
        "state": {"path": str(workdir / "state.sqlite3")},
    }


def write_config(workdir: Path, sections: Mapping[str, Mapping[str, Any]], name: str = "bot.toml") -> Path:
    workdir.mkdir(parents=True, exist_ok=True)
    path = workdir / name
    path.write_text(config_text(sections), encoding="utf-8")
    return path


# -- the command line ----------------------------------------------------------------


def cli_env(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment for the child: ours minus any REGBOT_* override, plus ``extra``."""
    env = {k: v for k, v in os.environ.items() if not k.upper().startswith("REGBOT_")}
    env["PYTHONUNBUFFERED"] = "1"
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    env.update(extra or {})
    return env


def cli_command(*args: str) -> list[str]:
    return [sys.executable, "-m", "registration_bot", *args]


@dataclass
class Result:
    args: tuple[str, ...]
    code: int
    stdout: str
    stderr: str

    @property
    def output(self) -> str:
        return self.stdout + self.stderr

    def __str__(self) -> str:
        command = " ".join(self.args)
        return f"registration-bot {command} -> {self.code}\n--- stdout\n{self.stdout}\n--- stderr\n{self.stderr}"


def run_cli(
    *args: str | Path, env: Mapping[str, str] | None = None, timeout: float = CLI_TIMEOUT, cwd: Path | None = None
) -> Result:
    """Run the CLI to completion; a hang fails the test instead of hanging it."""
    argv = tuple(str(a) for a in args)
    proc = subprocess.run(
        cli_command(*argv),
        capture_output=True,
        text=True,
        timeout=timeout,
        env=cli_env(env),
        cwd=cwd or REPO,
        stdin=subprocess.DEVNULL,
    )
    return Result(argv, proc.returncode, proc.stdout, proc.stderr)


def poll(config: Path, **kwargs: Any) -> Result:
    result = run_cli("poll", "--config", config, **kwargs)
    assert result.code == 0, str(result)
    return result


def status(config: Path) -> dict[str, Any]:
    result = run_cli("status", "--json", "--config", config)
    assert result.code == 0, str(result)
    return json.loads(result.stdout)


def status_text(config: Path) -> str:
    result = run_cli("status", "--config", config)
    assert result.code == 0, str(result)
    return result.stdout


def one_line_error(result: Result) -> str:
    """Assert a failure printed exactly one line on stderr (no traceback) and return it."""
    assert result.code != 0, str(result)
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, f"expected one line on stderr:\n{result}"
    assert "Traceback" not in result.output, str(result)
    return lines[0]


def start_cli(*args: str | Path, log_path: Path, env: Mapping[str, str] | None = None) -> subprocess.Popen[bytes]:
    """Start the CLI in the background, stdout and stderr into ``log_path``."""
    with open(log_path, "ab") as log:
        return subprocess.Popen(
            cli_command(*(str(a) for a in args)),
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env=cli_env(env),
            cwd=REPO,
        )


def wait_until(predicate: Callable[[], Any], timeout: float, interval: float = 0.05, what: str = "condition") -> Any:
    """Poll ``predicate`` until it is truthy; fail the test after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(interval)


def stop_process(proc: subprocess.Popen[bytes]) -> None:
    """Last-resort cleanup for a background CLI process that a test started."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=10)


# -- messages -----------------------------------------------------------------------


def message(
    sender: str,
    subject: str,
    body: str,
    *,
    name: str = "",
    headers: Mapping[str, str] | None = None,
    message_id: str | None = None,
) -> bytes:
    """A plain text/plain message to the registration address, in wire format (CRLF)."""
    msg = EmailMessage(policy=SMTP)
    msg["From"] = f"{name} <{sender}>" if name else sender
    msg["To"] = ADDRESS
    msg["Subject"] = subject
    msg["Date"] = format_datetime(datetime.now().astimezone())
    msg["Message-ID"] = message_id or make_msgid(domain=sender.rsplit("@", 1)[-1])
    for key, value in (headers or {}).items():
        msg[key] = value
    msg.set_content(body, charset="utf-8")
    return msg.as_bytes()


def signup_sv(first: str, last: str, address: str, **kwargs: Any) -> bytes:
    return message(
        address,
        "Anmälan",
        f"Hej!\n\nJag vill anmäla mig till träffen.\n\nMvh\n{first} {last}\n",
        name=f"{first} {last}",
        **kwargs,
    )


def signup_en(first: str, last: str, address: str, **kwargs: Any) -> bytes:
    return message(
        address,
        "Registration",
        f"Hello,\n\nI would like to register for the event.\n\nBest regards,\n{first} {last}\n",
        name=f"{first} {last}",
        **kwargs,
    )


def cancel_sv(first: str, last: str, address: str) -> bytes:
    return message(
        address,
        "Avanmälan",
        f"Hej!\n\nJag måste tyvärr avanmäla mig.\n\nMvh\n{first} {last}\n",
        name=f"{first} {last}",
    )


def question_sv(first: str, last: str, address: str) -> bytes:
    return message(
        address,
        "Fråga om parkering",
        f"Hej!\n\nFinns det parkering vid lokalen? Och hur tar man sig dit med buss?\n\nMvh\n{first} {last}\n",
        name=f"{first} {last}",
    )


def out_of_office(address: str, name: str) -> bytes:
    return message(
        address,
        "Automatiskt svar: Anmälan",
        "Jag är på semester till och med 10 augusti och läser inte min e-post.\n",
        name=name,
        headers={"Auto-Submitted": "auto-replied", "X-Auto-Response-Suppress": "All"},
    )


def newsletter(address: str = "news@nyhetsbrev.example.net") -> bytes:
    return message(
        address,
        "Nyhetsbrev december: anmäl dig till våra kurser",
        "Anmäl dig till vårens kurser redan idag!\n",
        name="Nyhetsbrevet",
        headers={
            "List-Id": "Nyheter <nyheter.nyhetsbrev.example.net>",
            "List-Unsubscribe": "<mailto:unsubscribe@nyhetsbrev.example.net>",
        },
    )


def dsn(original_recipient: str = "nobody@example.com") -> bytes:
    """A delivery status notification (RFC 3464) from MAILER-DAEMON, with a null Return-Path."""
    boundary = "dsn-boundary-42"
    text = (
        f"Return-Path: <>\r\n"
        f"From: Mail Delivery System <MAILER-DAEMON@mx.example.net>\r\n"
        f"To: {ADDRESS}\r\n"
        f"Subject: Undelivered Mail Returned to Sender\r\n"
        f"Date: {format_datetime(datetime.now().astimezone())}\r\n"
        f"Message-ID: {make_msgid(domain='mx.example.net')}\r\n"
        f"MIME-Version: 1.0\r\n"
        f'Content-Type: multipart/report; report-type=delivery-status; boundary="{boundary}"\r\n'
        f"\r\n"
        f"--{boundary}\r\n"
        f"Content-Type: text/plain; charset=us-ascii\r\n"
        f"\r\n"
        f"I'm sorry to have to inform you that your message could not be delivered.\r\n"
        f"\r\n"
        f"--{boundary}\r\n"
        f"Content-Type: message/delivery-status\r\n"
        f"\r\n"
        f"Reporting-MTA: dns; mx.example.net\r\n"
        f"\r\n"
        f"Final-Recipient: rfc822; {original_recipient}\r\n"
        f"Action: failed\r\n"
        f"Status: 5.1.1\r\n"
        f"\r\n"
        f"--{boundary}--\r\n"
    )
    return text.encode("ascii")


FIRST_NAMES = ["Anna", "Erik", "Maria", "Lars", "Karin", "Johan", "Sara", "Per", "Emma", "Nils"]
LAST_NAMES = ["Svensson", "Lindqvist", "Berg", "Holm", "Ekström", "Nyberg", "Sandberg", "Wikström"]


def people(count: int, domain: str = "example.se") -> list[tuple[str, str, str]]:
    """``count`` distinct, realistic (first, last, address) triples."""
    found = []
    for last in LAST_NAMES:
        for first in FIRST_NAMES:
            found.append((first, last, f"{first}.{last}@{domain}".lower().replace("ö", "o")))
    assert count <= len(found)
    return found[:count]


def message_id_of(raw: bytes) -> str:
    return str(email.message_from_bytes(raw)["Message-ID"]).strip()


# -- the servers ---------------------------------------------------------------------


def append_all(server: Dovecot, raws: Iterable[bytes], user: str = ADDRESS) -> int:
    """APPEND every message over one connection; return how many."""
    count = 0
    with server.client(user) as c:
        for raw in raws:
            c.append("INBOX", raw)
            count += 1
    return count


def folders(server: Dovecot, user: str = ADDRESS) -> dict[str, list[str]]:
    """Every folder, by its configured ``/`` name, with the Message-IDs it holds."""
    found: dict[str, list[str]] = {}
    with server.client(user) as c:
        for flags, delimiter, name in c.list_folders():
            if {f.lower() for f in flags} & {b"\\noselect", b"\\nonexistent"}:
                continue
            sep = delimiter.decode() if isinstance(delimiter, bytes) else (delimiter or "/")
            c.select_folder(name, readonly=True)
            uids = c.search(["ALL"])
            ids: list[str] = []
            if uids:
                for item in c.fetch(uids, ["BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)]"]).values():
                    header = next(v for k, v in item.items() if k.startswith(b"BODY[HEADER"))
                    ids.append(header.decode().partition(":")[2].strip())
            found[name.replace(sep, "/") if name.upper() != "INBOX" else "INBOX"] = ids
    return found


def folder_delimiter(server: Dovecot, user: str = ADDRESS) -> str:
    with server.client(user) as c:
        _flags, delimiter, _name = c.list_folders("", "")[0]
    return delimiter.decode() if isinstance(delimiter, bytes) else delimiter


def message_flags(server: Dovecot, folder: str, user: str = ADDRESS) -> list[tuple[bytes, ...]]:
    with server.client(user) as c:
        c.select_folder(folder, readonly=True)
        uids = c.search(["ALL"])
        return [flags for flags in c.get_flags(uids).values()] if uids else []


def server_folder(server: Dovecot, folder: str) -> str:
    return folder.replace("/", folder_delimiter(server))


@dataclass
class Sent:
    """What the SMTP sink received, grouped the way the tests ask."""

    messages: list[Any] = field(default_factory=list)

    @classmethod
    def of(cls, sink: SmtpSink) -> Sent:
        return cls(sink.messages)

    def to(self, address: str) -> list[Any]:
        return [m for m in self.messages if [r.lower() for r in m.rcpt_tos] == [address.lower()]]

    def confirmations_by_recipient(self) -> Counter[str]:
        counts: Counter[str] = Counter()
        for m in self.messages:
            if str(m.message["Subject"]).startswith(CONFIRM_SUBJECTS):
                counts.update(r.lower() for r in m.rcpt_tos)
        return counts


# -- the workbook --------------------------------------------------------------------


@dataclass
class Workbook:
    sheet_names: list[str]
    header: list[str]
    rows: list[dict[str, Any]]
    review_header: list[str]
    review: list[dict[str, Any]]

    def by_email(self) -> dict[str, dict[str, Any]]:
        key = "E-post" if "E-post" in self.header else "Email"
        return {str(row[key]).lower(): row for row in self.rows}


def read_workbook(path: Path) -> Workbook:
    book = load_workbook(path, read_only=True, data_only=True)
    try:
        sheets = book.worksheets

        def table(index: int) -> tuple[list[str], list[dict[str, Any]]]:
            rows = list(sheets[index].iter_rows(values_only=True))
            header = [str(h) if h is not None else "" for h in rows[0]] if rows else []
            body = [dict(zip(header, row, strict=False)) for row in rows[1:] if any(v is not None for v in row)]
            return header, body

        header, rows = table(0)
        review_header, review = table(1) if len(sheets) > 1 else ([], [])
        return Workbook(book.sheetnames, header, rows, review_header, review)
    finally:
        book.close()


def file_identity(path: Path) -> tuple[int, int, int, bytes]:
    """Inode, mtime and size and content: equal means the file was not rewritten."""
    st = path.stat()
    return st.st_ino, st.st_mtime_ns, st.st_size, path.read_bytes()


# -- one bot under test ----------------------------------------------------------------


@dataclass
class Bot:
    """A configuration for the test servers in ``workdir``, and ways to drive and inspect it."""

    workdir: Path
    imap: Dovecot
    smtp: SmtpSink
    config: Path

    @classmethod
    def create(
        cls,
        workdir: Path,
        imap: Dovecot,
        smtp: SmtpSink,
        changes: Mapping[str, Mapping[str, Any]] | None = None,
        *,
        password: str | None = "secret",
    ) -> Bot:
        sections = base_config(workdir, imap.port, smtp.port, password=password)
        for section, values in (changes or {}).items():
            sections.setdefault(section, {}).update(values)
        return cls(workdir, imap, smtp, write_config(workdir, sections))

    @property
    def workbook_path(self) -> Path:
        return self.workdir / "attendees.xlsx"

    @property
    def state_path(self) -> Path:
        return self.workdir / "state.sqlite3"

    def append(self, *raws: bytes) -> int:
        return append_all(self.imap, raws)

    def poll(self, *, env: Mapping[str, str] | None = None) -> Result:
        return poll(self.config, env=env)

    def run(self, *args: str | Path, env: Mapping[str, str] | None = None, timeout: float = CLI_TIMEOUT) -> Result:
        return run_cli(*args, "--config", self.config, env=env, timeout=timeout)

    def status(self) -> dict[str, Any]:
        return status(self.config)

    def status_text(self) -> str:
        return status_text(self.config)

    def folders(self) -> dict[str, list[str]]:
        return folders(self.imap)

    def sent(self) -> Sent:
        return Sent.of(self.smtp)

    def workbook(self) -> Workbook:
        return read_workbook(self.workbook_path)
