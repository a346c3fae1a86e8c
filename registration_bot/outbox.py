"""Send what the outbox holds, once, over one SMTP connection per batch.

Each row moves through ``queued -> sending -> data -> sent`` (pretix's state
machine, with the DATA phase made explicit). ``sending`` is committed before
the SMTP transaction starts and ``data`` just before the DATA command, so
after a crash the row itself says how far it got:

* ``sending``: DATA never started, the server cannot have the message, so the
  row is safely queued again.
* ``data``: the server may have accepted it. Sending again could give a
  person a second confirmation, so the row becomes ``unknown`` and is shown
  by ``status``; it is never resent automatically (at most once).

SMTP replies follow RFC 5321/3463: 4xx and dropped connections mean retry
with exponential backoff and jitter, 5xx means failed for good, and an
authentication failure (5.7.x) pauses all sending instead of failing rows.
"""

from __future__ import annotations

import logging
import random
import smtplib
import sqlite3
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from .ledger import Ledger, now_iso
from .sections import SmtpSettings
from .smtp import SmtpAuthFailed, SmtpUnavailable, connect, describe_error, is_auth_refusal, quit_quietly, reply_text
from .textutil import without_addresses

log = logging.getLogger(__name__)
CLAIM_BATCH = 50  # rows claimed per commit
GIVE_UP_AFTER = timedelta(days=3)
AUTH_PAUSE = timedelta(minutes=15)


@dataclass
class FlushResult:
    sent: int = 0
    retry: int = 0
    failed: int = 0
    paused: str = ""
    outage: str = ""
    connected: bool = False  # the server took our login: the SMTP side works
    errors: list[str] = field(default_factory=list)

    @property
    def did_work(self) -> bool:
        return bool(self.sent or self.retry or self.failed)


def backoff(attempts: int, base: float = 60.0) -> timedelta:
    """base, 2 base, 4 base ... capped at 4 hours, with ±20 % jitter so retries do not stampede."""
    seconds = min(base * 2 ** max(0, attempts - 1), 4 * 3600)
    return timedelta(seconds=seconds * random.uniform(0.8, 1.2))


class Outbox:
    """Claims due rows and sends them; every state change is committed before the next step."""

    def __init__(self, ledger: Ledger, settings: SmtpSettings) -> None:
        self.ledger = ledger
        self.settings = settings
        self._sent: int | None = None  # the row whose 250 is not yet written

    def recover(self) -> int:
        """Settle rows left mid-send by a crash; return how many became ``unknown``."""
        with self.ledger.transaction() as db:
            db.execute("UPDATE outbox SET state = 'queued', updated_at = ? WHERE state = 'sending'", (now_iso(),))
            unknown = db.execute(
                "UPDATE outbox SET state = 'unknown', updated_at = ?,"
                " last_error = 'interrupted after DATA began; not resent (it may have been delivered)'"
                " WHERE state = 'data'",
                (now_iso(),),
            ).rowcount
        if unknown:
            log.warning("%d outgoing message(s) were interrupted during DATA and are marked unknown", unknown)
        return unknown

    def due(self) -> int:
        return self.ledger.db.execute(
            "SELECT COUNT(*) FROM outbox WHERE state IN ('queued', 'retry') AND next_attempt_at <= ?", (now_iso(),)
        ).fetchone()[0]

    def _claim(self, after_id: int, limit: int = CLAIM_BATCH) -> list[dict]:
        """Claim the next due rows after ``after_id`` in one commit: one pass over the queue
        per flush, so a row that just failed is not retried at once, however short its backoff."""
        with self.ledger.transaction() as db:
            rows = db.execute(
                "UPDATE outbox SET state = 'sending', attempts = attempts + 1, updated_at = ?"
                # "+state": walk the primary key from after_id instead of sorting every due row.
                " WHERE id IN (SELECT id FROM outbox WHERE +state IN ('queued', 'retry') AND next_attempt_at <= ?"
                " AND id > ? ORDER BY id LIMIT ?) RETURNING id, recipient, message_id, payload, attempts, created_at",
                (now_iso(), now_iso(), after_id, limit),
            ).fetchall()
        return sorted((dict(row) for row in rows), key=lambda row: row["id"])

    def _release(self, rows: list[dict]) -> None:
        """Rows claimed but not tried (a stop, a lost connection) go back to the queue as they were."""
        with self.ledger.transaction() as db:
            self._commit_sent(db)
            db.executemany(
                "UPDATE outbox SET state = 'queued', attempts = attempts - 1 WHERE id = ? AND state = 'sending'",
                [(row["id"],) for row in rows],
            )

    def _commit_sent(self, db: sqlite3.Connection) -> None:
        """Record the last 250 in the caller's transaction (one commit per mail, not two).

        Until then the row is in ``data``: a crash in between makes it
        ``unknown``, never a resend, so deferring the write keeps at most once.
        """
        if self._sent is not None:
            now = now_iso()
            db.execute(
                "UPDATE outbox SET state = 'sent', last_error = '', updated_at = ?, sent_at = ? WHERE id = ?",
                (now, now, self._sent),
            )
            self._sent = None

    def _set(
        self, row_id: int, state: str, error: str = "", *, retry_in: timedelta | None = None, durable: bool = False
    ) -> None:
        now = datetime.now(UTC)
        with self.ledger.transaction(durable=durable) as db:
            self._commit_sent(db)
            db.execute(
                "UPDATE outbox SET state = ?, last_error = ?, updated_at = ?, next_attempt_at = ?,"
                " sent_at = CASE WHEN ? = 'sent' THEN ? ELSE sent_at END WHERE id = ?",
                (
                    state,
                    error[:500],
                    now.isoformat(timespec="seconds"),
                    (now + (retry_in or timedelta())).isoformat(timespec="seconds"),
                    state,
                    now.isoformat(timespec="seconds"),
                    row_id,
                ),
            )

    def _retry_or_give_up(self, row: dict, error: str) -> str:
        age = datetime.now(UTC) - datetime.fromisoformat(row["created_at"])
        if row["attempts"] >= self.settings.max_attempts or age > GIVE_UP_AFTER:
            self._set(row["id"], "failed", f"gave up after {row['attempts']} attempts: {error}")
            return "failed"
        self._set(row["id"], "retry", error, retry_in=backoff(row["attempts"], self.settings.retry_base_seconds))
        return "retry"

    def _paused(self) -> str:
        until = self.ledger.get_meta("smtp_paused_until")
        if until and datetime.fromisoformat(until) > datetime.now(UTC):
            return self.ledger.get_meta("smtp_pause_reason")
        return ""

    def _pause(self, problem: str) -> None:
        """An authentication failure: stop sending for AUTH_PAUSE instead of failing every row."""
        log.error("SMTP authentication failed; sending paused for %s minutes: %s", AUTH_PAUSE.seconds // 60, problem)
        with self.ledger.transaction():
            self.ledger.set_meta("smtp_paused_until", (datetime.now(UTC) + AUTH_PAUSE).isoformat())
            self.ledger.set_meta("smtp_pause_reason", problem)

    def _note_outage(self, problem: str) -> None:
        """Log an outage once, when it starts, not once per message or cycle."""
        if not self.ledger.get_meta("smtp_outage"):
            log.warning("SMTP unavailable, mail stays queued: %s", problem)
        else:
            log.debug("SMTP still unavailable: %s", problem)
        with self.ledger.transaction():
            self.ledger.set_meta("smtp_outage", problem)

    def _clear_outage(self) -> None:
        if self.ledger.get_meta("smtp_outage") or self.ledger.get_meta("smtp_paused_until"):
            log.info("SMTP is reachable again")
            with self.ledger.transaction():
                for key in ("smtp_outage", "smtp_paused_until", "smtp_pause_reason"):
                    self.ledger.set_meta(key, "")

    def flush(self, stop: threading.Event | None = None, budget: float | None = None) -> FlushResult:
        """Send every due row over one connection; stop early when ``stop`` is set.

        ``budget`` (seconds) bounds a flush in the service: at 30 mails a
        minute a burst of sign-ups would otherwise keep the next cycle (and
        new mail) waiting for as long as sending takes. What is left stays
        queued for the next cycle.
        """
        deadline = None if budget is None else time.monotonic() + budget
        result = FlushResult()
        result.paused = self._paused()
        if result.paused or not self.due():
            return result
        try:
            smtp = connect(self.settings)
        except SmtpAuthFailed as exc:
            result.paused = str(exc)
            self._pause(str(exc))
            return result
        except SmtpUnavailable as exc:
            result.outage = str(exc)
            self._note_outage(str(exc))
            return result
        self._clear_outage()
        result.connected = True
        interval = 60.0 / self.settings.rate_per_minute
        last = 0.0
        after_id = 0
        batch: list[dict] = []
        try:
            while not (stop and stop.is_set()) and (deadline is None or time.monotonic() < deadline):
                if not batch:
                    batch = self._claim(after_id)
                    if not batch:
                        break
                row = batch.pop(0)
                after_id = row["id"]
                wait = last + interval - time.monotonic()
                if wait > 0:
                    time.sleep(wait)
                last = time.monotonic()
                try:
                    outcome = self._send_one(smtp, row)
                except SmtpAuthFailed as exc:
                    # Not this mail's fault: put it back untouched and pause all sending.
                    batch.insert(0, row)
                    self._pause(str(exc))
                    result.paused = str(exc)
                    break
                setattr(result, outcome, getattr(result, outcome) + 1)
                if outcome == "retry" and getattr(smtp, "sock", None) is None:
                    result.outage = "connection dropped"
                    break
        finally:
            self._release(batch)
            quit_quietly(smtp)
        return result

    def _send_one(self, smtp: smtplib.SMTP, row: dict) -> str:
        ident = f"outbox #{row['id']} {row['message_id']}"
        sender = self.settings.from_address
        try:
            code, reply = smtp.mail(sender)
            if code == 250:
                code, reply = smtp.rcpt(row["recipient"])
            if code not in (250, 251):
                if is_auth_refusal(code, reply):
                    raise SmtpAuthFailed(f"SMTP refused to send without authentication: {code} {reply_text(reply)}")
                smtp.rset()
                return self._reply_outcome(row, code, reply, ident)
            # Durable before DATA: after a power cut this row must say "data" (so
            # it becomes unknown, never resent), and the change that queued it must exist.
            self._set(row["id"], "data", durable=True)
            code, reply = smtp.data(row["payload"])
        except smtplib.SMTPResponseException as exc:
            code, reply = exc.smtp_code, exc.smtp_error
        except (TimeoutError, smtplib.SMTPServerDisconnected, OSError) as exc:
            smtp.close()
            log.warning("%s: connection lost (%s); will retry", ident, describe_error(exc))
            return self._retry_or_give_up(row, f"connection lost: {describe_error(exc)}")
        return self._reply_outcome(row, code, reply, ident)

    def _reply_outcome(self, row: dict, code: int, reply: bytes | str, ident: str) -> str:
        text = f"{code} {reply_text(reply)}"
        if code == 250:
            self._sent = row["id"]  # written with the next row's commit, or when the flush ends
            log.info("%s: sent", ident, extra={"message_id": row["message_id"]})
            return "sent"
        if 400 <= code < 500:
            log.info("%s: temporary failure %s; will retry", ident, without_addresses(text))
            return self._retry_or_give_up(row, text)
        self._set(row["id"], "failed", text)
        log.warning("%s: permanent failure %s; not retried", ident, without_addresses(text))
        return "failed"
