"""The people: registering, updating and cancelling, seats and the waiting list.

Every method runs inside the caller's transaction (:mod:`record` opens it),
so a registration and the mail about it commit together. Capacity is
counted in seats, plus-ones included. With ``[event] capacity`` set, a
sign-up that does not fit goes on the waiting list; a cancellation, a smaller
party or a raised capacity promotes the earliest waiting party that fits, in
strict arrival order. Because each message is its own ``BEGIN IMMEDIATE``
transaction, two sign-ups in one batch can never both take the last seat.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from email.message import EmailMessage

from . import calendar_invite
from .announce import Announcer
from .compose import Templates, build_message, diet_words, event_values
from .ledger import Ledger, now_iso
from .limits import Limits
from .models import Details, Guest, Language, RegistrationStatus
from .settings import Settings
from .textutil import echo_name, one_line


class Registry:
    """Changes to registrations, with the mail each change owes someone."""

    def __init__(self, ledger: Ledger, settings: Settings, templates: Templates, limits: Limits) -> None:
        self.ledger = ledger
        self.settings = settings
        self.templates = templates
        self.limits = limits
        self.announcer = Announcer(self)  # announcements, invitations and their late-joiner catch-up

    # mail ------------------------------------------------------------------------
    def queue(
        self,
        *,
        kind: str,
        registration: sqlite3.Row,
        message_row: int | None,
        in_reply_to: str = "",
        extra: dict[str, str] | None = None,
        dedup: str | None = None,
        finish: Callable[[EmailMessage], None] | None = None,
        hold: str | None = None,
    ) -> bool:
        """Build ``kind``'s template for this person and add it to the outbox (once per generation).

        ``finish`` gets the built message last (to attach an invitation); ``hold``
        replaces the reply caps' verdict (the organiser's own mail, see :mod:`announce`).
        """
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
                "waitlist_position": str(self.waitlist_position(registration["id"])) if kind == "waitlist" else "",
                "inviter": "",
                "invited": "",
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
            rich=finish is not None,
        )
        if finish is not None:
            finish(msg)
        return self.ledger.queue_mail(
            kind=kind,
            dedup_key=dedup or f"{kind}:{registration['id']}:{registration['generation']}",
            recipient=registration["email"],
            message_id=msg["Message-ID"],
            payload=msg.as_bytes(),
            registration_id=registration["id"],
            message_row=message_row,
            held=hold if hold is not None else self.limits.hold_reason(self.ledger.db, registration["email"]) or "",
        )

    # capacity ----------------------------------------------------------------------
    def seats_taken(self, excluding: int | None = None) -> int:
        row = self.ledger.db.execute(
            "SELECT COALESCE(SUM(seats), 0) FROM registrations WHERE status = 'registered' AND id IS NOT ?",
            (excluding,),
        ).fetchone()
        return int(row[0])

    def fits(self, seats: int, excluding: int | None = None) -> bool:
        capacity = self.settings.event.capacity
        return capacity == 0 or self.seats_taken(excluding) + seats <= capacity

    def waitlist_position(self, registration_id: int) -> int:
        """1 for the first in line; 0 for someone not on the waiting list."""
        row = self.ledger.db.execute(
            "SELECT COUNT(*) FROM registrations w, registrations r WHERE r.id = ? AND r.status = 'waitlisted'"
            " AND w.status = 'waitlisted' AND (w.waitlisted_at < r.waitlisted_at"
            " OR (w.waitlisted_at = r.waitlisted_at AND w.id <= r.id))",
            (registration_id,),
        ).fetchone()
        return int(row[0])

    def promote(self) -> list[sqlite3.Row]:
        """Give free seats to the waiting list, first come first served, each party that fits."""
        promoted = []
        waiting = self.ledger.db.execute(
            "SELECT * FROM registrations WHERE status = 'waitlisted' ORDER BY waitlisted_at, id"
        ).fetchall()
        for row in waiting:
            if not self.fits(row["seats"]):
                continue
            self.ledger.db.execute(
                "UPDATE registrations SET status = 'registered', waitlisted_at = NULL, updated_at = ? WHERE id = ?",
                (now_iso(), row["id"]),
            )
            fresh = self.ledger.registration_by_id(row["id"])
            self.queue(kind="promoted", registration=fresh, message_row=None)
            self.announcer.catch_up(fresh)
            promoted.append(fresh)
        return promoted

    # registrations ------------------------------------------------------------------
    def upsert(
        self, details: Details, status: RegistrationStatus, registered_by: int | None = None, source: str = "mail"
    ) -> sqlite3.Row:
        now = now_iso()
        db = self.ledger.db
        existing = self.ledger.registration_by_email(details.email)
        waitlisted_at = now if status == RegistrationStatus.WAITLISTED else None
        if existing is None:
            db.execute(
                "INSERT INTO registrations (email, name, organisation, organisation_suggested, seats, diet, diet_text,"
                " language, status, registered_by, created_at, updated_at, waitlisted_at, source)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
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
                    waitlisted_at,
                    source,
                ),
            )
        else:
            active = (RegistrationStatus.REGISTERED, RegistrationStatus.WAITLISTED)
            again = existing["status"] == RegistrationStatus.CANCELLED and status in active
            self.update(existing, details)
            db.execute(
                "UPDATE registrations SET status = ?, generation = generation + ?, cancelled_at = NULL,"
                " language = ?, updated_at = ?, waitlisted_at = ? WHERE id = ?",
                (status, int(again), details.language, now, waitlisted_at, existing["id"]),
            )
        row = self.ledger.registration_by_email(details.email)
        assert row is not None
        return row

    def register(
        self,
        details: Details,
        message_row: int | None,
        in_reply_to: str = "",
        extra: dict[str, str] | None = None,
        source: str = "mail",
    ) -> sqlite3.Row:
        """Register someone, or put them on the waiting list when their party does not fit."""
        before = self.ledger.registration_by_email(details.email)
        excluding = before["id"] if before is not None else None
        fits = self.fits(details.seats, excluding)
        status = RegistrationStatus.REGISTERED if fits else RegistrationStatus.WAITLISTED
        if before is not None and before["status"] == status:
            self.update(before, details)
            return self.ledger.registration_by_id(before["id"])
        row = self.upsert(details, status, source=source)
        kind = "confirmation" if fits else "waitlist"
        self.queue(kind=kind, registration=row, message_row=message_row, in_reply_to=in_reply_to, extra=extra)
        self.announcer.catch_up(row)
        return row

    def update(self, existing: sqlite3.Row, details: Details) -> str:
        """Overwrite only what the writer stated; an update never blanks a field.

        Returns a note when a stated change could not be made (more seats
        than are free), so that the message goes to a person.
        """
        changes: dict[str, object] = {}
        note = ""
        if "name" in details.stated and details.name:
            changes["name"] = details.name
        if "organisation" in details.stated and details.organisation:
            changes |= {"organisation": details.organisation, "organisation_suggested": 0}
        elif not existing["organisation"] and details.organisation:
            changes |= {
                "organisation": details.organisation,
                "organisation_suggested": int(details.organisation_suggested),
            }
        if "seats" in details.stated and details.seats != existing["seats"]:
            registered = existing["status"] == RegistrationStatus.REGISTERED
            if registered and details.seats > existing["seats"] and not self.fits(details.seats, existing["id"]):
                note = f"asked for {details.seats} seats, but only the {existing['seats']} held fit the capacity"
            else:
                changes["seats"] = details.seats
        if "diet" in details.stated:
            changes |= {"diet": ",".join(details.diet), "diet_text": details.diet_text}
        if changes:
            assignments = ", ".join(f"{column} = ?" for column in changes)
            self.ledger.db.execute(
                f"UPDATE registrations SET {assignments}, updated_at = ? WHERE id = ?",
                (*changes.values(), now_iso(), existing["id"]),
            )
        if "seats" in changes and changes["seats"] < existing["seats"]:
            self.promote()  # a smaller party frees seats
        return note

    def cancel(
        self, existing: sqlite3.Row, message_row: int | None, in_reply_to: str = "", extra: dict[str, str] | None = None
    ) -> None:
        """Cancel, send the receipt, and give the freed seats to the waiting list."""
        if existing["status"] == RegistrationStatus.CANCELLED:
            return
        self.ledger.db.execute(
            "UPDATE registrations SET status = 'cancelled', cancelled_at = ?, updated_at = ?, waitlisted_at = NULL"
            " WHERE id = ?",
            (now_iso(), now_iso(), existing["id"]),
        )
        self.queue(
            kind="cancellation",
            registration=existing,
            message_row=message_row,
            in_reply_to=in_reply_to,
            extra=extra,
            # an ICS CANCEL, if they got an invitation
            finish=calendar_invite.cancel_invite(self.ledger, self.settings, existing),
        )
        self.promote()

    def invite_guests(
        self,
        inviter: sqlite3.Row | Details,
        guests: tuple[Guest, ...],
        language: Language,
        message_row: int,
    ) -> list[str]:
        """People named with an address get their own row, pending until they confirm themselves.

        ``inviter`` is the writer's registration, or only their details when
        they sign others up without coming themselves. Returns the names of
        those invited now (someone already known is not invited again).
        """
        if isinstance(inviter, Details):
            inviter_id, inviter_name, inviter_email = None, inviter.name, inviter.email
        else:
            inviter_id, inviter_name, inviter_email = inviter["id"], inviter["name"], inviter["email"]
        invited: list[str] = []
        for guest in guests:
            if self.ledger.registration_by_email(guest.email) is not None or self.ledger.is_erased(guest.email):
                continue
            row = self.upsert(
                Details(email=guest.email, name=guest.name, language=language),
                RegistrationStatus.PENDING,
                registered_by=inviter_id,
            )
            self.queue(
                kind="guest_invitation",
                registration=row,
                message_row=message_row,
                extra={"inviter": echo_name(inviter_name) or inviter_email},
            )
            invited.append(echo_name(guest.name) or guest.email)
        return invited
