"""Read the organiser's edits back from the workbook, before every rebuild.

The bot owns its columns; the organiser owns theirs. Before the workbook is
rebuilt, the file is compared with what the bot last wrote: the sha256 of
the bytes tells whether anyone saved it since (so it is parsed only then,
and each saved version only once), and the bot's cells per person, kept in
the ``meta`` table, tell which cells the organiser changed, in a file that
Excel, LibreOffice or openpyxl saved, with columns reordered and rows sorted
or filtered. Rows are matched by the "ID" column. What was found
(:mod:`workbook_diff`) is applied in one transaction and logged in the
``changes`` table, which the "Changes" sheet shows:

- "Avanmäld"/"Cancelled" typed in Status cancels that person (receipt sent);
- a new row with a name and an address registers that person (confirmation sent);
- any other edit of a bot column is restored by the rebuild and logged;
- anything ambiguous (another status, a row without an address, an edited
  ID) goes to review and is never guessed.

A workbook that cannot be read is left alone (and not rebuilt, see
:func:`workbook.read_organiser_columns`); a workbook open in Excel is read
when it is closed, together with the rebuild that restores it.
"""

from __future__ import annotations

import hashlib
import io
import json
import logging
import sqlite3
from collections import Counter
from zoneinfo import ZoneInfo

from openpyxl import load_workbook

from .ledger import Ledger, now_iso
from .models import Language, RegistrationStatus
from .registry import Registry
from .settings import Settings
from .workbook import open_in
from .workbook_diff import FIELDS, Finding, find_edits, norm, note
from .workbook_layout import UNREADABLE, bot_values, cell_text, people_rows

log = logging.getLogger(__name__)

WRITTEN = "workbook_written"  # JSON {"fields", "rows"}: the bot's cells it last wrote ("_sha256": of the file)
PENDING = "workbook_pending"  # the same, stored just before the rename and confirmed after it
SHA = "_sha256"
READ = "workbook_read_sha256"  # the organiser's last saved version that was read back
READ_ERROR = "workbook_read_error"  # so that an unreadable workbook is logged once, not every cycle


# the fingerprint of what the bot wrote ----------------------------------------------------
def snapshot(registrations: list[dict], language: Language, zone: ZoneInfo) -> dict[str, list[str]]:
    """The bot's cells of every row, normalised as they read back, by registration id."""
    rows = {}
    for reg in registrations:
        values = bot_values(reg, language, zone)
        rows[str(values[-1])] = [norm(cell_text(v), key) for key, v in zip(FIELDS, values, strict=False)]
    return rows


def remember_pending(
    ledger: Ledger, digest: str, registrations: list[dict], language: Language, zone: ZoneInfo
) -> None:
    state = {"fields": FIELDS, "rows": snapshot(registrations, language, zone)}
    with ledger.transaction():
        ledger.set_meta(PENDING, json.dumps(state, ensure_ascii=False, separators=(",", ":")))
        ledger.set_meta(PENDING + SHA, digest)


def confirm_written(ledger: Ledger) -> None:
    """The file now on disk is the pending one."""
    with ledger.transaction():
        if ledger.get_meta(PENDING + SHA):
            ledger.set_meta(WRITTEN, ledger.get_meta(PENDING))
            ledger.set_meta(WRITTEN + SHA, ledger.get_meta(PENDING + SHA))
            ledger.set_meta(READ, "")  # an old save put back over this file must be read again
            discard_pending(ledger)


def discard_pending(ledger: Ledger) -> None:
    with ledger.transaction():
        ledger.set_meta(PENDING, "")
        ledger.set_meta(PENDING + SHA, "")


def _load(ledger: Ledger, key: str) -> dict | None:
    try:
        state = json.loads(ledger.get_meta(key) or "null")
    except ValueError:
        return None
    if not isinstance(state, dict) or "rows" not in state:
        return None
    fields = state.get("fields", FIELDS)
    state["rows"] = {ident: dict(zip(fields, values, strict=False)) for ident, values in state["rows"].items()}
    return state


STAT = "workbook_stat"  # size, mtime and inode of the file last found unchanged


def _remember(ledger: Ledger, stamp: str) -> None:
    with ledger.transaction():
        ledger.set_meta(STAT, stamp)


# reading back -----------------------------------------------------------------------------
def apply_edits(ledger: Ledger, settings: Settings, registry: Registry) -> str:
    """Read the workbook back if the organiser saved it since the bot wrote it; apply and log the edits.

    Returns what happened, for the log: "unchanged", "open in Excel" (or
    LibreOffice), "unreadable", or counts of the changes made.
    """
    path = settings.workbook.path
    if not path.exists():
        return "no workbook"
    program = open_in(path)
    if program:
        return f"open in {program}"  # read when it is closed, right before the rebuild that restores it
    try:
        data_stat = path.stat()
        stamp = f"{data_stat.st_size}:{data_stat.st_mtime_ns}:{data_stat.st_ctime_ns}:{data_stat.st_ino}"
        if stamp == ledger.get_meta(STAT):
            return "unchanged"  # the same file as last cycle: not even read (the idle cycle stays cheap)
        data = path.read_bytes()
    except OSError as exc:
        return _unreadable(ledger, path.name, exc)
    digest = hashlib.sha256(data).hexdigest()
    if digest == ledger.get_meta(WRITTEN + SHA):
        _remember(ledger, stamp)
        return "unchanged"
    if digest == ledger.get_meta(PENDING + SHA):
        confirm_written(ledger)  # the bot wrote it but stopped before noting so
        _remember(ledger, stamp)
        return "unchanged"
    if digest == ledger.get_meta(READ):
        _remember(ledger, stamp)
        return "already read"
    written, pending = _load(ledger, WRITTEN), _load(ledger, PENDING)
    if written is None:
        log.info("%s was not written by this version of the bot; it is rewritten so edits can be read", path.name)
        with ledger.transaction():
            ledger.set_meta(READ, digest)
            ledger.bump_state_version()
        return "no baseline"
    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        try:
            header, rows, first = people_rows(book)
        finally:
            book.close()
    except UNREADABLE as exc:
        return _unreadable(ledger, path.name, exc)
    language = settings.event.language
    current = {f"R{r['id']:04d}": dict(r) for r in ledger.registrations()}
    ours = {a.lower() for a in (settings.smtp.from_address, settings.organiser.email, settings.imap.username) if a}
    findings = find_edits(
        header,
        rows,
        first,
        written["rows"],
        pending["rows"] if pending else {},
        {ident: snapshot([reg], language, settings.event.zone)[ident] for ident, reg in current.items()},
        language,
        ours,
    )
    counts = _apply(ledger, registry, findings, digest, language)
    if ledger.get_meta(READ_ERROR):
        with ledger.transaction():
            ledger.set_meta(READ_ERROR, "")
    if not counts:
        return "read back: no edits to the bot's columns"
    summary = ", ".join(f"{n} {action}" for action, n in sorted(counts.items()))
    log.info("workbook edits read back: %s", summary)
    return f"read back: {summary}"


def _unreadable(ledger: Ledger, name: str, exc: Exception) -> str:
    problem = f"cannot read {name} back ({type(exc).__name__}: {exc}); its edits are read when it can be"
    if ledger.get_meta(READ_ERROR) != problem:
        log.warning("%s", problem)
        with ledger.transaction():
            ledger.set_meta(READ_ERROR, problem)
    return "unreadable"


def _apply(ledger: Ledger, registry: Registry, findings: list[Finding], digest: str, language: Language) -> Counter:
    """Carry out and log every finding in one transaction; one that fails goes to review alone."""
    counts: Counter[str] = Counter()
    with ledger.transaction() as db:
        for finding in findings:
            db.execute("SAVEPOINT workbook_edit")
            try:
                action, registration_id, text = _carry_out(ledger, registry, finding, language)
            except Exception as exc:  # noqa: BLE001 - one bad row must not stop the others
                db.execute("ROLLBACK TO workbook_edit")
                log.exception("could not apply a workbook edit (%s)", finding)
                action, registration_id = "review", _number(finding.ident)
                text = note(language, "failed", error=f"{type(exc).__name__}: {exc}")
            db.execute("RELEASE workbook_edit")
            _log(db, registration_id, finding, action, text)
            counts[action] += 1
        ledger.set_meta(READ, digest)
        if findings:
            ledger.bump_state_version()  # the rebuild restores what the bot owns
    return counts


def _carry_out(ledger: Ledger, registry: Registry, finding: Finding, language: Language) -> tuple[str, int | None, str]:
    if finding.action == "cancel":
        existing = ledger.registration_by_id(_number(finding.ident))
        if existing is None or existing["status"] == RegistrationStatus.CANCELLED:
            return "restored", _number(finding.ident), note(language, "already_cancelled")
        registry.cancel(existing, message_row=None)
        return "cancelled", existing["id"], note(language, "cancelled")
    if finding.action == "register" and finding.details is not None:
        email = finding.details.email
        existing = ledger.registration_by_email(email)
        if existing is not None:
            text = note(language, "new_row_problems", problems=note(language, "registered_as", id=_ident(existing)))
            return "review", existing["id"], text
        if getattr(ledger, "is_erased", None) and ledger.is_erased(email):
            return "review", None, note(language, "new_row_problems", problems=note(language, "erased"))
        row = registry.register(finding.details, message_row=None, source="workbook")
        waiting = row["status"] == RegistrationStatus.WAITLISTED
        return "registered", row["id"], note(language, "waitlisted" if waiting else "registered")
    return finding.action, _number(finding.ident), finding.note


def _log(db: sqlite3.Connection, registration_id: int | None, finding: Finding, action: str, text: str) -> None:
    db.execute(
        "INSERT INTO changes (at, registration_id, field, old, new, action, note) VALUES (?, ?, ?, ?, ?, ?, ?)",
        (now_iso(), registration_id, finding.field, finding.old[:2000], finding.new[:2000], action, text[:2000]),
    )


def _number(ident: str) -> int | None:
    return int(ident[1:]) if ident[1:].isdigit() else None


def _ident(row: sqlite3.Row) -> str:
    return f"R{row['id']:04d}"
