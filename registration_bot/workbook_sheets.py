"""The summary and changes sheets, and writing the whole workbook from the state.

"Sammanfattning"/"Summary" counts people by status, seats taken and free,
and registered people by organisation and by dietary category. "Ändringar"/
"Changes" lists every change read back from the workbook (newest first):
when, who, which field, the old and the new value, and what the bot did.
Sheet order: people (first, where the organiser's columns live), the review
queue, the summary, the changes.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from zoneinfo import ZoneInfo

from .compose import DIET_NAMES
from .diet import CATEGORIES
from .ledger import Ledger
from .models import Language
from .settings import Settings
from .workbook import write_workbook
from .workbook_edits import confirm_written, discard_pending, remember_pending
from .workbook_layout import COLUMNS, STATUS_NAMES, Table, excel_time

SUMMARY = {
    "sv": {
        "title": "Sammanfattning",
        "headers": ["Sammanfattning", "Personer", "Platser"],
        "status": "Status",
        "seats": "Platser",
        "capacity": "Kapacitet",
        "taken": "Bokade platser (anmälda)",
        "free": "Lediga platser",
        "waiting": "Platser på väntelistan",
        "unlimited": "obegränsat",
        "organisations": "Organisation (anmälda)",
        "no_organisation": "(ingen uppgift)",
        "diets": "Specialkost (anmälda)",
        "no_diet": "Ingen specialkost",
    },
    "en": {
        "title": "Summary",
        "headers": ["Summary", "People", "Seats"],
        "status": "Status",
        "seats": "Seats",
        "capacity": "Capacity",
        "taken": "Seats taken (registered)",
        "free": "Free seats",
        "waiting": "Seats on the waiting list",
        "unlimited": "unlimited",
        "organisations": "Organisation (registered)",
        "no_organisation": "(not given)",
        "diets": "Dietary needs (registered)",
        "no_diet": "No special diet",
    },
}
STATUS_ORDER = ("registered", "waitlisted", "pending", "cancelled")
CHANGES = {
    "sv": ("Ändringar", ["Tid", "ID", "Namn", "Fält", "Gammalt värde", "Nytt värde", "Åtgärd", "Kommentar"]),
    "en": ("Changes", ["Time", "ID", "Name", "Field", "Old value", "New value", "Action", "Note"]),
}
CHANGE_WIDTHS = [18, 8, 26, 20, 26, 26, 16, 70]
ACTIONS = {
    "sv": {"restored": "Återställd", "cancelled": "Avanmäld", "registered": "Anmäld", "review": "Att granska"},
    "en": {"restored": "Restored", "cancelled": "Cancelled", "registered": "Registered", "review": "Needs review"},
}
FIELDS = {
    "sv": {c[0]: c[1] for c in COLUMNS} | {"row": "Rad"},
    "en": {c[0]: c[2] for c in COLUMNS} | {"row": "Row"},
}


def summary_table(registrations: list[dict], language: Language, capacity: int) -> Table:
    """Counts by status, the seats, and registered people by organisation and by diet."""
    words = SUMMARY[language]
    rows: list[list[object]] = []
    bold: set[int] = set()

    def section(title: str) -> None:
        if rows:
            rows.append([])
        bold.add(len(rows))
        rows.append([title])

    people = Counter(r["status"] for r in registrations)
    seats: Counter[str] = Counter()
    for reg in registrations:
        seats[reg["status"]] += reg["seats"]
    section(words["status"])
    for status in (*STATUS_ORDER, *sorted(set(people) - set(STATUS_ORDER))):
        rows.append([STATUS_NAMES[language].get(status, status), people[status], seats[status]])

    section(words["seats"])
    taken = seats["registered"]
    rows.append([words["capacity"], None, capacity or words["unlimited"]])
    rows.append([words["taken"], None, taken])
    rows.append([words["free"], None, max(capacity - taken, 0) if capacity else words["unlimited"]])
    rows.append([words["waiting"], None, seats["waitlisted"]])

    registered = [r for r in registrations if r["status"] == "registered"]
    section(words["organisations"])
    spelling: dict[str, str] = {}
    by_org: Counter[str] = Counter()
    org_seats: Counter[str] = Counter()
    for reg in registered:
        name = " ".join(reg["organisation"].split()) or words["no_organisation"]
        key = spelling.setdefault(name.casefold(), name)
        by_org[key] += 1
        org_seats[key] += reg["seats"]
    for name, count in sorted(by_org.items(), key=lambda item: (-item[1], item[0].casefold())):
        rows.append([name, count, org_seats[name]])

    section(words["diets"])
    by_diet = Counter(c for r in registered for c in set(filter(None, r["diet"].split(","))))
    for category in (*CATEGORIES, *sorted(set(by_diet) - set(CATEGORIES))):
        if by_diet[category]:
            rows.append([DIET_NAMES[language].get(category, category), by_diet[category], None])
    rows.append([words["no_diet"], sum(1 for r in registered if not r["diet"].strip(",")), None])
    return Table(words["title"], words["headers"], [36, 12, 12], rows, frozenset(bold), filter=False)


def changes_table(changes: list[dict], language: Language, zone: ZoneInfo) -> Table:
    """Every logged change, newest first, with the person's id and name."""
    title, headers = CHANGES[language]
    rows = [
        [
            excel_time(change["at"], zone),
            f"R{change['registration_id']:04d}" if change["registration_id"] else "",
            change["person"] or "",
            FIELDS[language].get(change["field"], change["field"]),
            change["old"],
            change["new"],
            ACTIONS[language].get(change["action"], change["action"]),
            change["note"],
        ]
        for change in changes
    ]
    return Table(title, headers, CHANGE_WIDTHS, rows)


def logged_changes(ledger: Ledger) -> list[dict]:
    return [
        dict(row)
        for row in ledger.db.execute(
            "SELECT c.*, r.name AS person FROM changes c LEFT JOIN registrations r ON r.id = c.registration_id"
            " ORDER BY c.id DESC"
        )
    ]


def write_projection(ledger: Ledger, settings: Settings, target: Path, *, record: bool) -> None:
    """Rebuild the workbook at ``target`` from the state; with ``record``, remember what was written.

    The fingerprint of the bytes and the bot's cells per person are stored as
    "pending" before the rename and confirmed after it, so a crash between
    the two never makes the bot mistake its own file for the organiser's edits.
    """
    event = settings.event
    registrations = [dict(r) for r in ledger.registrations()]
    review = [dict(r) for r in ledger.review_rows()]
    tables = [
        summary_table(registrations, event.language, event.capacity),
        changes_table(logged_changes(ledger), event.language, event.zone),
    ]

    def before_replace(digest: str) -> None:
        remember_pending(ledger, digest, registrations, event.language, event.zone)

    try:
        write_workbook(
            target,
            registrations,
            review,
            event.language,
            event.zone,
            settings.workbook.versions_kept,
            tables=tables,
            before_replace=before_replace if record else None,
        )
    except BaseException:
        if record:
            discard_pending(ledger)
        raise
    if record:
        confirm_written(ledger)
