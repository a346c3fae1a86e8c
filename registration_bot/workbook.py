"""The organiser's Excel workbook: a projection of the state, rebuilt atomically.

The workbook is never the source of truth; it is rebuilt from the database
whenever something changed. Columns the organiser added themselves (a header
that is not one of ours, or values typed in a column without a header) are
carried over to the right person by the registration id column (or, on a row
whose id was removed, by the address), so nothing typed there is lost; whole
sheets of their own are carried over too (:mod:`workbook_extra`).
Edits to the bot's own columns are read back first (:mod:`workbook_edits`).
Saving goes to a temporary file in the same folder, which is fsynced and
then renamed over the old one; the previous versions are kept beside it. A
workbook that exists but cannot be read is never replaced: the organiser's
columns in it would be lost.

Mail content never becomes a formula: text is always written as a string
cell, and characters that Excel's XML cannot hold are removed.
"""

from __future__ import annotations

import hashlib
import io
import logging
from collections.abc import Callable, Iterable
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from .atomic import replace_atomically
from .models import Language
from .workbook_extra import ExtraSheet, read_extra_sheets, trimmed
from .workbook_layout import (  # noqa: F401 - re-exported: the workbook's layout and reading live there
    COLUMNS,
    DATE_FORMAT,
    HEADER_KEYS,
    OUR_HEADERS,
    REVIEW_COLUMNS,
    SHEET_NAMES,
    STATUS_NAMES,
    OrganiserColumns,
    Table,
    WorkbookError,
    bot_values,
    cell_text,
    excel_time,
    organiser_columns,
    people_rows,
    read_organiser_columns,
)

log = logging.getLogger(__name__)


def _header_cells(sheet: object, titles: list[str]) -> list[WriteOnlyCell]:
    cells = []
    for title in titles:
        cell = WriteOnlyCell(sheet, value=title or None)
        cell.font = Font(bold=True, color="FFFFFF")
        cell.fill = PatternFill("solid", fgColor="305496")
        cell.alignment = Alignment(vertical="center")
        cells.append(cell)
    return cells


def _row(sheet: object, values: list[object], bold: bool = False) -> list[object]:
    cells: list[object] = []
    for value in values:
        if isinstance(value, datetime):
            cell = WriteOnlyCell(sheet, value=value)
            cell.number_format = DATE_FORMAT
        elif isinstance(value, str):
            cell = WriteOnlyCell(sheet, value=cell_text(value))
            cell.data_type = "s"  # never a formula, whatever the text starts with
        elif bold:
            cell = WriteOnlyCell(sheet, value=value)
        else:
            cells.append(value)
            continue
        if bold:
            cell.font = Font(bold=True)
        cells.append(cell)
    return cells


def _frame(sheet: object, widths: list[int], columns: int, rows: int, filter: bool = True) -> None:
    sheet.freeze_panes = "A2"
    if filter:
        sheet.auto_filter.ref = f"A1:{get_column_letter(columns)}{max(rows, 1) + 1}"
    for index, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width


def build(
    registrations: list[dict],
    review: list[dict],
    language: Language,
    zone: ZoneInfo,
    organiser: OrganiserColumns,
    tables: Iterable[Table] = (),
    extra: Iterable[ExtraSheet] = (),
) -> Workbook:
    """The whole workbook as an openpyxl object (write-only, so 10,000 rows stay small)."""
    book = Workbook(write_only=True)
    try:
        _fill(book, registrations, review, language, zone, organiser)
        for table in tables:
            _table(book, table)
        for sheet in extra:  # the organiser's own sheets, as they typed them
            copy = book.create_sheet(sheet.title)
            for row in trimmed(sheet.rows):
                copy.append(list(row))
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
    for reg in registrations:
        values = bot_values(reg, language, zone)
        people.append(_row(people, values + list(organiser.of(str(values[-1]), reg["email"].lower()))))

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


def _table(book: Workbook, table: Table) -> None:
    sheet = book.create_sheet(table.title)
    _frame(sheet, table.widths, len(table.headers), len(table.rows), table.filter)
    sheet.append(_header_cells(sheet, table.headers))
    for index, values in enumerate(table.rows):
        sheet.append(_row(sheet, values, bold=index in table.bold_rows))


def lock_file(path: Path) -> Path:
    """Excel's owner file, ``~$name.xlsx``, present while someone has the workbook open."""
    return path.with_name("~$" + path.name)


def open_in(path: Path) -> str | None:
    """The program that has the workbook open, by its lock file (Excel's or LibreOffice's), or None."""
    if lock_file(path).exists():
        return f"Excel ({lock_file(path).name} exists)"
    libreoffice = path.with_name(f".~lock.{path.name}#")
    if libreoffice.exists():
        return f"LibreOffice ({libreoffice.name} exists)"
    return None


def check_writable(path: Path) -> None:
    """Refuse to replace a workbook that someone has open: their next save would overwrite ours."""
    program = open_in(path)
    if program:
        raise WorkbookError(f"{path.name} is open in {program}; it will be written when closed")


def _discard(book: Workbook) -> None:
    """Finish a write-only workbook that will not be saved, so its row writers close cleanly."""
    for sheet in book.worksheets:
        if not getattr(sheet, "closed", True):
            sheet.close()


def save_atomically(
    book: Workbook, path: Path, versions_kept: int = 5, before_replace: Callable[[str], None] | None = None
) -> str:
    """Save ``book`` over ``path`` without ever leaving a broken file (see :mod:`atomic`).

    Returns the sha256 of the bytes written; ``before_replace`` gets it just
    before the rename (the read-back's fingerprint must exist before the file).
    """
    try:
        check_writable(path)
    except WorkbookError:
        _discard(book)
        raise
    buffer = io.BytesIO()
    try:
        book.save(buffer)
    except OSError as exc:
        raise WorkbookError(f"cannot build the workbook: {exc.strerror or exc}") from None
    data = buffer.getvalue()
    digest = hashlib.sha256(data).hexdigest()
    if before_replace is not None:
        before_replace(digest)
    try:
        replace_atomically(path, lambda handle: handle.write(data), versions_kept=versions_kept)
    except OSError as exc:
        raise WorkbookError(f"cannot write {path}: {exc.strerror or exc}") from None
    return digest


def write_workbook(
    path: Path,
    registrations: list[dict],
    review: list[dict],
    language: Language,
    zone: ZoneInfo,
    versions_kept: int = 5,
    *,
    tables: Iterable[Table] = (),
    before_replace: Callable[[str], None] | None = None,
) -> str:
    """Rebuild the workbook at ``path``; any I/O failure is a :class:`WorkbookError`, never a broken file.

    A write-only workbook streams its rows to temporary files while it is
    built, so a full disk can fail the build as well as the save. Returns
    the sha256 of what was written.
    """
    check_writable(path)
    organiser = read_organiser_columns(path)
    extra = read_extra_sheets(path)
    try:
        book = build(registrations, review, language, zone, organiser, tables, extra)
    except OSError as exc:
        raise WorkbookError(f"cannot build the workbook: {exc.strerror or exc}") from None
    return save_atomically(book, path, versions_kept, before_replace)
