"""Caps on automatic mail and the circuit breaker against mail-bombing.

An auto-responder on a public address can be abused: forge a victim's
address on a thousand sign-ups and the bot mails the victim a thousand
times. So, whatever the reason for a reply:

* one address gets at most ``replies_per_address_per_day`` replies in 24 hours,
  and one domain at most ``replies_per_domain_per_hour`` in an hour;
* when more than ``inbound_per_minute`` messages arrive within a minute (by the
  server's INTERNALDATE, which a sender cannot forge), the breaker opens: for
  ``breaker_cooldown_minutes`` every reply is held, while every message is
  still recorded and registered.

A held reply is an outbox row in state ``held`` with its reason, listed by
``status``. Only a reply held by the per-domain cap is sent later by itself,
when that domain's hour has room again (and no other cap or the breaker
holds it): a popular event gets more than a domain's hourly share of
sign-ups from gmail.com or one large authority, and those people must still
get their confirmation, at the capped rate. A reply held by the breaker or
the per-address cap waits for the organiser: ``registration-bot release``.
"""

from __future__ import annotations

import logging
import sqlite3
from datetime import UTC, datetime, timedelta

from .ledger import Ledger, now_iso
from .sections import LimitSettings

log = logging.getLogger(__name__)
DOMAIN_CAP = "reply cap (per domain): "


class Limits:
    """Decides whether a reply may be queued now; the breaker's state lives in the ledger."""

    def __init__(self, ledger: Ledger, settings: LimitSettings) -> None:
        self.ledger = ledger
        self.settings = settings

    def breaker_open(self, now: datetime | None = None) -> str | None:
        """The reason replies are stopped, while the breaker is open."""
        until = self.ledger.get_meta("breaker_open_until")
        if until and datetime.fromisoformat(until) > (now or datetime.now(UTC)):
            return self.ledger.get_meta("breaker_reason") or "circuit breaker open"
        return None

    def note_arrivals(self, arrivals: list[datetime | None], now: datetime | None = None) -> bool:
        """Open the breaker when too many messages arrived within the last minute; True if it opened."""
        now = now or datetime.now(UTC)
        since = now - timedelta(minutes=1)
        recent = sum(1 for moment in arrivals if moment is not None and moment >= since)
        if recent == 0:
            return False
        recorded = self.ledger.db.execute(
            "SELECT COUNT(*) FROM messages WHERE arrived_at >= ?", (since.isoformat(timespec="seconds"),)
        ).fetchone()[0]
        if recent + recorded <= self.settings.inbound_per_minute:
            return False
        if self.breaker_open(now):
            return False
        until = now + timedelta(minutes=self.settings.breaker_cooldown_minutes)
        reason = (
            f"circuit breaker: {recent + recorded} messages arrived within a minute "
            f"(limit {self.settings.inbound_per_minute}); replies held until {until.isoformat(timespec='minutes')}"
        )
        with self.ledger.transaction():
            self.ledger.set_meta("breaker_open_until", until.isoformat(timespec="seconds"))
            self.ledger.set_meta("breaker_reason", reason)
            self.ledger.set_meta("breaker_opened_at", now.isoformat(timespec="seconds"))
        log.error("%s", reason)
        return True

    def hold_reason(self, db: sqlite3.Connection, recipient: str, now: datetime | None = None) -> str | None:
        """Why a reply to ``recipient`` must be held instead of queued, or None."""
        now = now or datetime.now(UTC)
        breaker = self.breaker_open(now)
        if breaker:
            return breaker
        day_ago = (now - timedelta(days=1)).isoformat(timespec="seconds")
        to_address = db.execute(
            "SELECT COUNT(*) FROM outbox WHERE recipient = ? AND created_at >= ? AND state <> 'held'",
            (recipient, day_ago),
        ).fetchone()[0]
        if to_address >= self.settings.replies_per_address_per_day:
            return f"reply cap: {to_address} replies to {recipient} in 24 hours"
        domain = recipient.rsplit("@", 1)[-1]
        hour_ago = (now - timedelta(hours=1)).isoformat(timespec="seconds")
        to_domain = db.execute(
            "SELECT COUNT(*) FROM outbox WHERE recipient_domain = ? AND created_at >= ? AND state <> 'held'",
            (domain.lower(), hour_ago),
        ).fetchone()[0]
        if to_domain >= self.settings.replies_per_domain_per_hour:
            return f"{DOMAIN_CAP}{to_domain} replies to @{domain} in an hour"
        return None

    def release_deferred(self, now: datetime | None = None) -> int:
        """Queue replies held only by the per-domain cap, as far as each domain's hour has room again."""
        now = now or datetime.now(UTC)
        released = 0
        query = "SELECT id, recipient FROM outbox WHERE state = 'held' AND last_error LIKE ? ORDER BY id"
        if self.ledger.db.execute(query, (DOMAIN_CAP + "%",)).fetchone() is None:
            return 0  # the usual case, every cycle: no write transaction for nothing
        with self.ledger.transaction() as db:
            rows = db.execute(query, (DOMAIN_CAP + "%",)).fetchall()
            for row in rows:
                if self.hold_reason(db, row["recipient"], now) is not None:
                    continue
                # created_at is when a row entered the queue: the caps count from it.
                stamp = now.isoformat(timespec="seconds")
                db.execute(
                    "UPDATE outbox SET state = 'queued', last_error = '', created_at = ?, next_attempt_at = ?,"
                    " updated_at = ? WHERE id = ?",
                    (stamp, stamp, stamp, row["id"]),
                )
                released += 1
        if released:
            log.info("%d reply(s) held by the per-domain cap queued again", released)
        return released


def release(ledger: Ledger, ids: list[int] | None = None, *, dry_run: bool = False) -> list[sqlite3.Row]:
    """The organiser's decision: queue held replies (all, or those with ``ids``) for sending; return them."""
    where, args = "state = 'held'", []
    if ids:
        where += f" AND id IN ({', '.join('?' * len(ids))})"
        args = list(ids)
    with ledger.transaction() as db:
        rows = db.execute(
            f"SELECT id, kind, recipient, last_error FROM outbox WHERE {where} ORDER BY id", args
        ).fetchall()
        if not dry_run:
            now = now_iso()
            db.executemany(
                "UPDATE outbox SET state = 'queued', next_attempt_at = ?, updated_at = ?,"
                " last_error = 'released by the organiser' WHERE id = ? AND state = 'held'",
                [(now, now, row["id"]) for row in rows],
            )
    return rows
