"""Record one message's outcome: ledger row, registration and outbox, in one transaction.

This is the durability point of a cycle (DESIGN.md section 1). A crash before
the commit means the message is simply processed again; after it, the ledger
row says the message is done and only the IMAP move is repeated. Outgoing
mail is built in the same transaction (:mod:`registry`) and stored whole,
Message-ID included, so a retry sends exactly the same bytes. A unique
``dedup_key`` per (kind, registration, generation) makes a second
confirmation impossible at the database level.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime

from .compose import PLACEHOLDERS, Templates, build_message, event_values
from .ledger import Ledger, now_iso
from .limits import Limits
from .models import Action, Decision, Details, InboundMail, MessageState
from .privacy import Privacy
from .registry import Registry
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
    """Applies decisions to the ledger in one transaction per message."""

    def __init__(self, ledger: Ledger, settings: Settings, templates: Templates, limits: Limits) -> None:
        self.ledger = ledger
        self.settings = settings
        self.registry = Registry(ledger, settings, templates, limits)
        self.privacy = Privacy(ledger, settings, templates, limits, self.registry)

    def record(
        self, ident: Ident, mail: InboundMail | None, decision: Decision, destination: str | None
    ) -> tuple[int, str, str | None]:
        """Write the ledger row and everything the decision implies.

        Returns the row id and the final state and destination: a change that
        could not be made as asked turns into ``review``.
        """
        state = decision.state.value
        # Mail from someone who was erased is recorded without who sent it or what it was about.
        anonymous = mail is not None and self.ledger.is_erased(mail.sender or "")
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
                    mail.message_id if mail and not anonymous else "",
                    (mail.sender or "") if mail and not anonymous else "",
                    mail.subject if mail and not anonymous else "",
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
            registration, note = self._apply(mail, decision, message_row)
            if registration is not None:
                db.execute("UPDATE messages SET registration_id = ? WHERE id = ?", (registration["id"], message_row))
            if note:
                # The change could not be made as asked: a person should read this one.
                state, destination = MessageState.REVIEW.value, self.settings.imap.review_folder
                db.execute(
                    "UPDATE messages SET state = ?, reason = ?, destination = ? WHERE id = ?",
                    (state, one_line(f"{decision.reason}; but {note}", 500), destination, message_row),
                )
            if decision.state is not MessageState.IGNORED:
                self.ledger.bump_state_version()
        return message_row, state, destination

    def _apply(self, mail: InboundMail | None, decision: Decision, message_row: int) -> tuple[sqlite3.Row | None, str]:
        registry = self.registry
        reply_to = mail.message_id if mail else ""
        quoted = {"original_subject": echo_subject(mail.subject)} if mail else {}
        if decision.action is Action.REGISTER and decision.details:
            row = registry.register(decision.details, message_row, reply_to, quoted)
            registry.invite_guests(row, decision.guests, decision.language, message_row)
            return row, ""
        if decision.action is Action.UPDATE and decision.details:
            existing = self.ledger.registration_by_email(decision.details.email)
            if existing is None:
                return None, ""
            note = registry.update(existing, decision.details)
            registry.invite_guests(existing, decision.guests, decision.language, message_row)
            return existing, note
        if decision.action is Action.CANCEL and mail and mail.sender:
            existing = self.ledger.registration_by_email(mail.sender)
            if existing is not None:
                registry.cancel(existing, message_row, reply_to, quoted)
                registry.invite_guests(existing, decision.guests, decision.language, message_row)
            return existing, ""
        if decision.action is Action.INVITE and decision.details:
            invited = registry.invite_guests(decision.details, decision.guests, decision.language, message_row)
            if not invited:
                return None, "everyone named is already known"
            self._unregistered_reply(
                "invited",
                decision.details,
                message_row,
                reply_to,
                {"invited": ", ".join(invited)},
                dedup=f"invited:{message_row}",
            )
            return None, ""
        if decision.action in (Action.ERASE_REQUEST, Action.ERASE, Action.DATA_EXPORT) and mail and mail.sender:
            self.privacy.apply(decision, mail, message_row)
            return None, ""
        if decision.action is Action.CLOSED and decision.details:
            # A polite "registration is closed", once per address.
            self._unregistered_reply(
                "closed", decision.details, message_row, reply_to, {}, dedup=f"closed:{decision.details.email.lower()}"
            )
        return None, ""

    def _unregistered_reply(
        self, kind: str, details: Details, message_row: int, reply_to: str, extra: dict[str, str], dedup: str
    ) -> None:
        """A reply to a writer who has no registration (``closed``, ``invited``), sent once per ``dedup`` key."""
        language = details.language
        rendered = self.registry.templates.render(
            kind,
            language,
            # No registration: every placeholder about one is empty (PLACEHOLDERS, as the templates were checked).
            dict.fromkeys(PLACEHOLDERS - {"privacy_notice"}, "")
            | event_values(self.settings, language)
            | {
                "name": echo_name(details.name) or details.email,
                "first_name": (echo_name(details.name).split() or [details.email])[0],
            }
            | extra,
        )
        msg = build_message(
            self.settings,
            recipient=details.email,
            recipient_name=echo_name(details.name),
            subject=rendered.subject,
            body=rendered.body,
            language=language,
            in_reply_to=reply_to,
        )
        self.ledger.queue_mail(
            kind=kind,
            dedup_key=dedup,
            recipient=details.email,
            message_id=msg["Message-ID"],
            payload=msg.as_bytes(),
            message_row=message_row,
            held=self.registry.limits.hold_reason(self.ledger.db, details.email) or "",
        )
