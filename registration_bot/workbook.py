"""The organiser's Excel workbook: a projection of the state, rebuilt atomically.

The workbook is never the source of truth; it is rebuilt from the database
whenever something changed. Columns the organiser added themselves (a header
that is not one of ours) are carried over to the right person by the
registration id column, so nothing typed there is lost. Saving goes to a
temporary file in the same folder, which is fsynced and then renamed over
the old one; the previous versions are kept beside it.

Mail content never becomes a formula: text is always written as a string
cell, and characters that Excel's XML cannot hold are removed.
"""

from __future__ import annotations

import logging
import zipfile
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from openpyxl import Workbook, load_workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from .atomic import replace_atomically
from .compose import DIET_NAMES
from .models import Language

log = logging.getLogger(__name__)

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
OUR_HEADERS = {h for c in COLUMNS for h in (c[1], c[2])}
DATE_FORMAT = "yyyy-mm-dd hh:mm"


class WorkbookError(Exception):
    """The workbook could not be written now (locked, disk full); try on a later cycle."""


@dataclass(frozen=True)
class OrganiserColumns:
    """Columns the organiser added: their headers and each registration's values."""

    headers: list[str]
    values: dict[str, list[object]]  # registration id ("R0001") -> values, in header order


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


def read_organiser_columns(path: Path) -> OrganiserColumns:
    """The organiser's own columns from the current workbook, if it can be read."""
    if not path.exists():
        return OrganiserColumns([], {})
    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except (zipfile.BadZipFile, OSError, KeyError, ValueError) as exc:
        log.warning("cannot read the existing workbook %s (%s); organiser columns start empty", path, exc)
        return OrganiserColumns([], {})
    try:
        sheet = book.worksheets[0]
        rows = sheet.iter_rows(values_only=True)
        header = [str(h).strip() if h is not None else "" for h in next(rows, ())]
        if "ID" not in header:
            return OrganiserColumns([], {})
        id_col = header.index("ID")
        extra = [i for i, h in enumerate(header) if h and h not in OUR_HEADERS]
        values: dict[str, list[object]] = {}
        for row in rows:
            if id_col < len(row) and row[id_col]:
                values[str(row[id_col]).strip()] = [row[i] if i < len(row) else None for i in extra]
        return OrganiserColumns([header[i] for i in extra], values)
    finally:
        book.close()


def _header_cells(sheet: object, titles: list[str]) -> list[WriteOnlyCell]:
    cells = []
    for title in titles:
        cell = WriteOnlyCell(sheet, value=title)
        cell.font = Font(bold=True, color="FFFFFF")
        cell.fill = PatternFill("solid", fgColor="305496")
        cell.alignment = Alignment(vertical="center")
        cells.append(cell)
    return cells


def _row(sheet: object, values: list[object]) -> list[object]:
    cells: list[object] = []
    for value in values:
        if isinstance(value, datetime):
            cell = WriteOnlyCell(sheet, value=value)
            cell.number_format = DATE_FORMAT
            cells.append(cell)
        elif isinstance(value, str):
            cell = WriteOnlyCell(sheet, value=cell_text(value))
            cell.data_type = "s"  # never a formula, whatever the text starts with
            cells.append(cell)
        else:
            cells.append(value)
    return cells


def _frame(sheet: object, widths: list[int], columns: int, rows: int) -> None:
    sheet.freeze_panes = "A2"
    sheet.auto_filter.ref = f"A1:{get_column_letter(columns)}{max(rows, 1) + 1}"
    for index, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width


def build(
    registrations: list[dict], review: list[dict], language: Language, zone: ZoneInfo, organiser: OrganiserColumns
) -> Workbook:
    """The whole workbook as an openpyxl object (write-only, so 10,000 rows stay small)."""
    book = Workbook(write_only=True)
    try:
        _fill(book, registrations, review, language, zone, organiser)
    except BaseException:
        _discard(book)  # close the half-written sheets, or openpyxl complains when they are collected
        raise
    return book


def _fill(
    book: Workbook,
    registrations: list[dict],
    review: list[dict],
    language: Language,
    zone: ZoneInfo,
    organiser: OrganiserColumns,
) -> None:
    people_title, review_title = SHEET_NAMES[language]
    people = book.create_sheet(people_title)
    lang_index = 1 if language == "sv" else 2
    headers = [c[lang_index] for c in COLUMNS] + organiser.headers
    widths = [c[3] for c in COLUMNS] + [18] * len(organiser.headers)
    _frame(people, widths, len(headers), len(registrations))
    people.append(_header_cells(people, headers))
    statuses, diets = STATUS_NAMES[language], DIET_NAMES[language]
    for reg in registrations:
        ident = f"R{reg['id']:04d}"
        categories = [c for c in reg["diet"].split(",") if c]
        values: list[object] = [
            reg["name"],
            reg["email"],
            "" if reg["organisation_suggested"] else reg["organisation"],
            ", ".join(diets.get(c, c) for c in categories),
            reg["diet_text"],
            reg["seats"],
            statuses.get(reg["status"], reg["status"]),
            excel_time(reg["created_at"], zone),
            reg["organisation"] if reg["organisation_suggested"] else "",
            ident,
        ]
        values += organiser.values.get(ident, [None] * len(organiser.headers))
        people.append(_row(people, values))

    sheet = book.create_sheet(review_title)
    review_headers = [c[lang_index] for c in REVIEW_COLUMNS]
    _frame(sheet, [c[3] for c in REVIEW_COLUMNS], len(review_headers), len(review))
    sheet.append(_header_cells(sheet, review_headers))
    for item in review:
        sheet.append(
            _row(
                sheet,
                [
                    item["sender"],
                    item["subject"],
                    excel_time(item["date"] or item["processed_at"], zone),
                    item["state"],
                    item["reason"],
                    f"M{item['id']:05d}",
                ],
            )
        )


def lock_file(path: Path) -> Path:
    """Excel's owner file, ``~$name.xlsx``, present while someone has the workbook open."""
    return path.with_name("~$" + path.name)


def check_writable(path: Path) -> None:
    """Refuse to replace a workbook that someone has open in Excel."""
    if lock_file(path).exists():
        raise WorkbookError(
            f"{path.name} is open in Excel ({lock_file(path).name} exists); it will be written when closed"
        )


def _discard(book: Workbook) -> None:
    """Finish a write-only workbook that will not be saved, so its row writers close cleanly."""
    for sheet in book.worksheets:
        if not getattr(sheet, "closed", True):
            sheet.close()


def save_atomically(book: Workbook, path: Path, versions_kept: int = 5) -> None:
    """Save ``book`` over ``path`` without ever leaving a broken file (see :mod:`atomic`)."""
    try:
        check_writable(path)
    except WorkbookError:
        _discard(book)
        raise
    try:
        replace_atomically(path, book.save, versions_kept=versions_kept)
    except OSError as exc:
        raise WorkbookError(f"cannot write {path}: {exc.strerror or exc}") from None


def write_workbook(
    path: Path,
    registrations: list[dict],
    review: list[dict],
    language: Language,
    zone: ZoneInfo,
    versions_kept: int = 5,
) -> None:
    """Rebuild the workbook at ``path``; any I/O failure is a :class:`WorkbookError`, never a broken file.

    A write-only workbook streams its rows to temporary files while it is
    built, so a full disk can fail the build as well as the save.
    """
    check_writable(path)
    organiser = read_organiser_columns(path)
    try:
        book = build(registrations, review, language, zone, organiser)
    except OSError as exc:
        raise WorkbookError(f"cannot build the workbook: {exc.strerror or exc}") from None
    save_atomically(book, path, versions_kept)
