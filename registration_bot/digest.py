"""The organiser's daily summary: what changed since yesterday, with the workbook attached.

Sent once a day at ``[organiser] digest_time`` (an APScheduler cron job in
the event's time zone) to ``[organiser] email``: new sign-ups, cancellations,
the review queue and the mail that could not be delivered. The outbox key
``digest:<date>`` makes it at most one a day, even across restarts.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from pathlib import Path

from .compose import build_message
from .ledger import Ledger
from .settings import Settings

log = logging.getLogger(__name__)


def _since(ledger: Ledger) -> str:
    last = ledger.get_meta("digest_last_at")
    return last or (datetime.now(UTC) - timedelta(days=1)).isoformat(timespec="seconds")


def summary(ledger: Ledger, settings: Settings, since: str) -> tuple[str, str]:
    """Subject and body in the event's language."""
    db = ledger.db
    new = db.execute(
        "SELECT name, organisation, seats FROM registrations WHERE status = 'registered' AND created_at >= ?"
        " ORDER BY id",
        (since,),
    ).fetchall()
    cancelled = db.execute(
        "SELECT name FROM registrations WHERE status = 'cancelled' AND cancelled_at >= ? ORDER BY id", (since,)
    ).fetchall()
    review = db.execute(
        "SELECT sender, subject, reason FROM messages WHERE state IN ('review', 'failed')"
        " AND processed_at >= ? ORDER BY id",
        (since,),
    ).fetchall()
    queue = db.execute("SELECT COUNT(*) FROM messages WHERE state IN ('review', 'failed')").fetchone()[0]
    problems = db.execute(
        "SELECT recipient, state, last_error FROM outbox WHERE state IN ('failed', 'unknown', 'held')"
        " AND updated_at >= ? ORDER BY id",
        (since,),
    ).fetchall()
    seats = db.execute("SELECT COALESCE(SUM(seats), 0) FROM registrations WHERE status = 'registered'").fetchone()[0]
    sv = settings.event.language == "sv"
    lines = [
        (
            f"Sammanfattning för {settings.event.name} sedan {since[:16].replace('T', ' ')} UTC."
            if sv
            else f"Summary for {settings.event.name} since {since[:16].replace('T', ' ')} UTC."
        ),
        "",
        (f"Nya anmälningar: {len(new)}" if sv else f"New sign-ups: {len(new)}"),
        *(
            f"  - {r['name']}" + (f", {r['organisation']}" if r["organisation"] else "") + f" ({r['seats']})"
            for r in new
        ),
        (f"Avanmälningar: {len(cancelled)}" if sv else f"Cancellations: {len(cancelled)}"),
        *(f"  - {r['name']}" for r in cancelled),
        (
            f"Att granska: {queue} totalt, {len(review)} nya"
            if sv
            else f"Needs review: {queue} in all, {len(review)} new"
        ),
        *(f"  - {r['sender'] or '?'}: {r['subject'][:60]} ({r['reason'][:80]})" for r in review),
        (f"Utskick som inte gått fram: {len(problems)}" if sv else f"Mail not delivered: {len(problems)}"),
        *(f"  - {r['recipient']} ({r['state']}): {r['last_error'][:80]}" for r in problems),
        "",
        (f"Platser bokade totalt: {seats}." if sv else f"Seats taken in all: {seats}."),
        ("Arbetsboken är bifogad." if sv else "The workbook is attached."),
    ]
    subject = f"Dagens anmälningar: {settings.event.name}" if sv else f"Today's sign-ups: {settings.event.name}"
    return subject, "\n".join(lines) + "\n"


def queue_digest(ledger: Ledger, settings: Settings, now: datetime | None = None) -> bool:
    """Queue today's digest (once a day); False when there is no organiser address or it was queued."""
    to = settings.organiser.email
    if not to:
        return False
    now = now or datetime.now(UTC)
    subject, body = summary(ledger, settings, _since(ledger))
    workbook: Path = settings.workbook.path
    attachments = ((workbook.name, workbook.read_bytes()),) if workbook.is_file() else ()
    msg = build_message(
        settings,
        recipient=to,
        recipient_name="",
        subject=subject,
        body=body,
        language=settings.event.language,
        auto_submitted="auto-generated",
        attachments=attachments,
    )
    day = now.astimezone(settings.event.zone).date().isoformat()
    with ledger.transaction():
        queued = ledger.queue_mail(
            kind="digest", dedup_key=f"digest:{day}", recipient=to, message_id=msg["Message-ID"], payload=msg.as_bytes()
        )
        if queued:
            ledger.set_meta("digest_last_at", now.isoformat(timespec="seconds"))
    if queued:
        log.info("daily digest queued for the organiser")
    return queued
