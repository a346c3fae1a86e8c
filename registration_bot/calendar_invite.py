"""Calendar invitations for the event: RFC 5545 (iCalendar), sent as iTIP/iMIP (RFC 5546, RFC 6047).

One event, one ``UID`` for ever: it is derived once from the registration
address and the event's name and then kept in the ledger (``meta
event_uid``), so renaming the event or moving the bot keeps updating the
same calendar entry instead of adding a second one. ``SEQUENCE`` rises by
one with every revision the bot issues (an event update, a cancellation, a
re-invitation), kept in ``meta event_sequence``; calendars replace an entry
when a higher sequence arrives.

Times are written in UTC (``DTSTART:...Z``), which every client reads without
a ``VTIMEZONE``. A date without a time of day is an all-day event. The
invitation travels the way Google Calendar and Thunderbird send theirs: a
``text/calendar; method=...`` alternative to the text body (Outlook turns
that into a meeting item), and the same bytes attached as ``invite.ics``
(Gmail and Apple Mail show the attachment as an invitation).

When the configured date or location differs from the last event update
sent, :func:`offer_update` tells the organiser once per change (a log line,
and a mail to ``[organiser] email``); nobody else is mailed until the
organiser runs ``registration-bot announce --event-update``.
"""

from __future__ import annotations

import hashlib
import logging
import sqlite3
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from email.message import EmailMessage

from icalendar import Calendar, Event, vCalAddress, vText

from .compose import build_message, event_values
from .ledger import Ledger
from .settings import Settings
from .textutil import echo_name, one_line

log = logging.getLogger(__name__)
FILENAME = "invite.ics"
PRODID = "-//registration-bot//registration-bot//EN"
COMMAND = "registration-bot announce --config FILE --event-update"


def event_start(settings: Settings) -> datetime | date | None:
    """The event's start, time-zone aware; a bare date (no time of day) for an all-day event."""
    when = settings.event.date
    if when is None:
        return None
    local = when.astimezone(settings.event.zone) if when.tzinfo else when.replace(tzinfo=settings.event.zone)
    if (local.hour, local.minute, local.second) == (0, 0, 0):
        return local.date()  # "2027-03-12": the same rule as ${event_date} in compose.event_values
    return local


def start_moment(settings: Settings) -> datetime | None:
    """When the event begins, as an aware datetime (an all-day event: midnight, local time)."""
    start = event_start(settings)
    if start is None or isinstance(start, datetime):
        return start
    return datetime.combine(start, datetime.min.time(), tzinfo=settings.event.zone)


def event_key(settings: Settings) -> str:
    """A canonical text for the configured date: what an event update and a reminder are keyed on."""
    start = event_start(settings)
    if start is None:
        return ""
    return start.isoformat(timespec="minutes") if isinstance(start, datetime) else start.isoformat()


def event_uid(ledger: Ledger, settings: Settings) -> str:
    """The event's UID: kept in the ledger once made (call inside a transaction)."""
    uid = ledger.get_meta("event_uid")
    if not uid:
        address = settings.smtp.from_address.lower()
        digest = hashlib.sha256(f"{address}\n{settings.event.name}".encode()).hexdigest()[:24]
        uid = f"event-{digest}@{address.rsplit('@', 1)[-1]}"
        ledger.set_meta("event_uid", uid)
    return uid


def next_sequence(ledger: Ledger) -> int:
    """Take the next SEQUENCE (0 for the first revision); call inside the transaction that uses it."""
    stored = ledger.get_meta("event_sequence")
    highest = ledger.db.execute("SELECT MAX(sequence) FROM announcements WHERE kind = 'event_update'").fetchone()[0]
    sequence = max(int(stored) if stored else -1, highest if highest is not None else -1) + 1
    ledger.set_meta("event_sequence", str(sequence))
    return sequence


def build_ics(
    settings: Settings,
    *,
    uid: str,
    sequence: int,
    method: str,
    attendee: str,
    attendee_name: str = "",
    now: datetime | None = None,
) -> bytes:
    """One VCALENDAR with one VEVENT for one attendee; ``method`` is REQUEST or CANCEL."""
    assert method in ("REQUEST", "CANCEL")
    event = settings.event
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("method", method)
    vevent = Event()
    vevent.add("uid", uid)
    vevent.add("sequence", sequence)
    vevent.add("dtstamp", (now or datetime.now(UTC)).astimezone(UTC).replace(microsecond=0))
    start = event_start(settings)
    if isinstance(start, datetime):
        vevent.add("dtstart", start.astimezone(UTC))
        vevent.add("dtend", (start + timedelta(minutes=event.duration_minutes)).astimezone(UTC))
    elif isinstance(start, date):
        vevent.add("dtstart", start)
        vevent.add("dtend", start + timedelta(days=1))
    vevent.add("summary", one_line(event.name, 200))
    if event.location:
        vevent.add("location", one_line(event.location, 200))
    vevent.add("status", "CONFIRMED" if method == "REQUEST" else "CANCELLED")
    vevent.add("transp", "OPAQUE")
    organiser = vCalAddress(f"mailto:{settings.smtp.from_address}")
    if settings.smtp.from_name:
        organiser.params["cn"] = vText(one_line(settings.smtp.from_name, 80))
    vevent.add("organizer", organiser)
    guest = vCalAddress(f"mailto:{attendee}")
    if echo_name(attendee_name):
        guest.params["cn"] = vText(echo_name(attendee_name))
    guest.params["role"] = vText("REQ-PARTICIPANT")
    guest.params["partstat"] = vText("ACCEPTED" if method == "REQUEST" else "DECLINED")
    guest.params["rsvp"] = vText("FALSE")  # they signed up by mail; no calendar reply is wanted
    vevent.add("attendee", guest)
    cal.add_component(vevent)
    return cal.to_ical()


def attach(msg: EmailMessage, ics: bytes, method: str) -> None:
    """Add the invitation to a built text message, inline (alternative) and as ``invite.ics``."""
    language = msg.get("Content-Language")
    msg.add_alternative(ics.decode("utf-8"), subtype="calendar", charset="utf-8", params={"method": method})
    msg.add_attachment(
        ics, maintype="text", subtype="calendar", filename=FILENAME, params={"method": method, "charset": "utf-8"}
    )
    if language and "Content-Language" not in msg:  # making it multipart moved the header into the text part
        msg["Content-Language"] = language


# -- who holds an invitation -------------------------------------------------------------


def had_invitation(ledger: Ledger, registration_id: int) -> bool:
    """Whether this person got (or is getting) a calendar invitation."""
    return (
        ledger.db.execute(
            "SELECT 1 FROM outbox WHERE registration_id = ? AND kind = 'event_update'"
            " AND state NOT IN ('failed', 'held') LIMIT 1",
            (registration_id,),
        ).fetchone()
        is not None
    )


def cancel_invite(
    ledger: Ledger, settings: Settings, registration: sqlite3.Row
) -> Callable[[EmailMessage], None] | None:
    """For a cancellation receipt: attach an ICS CANCEL if this person got an invitation."""
    if not had_invitation(ledger, registration["id"]):
        return None
    ics = build_ics(
        settings,
        uid=event_uid(ledger, settings),
        sequence=next_sequence(ledger),
        method="CANCEL",
        attendee=registration["email"],
        attendee_name=registration["name"],
    )
    return lambda msg: attach(msg, ics, "CANCEL")


# -- the event changed: tell the organiser -----------------------------------------------


def latest_update(ledger: Ledger) -> sqlite3.Row | None:
    return ledger.db.execute(
        "SELECT * FROM announcements WHERE kind = 'event_update' ORDER BY id DESC LIMIT 1"
    ).fetchone()


def pending_update(ledger: Ledger, settings: Settings) -> dict | None:
    """The configured date and location, when they differ from the last event update sent; else None.

    Without a date there is nothing to put in a calendar, so nothing is offered.
    """
    key = event_key(settings)
    if not key:
        return None
    last = latest_update(ledger)
    if last is not None and (last["event_date"], last["event_location"]) == (key, settings.event.location):
        return None
    shown = event_values(settings, settings.event.language)
    return {
        "date": shown["event_date"],
        "location": shown["event_location"],
        "key": key,
        "after": last["id"] if last is not None else 0,
        "previous": {"date": last["event_date"], "location": last["event_location"]} if last is not None else None,
        "command": COMMAND,
    }


def offer_update(ledger: Ledger, settings: Settings) -> bool:
    """Tell the organiser, once per change, that the date or location changed; True if mail was queued."""
    pending = pending_update(ledger, settings)
    if pending is None:
        return False
    marker = f"{pending['after']}|{pending['key']}|{settings.event.location}"
    if ledger.get_meta("event_update_offered") == marker:
        return False
    log.warning("the event's date or location changed and nobody has been told; to tell them: %s", COMMAND)
    to = settings.organiser.email
    with ledger.transaction():
        ledger.set_meta("event_update_offered", marker)
        if not to:
            return False
        sv = settings.event.language == "sv"
        name = one_line(settings.event.name, 200)
        subject = f"Ny tid eller plats för {name}: skicka ut?" if sv else f"New date or venue for {name}: send it?"
        body = (
            f"Datum: {pending['date']}\nPlats: {pending['location']}\n\nDe anmälda har inte fått besked om "
            "detta ännu. Skicka det till alla anmälda, med en kalenderinbjudan:\n\n"
            f"    {COMMAND}\n\nLägg först till --dry-run för att se vilka som får det. Den som anmäler sig "
            "efter utskicket får det med sin bekräftelse.\n"
            if sv
            else f"Date: {pending['date']}\nVenue: {pending['location']}\n\nThe people registered have not "
            "been told yet. To send it to all of them, with a calendar invitation:\n\n"
            f"    {COMMAND}\n\nAdd --dry-run first to see who gets it. Whoever signs up after it is sent "
            "gets it with their confirmation.\n"
        )
        msg = build_message(
            settings,
            recipient=to,
            recipient_name="",
            subject=subject,
            body=body,
            language=settings.event.language,
            auto_submitted="auto-generated",
        )
        return ledger.queue_mail(
            kind="event_notice",
            dedup_key="event_notice:" + hashlib.sha256(marker.encode()).hexdigest()[:20],
            recipient=to,
            message_id=msg["Message-ID"],
            payload=msg.as_bytes(),
        )
