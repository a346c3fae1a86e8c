"""Sheets the organiser added to the workbook ("Budget", "Lokal"), carried over to every rebuild.

The workbook is rebuilt from the state, so anything not rebuilt from it
would be lost at the next change. Columns the organiser adds to the people
sheet are carried by :mod:`workbook_layout`; whole sheets of their own are
carried here: every sheet whose name is not one of the bot's, with its
values and formulas, in its place after the bot's sheets. Formatting (colours,
widths, merged cells) is not kept: the bot writes a streaming workbook, and
what must survive is what was typed.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from openpyxl import load_workbook

from .workbook_layout import BOT_SHEETS, UNREADABLE, unreadable


@dataclass(frozen=True)
class ExtraSheet:
    title: str
    rows: list[tuple[object, ...]]


def read_extra_sheets(path: Path) -> list[ExtraSheet]:
    """The organiser's own sheets in the current workbook, in their order; [] when there is none."""
    if not path.exists():
        return []
    try:
        # data_only=False: a formula the organiser typed comes back as its text ("=SUM(B2:B9)").
        book = load_workbook(path, read_only=True, data_only=False)
        try:
            return [
                ExtraSheet(sheet.title, [tuple(row) for row in sheet.iter_rows(values_only=True)])
                for sheet in book.worksheets
                if sheet.title not in BOT_SHEETS
            ]
        finally:
            book.close()
    except UNREADABLE as exc:
        raise unreadable(path, exc) from None


def trimmed(rows: list[tuple[object, ...]]) -> list[tuple[object, ...]]:
    """The rows without the empty ones at the end (read-only sheets report their whole used range)."""
    end = len(rows)
    while end and all(value is None for value in rows[end - 1]):
        end -= 1
    return rows[:end]
