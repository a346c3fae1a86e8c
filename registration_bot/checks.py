"""``check``: can the bot log in to both servers with this configuration?

Each check prints one line and says what it saw, so an operator setting up a
new mailbox learns which half is wrong without reading logs.
"""

from __future__ import annotations

from collections.abc import Callable

from .mailbox import Mailbox, MailboxError
from .oauth import describe
from .settings import Settings
from .smtp import SmtpAuthFailed, SmtpUnavailable, connect, quit_quietly


def check_imap(settings: Settings) -> tuple[bool, str]:
    imap = settings.imap
    box = Mailbox(imap)
    try:
        box.connect()
        uidvalidity = box.select(imap.folder)
        count = len(box.all_uids())
    except MailboxError as exc:
        return False, f"imap: FAILED: {exc}"
    finally:
        box.close()
    move = "MOVE" if box.has_move else "no MOVE (COPY + UID EXPUNGE fallback)"
    idle = "IDLE" if "IDLE" in box.capabilities else "no IDLE"
    return True, (
        f"imap: ok: logged in as {imap.username} at {imap.host}:{imap.port} ({imap.security}, {describe(imap)}); "
        f"{imap.folder} has {count} message(s), UIDVALIDITY {uidvalidity}; {move}, {idle}"
    )


def check_smtp(settings: Settings) -> tuple[bool, str]:
    smtp = settings.smtp
    try:
        conn = connect(smtp)
    except (SmtpUnavailable, SmtpAuthFailed) as exc:
        return False, f"smtp: FAILED: {exc}"
    try:
        auth = f"logged in as {smtp.username} ({describe(smtp)})" if smtp.username else "no AUTH configured"
        return True, f"smtp: ok: EHLO accepted by {smtp.host}:{smtp.port} ({smtp.security}); {auth}"
    finally:
        quit_quietly(conn)


def run_checks(settings: Settings, out: Callable[[str], object]) -> bool:
    ok = True
    for check in (check_imap, check_smtp):
        passed, line = check(settings)
        out(line)
        ok &= passed
    return ok
