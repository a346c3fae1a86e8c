"""What the organiser's workbook looks like, and how to find the people in one they saved.

The columns and their headers in both languages, the statuses as the
workbook shows them, the bot's cells of one person's row, and the reading of
a workbook that the bot, Excel, LibreOffice or openpyxl saved: the people
sheet (by name, else the first), its header row (the first of the top ten
that names our columns), and the organiser's own columns in it. Writing is
:mod:`workbook`; reading back edits to the bot's columns is :mod:`workbook_edits`.
"""

from __future__ import annotations

import zipfile
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from openpyxl import load_workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from .compose import DIET_NAMES
from .models import Language

# (key, Swedish header, English header, width)
COLUMNS = [
    ("name", "Namn", "Name", 26),
    ("email", "E-post", "Email", 32),
    ("organisation", "Organisation", "Organisation", 26),
    ("diet", "Specialkost", "Dietary needs", 18),
    ("diet_text", "Specialkost, egna ord", "Dietary needs, own words", 30),
    ("seats", "Platser", "Seats", 9),
    ("status", "Status", "Status", 22),
    ("registered", "Anmäld", "Registered", 18),
    ("suggested_org", "Organisation (förslag)", "Organisation (suggested)", 24),
    ("id", "ID", "ID", 8),
]
REVIEW_COLUMNS = [
    ("sender", "Avsändare", "Sender", 32),
    ("subject", "Ämne", "Subject", 40),
    ("date", "Datum", "Date", 18),
    ("state", "Läge", "State", 12),
    ("reason", "Orsak", "Reason", 60),
    ("id", "Meddelande", "Message", 12),
]
STATUS_NAMES = {
    "sv": {
        "registered": "Anmäld",
        "cancelled": "Avanmäld",
        "pending": "Väntar på bekräftelse",
        "waitlisted": "Väntelista",
    },
    "en": {
        "registered": "Registered",
        "cancelled": "Cancelled",
        "pending": "Awaiting confirmation",
        "waitlisted": "Waitlisted",
    },
}
SHEET_NAMES = {"sv": ("Anmälda", "Att granska"), "en": ("Attendees", "Needs review")}
# Every sheet the bot writes, in either language (workbook_sheets.py holds the last four);
# any other sheet is the organiser's own and is carried over (workbook_extra.py).
BOT_SHEETS = frozenset(
    {name for names in SHEET_NAMES.values() for name in names} | {"Sammanfattning", "Summary", "Ändringar", "Changes"}
)
OUR_HEADERS = {h for c in COLUMNS for h in (c[1], c[2])}
HEADER_KEYS = {h: c[0] for c in COLUMNS for h in (c[1], c[2])}  # either language: [event] language may change
DATE_FORMAT = "yyyy-mm-dd hh:mm"


class WorkbookError(Exception):
    """The workbook could not be written now (locked, disk full, unreadable); try on a later cycle."""


# What openpyxl raises for a file that is not a workbook it can read.
UNREADABLE = (zipfile.BadZipFile, OSError, KeyError, ValueError, TypeError, IndexError)


def unreadable(path: Path, exc: Exception) -> WorkbookError:
    """The error for a workbook that exists but cannot be read: it is never replaced."""
    return WorkbookError(
        f"cannot read the existing {path.name} ({type(exc).__name__}: {exc}); it is not replaced, so that "
        f"nothing typed in it is lost: repair or remove it (older versions are in {path.stem}.versions/)"
    )


@dataclass(frozen=True)
class OrganiserColumns:
    """Columns the organiser added: their headers and each registration's values."""

    headers: list[str]
    values: dict[str, list[object]]  # registration id ("R0001") -> values, in header order
    by_email: dict[str, list[object]] = field(default_factory=dict)  # address -> values, when the id fails
    id_emails: dict[str, str] = field(default_factory=dict)  # registration id -> the address on its row

    def of(self, ident: str, email: str) -> list[object]:
        """One person's values: by ID, unless that row carries someone else's address (an edited ID)."""
        on_row = self.id_emails.get(ident, "")
        if ident in self.values and (on_row in ("", email) or email not in self.by_email):
            return self.values[ident]
        return self.by_email.get(email) or [None] * len(self.headers)


@dataclass(frozen=True)
class Table:
    """One more sheet after the people and the review queue (the summary, the changes)."""

    title: str
    headers: list[str]
    widths: list[int]
    rows: list[list[object]]
    bold_rows: frozenset[int] = frozenset()  # indexes into ``rows``: section titles
    filter: bool = True


def cell_text(value: object) -> object:
    """A value safe for a cell: strings lose illegal characters and stay strings."""
    if isinstance(value, str):
        return ILLEGAL_CHARACTERS_RE.sub("", value)[:32_000]
    return value


def excel_time(iso: str | None, zone: ZoneInfo) -> datetime | None:
    """An ISO timestamp as a naive local datetime (Excel has no time zones)."""
    if not iso:
        return None
    try:
        moment = datetime.fromisoformat(iso)
        if moment.tzinfo is not None:
            moment = moment.astimezone(zone).replace(tzinfo=None)
    except (ValueError, OverflowError):
        return None
    return moment


def bot_values(reg: dict, language: Language, zone: ZoneInfo) -> list[object]:
    """The bot's cells of one person's row, in :data:`COLUMNS` order (what the rebuild writes)."""
    categories = [c for c in reg["diet"].split(",") if c]
    return [
        reg["name"],
        reg["email"],
        "" if reg["organisation_suggested"] else reg["organisation"],
        ", ".join(DIET_NAMES[language].get(c, c) for c in categories),
        reg["diet_text"],
        reg["seats"],
        STATUS_NAMES[language].get(reg["status"], reg["status"]),
        excel_time(reg["created_at"], zone),
        reg["organisation"] if reg["organisation_suggested"] else "",
        f"R{reg['id']:04d}",
    ]


def people_rows(book: Any) -> tuple[list[str], list[tuple], int]:
    """The people sheet's header and the rows under it, as saved by the bot, Excel or openpyxl.

    The sheet is found by its name in either language, else it is the first;
    the header is the first of the top ten rows that names two of our columns
    (the organiser may have put a title above it). The third value is the
    sheet row number of the first row under the header.
    """
    titles = {names[0] for names in SHEET_NAMES.values()}
    sheet = next((s for s in book.worksheets if s.title in titles), book.worksheets[0])
    rows = list(sheet.iter_rows(values_only=True))
    for index, row in enumerate(rows[:10]):
        header = [str(h).strip() if h is not None else "" for h in row]
        if len(set(header) & OUR_HEADERS) >= 2:
            return header, rows[index + 1 :], index + 2
    return [], [], 0


def organiser_columns(header: list[str], rows: list[tuple]) -> OrganiserColumns:
    """Every column that is not ours: named by the organiser, or unnamed but typed into."""
    width = max([len(header), *(len(r) for r in rows)], default=0)
    header = header + [""] * (width - len(header))
    filled = {i for r in rows for i, v in enumerate(r) if v is not None and v != ""}
    extra = [i for i, h in enumerate(header) if h not in OUR_HEADERS and (h or i in filled)]
    id_col = header.index("ID") if "ID" in header else None
    mail_cols = [i for i, h in enumerate(header) if HEADER_KEYS.get(h) == "email"]
    values: dict[str, list[object]] = {}
    by_email: dict[str, list[object]] = {}
    id_emails: dict[str, str] = {}
    for row in rows:
        own = [row[i] if i < len(row) else None for i in extra]
        email = str(row[mail_cols[0]] or "").strip().lower() if mail_cols and mail_cols[0] < len(row) else ""
        if email:
            by_email[email] = own
        if id_col is not None and id_col < len(row) and row[id_col]:
            ident = str(row[id_col]).strip().upper()
            values[ident], id_emails[ident] = own, email
    return OrganiserColumns([header[i] for i in extra], values, by_email, id_emails)


def read_organiser_columns(path: Path) -> OrganiserColumns:
    """The organiser's own columns from the current workbook; :class:`WorkbookError` if unreadable."""
    if not path.exists():
        return OrganiserColumns([], {})
    try:
        book = load_workbook(path, read_only=True, data_only=True)
        try:
            header, rows, _first = people_rows(book)
            return organiser_columns(header, rows)
        finally:
            book.close()
    except UNREADABLE as exc:
        raise unreadable(path, exc) from None
