"""``registration-bot demo``: the whole loop on throwaway local mail servers.

It starts an aiosmtpd server and a real Dovecot on 127.0.0.1 (or, without
Dovecot, a local Maildir inbox), fills the inbox with the sample sign-ups that
ship in ``resources/demo``, runs the real cycle twice (the second finds
nothing to do) and leaves the workbook, the sent confirmations and the state
in the output folder. No account and no setup are needed.
"""

from __future__ import annotations

import os
import secrets
import shutil
import tempfile
from contextlib import ExitStack
from importlib.resources import files
from pathlib import Path

from .devservers import Dovecot, SmtpSink, dovecot_available
from .ledger import Ledger
from .maildir import MaildirBox
from .settings import load_settings
from .status import collect
from .worker import Worker

ADDRESS = "anmalan@example.org"
CONFIG = """\
# Written by `registration-bot demo`: throwaway servers on 127.0.0.1.
[event]
name = "Ekosystem kring öppen källkod och öppna data"
date = ""
location = ""
language = "sv"

[imap]
host = "127.0.0.1"
port = {imap_port}
security = "none"
username = "{address}"
password_file = "imap-password"

[smtp]
host = "127.0.0.1"
port = {smtp_port}
security = "none"
from_address = "{address}"
from_name = "Anmälan: Ekosystem kring öppen källkod och öppna data"
rate_per_minute = 6000

[workbook]
path = "attendees.xlsx"

[state]
path = "registration-bot.sqlite3"
"""
OURS = (
    "attendees.xlsx",
    "attendees.versions",
    "sent",
    "registration-bot.sqlite3",
    "registration-bot.sqlite3-wal",
    "registration-bot.sqlite3-shm",
    "registration-bot.sqlite3.lock",
    "registration-bot.toml",
    "imap-password",
    "inbox-maildir",
)


def samples() -> list[tuple[str, bytes]]:
    folder = files("registration_bot").joinpath("resources", "demo")
    return sorted((f.name, f.read_bytes()) for f in folder.iterdir() if f.name.endswith(".eml"))


def _clean(output: Path) -> None:
    for name in OURS:
        path = output / name
        if path.is_dir():
            shutil.rmtree(path)
        elif path.exists():
            path.unlink()


def _dovecot_workdir(stack: ExitStack) -> Path:
    workdir = Path(tempfile.mkdtemp(prefix="regbot-demo-"))
    stack.callback(shutil.rmtree, workdir, True)
    workdir.chmod(0o711)  # as root, Dovecot's mail processes run as nobody
    return workdir


def run_demo(output: Path) -> int:
    output = output.resolve()
    output.mkdir(parents=True, exist_ok=True)
    _clean(output)
    password = secrets.token_urlsafe(16)
    (output / "imap-password").write_text(password)
    os.chmod(output / "imap-password", 0o600)
    inbox = samples()
    with ExitStack() as stack:
        smtp = stack.enter_context(SmtpSink(save_dir=output / "sent"))
        if dovecot_available():
            dovecot = stack.enter_context(Dovecot(_dovecot_workdir(stack), {ADDRESS: password}))
            for _, raw in inbox:
                dovecot.append(ADDRESS, raw)
            imap_port, where, factory = dovecot.port, f"Dovecot IMAP on 127.0.0.1:{dovecot.port}", None
        else:
            box = MaildirBox(output / "inbox-maildir")
            for _, raw in inbox:
                box.append(raw)
            imap_port, where, factory = 143, f"a local Maildir ({box.root}); install Dovecot for real IMAP", lambda: box
        config = output / "registration-bot.toml"
        config.write_text(CONFIG.format(imap_port=imap_port, smtp_port=smtp.port, address=ADDRESS), encoding="utf-8")
        settings = load_settings(config)
        print(f"demo: {len(inbox)} sample messages in the inbox of {ADDRESS} ({where})")
        print(f"demo: confirmations go to aiosmtpd on 127.0.0.1:{smtp.port}")
        with Ledger(settings.state.path) as ledger:
            worker = Worker(settings, ledger, mailbox_factory=factory)
            try:
                first = worker.cycle()
                second = worker.cycle()
            finally:
                worker.close()
            smtp.wait_for_messages(first.outbox.sent)
            rows = ledger.db.execute("SELECT uid, sender, subject, state, reason FROM messages ORDER BY uid").fetchall()
            info = collect(ledger)
    print("\nWhat happened to each message:")
    for row in rows:
        print(f"  {row['state']:<10} {row['sender'] or '-':<36} {row['reason'][:70]}")
    print(f"\nfirst cycle:  {first.summary()}")
    print(f"second cycle: {second.summary()}")
    regs = info["registrations"]
    print(
        f"\nregistered {regs['registered']}, cancelled {regs['cancelled']}, pending {regs['pending']}; "
        f"{info['seats_registered']} seats"
    )
    print(f"workbook:      {settings.workbook.path}")
    print(f"sent mail:     {output / 'sent'} ({len(list((output / 'sent').glob('*.eml')))} files)")
    print(f"state:         {settings.state.path}")
    print(f"configuration: {config} (try: registration-bot status --config {config})")
    return 0
