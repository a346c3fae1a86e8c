"""Record one message's outcome: ledger row, registration and outbox, in one transaction.

This is the durability point of a cycle (DESIGN.md section 1). A crash before
the commit means the message is simply processed again; after it, the ledger
row says the message is done and only the IMAP move is repeated. Outgoing
mail is built here and stored whole, Message-ID included, so a retry sends
exactly the same bytes. A unique ``dedup_key`` per (kind, registration,
generation) makes a second confirmation impossible at the database level.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime

from .compose import Templates, build_message, diet_words, event_values
from .ledger import Ledger, now_iso
from .limits import Limits
from .models import Action, Decision, Details, Guest, InboundMail, Language, MessageState, RegistrationStatus
from .settings import Settings
from .textutil import echo_name, echo_subject, one_line


@dataclass(frozen=True)
class Ident:
    """Where a message was found: its identity in the ledger."""

    folder: str
    uidvalidity: int
    uid: int
    sha256: str
    size: int
    arrived: datetime | None = None  # the server's INTERNALDATE


class Recorder:
    """Applies decisions to the ledger; holds the templates and settings it needs."""

    def __init__(self, ledger: Ledger, settings: Settings, templates: Templates, limits: Limits) -> None:
        self.ledger = ledger
        self.settings = settings
        self.templates = templates
        self.limits = limits

    # outbox ----------------------------------------------------------------
    def _queue(
        self,
        db: sqlite3.Connection,
        *,
        kind: str,
        registration: sqlite3.Row,
        message_row: int | None,
        in_reply_to: str = "",
        extra: dict[str, str] | None = None,
    ) -> None:
        language: Language = registration["language"]
        values = (
            event_values(self.settings, language)
            | {
                "name": echo_name(registration["name"]) or registration["email"],
                "first_name": (echo_name(registration["name"]).split() or [registration["email"]])[0],
                "seats": str(registration["seats"]),
                "diet": diet_words(tuple(filter(None, registration["diet"].split(","))), language),
                "organisation": one_line(registration["organisation"], 100),
                "registration_id": f"R{registration['id']:04d}",
                "inviter": "",
                "original_subject": "",
            }
            | (extra or {})
        )
        rendered = self.templates.render(kind, language, values)
        msg = build_message(
            self.settings,
            recipient=registration["email"],
            recipient_name=echo_name(registration["name"]),
            subject=rendered.subject,
            body=rendered.body,
            language=language,
            in_reply_to=in_reply_to,
        )
        self.ledger.queue_mail(
            kind=kind,
            dedup_key=f"{kind}:{registration['id']}:{registration['generation']}",
            recipient=registration["email"],
            message_id=msg["Message-ID"],
            payload=msg.as_bytes(),
            registration_id=registration["id"],
            message_row=message_row,
            held=self.limits.hold_reason(db, registration["email"]) or "",
        )

    # registrations ----------------------------------------------------------
    def _upsert(
        self, db: sqlite3.Connection, details: Details, status: RegistrationStatus, registered_by: int | None = None
    ) -> sqlite3.Row:
        now = now_iso()
        existing = self.ledger.registration_by_email(details.email)
        if existing is None:
            db.execute(
                "INSERT INTO registrations (email, name, organisation, organisation_suggested, seats, diet, diet_text,"
                " language, status, registered_by, created_at, updated_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    details.email.lower(),
                    details.name,
                    details.organisation,
                    int(details.organisation_suggested),
                    details.seats,
                    ",".join(details.diet),
                    details.diet_text,
                    details.language,
                    status,
                    registered_by,
                    now,
                    now,
                ),
            )
        else:
            again = existing["status"] == RegistrationStatus.CANCELLED and status == RegistrationStatus.REGISTERED
            self._update(db, existing, details)
            db.execute(
                "UPDATE registrations SET status = ?, generation = generation + ?, cancelled_at = NULL,"
                " language = ?, updated_at = ? WHERE id = ?",
                (status, int(again), details.language, now, existing["id"]),
            )
        row = self.ledger.registration_by_email(details.email)
        assert row is not None
        return row

    def _update(self, db: sqlite3.Connection, existing: sqlite3.Row, details: Details) -> None:
        """Overwrite only what the writer stated; an update never blanks a field."""
        changes: dict[str, object] = {}
        if "name" in details.stated and details.name:
            changes["name"] = details.name
        if "organisation" in details.stated and details.organisation:
            changes |= {"organisation": details.organisation, "organisation_suggested": 0}
        elif not existing["organisation"] and details.organisation:
            changes |= {
                "organisation": details.organisation,
                "organisation_suggested": int(details.organisation_suggested),
            }
        if "seats" in details.stated:
            changes["seats"] = details.seats
        if "diet" in details.stated:
            changes |= {"diet": ",".join(details.diet), "diet_text": details.diet_text}
        if not changes:
            return
        assignments = ", ".join(f"{column} = ?" for column in changes)
        db.execute(
            f"UPDATE registrations SET {assignments}, updated_at = ? WHERE id = ?",
            (*changes.values(), now_iso(), existing["id"]),
        )

    def _guests(
        self,
        db: sqlite3.Connection,
        inviter: sqlite3.Row,
        guests: tuple[Guest, ...],
        language: Language,
        message_row: int,
    ) -> None:
        for guest in guests:
            if self.ledger.registration_by_email(guest.email) is not None:
                continue
            row = self._upsert(
                db,
                Details(email=guest.email, name=guest.name, language=language),
                RegistrationStatus.PENDING,
                registered_by=inviter["id"],
            )
            self._queue(
                db,
                kind="guest_invitation",
                registration=row,
                message_row=message_row,
                extra={"inviter": echo_name(inviter["name"]) or inviter["email"]},
            )

    # the one transaction ------------------------------------------------------
    def record(self, ident: Ident, mail: InboundMail | None, decision: Decision, destination: str | None) -> int:
        """Write the ledger row and everything the decision implies; return the row id."""
        with self.ledger.transaction() as db:
            cursor = db.execute(
                "INSERT INTO messages (folder, uidvalidity, uid, sha256, message_id, sender, subject, date, size,"
                " state, reason, language, destination, processed_at, arrived_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    ident.folder,
                    ident.uidvalidity,
                    ident.uid,
                    ident.sha256,
                    mail.message_id if mail else "",
                    (mail.sender or "") if mail else "",
                    mail.subject if mail else "",
                    mail.date.isoformat() if mail and mail.date else None,
                    ident.size,
                    decision.state,
                    one_line(decision.reason, 500),
                    decision.language,
                    destination,
                    now_iso(),
                    ident.arrived.astimezone(UTC).isoformat(timespec="seconds") if ident.arrived else None,
                ),
            )
            message_row = int(cursor.lastrowid or 0)
            registration = self._apply(db, mail, decision, message_row)
            if registration is not None:
                db.execute("UPDATE messages SET registration_id = ? WHERE id = ?", (registration["id"], message_row))
            if decision.state is not MessageState.IGNORED:
                self.ledger.bump_state_version()
        return message_row

    def _apply(
        self, db: sqlite3.Connection, mail: InboundMail | None, decision: Decision, message_row: int
    ) -> sqlite3.Row | None:
        reply_to = mail.message_id if mail else ""
        quoted = {"original_subject": echo_subject(mail.subject)} if mail else {}
        if decision.action is Action.REGISTER and decision.details:
            before = self.ledger.registration_by_email(decision.details.email)
            row = self._upsert(db, decision.details, RegistrationStatus.REGISTERED)
            if before is None or before["status"] != RegistrationStatus.REGISTERED:
                self._queue(
                    db,
                    kind="confirmation",
                    registration=row,
                    message_row=message_row,
                    in_reply_to=reply_to,
                    extra=quoted,
                )
            self._guests(db, row, decision.guests, decision.language, message_row)
            return row
        if decision.action is Action.UPDATE and decision.details:
            existing = self.ledger.registration_by_email(decision.details.email)
            if existing is not None:
                self._update(db, existing, decision.details)
                self._guests(db, existing, decision.guests, decision.language, message_row)
            return existing
        if decision.action is Action.CANCEL and mail and mail.sender:
            existing = self.ledger.registration_by_email(mail.sender)
            if existing is not None and existing["status"] != RegistrationStatus.CANCELLED:
                db.execute(
                    "UPDATE registrations SET status = 'cancelled', cancelled_at = ?, updated_at = ? WHERE id = ?",
                    (now_iso(), now_iso(), existing["id"]),
                )
                self._queue(
                    db,
                    kind="cancellation",
                    registration=existing,
                    message_row=message_row,
                    in_reply_to=reply_to,
                    extra=quoted,
                )
            return existing
        return None
