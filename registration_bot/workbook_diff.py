"""What the organiser changed in the bot's columns: a pure comparison, no I/O.

Three versions of each bot cell meet here: what the bot last wrote (its
fingerprint), what the saved file holds now, and what the database holds now
(mail may have changed it since the last write). A cell counts as edited
only when the file differs from what the bot wrote and from the database,
so a change that came by mail is never mistaken for the organiser's. Values
are compared as they read back from any saver: Excel stores a whole number
as 1 or 1.0 and a time as a serial day number, so both are normalised.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from openpyxl.utils.datetime import from_excel

from .diet import diet
from .headers import ascii_address
from .models import Details, Language
from .textutil import one_line
from .workbook_layout import COLUMNS, HEADER_KEYS

FIELDS = [c[0] for c in COLUMNS if c[0] != "id"]  # "id" is the last column
CANCEL_WORDS = {"avanmäld", "cancelled", "canceled"}
ACTIVE_WORDS = {"anmäld", "registered"}
MAX_SEATS = 20
_ADDRESS = re.compile(r"^[^@\s<>()\[\],;:\"\\]+@[^@\s<>()\[\],;:\"\\.][^@\s<>()\[\],;:\"\\]*\.[^@\s<>()\[\],;:\"\\.]+$")

NOTES = {
    "sv": {
        "restored": "Kolumnen ägs av boten; databasens värde skrivs tillbaka.",
        "column_missing": "Kolumnen saknades i arbetsboken; den skrivs tillbaka.",
        "row_deleted": "Raden togs bort i arbetsboken; den skrivs tillbaka. "
        "Avanmäl genom att skriva Avanmäld i Status.",
        "status": "Status ”{value}” kan inte sättas i arbetsboken (bara Avanmäld); återställd. Ändringen görs inte.",
        "cancelled": "Avanmäld i arbetsboken; kvitto skickas.",
        "already_cancelled": "Redan avanmäld.",
        "registered": "Ny rad i arbetsboken; anmäld och bekräftelse skickas.",
        "waitlisted": "Ny rad i arbetsboken; fullt, så personen står på väntelistan (besked skickas).",
        "no_id_column": "ID-kolumnen saknas, så inga ändringar kunde knytas till någon. Den skrivs tillbaka.",
        "unknown_id": "ID {id} har boten inte skrivit; raden tas bort vid omskrivningen (innehållet står här).",
        "duplicate_id": "ID {id} står på flera rader ({rows}); ingen av ändringarna görs.",
        "id_edited": "ID:t på raden för {id} verkar ändrat (till ”{typed}”); ingen ändring görs, raden skrivs om.",
        "id_swapped": "Raden med ID {id} har adressen som hör till {other}; ID:t verkar ändrat. Ingen ändring görs.",
        "own_only": "Rad {row} utan ID har text bara i egna kolumner och kan inte knytas till någon; den tas bort "
        "vid omskrivningen (innehållet står här).",
        "new_row_problems": "Ny rad kan inte anmälas: {problems}. Ingen anmälan görs; raden tas bort vid "
        "omskrivningen (innehållet står här).",
        "no_name": "namn saknas",
        "no_address": "e-postadress saknas",
        "bad_address": "”{value}” är ingen giltig e-postadress",
        "own_address": "adressen är botens eller arrangörens egen",
        "registered_as": "adressen är redan anmäld som {id}",
        "erased": "adressen har bett att bli raderad",
        "new_status": "status ”{value}” på en ny rad",
        "bad_seats": "platser ”{value}” är inget heltal 1–20",
        "failed": "Kunde inte genomföras: {error}",
    },
    "en": {
        "restored": "The bot owns this column; the database's value is written back.",
        "column_missing": "The column was missing from the workbook; it is written back.",
        "row_deleted": "The row was deleted in the workbook; it is written back. To cancel, type Cancelled in Status.",
        "status": 'Status "{value}" cannot be set in the workbook (only Cancelled); restored. Nothing was changed.',
        "cancelled": "Cancelled in the workbook; a receipt is sent.",
        "already_cancelled": "Already cancelled.",
        "registered": "New row in the workbook; registered and a confirmation is sent.",
        "waitlisted": "New row in the workbook; the event is full, so they are on the waiting list (told so).",
        "no_id_column": "The ID column is missing, so no edit could be matched to anyone. It is written back.",
        "unknown_id": "ID {id} was not written by the bot; the row is dropped by the rebuild (its content is here).",
        "duplicate_id": "ID {id} is on several rows ({rows}); none of their edits is applied.",
        "id_edited": 'The ID on {id}\'s row seems edited (to "{typed}"); nothing is changed, the row is rewritten.',
        "id_swapped": "The row with ID {id} has the address of {other}; the ID seems edited. Nothing is changed.",
        "own_only": "Row {row} has no ID and text only in your own columns, so it belongs to nobody; it is dropped "
        "by the rebuild (its content is here).",
        "new_row_problems": "A new row cannot be registered: {problems}. Nobody is registered; the row is dropped "
        "by the rebuild (its content is here).",
        "no_name": "the name is missing",
        "no_address": "the address is missing",
        "bad_address": '"{value}" is not a valid address',
        "own_address": "the address is the bot's or the organiser's own",
        "registered_as": "the address is already registered as {id}",
        "erased": "the address asked to be erased",
        "new_status": 'status "{value}" on a new row',
        "bad_seats": 'seats "{value}" is not a whole number 1-20',
        "failed": "Could not be carried out: {error}",
    },
}


def note(language: Language, key: str, **values: object) -> str:
    return NOTES[language][key].format(**values)


@dataclass(frozen=True)
class Finding:
    """One thing to do about the file: "restored", "review", "cancel" or "register"."""

    action: str
    ident: str = ""  # "R0003", when the finding is about a known person
    field: str = ""  # a key of COLUMNS, or "row"
    old: str = ""  # the database's value
    new: str = ""  # the organiser's value
    note: str = ""
    details: Details | None = None  # for "register"


def norm(value: object, key: str = "") -> str:
    """A cell as comparable text, whoever saved the file."""
    if value is None:
        return ""
    if key == "registered" and isinstance(value, int | float) and not isinstance(value, bool):
        try:
            value = from_excel(value)  # the date format was removed: Excel's serial day number
        except (ValueError, OverflowError, TypeError):
            pass
    if isinstance(value, datetime):
        return (value + timedelta(microseconds=500_000)).replace(microsecond=0).strftime("%Y-%m-%d %H:%M")
    if isinstance(value, date | time):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = unicodedata.normalize("NFC", str(value)).replace("\r\n", "\n").strip()
    return text.lower() if key == "email" else text


def find_edits(
    header: list[str],
    rows: list[tuple],
    first_row: int,
    written: dict[str, dict[str, str]],
    pending: dict[str, dict[str, str]],
    current: dict[str, list[str]],
    language: Language,
    ours: set[str],
) -> list[Finding]:
    """Everything the organiser changed in the bot's columns, as findings to apply and log."""
    cols: dict[str, int] = {}
    for index, title in enumerate(header):
        cols.setdefault(HEADER_KEYS.get(title, ""), index)
    cols.pop("", None)
    if "id" not in cols:
        return [Finding("review", field="id", note=note(language, "no_id_column"))]
    found = [Finding("restored", field=k, note=note(language, "column_missing")) for k in FIELDS if k not in cols]
    labels = [title or f"#{index + 1}" for index, title in enumerate(header)]
    by_id: dict[str, list[tuple[int, dict[str, str], str]]] = {}
    new_rows: list[tuple[int, dict[str, str], str]] = []
    for number, row in enumerate(rows, start=first_row):
        cells = {key: norm(row[i] if i < len(row) else None, key) for key, i in cols.items()}
        own = [(labels[i] if i < len(labels) else f"#{i + 1}", norm(v)) for i, v in enumerate(row)]
        content = "; ".join(f"{label}: {text}" for label, text in own if text)
        if not content:
            continue
        ident = cells["id"].upper()
        (by_id.setdefault(ident, []) if ident else new_rows).append((number, cells, content))
    missing = {written[i]["email"]: i for i in written if i not in by_id and i in current}
    owner = {values["email"]: ident for ident, values in written.items()}

    def claimed(cells: dict[str, str], typed: str, content: str) -> bool:
        """A row carrying the address of a person whose row is missing: their ID was edited."""
        ident = missing.pop(cells.get("email", ""), None)
        if ident is not None:
            text = note(language, "id_edited", id=ident, typed=typed)
            found.append(Finding("review", ident, "id", ident, typed, text))
        return ident is not None

    for ident, hits in by_id.items():
        hits = [h for h in hits if not ((len(hits) > 1 or ident not in written) and claimed(h[1], ident, h[2]))]
        if len(hits) > 1:
            text = note(language, "duplicate_id", id=ident, rows=", ".join(str(h[0]) for h in hits))
            found.append(Finding("review", ident if ident in written else "", "id", ident, ident, text))
        elif hits and ident not in written:
            found.append(Finding("review", "", "row", "", hits[0][2], note(language, "unknown_id", id=ident)))
        elif hits and ident in current:
            found += _compare(ident, hits[0][1], written[ident], pending.get(ident, {}), current, owner, language)
    for ident in missing.values():
        old = f"{current[ident][0]} <{current[ident][1]}>"
        found.append(Finding("restored", ident, "row", old, "", note(language, "row_deleted")))
    for number, cells, content in new_rows:
        if not claimed(cells, "", content):
            found.append(_new_row(number, cells, content, language, ours))
    return found


def _compare(
    ident: str,
    cells: dict[str, str],
    written: dict[str, str],
    pending: dict[str, str],
    current: dict[str, list[str]],
    owner: dict[str, str],
    language: Language,
) -> list[Finding]:
    now = dict(zip(FIELDS, current[ident], strict=False))
    other = owner.get(cells.get("email", ""))
    if other is not None and other != ident:
        return [Finding("review", ident, "id", ident, ident, note(language, "id_swapped", id=ident, other=other))]
    found = []
    for key in FIELDS:
        theirs = cells.get(key)
        if theirs is None or theirs in (written.get(key), pending.get(key), now[key]):
            continue  # not in the file, not edited, or the database already says so
        if key == "status" and theirs.casefold() == now[key].casefold():
            continue
        if key == "status" and theirs.casefold() in CANCEL_WORDS:
            found.append(Finding("cancel", ident, key, now[key], theirs))
        elif key == "status":
            found.append(Finding("review", ident, key, now[key], theirs, note(language, "status", value=theirs)))
        else:
            found.append(Finding("restored", ident, key, now[key], theirs, note(language, "restored")))
    return found


def _new_row(number: int, cells: dict[str, str], content: str, language: Language, ours: set[str]) -> Finding:
    """A row without an ID: a person to register if it is unambiguous, otherwise review."""
    if not any(cells.get(key) for key in FIELDS):
        return Finding("review", "", "row", "", content, note(language, "own_only", row=number))
    problems = []
    name = one_line(cells.get("name", ""), 200)
    email = cells.get("email", "").removeprefix("mailto:").strip()
    if not name:
        problems.append(note(language, "no_name"))
    if not email:
        problems.append(note(language, "no_address"))
    elif not _ADDRESS.match(email) or ascii_address(email)[1]:
        problems.append(note(language, "bad_address", value=email))
    elif email in ours:
        problems.append(note(language, "own_address"))
    status = cells.get("status", "")
    if status and status.casefold() not in ACTIVE_WORDS:
        problems.append(note(language, "new_status", value=status))
    seats = cells.get("seats", "") or "1"
    if not (seats.isdigit() and 1 <= int(seats) <= MAX_SEATS):
        problems.append(note(language, "bad_seats", value=seats))
    if problems:
        text = note(language, "new_row_problems", problems="; ".join(problems))
        return Finding("review", "", "row", "", content, text)
    words = one_line(cells.get("diet_text", "") or cells.get("diet", ""), 200)
    categories: tuple[str, ...] = ()
    if cells.get("diet") or words:
        # As a "Specialkost:" line, so that "nej", "ingen" or "-" mean no special diet.
        found, _ = diet("Specialkost: " + "; ".join(filter(None, (cells.get("diet"), cells.get("diet_text")))))
        said_none = found.source in ("says no special diet", "diet line says none")
        categories = found.value or (() if said_none else ("other",))
    organisation = one_line(cells.get("organisation", "") or cells.get("suggested_org", ""), 200)
    details = Details(
        email=email,
        name=name,
        organisation=organisation,
        seats=int(seats),
        diet=categories,
        diet_text=words,
        language=language,
        stated=frozenset({"name", "organisation", "seats", "diet"}),
    )
    return Finding("register", "", "row", "", content, details=details)
