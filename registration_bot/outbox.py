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
import ssl
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from . import oauth
from .ledger import Ledger, now_iso
from .mailbox import tls_context
from .settings import SmtpSettings
from .textutil import without_addresses

log = logging.getLogger(__name__)
GIVE_UP_AFTER = timedelta(days=3)
AUTH_PAUSE = timedelta(minutes=15)


class SmtpUnavailable(Exception):
    """The SMTP server cannot be reached right now."""


class SmtpAuthFailed(Exception):
    """The SMTP server refused our credentials."""


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


def connect(settings: SmtpSettings) -> smtplib.SMTP:
    """An SMTP connection, TLS verified, logged in when a username is set."""
    helo = settings.from_address.rsplit("@", 1)[-1]  # avoid getfqdn(): a slow reverse DNS lookup
    context = tls_context(settings.ca_file)
    try:
        if settings.security == "tls":
            smtp: smtplib.SMTP = smtplib.SMTP_SSL(
                settings.host, settings.port, local_hostname=helo, timeout=settings.timeout_seconds, context=context
            )
        else:
            smtp = smtplib.SMTP(settings.host, settings.port, local_hostname=helo, timeout=settings.timeout_seconds)
        smtp.ehlo()
        if settings.security == "starttls":
            smtp.starttls(context=context)
            smtp.ehlo()
    except (OSError, smtplib.SMTPException, ssl.SSLError) as exc:
        raise SmtpUnavailable(f"cannot connect to SMTP {settings.host}:{settings.port}: {_describe(exc)}") from None
    if settings.username:
        try:
            if settings.auth == "password":
                smtp.login(settings.username, settings.secret())
            else:  # XOAUTH2 or OAUTHBEARER; a refused token is replaced once (oauth.py)
                refused = smtplib.SMTPAuthenticationError
                oauth.login_with_token(settings, lambda token: _bearer_auth(smtp, settings, token), refused)
        except smtplib.SMTPAuthenticationError as exc:
            quit_quietly(smtp)
            how = "" if settings.auth == "password" else f" ({oauth.describe(settings)})"
            raise SmtpAuthFailed(
                f"SMTP login refused for {settings.username}{how}: {exc.smtp_code} {_text(exc.smtp_error)}"
            ) from None
        except oauth.TokenRefused as exc:
            quit_quietly(smtp)
            how = oauth.describe(settings)
            raise SmtpAuthFailed(f"SMTP login refused for {settings.username} ({how}): {exc}") from None
        except smtplib.SMTPNotSupportedError:
            quit_quietly(smtp)
            raise SmtpAuthFailed(f"SMTP {settings.host} offers no AUTH; check smtp.security and smtp.port") from None
        except (OSError, smtplib.SMTPException, oauth.TokenUnavailable) as exc:
            quit_quietly(smtp)
            raise SmtpUnavailable(f"SMTP {settings.host} failed during login: {_describe(exc)}") from None
    return smtp


def _bearer_auth(smtp: smtplib.SMTP, settings: SmtpSettings, token: str) -> None:
    """``AUTH XOAUTH2`` or ``AUTH OAUTHBEARER`` (RFC 7628) with the token in the initial response."""
    if not smtp.has_extn("auth"):
        raise smtplib.SMTPNotSupportedError("the server offers no AUTH")
    user = settings.username
    if settings.auth == "xoauth2":
        blob = f"user={user}\x01auth=Bearer {token}\x01\x01"
    else:
        gs2 = "n,a=" + user.replace("=", "=3D").replace(",", "=2C") + ","
        blob = f"{gs2}\x01host={settings.host}\x01port={settings.port}\x01auth=Bearer {token}\x01\x01"
    # A refusing server first sends its JSON error as a challenge; an empty answer ends the exchange.
    smtp.auth(settings.auth.upper(), lambda challenge=None: blob if challenge is None else "")


class Outbox:
    """Claims due rows and sends them; every state change is committed before the next step."""

    def __init__(self, ledger: Ledger, settings: SmtpSettings) -> None:
        self.ledger = ledger
        self.settings = settings

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

    def _claim(self, after_id: int) -> dict | None:
        """Claim the next due row after ``after_id``: one pass over the queue per flush, so a
        row that just failed is not retried at once, however short its backoff."""
        with self.ledger.transaction() as db:
            row = db.execute(
                "UPDATE outbox SET state = 'sending', attempts = attempts + 1, updated_at = ?"
                " WHERE id = (SELECT id FROM outbox WHERE state IN ('queued', 'retry') AND next_attempt_at <= ?"
                " AND id > ? ORDER BY id LIMIT 1) RETURNING id, recipient, message_id, payload, attempts, created_at",
                (now_iso(), now_iso(), after_id),
            ).fetchone()
        return dict(row) if row else None

    def _set(self, row_id: int, state: str, error: str = "", *, retry_in: timedelta | None = None) -> None:
        now = datetime.now(UTC)
        with self.ledger.transaction() as db:
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

    def flush(self, stop: threading.Event | None = None) -> FlushResult:
        """Send every due row over one connection; stop early when ``stop`` is set."""
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
        try:
            while not (stop and stop.is_set()):
                row = self._claim(after_id)
                if row is None:
                    break
                after_id = row["id"]
                wait = last + interval - time.monotonic()
                if wait > 0:
                    time.sleep(wait)
                last = time.monotonic()
                try:
                    outcome = self._send_one(smtp, row)
                except SmtpAuthFailed as exc:
                    # Not this mail's fault: put it back untouched and pause all sending.
                    with self.ledger.transaction() as db:
                        db.execute(
                            "UPDATE outbox SET state = 'queued', attempts = attempts - 1 WHERE id = ?", (row["id"],)
                        )
                    self._pause(str(exc))
                    result.paused = str(exc)
                    break
                setattr(result, outcome, getattr(result, outcome) + 1)
                if outcome == "retry" and getattr(smtp, "sock", None) is None:
                    result.outage = "connection dropped"
                    break
        finally:
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
                if _is_auth_refusal(code, reply):
                    raise SmtpAuthFailed(f"SMTP refused to send without authentication: {code} {_text(reply)}")
                smtp.rset()
                return self._reply_outcome(row, code, reply, ident)
            self._set(row["id"], "data")
            code, reply = smtp.data(row["payload"])
        except smtplib.SMTPResponseException as exc:
            code, reply = exc.smtp_code, exc.smtp_error
        except (TimeoutError, smtplib.SMTPServerDisconnected, OSError) as exc:
            smtp.close()
            log.warning("%s: connection lost (%s); will retry", ident, _describe(exc))
            return self._retry_or_give_up(row, f"connection lost: {_describe(exc)}")
        return self._reply_outcome(row, code, reply, ident)

    def _reply_outcome(self, row: dict, code: int, reply: bytes | str, ident: str) -> str:
        text = f"{code} {_text(reply)}"
        if code == 250:
            self._set(row["id"], "sent")
            log.info("%s: sent", ident, extra={"message_id": row["message_id"]})
            return "sent"
        if 400 <= code < 500:
            log.info("%s: temporary failure %s; will retry", ident, without_addresses(text))
            return self._retry_or_give_up(row, text)
        self._set(row["id"], "failed", text)
        log.warning("%s: permanent failure %s; not retried", ident, without_addresses(text))
        return "failed"


def _is_auth_refusal(code: int, reply: bytes | str) -> bool:
    """530 "Authentication required" (or 5.7.0/5.7.8/5.7.9 before DATA) is our configuration, not the mail."""
    text = _text(reply)
    return code in (530, 534, 535, 538) or (code >= 500 and text.startswith(("5.7.0", "5.7.8", "5.7.9")))


def _text(reply: bytes | str) -> str:
    return (reply.decode("utf-8", "replace") if isinstance(reply, bytes) else str(reply)).replace("\n", " ")[:300]


def _describe(exc: BaseException) -> str:
    return (str(exc) or type(exc).__name__)[:300]


def quit_quietly(smtp: smtplib.SMTP) -> None:
    try:
        smtp.quit()
    except Exception:  # noqa: BLE001 - the connection may already be gone
        smtp.close()
