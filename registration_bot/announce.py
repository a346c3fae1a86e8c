"""Mail the organiser sends to everyone: announcements, event updates with an invitation, reminders.

Every such mail goes through the outbox, like a confirmation: it is durable,
sent at ``[smtp] rate_per_minute``, and its unique key makes a second copy
impossible at the database level:

* ``announcement:<announcement id>:<registration id>`` for an announcement
  and an event update (re-invitations after a cancellation add ``:<generation>``);
* ``reminder:<event date>:<registration id>`` for a reminder.

The ``announcements`` row and every recipient's outbox row are written in
one transaction, so a crash leaves either nothing or everything queued. A
re-run with the same subject and body (compared in full, not by a hash) is the
same announcement: it adds only the people who do not have it yet (with
``--waitlist``, the waiting list); to send the same text again on purpose,
change the subject. An event update is identified by the date and location
it carries: running it again without a change sends nothing new.

The per-address and per-domain reply caps (:mod:`limits`) exist against
forged sign-ups; they do not apply to what the organiser sends on purpose
(else 70 colleagues at one company would be cut off at 60). The circuit
breaker does: while it is open, mass mail is ``held`` like any reply, since the
people it would reach may be the flood's forged sign-ups. A late joiner's
catch-up shares the fate of the confirmation it follows.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.message import EmailMessage
from typing import TYPE_CHECKING

from . import calendar_invite
from .compose import build_message
from .ledger import now_iso
from .textutil import echo_name, normalise, one_line

if TYPE_CHECKING:
    from .registry import Registry

log = logging.getLogger(__name__)


class AnnounceError(ValueError):
    """The announcement cannot be made as asked; the message names the setting or option."""


@dataclass
class Outcome:
    """What an announcement did (or, with ``dry_run``, would do)."""

    announcement_id: int | None = None
    created: bool = False
    recipients: list[sqlite3.Row] = field(default_factory=list)  # who gets it now
    already: int = 0  # who had it before
    held: str = ""  # why the new mail is held, if it is


class Announcer:
    """Queues the organiser's mail to the people of one :class:`Registry` (and what a late joiner missed)."""

    def __init__(self, registry: Registry) -> None:
        self.registry = registry
        self.ledger = registry.ledger
        self.settings = registry.settings

    # helpers -----------------------------------------------------------------------
    def recipients(self, include_waitlist: bool) -> list[sqlite3.Row]:
        statuses = ("registered", "waitlisted") if include_waitlist else ("registered",)
        return self.ledger.db.execute(
            f"SELECT * FROM registrations WHERE status IN ({','.join('?' * len(statuses))}) ORDER BY id", statuses
        ).fetchall()

    def _has(self, dedup_key: str) -> bool:
        return self.ledger.db.execute("SELECT 1 FROM outbox WHERE dedup_key = ?", (dedup_key,)).fetchone() is not None

    def _mass_hold(self) -> str:
        return self.registry.limits.breaker_open() or ""

    def _reply_hold(self, person: sqlite3.Row) -> str:
        """A catch-up is held exactly when the reply it follows was held."""
        reply = self.ledger.db.execute(
            "SELECT state, last_error FROM outbox WHERE registration_id = ?"
            " AND kind IN ('confirmation', 'promoted', 'waitlist') ORDER BY id DESC LIMIT 1",
            (person["id"],),
        ).fetchone()
        if reply is not None and reply["state"] == "held":
            return reply["last_error"] or "held with the reply it follows"
        return self._mass_hold()

    def _preview(self, announcement_id: int | None, people: list[sqlite3.Row], key: Callable[[int], str]) -> Outcome:
        outcome = Outcome(announcement_id=announcement_id, held=self._mass_hold())
        for person in people:
            if announcement_id is not None and self._has(key(person["id"])):
                outcome.already += 1
            else:
                outcome.recipients.append(person)
        return outcome

    # the organiser's own message ---------------------------------------------------------
    def announce(self, subject: str, body: str, *, include_waitlist: bool = False, dry_run: bool = False) -> Outcome:
        """Queue ``subject`` and ``body`` (sent as written) for every registered person, once."""
        subject = one_line(subject, 200)
        body = normalise(body).strip("\n") + "\n"
        if not subject or not body.strip():
            raise AnnounceError("an announcement needs a subject and a body that are not empty")
        find = "SELECT * FROM announcements WHERE kind = 'message' AND subject = ? AND body = ? ORDER BY id LIMIT 1"
        if dry_run:
            same = self.ledger.db.execute(find, (subject, body)).fetchone()
            wide = include_waitlist or bool(same and same["include_waitlist"])
            same_id = same["id"] if same else None
            return self._preview(same_id, self.recipients(wide), lambda reg: f"announcement:{same_id}:{reg}")
        with self.ledger.transaction() as db:
            same = db.execute(find, (subject, body)).fetchone()
            outcome = Outcome(created=same is None, held=self._mass_hold())
            wide = include_waitlist or bool(same and same["include_waitlist"])
            if same is None:
                outcome.announcement_id = db.execute(
                    "INSERT INTO announcements (kind, subject, body, include_waitlist, created_at)"
                    " VALUES ('message', ?, ?, ?, ?)",
                    (subject, body, int(wide), now_iso()),
                ).lastrowid
            else:
                outcome.announcement_id = same["id"]
                if wide and not same["include_waitlist"]:
                    db.execute("UPDATE announcements SET include_waitlist = 1 WHERE id = ?", (same["id"],))
            row = db.execute("SELECT * FROM announcements WHERE id = ?", (outcome.announcement_id,)).fetchone()
            for person in self.recipients(wide):
                if self._queue_text(row, person, outcome.held, "auto-generated"):
                    outcome.recipients.append(person)
                else:
                    outcome.already += 1
        log.info("announcement #%d queued for %d people", outcome.announcement_id, len(outcome.recipients))
        return outcome

    def _queue_text(self, announcement: sqlite3.Row, person: sqlite3.Row, hold: str, auto_submitted: str) -> bool:
        dedup = f"announcement:{announcement['id']}:{person['id']}"
        if self._has(dedup):
            return False
        msg = build_message(
            self.settings,
            recipient=person["email"],
            recipient_name=echo_name(person["name"]),
            subject=announcement["subject"],
            body=announcement["body"],
            language=self.settings.event.language,  # the organiser's text, in the organiser's language
            auto_submitted=auto_submitted,
        )
        return self.ledger.queue_mail(
            kind="announcement",
            dedup_key=dedup,
            recipient=person["email"],
            message_id=msg["Message-ID"],
            payload=msg.as_bytes(),
            registration_id=person["id"],
            held=hold,
        )

    # the event's date and place, with a calendar invitation ---------------------------------
    def event_update(self, *, include_waitlist: bool = False, dry_run: bool = False) -> Outcome:
        """Send the configured date and location, with an ICS REQUEST, to every registered person once."""
        key, location = calendar_invite.event_key(self.settings), self.settings.event.location
        if not key:
            raise AnnounceError("event.date: set the event's date before sending an event update")
        last = calendar_invite.latest_update(self.ledger)
        same = last if last is not None and (last["event_date"], last["event_location"]) == (key, location) else None
        wide = include_waitlist or bool(same and same["include_waitlist"])
        if dry_run:
            same_id = same["id"] if same else None
            return self._preview(same_id, self.recipients(wide), lambda reg: f"announcement:{same_id}:{reg}")
        with self.ledger.transaction() as db:
            outcome = Outcome(created=same is None, held=self._mass_hold())
            if same is None:
                outcome.announcement_id = db.execute(
                    "INSERT INTO announcements (kind, subject, body, include_waitlist, event_date, event_location,"
                    " sequence, created_at) VALUES ('event_update', 'event update', ?, ?, ?, ?, ?, ?)",
                    (
                        f"{key}\n{location}",
                        int(wide),
                        key,
                        location,
                        calendar_invite.next_sequence(self.ledger),
                        now_iso(),
                    ),
                ).lastrowid
            else:
                outcome.announcement_id = same["id"]
                if wide and not same["include_waitlist"]:
                    db.execute("UPDATE announcements SET include_waitlist = 1 WHERE id = ?", (same["id"],))
            row = db.execute("SELECT * FROM announcements WHERE id = ?", (outcome.announcement_id,)).fetchone()
            for person in self.recipients(wide):
                dedup = f"announcement:{row['id']}:{person['id']}"
                if self._queue_invite(person, dedup, row["sequence"], outcome.held, reply=False):
                    outcome.recipients.append(person)
                else:
                    outcome.already += 1
        log.info("event update #%d (sequence %d) queued for %d", row["id"], row["sequence"], len(outcome.recipients))
        return outcome

    def _queue_invite(self, person: sqlite3.Row, dedup: str, sequence: int, hold: str, *, reply: bool) -> bool:
        if self._has(dedup):
            return False
        ics = calendar_invite.build_ics(
            self.settings,
            uid=calendar_invite.event_uid(self.ledger, self.settings),
            sequence=sequence,
            method="REQUEST",
            attendee=person["email"],
            attendee_name=person["name"],
        )

        def finish(msg: EmailMessage) -> None:
            if not reply:
                msg.replace_header("Auto-Submitted", "auto-generated")
            calendar_invite.attach(msg, ics, "REQUEST")

        return self.registry.queue(
            kind="event_update", registration=person, message_row=None, dedup=dedup, finish=finish, hold=hold
        )

    # reminders ---------------------------------------------------------------------------
    def remind(self, *, dry_run: bool = False, now: datetime | None = None) -> Outcome:
        """Queue a reminder for every registered person, once per event date."""
        key, start = calendar_invite.event_key(self.settings), calendar_invite.start_moment(self.settings)
        if start is None:
            raise AnnounceError("event.date: set the event's date before sending reminders")
        if start <= (now or datetime.now(UTC)):
            raise AnnounceError(f"event.date: the event ({key}) has already begun; no reminders are sent")
        people = self.recipients(include_waitlist=False)
        if dry_run:
            return self._preview(0, people, lambda reg: f"reminder:{key}:{reg}")
        outcome = Outcome(held=self._mass_hold())
        with self.ledger.transaction():
            for person in people:
                dedup = f"reminder:{key}:{person['id']}"
                fresh = not self._has(dedup) and self.registry.queue(
                    kind="reminder",
                    registration=person,
                    message_row=None,
                    dedup=dedup,
                    hold=outcome.held,
                    finish=lambda msg: msg.replace_header("Auto-Submitted", "auto-generated"),
                )
                if fresh:
                    outcome.recipients.append(person)
                else:
                    outcome.already += 1
            self.ledger.set_meta(f"reminders_done:{key}", now_iso())
        log.info("reminders for %s queued for %d people", key, len(outcome.recipients))
        return outcome

    # the hook for the registry (inside its transaction) ------------------------------------
    def catch_up(self, registration: sqlite3.Row) -> int:
        """Someone joined (or was promoted) after announcements were sent: queue what they missed."""
        announcements = self.ledger.db.execute("SELECT * FROM announcements ORDER BY id").fetchall()
        person = self.ledger.registration_by_id(registration["id"])
        if not announcements or person is None or person["status"] not in ("registered", "waitlisted"):
            return 0
        registered = person["status"] == "registered"
        hold = self._reply_hold(person)
        queued = 0
        for announcement in announcements:
            if announcement["kind"] == "message" and (registered or announcement["include_waitlist"]):
                queued += self._queue_text(announcement, person, hold, "auto-replied")
        updates = [a for a in announcements if a["kind"] == "event_update"]
        if updates and (registered or updates[-1]["include_waitlist"]) and calendar_invite.event_key(self.settings):
            latest = updates[-1]
            dedup, sequence = f"announcement:{latest['id']}:{person['id']}", latest["sequence"]
            if person["generation"] > 1 and calendar_invite.had_invitation(self.ledger, person["id"]):
                # They cancelled after an invitation, so their calendar holds a CANCEL: outrank it.
                dedup = f"{dedup}:{person['generation']}"
                sequence = -1 if self._has(dedup) else calendar_invite.next_sequence(self.ledger)
            if sequence >= 0:
                queued += self._queue_invite(person, dedup, sequence, hold, reply=True)
        return queued
