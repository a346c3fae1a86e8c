"""The acceptance scenario of issue 6: the whole life of one event, scripted end to end.

"A scripted run of a whole event life (about 60 sign-ups against a capacity of
40, then cancellations, organiser edits, a date announcement with ICS, a
reminder, an erasure, and a retention purge) ends with a workbook and a
sent-mail log that are right line by line."

Everything goes through ``python -m registration_bot`` against one real Dovecot
and one real aiosmtpd on 127.0.0.1; the organiser is played by openpyxl. The
expected mail and the expected workbook of every step come from :class:`Event`,
this file's own model of the rules the README states (seats in arrival order, the
waiting list first-in-first-out with the first party that fits, catch-up of the
current invitation for whoever becomes registered after it went out), fed only
with what the script itself did. After each step the mail the sink received in
that step is compared with the model in full (recipient, kind, language, with
counts: nobody twice, nobody missing, nobody else), and so is the people sheet
(address -> ID, status, seats, the organiser's "Närvaro").
"""

from __future__ import annotations

import re
import sqlite3
from collections import Counter
from contextlib import closing
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from e2e_helpers import Bot, cancel_sv, message, out_of_office, question_sv, read_workbook
from icalendar import Calendar
from openpyxl import load_workbook

from registration_bot.devservers import Dovecot, SmtpSink

pytestmark = pytest.mark.slow

STOCKHOLM = ZoneInfo("Europe/Stockholm")
CAPACITY = 40
ORGANISER = "organiser@example.org"
EVENT_DATE, EVENT_START = "2031-05-20 13:00", datetime(2031, 5, 20, 13, 0, tzinfo=STOCKHOLM)
VENUE = "Kulturhuset Stadsteatern, Sergels torg, Stockholm"
STATUS_LABEL = {"registered": "Anmäld", "waitlisted": "Väntelista", "cancelled": "Avanmäld"}

# Subject prefixes of every kind of mail, by language (the templates' first lines; the organiser's notice).
KINDS: dict[str, tuple[str, str]] = {
    "confirmation": ("Du är anmäld till", "You are registered for"),
    "waitlist": ("Du står på väntelistan", "You are on the waiting list"),
    "promoted": ("En plats har blivit ledig", "A seat is free"),
    "cancellation": ("Din anmälan till", "Your registration for"),
    "event_update": ("Tid och plats:", "Date and venue:"),
    "reminder": ("Påminnelse:", "Reminder:"),
    "erase_confirm": ("Bekräfta att dina uppgifter", "Confirm that your data"),
    "erased": ("Dina uppgifter är raderade", "Your data has been deleted"),
    "event_notice": ("Ny tid eller plats för", "New date or venue for"),
}
PLACE = re.compile(r"(?:Din plats i kön|Your place in the queue): (\d+)")

# Sixty sign-ups in arrival order: (first, last, address, language, seats). Seats 2 and 3 are
# parties ("vi blir två"); the first 33 take 39 seats, so the party of two at #33 does not
# fit and waits while the single #34 takes the last seat.
SIGNUPS: list[tuple[str, str, str, str, int]] = [
    ("Anna", "Lindqvist", "anna.lindqvist@trafikverket.se", "sv", 1),
    ("Erik", "Johansson", "erik.johansson@digg.se", "sv", 1),
    ("Maria", "Karlsson", "maria.karlsson@scb.se", "sv", 1),
    ("Oliver", "Bennett", "oliver.bennett@opendata.example.co.uk", "en", 1),
    ("Karin", "Eriksson", "karin.eriksson@jobtechdev.se", "sv", 2),
    ("Johan", "Andersson", "johan.andersson@trafiklab.se", "sv", 1),
    ("Sara", "Pettersson", "sara.pettersson@skatteverket.se", "sv", 1),
    ("Emily", "Carter", "emily.carter@gmail.com", "en", 1),
    ("Lars", "Nilsson", "lars.nilsson@lantmateriet.se", "sv", 1),
    ("Ingrid", "Holm", "ingrid.holm@stockholm.se", "sv", 1),
    ("James", "Whitfield", "james.whitfield@outlook.com", "en", 1),
    ("Per", "Gustafsson", "per.gustafsson@kth.se", "sv", 2),
    ("Eva", "Lundberg", "eva.lundberg@arbetsformedlingen.se", "sv", 1),
    ("Nils", "Sandberg", "nils.sandberg@trafikverket.se", "sv", 1),
    ("Hannah", "Brooks", "hannah.brooks@opendata.example.co.uk", "en", 1),
    ("Magnus", "Berglund", "magnus.berglund@digg.se", "sv", 3),
    ("Linnea", "Söderberg", "linnea.soderberg@scb.se", "sv", 1),
    ("Daniel", "Okafor", "daniel.okafor@gmail.com", "en", 1),
    ("Fredrik", "Wallin", "fredrik.wallin@jobtechdev.se", "sv", 1),
    ("Sofia", "Hedlund", "sofia.hedlund@trafiklab.se", "sv", 2),
    ("Anders", "Bergström", "anders.bergstrom@skatteverket.se", "sv", 1),
    ("Chloe", "Harper", "chloe.harper@outlook.com", "en", 1),
    ("Gustav", "Lindgren", "gustav.lindgren@lantmateriet.se", "sv", 1),
    ("Elin", "Forsberg", "elin.forsberg@stockholm.se", "sv", 1),
    ("Thomas", "Reed", "thomas.reed@kth.se", "en", 1),
    ("Helena", "Sjöberg", "helena.sjoberg@arbetsformedlingen.se", "sv", 1),
    ("Mikael", "Engström", "mikael.engstrom@trafikverket.se", "sv", 1),
    ("Rachel", "Morgan", "rachel.morgan@gmail.com", "en", 2),
    ("Jonas", "Hägg", "jonas.hagg@digg.se", "sv", 1),
    ("Ida", "Blom", "ida.blom@scb.se", "sv", 1),
    ("William", "Turner", "william.turner@opendata.example.co.uk", "en", 1),
    ("Camilla", "Nyström", "camilla.nystrom@jobtechdev.se", "sv", 1),
    ("Peter", "Åberg", "peter.aberg@trafiklab.se", "sv", 1),
    ("Lena", "Dahl", "lena.dahl@skatteverket.se", "sv", 2),
    ("Sam", "Patel", "sam.patel@outlook.com", "en", 1),
    ("Ulrika", "Strand", "ulrika.strand@lantmateriet.se", "sv", 1),
    ("Henrik", "Falk", "henrik.falk@stockholm.se", "sv", 1),
    ("Grace", "Liu", "grace.liu@kth.se", "en", 1),
    ("Åsa", "Lindberg", "asa.lindberg@arbetsformedlingen.se", "sv", 1),
    ("Mattias", "Ek", "mattias.ek@trafikverket.se", "sv", 1),
    ("David", "Novak", "david.novak@gmail.com", "en", 2),
    ("Kristina", "Wikström", "kristina.wikstrom@digg.se", "sv", 1),
    ("Stefan", "Borg", "stefan.borg@scb.se", "sv", 1),
    ("Amelia", "Hughes", "amelia.hughes@opendata.example.co.uk", "en", 1),
    ("Jenny", "Sundqvist", "jenny.sundqvist@jobtechdev.se", "sv", 1),
    ("Robert", "Lund", "robert.lund@trafiklab.se", "sv", 1),
    ("Malin", "Hellström", "malin.hellstrom@skatteverket.se", "sv", 1),
    ("Ethan", "Cole", "ethan.cole@outlook.com", "en", 2),
    ("Therese", "Björk", "therese.bjork@lantmateriet.se", "sv", 1),
    ("Oskar", "Lindahl", "oskar.lindahl@stockholm.se", "sv", 1),
    ("Laura", "Jensen", "laura.jensen@kth.se", "en", 1),
    ("Victoria", "Mattsson", "victoria.mattsson@arbetsformedlingen.se", "sv", 1),
    ("Kalle", "Nordin", "kalle.nordin@trafikverket.se", "sv", 1),
    ("Sophie", "Clarke", "sophie.clarke@gmail.com", "en", 1),
    ("Emil", "Sjögren", "emil.sjogren@digg.se", "sv", 1),
    ("Frida", "Axelsson", "frida.axelsson@scb.se", "sv", 2),
    ("Benjamin", "Ross", "benjamin.ross@opendata.example.co.uk", "en", 1),
    ("Alva", "Ström", "alva.strom@jobtechdev.se", "sv", 1),
    ("Viktor", "Holmberg", "viktor.holmberg@trafiklab.se", "sv", 1),
    ("Noah", "Fischer", "noah.fischer@outlook.com", "en", 1),
]
NUMBER_WORDS = {"sv": {2: "två", 3: "tre"}, "en": {2: "two", 3: "three"}}


# -- the mail people write -----------------------------------------------------------------


def signup(index: int, first: str, last: str, address: str, language: str, seats: int) -> bytes:
    """A sign-up in one of several everyday forms, with the party size in the writer's words."""
    name = f"{first} {last}"
    if language == "sv":
        party = f" Vi blir {NUMBER_WORDS['sv'][seats]}." if seats > 1 else ""
        subject, body = [
            ("Anmälan", f"Hej!\n\nJag vill anmäla mig till träffen.{party}\n\nMvh\n{name}\n"),
            (
                "Anmälan till träffen",
                f"Hej,\n\nJag anmäler mig härmed till träffen om öppen källkod och öppna data.{party}"
                f"\n\nVänliga hälsningar\n{name}\n",
            ),
            ("Anmälan öppna data", f"Hej!\n\nHärmed anmäler jag mig till träffen.{party}\n\nHälsningar\n{name}\n"),
        ][index % 3]
    else:
        party = f" We will be {NUMBER_WORDS['en'][seats]} people." if seats > 1 else ""
        subject, body = [
            ("Registration", f"Hello,\n\nI would like to register for the event.{party}\n\nBest regards,\n{name}\n"),
            (
                "Sign up",
                f"Hi,\n\nPlease sign me up for the meetup on open source and open data.{party}\n\nThanks,\n{name}\n",
            ),
            ("Meetup", f"Hello!\n\nI'd like to attend the event.{party}\n\nKind regards,\n{name}\n"),
        ][index % 3]
    return message(address, subject, body, name=name)


def cancel_en(first: str, last: str, address: str) -> bytes:
    return message(
        address,
        "Cancellation",
        f"Hi,\n\nUnfortunately I have to cancel my registration.\n\nBest regards,\n{first} {last}\n",
        name=f"{first} {last}",
    )


def auto_reply_en(address: str, name: str) -> bytes:
    return message(
        address,
        "Automatic reply: You are registered for Testträffen",
        "I am out of the office until Monday and will read your message when I return.\n",
        name=name,
        headers={"Auto-Submitted": "auto-replied", "X-Auto-Response-Suppress": "All"},
    )


# -- the model: what the README's rules say must happen ------------------------------------------


@dataclass
class Person:
    ident: str
    name: str
    email: str
    language: str
    seats: int
    status: str = ""  # registered, waitlisted, cancelled
    queued_at: int = 0  # arrival order on the waiting list
    attendance: str | None = None  # the organiser's own "Närvaro" column
    erased: bool = False


class Event:
    """The script's own account of who is where and which mail each change owes whom."""

    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self.people: dict[str, Person] = {}
        self.mail: Counter[tuple[str, str, str]] = Counter()  # (recipient, kind, language) expected this step
        self.places: dict[str, int] = {}  # waiting-list place promised in a waitlist mail this step
        self.invited = False  # an event update (an ICS REQUEST) went out
        self.clock = 0

    def send(self, person: Person, kind: str, language: str | None = None) -> None:
        self.mail[(person.email, kind, language or person.language)] += 1

    def take(self) -> tuple[Counter[tuple[str, str, str]], dict[str, int]]:
        """What this step owes; the next step starts empty."""
        owed, places = self.mail, self.places
        self.mail, self.places = Counter(), {}
        return owed, places

    # counting
    def seats_taken(self) -> int:
        return sum(p.seats for p in self.people.values() if p.status == "registered" and not p.erased)

    def waiting(self) -> list[Person]:
        return sorted(
            (p for p in self.people.values() if p.status == "waitlisted" and not p.erased), key=lambda p: p.queued_at
        )

    def registered(self) -> list[Person]:
        return [p for p in self.people.values() if p.status == "registered" and not p.erased]

    # changes
    def _now_registered(self, person: Person) -> None:
        if self.invited:
            self.send(person, "event_update")  # a late joiner gets the current invitation

    def sign_up(self, name: str, email: str, language: str, seats: int) -> Person:
        person = Person(f"R{len(self.people) + 1:04d}", name, email, language, seats)
        self.people[email] = person
        if self.seats_taken() + seats <= self.capacity:
            person.status = "registered"
            self.send(person, "confirmation")
            self._now_registered(person)
        else:
            person.status, self.clock = "waitlisted", self.clock + 1
            person.queued_at = self.clock
            self.send(person, "waitlist")
            self.places[email] = len(self.waiting())
        return person

    def promote(self) -> list[Person]:
        """Free seats go to the waiting list, in arrival order, to each party that fits."""
        promoted = []
        for person in self.waiting():
            if self.seats_taken() + person.seats <= self.capacity:
                person.status = "registered"
                self.send(person, "promoted")
                self._now_registered(person)
                promoted.append(person)
        return promoted

    def cancel(self, email: str) -> None:
        person = self.people[email]
        person.status = "cancelled"
        self.send(person, "cancellation")
        self.promote()

    def erase(self, email: str) -> None:
        person = self.people[email]
        person.erased = True
        self.send(person, "erased")
        self.promote()

    def workbook(self) -> dict[str, tuple[Any, ...]]:
        """The people sheet as it must be: address -> (ID, status, seats, Närvaro)."""
        return {
            p.email: (p.ident, STATUS_LABEL[p.status], p.seats, p.attendance)
            for p in self.people.values()
            if not p.erased
        }


# -- what the bot did ------------------------------------------------------------------------------


def kind_of(mail) -> tuple[str, str, str]:
    """(recipient, kind, language) of one received mail, from its subject."""
    assert len(mail.rcpt_tos) == 1, f"one recipient per mail: {mail.rcpt_tos}"
    subject = str(mail.message["Subject"])
    for kind, prefixes in KINDS.items():
        for language, prefix in zip(("sv", "en"), prefixes, strict=True):
            if subject.startswith(prefix):
                return mail.rcpt_tos[0].lower(), kind, language
    return mail.rcpt_tos[0].lower(), f"? {subject}", "?"


def body_of(mail) -> str:
    return mail.message.get_body(preferencelist=("plain",)).get_content()


def invitation(mail) -> tuple[str, Any] | None:
    """(the part's method parameter, the VEVENT) of the ``invite.ics`` in ``mail``, or None."""
    found = []
    for part in mail.message.iter_attachments():
        if part.get_filename() == "invite.ics":
            assert part.get_content_type() == "text/calendar"
            cal = Calendar.from_ical(part.get_content())
            assert cal["METHOD"] == part.get_param("method"), "the part's method is the calendar's"
            [event] = cal.walk("VEVENT")
            found.append((str(cal["METHOD"]), event))
    assert len(found) <= 1, "one invitation per mail"
    return found[0] if found else None


@dataclass
class Step:
    """One step of the scenario: the mail it must have caused, compared with what the sink got."""

    number: int
    title: str
    bot: Bot
    event: Event
    start: int = 0

    def __post_init__(self) -> None:
        self.start = len(self.bot.smtp.messages)

    def received(self) -> list:
        return self.bot.smtp.messages[self.start :]

    def check(self, **extra: Any) -> list:
        """The sent-mail log of this step, line by line, and the people sheet, in full."""
        got = self.received()
        owed, places = self.event.take()
        have = Counter(kind_of(m) for m in got)
        missing, unexpected = owed - have, have - owed
        assert not missing and not unexpected, (
            f"step {self.number} ({self.title}): mail missing {dict(missing)}; mail not expected {dict(unexpected)}"
        )
        for mail in got:  # addressed to that one person; the waiting-list place each one was told
            recipient, kind, _language = kind_of(mail)
            assert recipient in str(mail.message["To"]).lower() and mail.message["Auto-Submitted"], mail.message
            if kind == "waitlist":
                found = PLACE.search(body_of(mail))
                assert found and int(found.group(1)) == places[recipient], (recipient, found, places[recipient])
        rows = people_sheet(self.bot)
        expected = self.event.workbook()
        assert rows == expected, f"step {self.number}: workbook differs:\n" + "\n".join(
            f"  {e}: workbook {rows.get(e)} expected {expected.get(e)}"
            for e in sorted(set(rows) | set(expected))
            if rows.get(e) != expected.get(e)
        )
        summary = summary_sheet(self.bot)
        people = [p for p in self.event.people.values() if not p.erased]
        for status, label in STATUS_LABEL.items():
            group = [p for p in people if p.status == status]
            assert summary[label] == (len(group), sum(p.seats for p in group)), (label, summary[label])
        waiting_seats = sum(p.seats for p in self.event.waiting())
        assert (
            summary["Kapacitet"][1] == CAPACITY and summary["Lediga platser"][1] == CAPACITY - self.event.seats_taken()
        )
        assert summary["Bokade platser (anmälda)"][1] == self.event.seats_taken()
        assert summary["Platser på väntelistan"][1] == waiting_seats
        info = self.bot.status()
        assert info["seats_registered"] == self.event.seats_taken() <= CAPACITY
        assert info["registrations"]["registered"] == len(self.event.registered())
        assert info["registrations"]["waitlisted"] == len(self.event.waiting())
        kinds = Counter(k for _r, k, _l in have.elements())
        statuses = Counter(v[1] for v in rows.values())
        print(
            f"step {self.number} {self.title}: {len(got)} mail(s) {dict(sorted(kinds.items()))}; "
            f"workbook {dict(sorted(statuses.items()))}, {info['seats_registered']} seats"
            + "".join(f"; {k} {v}" for k, v in extra.items())
        )
        return got


def people_sheet(bot: Bot) -> dict[str, tuple[Any, ...]]:
    book = read_workbook(bot.workbook_path)
    assert book.sheet_names[0] == "Anmälda"
    rows = {}
    for row in book.rows:
        email = str(row["E-post"]).lower()
        assert email not in rows, f"{email} twice in the workbook"
        rows[email] = (row["ID"], row["Status"], row["Platser"], row.get("Närvaro"))
    return rows


def summary_sheet(bot: Bot) -> dict[str, tuple[Any, Any]]:
    """The Summary sheet ("Sammanfattning"): its label -> (count, seats) rows."""
    book = load_workbook(bot.workbook_path, read_only=True)
    try:
        rows = list(book["Sammanfattning"].iter_rows(values_only=True))
    finally:
        book.close()
    return {r[0]: tuple(r[1:3]) for r in rows if r and r[0]}


def drain(bot: Bot) -> None:
    """Poll until the inbox is empty (a cycle takes the inbox in batches)."""
    for _ in range(5):
        bot.poll()
        if not bot.folders()["INBOX"]:
            return
    raise AssertionError("the inbox did not empty in five cycles")


def configure(bot: Bot, **event: Any) -> Bot:
    """Rewrite the configuration file (the same state and servers) with these [event] settings."""
    return Bot.create(
        bot.workdir,
        bot.imap,
        bot.smtp,
        {"event": {"capacity": CAPACITY, **event}, "organiser": {"email": ORGANISER}},
    )


def mailbox(bot: Bot) -> Counter[str]:
    """Every message in every IMAP folder, by Message-ID."""
    return Counter(mid for ids in bot.folders().values() for mid in ids)


def dump(bot: Bot) -> list[str]:
    with closing(sqlite3.connect(bot.state_path)) as db:
        return list(db.iterdump())


def workbook_text(path: Path) -> str:
    """Every cell of every sheet."""
    book = load_workbook(path, read_only=True, data_only=True)
    try:
        cells = (v for sheet in book.worksheets for row in sheet.iter_rows(values_only=True) for v in row)
        return "\n".join(str(v) for v in cells if v is not None).lower()
    finally:
        book.close()


def versions(bot: Bot) -> list[str]:
    return sorted(p.name for p in (bot.workdir / "attendees.versions").glob("*"))


def changes_sheet(bot: Bot) -> list[dict[str, Any]]:
    book = load_workbook(bot.workbook_path, read_only=True)
    try:
        rows = list(book["Ändringar"].iter_rows(values_only=True))
    finally:
        book.close()
    return [dict(zip(rows[0], r, strict=False)) for r in rows[1:] if any(v is not None for v in r)]


class Organiser:
    """The organiser in Excel, played by openpyxl in normal mode: load, edit by header and ID, save."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.book = load_workbook(path)
        self.sheet = self.book.worksheets[0]

    def col(self, title: str) -> int:
        header = [c.value for c in self.sheet[1]]
        if title not in header:
            self.sheet.cell(1, len(header) + 1, title)
            return len(header) + 1
        return header.index(title) + 1

    def row_of(self, email: str) -> int:
        column = self.col("E-post")
        return next(r for r in range(2, self.sheet.max_row + 1) if self.sheet.cell(r, column).value == email)

    def set(self, email: str, title: str, value: object) -> None:
        self.sheet.cell(self.row_of(email), self.col(title), value)

    def add_row(self, **values: object) -> None:
        row = self.sheet.max_row + 1
        for title, value in values.items():
            self.sheet.cell(row, self.col(title), value)

    def save(self) -> None:
        self.book.save(self.path)


# -- the scenario -------------------------------------------------------------------------------


def test_a_whole_event_life_ends_with_a_workbook_and_a_mail_log_right_line_by_line(
    tmp_path: Path, dovecot: Dovecot, smtp_sink: SmtpSink
) -> None:
    bot = configure(Bot.create(tmp_path / "bot", dovecot, smtp_sink))
    event = Event(CAPACITY)
    appended = 0

    def append(*raws: bytes) -> None:
        nonlocal appended
        appended += bot.append(*raws)

    # 1. Sixty sign-ups, two out-of-office replies and a question, in this order. -----------------
    step = Step(1, "sign-ups", bot, event)
    raws = []
    for index, (first, last, address, language, seats) in enumerate(SIGNUPS):
        raws.append(signup(index, first, last, address, language, seats))
        event.sign_up(f"{first} {last}", address, language, seats)
        if index == 12:
            raws.append(out_of_office("birgitta.lund@vinnova.se", "Birgitta Lund"))
        if index == 29:
            raws.append(question_sv("Gunilla", "Ek", "gunilla.ek@kth.se"))
        if index == 41:
            raws.append(auto_reply_en("mark.evans@opendata.example.co.uk", "Mark Evans"))
    append(*raws)
    drain(bot)
    # The script's own premise: #33 (two seats) waits while #34 (one) takes the last seat.
    assert (event.people[SIGNUPS[33][2]].status, event.people[SIGNUPS[34][2]].status) == ("waitlisted", "registered")
    assert event.seats_taken() == CAPACITY and len(event.waiting()) == 26
    step.check(registered=len(event.registered()), waiting=len(event.waiting()))
    review = read_workbook(bot.workbook_path).review
    assert len(review) == 1, review
    assert "gunilla.ek@kth.se" in " ".join(str(v) for v in review[0].values())
    assert bot.status()["messages"]["ignored"] == 2

    # 2. Cancellations by mail: three registered (one a party of two), one on the waiting list. --------
    step = Step(2, "cancellations", bot, event)
    cancels = [SIGNUPS[2], SIGNUPS[11], SIGNUPS[44], SIGNUPS[21]]
    raws = []
    for first, last, address, language, _seats in cancels:
        raws.append((cancel_sv if language == "sv" else cancel_en)(first, last, address))
        event.cancel(address)
    raws.insert(2, auto_reply_en(SIGNUPS[10][2], "James Whitfield"))  # his out-of-office answers our confirmation
    append(*raws)
    drain(bot)
    promoted = [e for (e, k, _l) in event.mail if k == "promoted"]
    assert promoted == [SIGNUPS[35][2], SIGNUPS[33][2], SIGNUPS[36][2]]  # the premise: skip, then fit, FIFO
    step.check(promoted=len(promoted))

    # 3. The organiser edits the workbook in Excel. --------------------------------------------------
    step = Step(3, "organiser edits", bot, event)
    organiser = Organiser(bot.workbook_path)
    attendance = {
        SIGNUPS[0][2]: "ja",
        SIGNUPS[1][2]: "ja",
        SIGNUPS[5][2]: "nej",
        SIGNUPS[9][2]: "ja",
        SIGNUPS[34][2]: "ja",
        SIGNUPS[35][2]: "ja",
        SIGNUPS[2][2]: "nej",
    }
    for address, value in attendance.items():
        organiser.set(address, "Närvaro", value)
        event.people[address].attendance = value
    helena, johan = SIGNUPS[25][2], SIGNUPS[5][2]
    organiser.set(helena, "Status", "Avanmäld")
    organiser.set(johan, "Namn", "Johan A")  # a bot column: restored
    karin = "karin.ostergren@stockholm.se"
    organiser.add_row(
        **{"Namn": "Karin Östergren", "E-post": karin, "Organisation": "Stockholms stad", "Platser": 1},
        **{"Närvaro": "kanske"},
    )
    organiser.save()
    # Edits are applied top to bottom: Helena's cancellation (and its promotion) before the new row.
    event.cancel(helena)
    event.sign_up("Karin Östergren", karin, "sv", 1).attendance = "kanske"
    bot.poll()
    bot.poll()  # a saved file is read once: a second cycle sends nothing
    step.check()
    rows = read_workbook(bot.workbook_path).by_email()
    assert rows[johan]["Namn"] == "Johan Andersson"
    changes = {(c["ID"], c["Fält"], c["Åtgärd"]) for c in changes_sheet(bot)}
    ids = {e: p.ident for e, p in event.people.items()}
    assert {(i, a) for i, _f, a in changes} == {
        (ids[helena], "Avanmäld"),
        (ids[karin], "Anmäld"),
        (ids[johan], "Återställd"),
    }, changes
    assert (ids[johan], "Namn", "Återställd") in changes and (ids[helena], "Status", "Avanmäld") in changes

    # 4. The date and venue are set; the organiser is told, then sends the invitation. ---------------
    step = Step(4, "event update", bot, event)
    bot = configure(bot, date=EVENT_DATE, location=VENUE)
    step.bot = bot
    bot.poll()
    event.mail[(ORGANISER, "event_notice", "sv")] += 1
    registered_now = {p.email for p in event.registered()}
    dry = bot.run("announce", "--event-update", "--dry-run")
    assert dry.code == 0 and f"{len(registered_now)} would get it, 0 have it" in dry.stdout, str(dry)
    done = bot.run("announce", "--event-update")
    assert done.code == 0 and f"queued for {len(registered_now)} people" in done.stdout, str(done)
    for address in registered_now:
        event.send(event.people[address], "event_update")
    event.invited = True
    again = bot.run("announce", "--event-update")
    assert again.code == 0 and f"queued for 0 people; {len(registered_now)} already had it" in again.stdout
    wide = bot.run("announce", "--event-update", "--waitlist", "--dry-run")
    waiting = len(event.waiting())
    assert wide.code == 0 and f"{waiting} would get it, {len(registered_now)} have it" in wide.stdout, str(wide)
    invites = [m for m in step.received() if kind_of(m)[1] == "event_update"]
    uids, sequences = set(), set()
    for mail in invites:
        method, vevent = invitation(mail)
        assert method == "REQUEST" and str(vevent["ATTENDEE"]) == f"mailto:{mail.rcpt_tos[0]}"
        assert vevent.decoded("DTSTART") == EVENT_START and str(vevent["LOCATION"]) == VENUE
        uids.add(str(vevent["UID"]))
        sequences.add(int(vevent["SEQUENCE"]))
    assert len(uids) == 1 and sequences == {0}, (uids, sequences)
    [uid] = uids
    # A registered person who has the invitation cancels; a new person signs up (the event is full).
    emily, fatima = SIGNUPS[7], ("Fatima", "Hassan", "fatima.hassan@kth.se")
    sent_before = len(bot.smtp.messages)
    append(
        cancel_en(*emily[:3]),
        message(fatima[2], "Anmälan", "Hej!\n\nJag vill anmäla mig.\n\nMvh\nFatima Hassan\n", name="Fatima Hassan"),
    )
    event.cancel(emily[2])
    event.sign_up("Fatima Hassan", fatima[2], "sv", 1)
    drain(bot)
    late = bot.smtp.messages[sent_before:]
    [receipt] = [m for m in late if kind_of(m)[:2] == (emily[2], "cancellation")]
    method, vevent = invitation(receipt)
    assert method == "CANCEL" and str(vevent["UID"]) == uid and str(vevent["STATUS"]) == "CANCELLED"
    assert int(vevent["SEQUENCE"]) > 0
    [joiner] = [p for p in event.registered() if p.email not in registered_now]
    [(method, vevent)] = [invitation(m) for m in late if kind_of(m)[:2] == (joiner.email, "event_update")]
    assert method == "REQUEST" and str(vevent["UID"]) == uid and str(vevent["LOCATION"]) == VENUE
    assert not any(invitation(m) for m in late if m.rcpt_tos == [fatima[2]]), "the waiting list gets no invitation"
    step.check(invited=len(invites), late_joiner=joiner.email)

    # 5. The reminder, twice: the second run sends nothing. ------------------------------------------
    step = Step(5, "reminder", bot, event)
    first = bot.run("remind")
    count = len(event.registered())
    assert first.code == 0 and f"queued for {count} people; 0 already had it" in first.stdout, str(first)
    for someone in event.registered():
        event.send(someone, "reminder")
    second = bot.run("remind")
    assert second.code == 0 and f"queued for 0 people; {count} already had it" in second.stdout, str(second)
    step.check(reminded=count)

    # 6. Erasure by mail: the question, the reply to it, and nothing to them after. ------------------
    step = Step(6, "erasure", bot, event)
    anna = SIGNUPS[0]
    append(
        message(
            anna[2],
            "Radera mina uppgifter",
            "Hej!\n\nRadera mina uppgifter, tack.\n\nMvh\nAnna Lindqvist\n",
            name="Anna Lindqvist",
        )
    )
    drain(bot)
    [question] = [m for m in step.received() if kind_of(m) == (anna[2], "erase_confirm", "sv")]
    assert len(step.received()) == 1, [kind_of(m) for m in step.received()]
    reply_id = str(question.message["Message-ID"])
    append(
        message(
            anna[2],
            f"Re: {question.message['Subject']}",
            "Ja, radera.\n\nAnna\n",
            name="Anna Lindqvist",
            headers={"In-Reply-To": reply_id, "References": reply_id},
        )
    )
    drain(bot)
    event.send(event.people[anna[2]], "erase_confirm")
    event.erase(anna[2])
    newly = [e for (e, k, _l) in event.mail if k == "promoted"]
    assert len(newly) == 1
    reminded = bot.run("remind")  # the promoted person has no reminder yet: only they get one
    assert reminded.code == 0 and "queued for 1 people" in reminded.stdout, str(reminded)
    event.send(event.people[newly[0]], "reminder")
    append(signup(0, *anna))  # the erased person writes again: recorded, never answered
    drain(bot)
    step.check(erased=anna[2], promoted=newly[0])
    info = bot.run("status", "--json")
    assert anna[2] not in info.stdout and "Lindqvist" not in info.stdout
    assert anna[2] not in workbook_text(bot.workbook_path) and "lindqvist" not in workbook_text(bot.workbook_path)
    for name in versions(bot):  # versions written after the erasure may exist; none may hold her
        assert anna[2] not in workbook_text(bot.workdir / "attendees.versions" / name), name
    assert bot.status()["messages"]["privacy"] == 2

    # 7. The retention purge, long after the event. ---------------------------------------------------
    step = Step(7, "retention purge", bot, event)
    past = (date.today() - timedelta(days=100)).isoformat()
    bot = configure(bot, date=f"{past} 13:00", location=VENUE)  # retention_days_after_event: 90 by default
    step.bot = bot
    before_status, before_mailbox = bot.status(), mailbox(bot)
    before_dump, before_book, before_versions = dump(bot), bot.workbook_path.read_bytes(), versions(bot)
    assert sum(before_mailbox.values()) == appended and not bot.folders()["INBOX"]

    dry = bot.run("purge", "--dry-run")
    assert dry.code == 0 and "dry run, nothing changed" in dry.stdout, str(dry)
    kept = [p for p in event.people.values() if not p.erased]
    assert f"registrations: {len(kept)}" in dry.stdout, dry.stdout
    for p in kept:
        assert f"{p.ident} " in dry.stdout and f"<{p.email}>" in dry.stdout, p
    assert anna[2] not in dry.stdout
    assert dump(bot) == before_dump and bot.workbook_path.read_bytes() == before_book
    assert versions(bot) == before_versions

    done = bot.run("purge")
    assert done.code == 0 and "removed:" in done.stdout, str(done)
    after = bot.status()
    assert after["messages"] == before_status["messages"], "the ledger rows and their states stay"
    assert sum(after["registrations"].values()) == 0
    book = read_workbook(bot.workbook_path)
    assert book.rows == [] and "Närvaro" in book.header, book.header
    assert mailbox(bot) == before_mailbox, "the IMAP mailbox is never touched"
    everyone = [p.email for p in event.people.values()] + [p.name for p in event.people.values()]
    everyone += ["gunilla.ek@kth.se", "Gunilla Ek", "birgitta.lund@vinnova.se", "mark.evans@opendata.example.co.uk"]
    status_json = bot.run("status", "--json").stdout.lower()
    state_bytes = b"".join(p.read_bytes() for p in sorted(bot.workdir.glob("state.sqlite3*"))).lower()
    left = {
        place: [n for n in everyone if n.lower() in text or n.lower().encode() in state_bytes * (place == "state")]
        for place, text in (("workbook", workbook_text(bot.workbook_path)), ("status", status_json), ("state", ""))
    }
    assert left == {"workbook": [], "status": [], "state": []}, left
    assert not versions(bot) and changes_sheet(bot) == []
    for p in event.people.values():
        p.erased = True  # the model: nobody is left in the workbook
    step.check(purged=len(kept))

    # Every message appended is counted once, in one state.
    info = bot.status()
    assert info["messages_total"] == sum(info["messages"].values()) == appended, (info["messages"], appended)
    held = {name: len(ids) for name, ids in bot.folders().items()}  # moved, never deleted; review: 2
    assert held == {"INBOX": 0, "Registrations/Processed": appended - 2, "Registrations/Review": 2}, held
    states = {k: v for k, v in info["messages"].items() if v}
    # 61 sign-ups (waiting list included), 5 cancellations by mail, 3 robots, the question and the erased
    # person's later mail for review, her request and her confirmation.
    assert states == {"registered": len(SIGNUPS) + 1, "cancelled": 5, "ignored": 3, "review": 2, "privacy": 2}
    print(f"end: {appended} messages appended, states {info['messages']}; {len(bot.smtp.messages)} mails sent")
