"""The organiser's edits read back from the workbook (issue 6): restored, applied, or sent to review.

The organiser is played by openpyxl in normal mode (load, edit, save), which
rewrites the whole file the way Excel does; LibreOffice re-saves it in one
test. Where mail is involved the real CLI runs against Dovecot and aiosmtpd.
"""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from e2e_helpers import Bot, cancel_sv, file_identity, signup_en, signup_sv
from e2e_helpers import people as many_people
from openpyxl import load_workbook
from openpyxl.utils.datetime import to_excel

from registration_bot.devservers import Dovecot, SmtpSink
from registration_bot.ledger import Ledger
from registration_bot.models import Details
from registration_bot.settings import load_settings
from registration_bot.workbook import lock_file
from registration_bot.workbook_edits import PENDING, SHA, WRITTEN
from registration_bot.worker import Worker

STOCKHOLM = ZoneInfo("Europe/Stockholm")
ANNA = ("Anna", "Svensson", "anna.svensson@example.se")
ERIK = ("Erik", "Lindqvist", "erik.lindqvist@example.se")
MARIA = ("Maria", "Berg", "maria.berg@example.se")
JOHN = ("John", "Smith", "john.smith@example.com")
CONFIG = """
[event]
name = "Testträffen"
language = "{language}"
capacity = {capacity}
[imap]
host = "127.0.0.1"
security = "none"
username = "anmalan@example.org"
[smtp]
host = "127.0.0.1"
security = "none"
from_address = "anmalan@example.org"
[limits]
replies_per_domain_per_hour = 1000
"""


# -- the organiser, with openpyxl in normal mode ---------------------------------------------
class Organiser:
    """Opens the workbook, edits the people sheet by header and by ID, and saves it."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.book = load_workbook(path)
        self.sheet = self.book.worksheets[0]

    @property
    def header(self) -> list[str]:
        return [c.value for c in self.sheet[1]]

    def col(self, title: str) -> int:
        if title not in self.header:
            self.sheet.cell(1, len(self.header) + 1, title)
        return self.header.index(title) + 1

    def row_of(self, ident: str) -> int:
        ids = self.col("ID")
        return next(r for r in range(2, self.sheet.max_row + 1) if self.sheet.cell(r, ids).value == ident)

    def ident_of(self, email: str) -> str:
        mails, ids = self.col(self.header[1]), self.col("ID")
        row = next(r for r in range(2, self.sheet.max_row + 1) if self.sheet.cell(r, mails).value == email)
        return self.sheet.cell(row, ids).value

    def set(self, ident: str, title: str, value: object) -> None:
        self.sheet.cell(self.row_of(ident), self.col(title), value)

    def add_row(self, **values: object) -> None:
        row = self.sheet.max_row + 1
        for title, value in values.items():
            self.sheet.cell(row, self.col(title), value)

    def rearrange(self, column_order: list[str], row_key) -> None:
        """Reorder the columns and sort the rows, as a person does in Excel (values move, IDs with them)."""
        table = [[c.value for c in row] for row in self.sheet.iter_rows()]
        header, body = table[0], sorted(table[1:], key=lambda r: row_key(dict(zip(table[0], r, strict=False))))
        order = [header.index(t) for t in column_order] + [i for i, t in enumerate(header) if t not in column_order]
        self.sheet.delete_rows(1, self.sheet.max_row)
        for values in [header, *body]:
            self.sheet.append([values[i] for i in order])

    def save(self) -> None:
        self.book.save(self.path)


def sheet(path: Path, title: str | None = None) -> list[dict]:
    """A sheet's rows as dicts by header (the first sheet when no title is given)."""
    book = load_workbook(path, read_only=True)
    try:
        rows = list((book[title] if title else book.worksheets[0]).iter_rows(values_only=True))
    finally:
        book.close()
    width = len(rows[0])  # read-only rows end at their last value
    return [dict(zip(rows[0], r + (None,) * (width - len(r)), strict=False)) for r in rows[1:]]


def people(path: Path) -> dict[str, dict]:
    return {row["ID"]: row for row in sheet(path)}


def subjects(bot: Bot, address: str) -> list[str]:
    return [str(m.message["Subject"]) for m in bot.sent().to(address)]


def soffice() -> str:
    binary = shutil.which("soffice") or shutil.which("libreoffice")
    if binary is None:
        if os.environ.get("CI") == "true":
            pytest.fail("LibreOffice (soffice) is not installed; CI=true, so this test may not be skipped")
        pytest.skip("LibreOffice (soffice) is not installed")
    return binary


def convert(binary: str, source: Path, to: str, outdir: Path, profile: Path) -> Path:
    done = subprocess.run(
        [
            binary,
            f"-env:UserInstallation=file://{profile}",
            "--headless",
            "--convert-to",
            to,
            "--outdir",
            outdir,
            source,
        ],
        capture_output=True,
        text=True,
        timeout=180,
    )
    result = outdir / f"{source.stem}.{to.split(':')[0]}"
    assert done.returncode == 0 and result.exists(), done.stdout + done.stderr
    return result


# -- a worker in-process, for the tests that need no mail server --------------------------------
def make_worker(tmp_path: Path, capacity: int = 0, language: str = "sv") -> Worker:
    config = tmp_path / "bot.toml"
    config.write_text(CONFIG.format(capacity=capacity, language=language), encoding="utf-8")
    settings = load_settings(config)
    return Worker(settings, Ledger(settings.state.path))


def register(worker: Worker, email: str, name: str, **details: object) -> int:
    with worker.ledger.transaction():
        row = worker.recorder.registry.register(Details(email=email, name=name, **details), message_row=None)
        worker.ledger.bump_state_version()
    return row["id"]


def changes(worker: Worker) -> list[dict]:
    return [dict(r) for r in worker.ledger.db.execute("SELECT * FROM changes ORDER BY id")]


@pytest.fixture
def bot(tmp_path: Path, dovecot: Dovecot, smtp_sink: SmtpSink) -> Bot:
    return Bot.create(tmp_path / "bot", dovecot, smtp_sink)


# -- through the CLI, with real servers ------------------------------------------------------------
def test_an_edited_bot_column_is_restored_and_listed_on_the_changes_sheet(bot: Bot) -> None:
    bot.append(signup_sv(*ANNA), signup_sv(*ERIK))
    bot.poll()
    organiser = Organiser(bot.workbook_path)
    anna = organiser.ident_of(ANNA[2])
    organiser.set(anna, "Namn", "Anna Karlsson")
    organiser.set(anna, "Platser", 3)
    organiser.set(anna, "Specialkost", "vegansk")
    organiser.set(anna, "Anteckningar", "talar kl 10")
    organiser.save()
    sent = len(bot.sent().messages)

    bot.poll()  # no new mail: the saved file alone must be noticed

    row = people(bot.workbook_path)[anna]
    assert (row["Namn"], row["Platser"], row["Specialkost"]) == ("Anna Svensson", 1, None)
    assert row["Anteckningar"] == "talar kl 10"
    logged = sheet(bot.workbook_path, "Ändringar")
    assert {(c["ID"], c["Namn"], c["Fält"], c["Gammalt värde"], c["Nytt värde"], c["Åtgärd"]) for c in logged} == {
        (anna, "Anna Svensson", "Namn", "Anna Svensson", "Anna Karlsson", "Återställd"),
        (anna, "Anna Svensson", "Platser", "1", "3", "Återställd"),
        (anna, "Anna Svensson", "Specialkost", None, "vegansk", "Återställd"),
    }
    now = datetime.now(STOCKHOLM).replace(tzinfo=None)
    assert all(abs(c["Tid"] - now) < timedelta(minutes=5) for c in logged)  # Stockholm time, an Excel date
    assert len(bot.sent().messages) == sent  # restoring mails nobody

    identity = file_identity(bot.workbook_path)
    bot.poll()  # the bot's own file is not read back as edits, and not rewritten
    assert file_identity(bot.workbook_path) == identity
    assert len(sheet(bot.workbook_path, "Ändringar")) == 3


@pytest.mark.parametrize(
    ("language", "signup", "typed", "cancelled", "registered"),
    [
        ("sv", signup_sv, "  avanmäld ", "Avanmäld", "Anmäld"),
        ("en", signup_en, "CANCELLED", "Cancelled", "Registered"),
    ],
)
def test_cancelled_typed_in_the_workbook_cancels_with_one_receipt(
    tmp_path: Path, dovecot: Dovecot, smtp_sink: SmtpSink, language, signup, typed, cancelled, registered
) -> None:
    bot = Bot.create(tmp_path / "bot", dovecot, smtp_sink, {"event": {"language": language, "capacity": 1}})
    bot.append(signup(*ANNA))
    bot.poll()
    bot.append(signup(*JOHN))
    bot.poll()  # the one seat is Anna's: John waits
    organiser = Organiser(bot.workbook_path)
    anna, john = organiser.ident_of(ANNA[2]), organiser.ident_of(JOHN[2])
    organiser.set(anna, "Status", typed)
    organiser.save()

    bot.poll()
    bot.poll()  # read once: a second cycle sends nothing more

    receipts = [s for s in subjects(bot, ANNA[2]) if "avbokad" in s or "cancelled" in s]
    assert len(receipts) == 1, subjects(bot, ANNA[2])
    assert len(subjects(bot, JOHN[2])) == 2  # on the waiting list, then the freed seat
    rows = people(bot.workbook_path)
    assert (rows[anna]["Status"], rows[john]["Status"]) == (cancelled, registered)
    logged = sheet(bot.workbook_path, "Ändringar" if language == "sv" else "Changes")
    action, field, old = ("Åtgärd", "Fält", "Gammalt värde") if language == "sv" else ("Action", "Field", "Old value")
    assert [(c["ID"], c[field], c[old], c[action]) for c in logged] == [(anna, "Status", registered, cancelled)]
    assert bot.status()["registrations"]["cancelled"] == 1


def test_a_new_row_typed_in_registers_that_person_with_a_confirmation(bot: Bot) -> None:
    bot.append(signup_sv(*ANNA))
    bot.poll()
    organiser = Organiser(bot.workbook_path)
    organiser.add_row(
        **{"Namn": " Karin Berg ", "E-post": "Karin.Berg@Example.se ", "Organisation": "DIGG", "Platser": 2},
        **{"Specialkost": "vegetarisk", "Närvaro": "ja"},
    )
    organiser.save()

    bot.poll()
    bot.poll()

    assert subjects(bot, "karin.berg@example.se") == ["Du är anmäld till Testträffen"]
    karin = next(r for r in people(bot.workbook_path).values() if r["E-post"] == "karin.berg@example.se")
    assert karin["ID"] == "R0002"
    assert (karin["Namn"], karin["Organisation"], karin["Platser"]) == ("Karin Berg", "DIGG", 2)
    assert (karin["Specialkost"], karin["Status"], karin["Närvaro"]) == ("vegetarisk", "Anmäld", "ja")
    logged = sheet(bot.workbook_path, "Ändringar")
    assert [(c["ID"], c["Namn"], c["Åtgärd"]) for c in logged] == [("R0002", "Karin Berg", "Anmäld")]
    assert "karin.berg@example.se" in logged[0]["Nytt värde"].lower()


def test_ambiguous_edits_go_to_review_and_nothing_is_guessed(bot: Bot) -> None:
    bot.append(signup_sv(*ANNA), signup_sv(*ERIK), signup_sv(*MARIA))
    bot.poll()
    organiser = Organiser(bot.workbook_path)
    anna, erik, maria = (organiser.ident_of(p[2]) for p in (ANNA, ERIK, MARIA))
    organiser.set(anna, "Status", "Kanske")
    organiser.set(erik, "Anteckningar", "fråga om kost")
    organiser.set(erik, "ID", "R0099")  # an edited ID
    organiser.add_row(Namn="Per Holm", Anteckningar="ringer in")  # no address
    organiser.add_row(Namn="Emma Nyberg", **{"E-post": "emma.nyberg@example.se", "Platser": "två"})
    organiser.add_row(Namn="Maria B", **{"E-post": MARIA[2]})  # already registered
    organiser.save()
    sent = len(bot.sent().messages)

    bot.poll()

    assert len(bot.sent().messages) == sent
    assert bot.status()["registrations"]["registered"] == 3
    rows = people(bot.workbook_path)
    assert sorted(rows) == [anna, erik, maria]
    assert {r["Status"] for r in rows.values()} == {"Anmäld"}
    assert rows[erik]["Anteckningar"] == "fråga om kost"  # carried over by address, not lost with the ID
    logged = sheet(bot.workbook_path, "Ändringar")
    assert {c["Åtgärd"] for c in logged} == {"Att granska"}
    notes = " | ".join(c["Kommentar"] for c in logged)
    for expected in ("”Kanske”", "R0099", "e-postadress saknas", "”två”", f"redan anmäld som {maria}"):
        assert expected in notes, notes
    assert len(logged) == 5
    assert any(c["Nytt värde"] and "ringer in" in c["Nytt värde"] for c in logged)  # their text is kept here


# -- real files, in-process -----------------------------------------------------------------------
def test_the_summary_sheet_counts_status_seats_organisations_and_diets(tmp_path: Path) -> None:
    worker = make_worker(tmp_path, capacity=6)
    register(worker, "anna@x.se", "Anna", organisation="Trafikverket", diet=("vegan",))
    register(worker, "bo@x.se", "Bo", organisation="Trafikverket", seats=2)
    register(worker, "cilla@x.se", "Cilla", organisation="DIGG", diet=("gluten_free", "lactose_free"))
    register(worker, "david@x.se", "David", organisation="digg ", seats=2)
    register(worker, "eva@x.se", "Eva", organisation="JobTech", diet=("vegan",))  # full: waiting list
    frida = register(worker, "frida@x.se", "Frida", organisation="JobTech")  # full: waiting list
    with worker.ledger.transaction():
        worker.recorder.registry.cancel(worker.ledger.registration_by_id(frida), message_row=None)
    assert worker.export_workbook() == "written"

    book = load_workbook(worker.settings.workbook.path)
    assert book.sheetnames == ["Anmälda", "Att granska", "Sammanfattning", "Ändringar"]
    summary = book["Sammanfattning"]
    assert summary["A1"].font.b and summary.freeze_panes == "A2" and book["Ändringar"].freeze_panes == "A2"
    rows = [tuple(c.value for c in row) for row in summary.iter_rows(min_row=2)]
    assert rows == [
        ("Status", None, None),
        ("Anmäld", 4, 6),
        ("Väntelista", 1, 1),
        ("Väntar på bekräftelse", 0, 0),
        ("Avanmäld", 1, 1),
        (None, None, None),
        ("Platser", None, None),
        ("Kapacitet", None, 6),
        ("Bokade platser (anmälda)", None, 6),
        ("Lediga platser", None, 0),
        ("Platser på väntelistan", None, 1),
        (None, None, None),
        ("Organisation (anmälda)", None, None),
        ("DIGG", 2, 3),
        ("Trafikverket", 2, 3),
        (None, None, None),
        ("Specialkost (anmälda)", None, None),
        ("vegansk", 1, None),
        ("glutenfri", 1, None),
        ("laktosfri", 1, None),
        ("Ingen specialkost", 2, None),
    ]
    assert summary["A2"].font.b and not summary["A3"].font.b


def test_the_summary_in_english_without_a_capacity_says_unlimited(tmp_path: Path) -> None:
    worker = make_worker(tmp_path, language="en")
    register(worker, "anna@x.se", "Anna", seats=3)
    worker.export_workbook()
    book = load_workbook(worker.settings.workbook.path)
    assert book.sheetnames == ["Attendees", "Needs review", "Summary", "Changes"]
    values = {row[0]: row[1:] for row in book["Summary"].iter_rows(values_only=True) if row[0]}
    assert values["Capacity"] == (None, "unlimited") and values["Free seats"] == (None, "unlimited")
    assert values["Seats taken (registered)"] == (None, 3) and values["(not given)"] == (1, 3)
    assert values["No special diet"] == (1, None)


def test_organiser_columns_survive_twenty_rebuilds_with_read_back_each_time(tmp_path: Path) -> None:
    worker = make_worker(tmp_path)
    path = worker.settings.workbook.path
    everyone = many_people(20)
    typed = {3: "R0001", 7: "R0005", 11: "R0010", 15: "R0012", 19: "R0016"}  # by the organiser, in the workbook
    notes: dict[str, str] = {}
    for round_ in range(20):
        worker.process_message(1, 2 * round_ + 1, signup_sv(*everyone[round_]))
        if round_ % 5 == 4:  # someone cancels by mail between two saves: R0003, R0008, R0013, R0018
            worker.process_message(1, 2 * round_ + 2, cancel_sv(*everyone[round_ - 2]))
        assert worker.export_workbook() == "written", round_
        organiser = Organiser(path)
        ids = organiser.col("ID")
        for ident in [organiser.sheet.cell(r, ids).value for r in range(2, organiser.sheet.max_row + 1)]:
            if ident not in notes:
                notes[ident] = f"anteckning {ident}"
                organiser.set(ident, "Anteckningar", notes[ident])
                organiser.set(ident, "Närvaro", "ja" if len(notes) % 2 else None)
        if round_ in typed:
            organiser.set(typed[round_], "Status", "Avanmäld")
        if round_ % 3 == 2:  # sorted by name descending, their columns moved first, one row hidden by a filter
            organiser.rearrange(["Anteckningar", "Närvaro"], lambda r: str(r["Namn"]))
            organiser.sheet.row_dimensions[3].hidden = True
        organiser.save()
    worker.export_workbook()  # read back the last save, and rebuild

    rows = people(path)
    assert len(rows) == 20
    assert len(notes) == 20
    for ident, note in notes.items():
        assert rows[ident]["Anteckningar"] == note, ident
        assert rows[ident]["E-post"] == everyone[int(ident[1:]) - 1][2]
    assert [r["Närvaro"] for _i, r in sorted(rows.items())] == ["ja", None] * 10
    cancelled = {i for i, r in rows.items() if r["Status"] == "Avanmäld"}
    assert cancelled == set(typed.values()) | {"R0003", "R0008", "R0013", "R0018"}
    # Sorting, moving columns and filtering are not edits: only the typed cancellations are logged.
    assert [(c["registration_id"], c["action"]) for c in changes(worker)] == [
        (int(i[1:]), "cancelled") for i in typed.values()
    ]


def test_a_change_by_mail_since_the_last_write_is_not_taken_for_an_edit(tmp_path: Path) -> None:
    worker = make_worker(tmp_path)
    for uid, person in enumerate((ANNA, ERIK, MARIA), start=1):
        worker.process_message(1, uid, signup_sv(*person))
    worker.export_workbook()
    worker.process_message(1, 4, cancel_sv(*ANNA))  # the file still says Anmäld for Anna
    worker.process_message(1, 5, cancel_sv(*MARIA))  # ... and for Maria, where the organiser types it too
    with worker.ledger.transaction():  # Erik writes that they will be three; the organiser types it too
        erik = worker.ledger.registration_by_id(2)
        worker.recorder.registry.update(erik, Details(email=ERIK[2], name="", seats=3, stated=frozenset({"seats"})))
    organiser = Organiser(worker.settings.workbook.path)
    organiser.set("R0002", "Platser", 3)
    organiser.set("R0002", "Namn", "Erik L")
    organiser.set("R0003", "Status", "Avanmäld")
    organiser.save()
    worker.export_workbook()
    assert [(c["registration_id"], c["field"], c["action"]) for c in changes(worker)] == [(2, "name", "restored")]
    rows = people(worker.settings.workbook.path)
    assert [rows[i]["Status"] for i in ("R0001", "R0002", "R0003")] == ["Avanmäld", "Anmäld", "Avanmäld"]
    assert (rows["R0002"]["Namn"], rows["R0002"]["Platser"]) == ("Erik Lindqvist", 3)


def test_what_excel_does_to_dates_and_numbers_is_not_an_edit(tmp_path: Path) -> None:
    worker = make_worker(tmp_path)
    register(worker, "anna@x.se", "Anna Berg", seats=2)
    register(worker, "bo@x.se", "Bo Ek")
    worker.export_workbook()
    organiser = Organiser(worker.settings.workbook.path)
    when = organiser.sheet.cell(organiser.row_of("R0001"), organiser.col("Anmäld"))
    when.value, when.number_format = to_excel(when.value) + 1e-9, "General"  # a serial day, slightly off
    other = organiser.sheet.cell(organiser.row_of("R0002"), organiser.col("Anmäld"))
    other.value += timedelta(milliseconds=400)  # off by a fraction of a second: the same minute shown
    organiser.set("R0001", "Platser", 2.0)
    organiser.save()
    assert worker.apply_workbook_edits() == "read back: no edits to the bot's columns"
    assert changes(worker) == []


def test_a_deleted_row_and_a_deleted_column_are_written_back_and_logged(tmp_path: Path) -> None:
    worker = make_worker(tmp_path)
    register(worker, "anna@x.se", "Anna Berg", diet=("vegan",))
    register(worker, "bo@x.se", "Bo Ek")
    worker.export_workbook()
    organiser = Organiser(worker.settings.workbook.path)
    organiser.set("R0001", "Anteckningar", "kvar")
    organiser.sheet.delete_rows(organiser.row_of("R0002"))
    organiser.sheet.delete_cols(organiser.col("Specialkost"))
    organiser.save()
    assert worker.export_workbook() == "written"
    assert [(c["registration_id"], c["field"], c["old"], c["action"]) for c in changes(worker)] == [
        (None, "diet", "", "restored"),
        (2, "row", "Bo Ek <bo@x.se>", "restored"),
    ]
    rows = people(worker.settings.workbook.path)
    assert (rows["R0001"]["Specialkost"], rows["R0001"]["Anteckningar"], rows["R0002"]["Namn"]) == (
        "vegansk",
        "kvar",
        "Bo Ek",
    )


def test_swapped_ids_go_to_review_and_the_notes_stay_with_their_people(tmp_path: Path) -> None:
    worker = make_worker(tmp_path)
    register(worker, "anna@x.se", "Anna Berg")
    register(worker, "bo@x.se", "Bo Ek")
    worker.export_workbook()
    organiser = Organiser(worker.settings.workbook.path)
    organiser.set("R0001", "Anteckningar", "Annas anteckning")
    organiser.set("R0002", "Status", "Avanmäld")
    anna, bo = organiser.row_of("R0001"), organiser.row_of("R0002")
    organiser.sheet.cell(anna, organiser.col("ID"), "R0002")
    organiser.sheet.cell(bo, organiser.col("ID"), "R0001")
    organiser.save()
    worker.export_workbook()
    assert sorted((c["registration_id"], c["field"], c["action"]) for c in changes(worker)) == [
        (1, "id", "review"),
        (2, "id", "review"),
    ]
    rows = people(worker.settings.workbook.path)
    assert (rows["R0001"]["Anteckningar"], rows["R0002"]["Anteckningar"]) == ("Annas anteckning", None)
    assert {r["Status"] for r in rows.values()} == {"Anmäld"}  # Bo's row was ambiguous: not cancelled


def test_a_workbook_open_in_excel_or_libreoffice_is_read_back_when_it_is_closed(tmp_path: Path) -> None:
    worker = make_worker(tmp_path)
    register(worker, "anna@x.se", "Anna Berg")
    worker.export_workbook()
    path = worker.settings.workbook.path
    organiser = Organiser(path)
    organiser.set("R0001", "Namn", "Anna B")
    organiser.save()
    for lock in (lock_file(path), path.with_name(".~lock.attendees.xlsx#")):  # Excel's, LibreOffice's
        lock.write_text("owner")
        assert worker.apply_workbook_edits().startswith("open in ")
        assert worker.export_workbook(force=True).startswith("not written: attendees.xlsx is open in ")
        assert changes(worker) == []
        lock.unlink()
    assert worker.export_workbook() == "written"
    assert [(c["field"], c["new"], c["action"]) for c in changes(worker)] == [("name", "Anna B", "restored")]
    assert people(path)["R0001"]["Namn"] == "Anna Berg"


def test_an_unreadable_workbook_is_neither_read_nor_replaced_and_is_logged_once(tmp_path: Path, caplog) -> None:
    worker = make_worker(tmp_path)
    register(worker, "anna@x.se", "Anna Berg")
    worker.export_workbook()
    path = worker.settings.workbook.path
    broken = path.read_bytes()[:300]  # a sync client's half-written copy
    path.write_bytes(broken)
    register(worker, "bo@x.se", "Bo Ek")
    with caplog.at_level(logging.WARNING):
        for _ in range(3):
            assert worker.export_workbook().startswith("not written: cannot read the existing attendees.xlsx")
    assert path.read_bytes() == broken
    assert len([r for r in caplog.records if "cannot read attendees.xlsx back" in r.getMessage()]) == 1
    assert changes(worker) == []


def test_a_crash_between_the_rename_and_its_record_is_not_taken_for_edits(tmp_path: Path) -> None:
    worker = make_worker(tmp_path)
    register(worker, "anna@x.se", "Anna Berg")
    worker.export_workbook()
    with worker.ledger.transaction():  # as if the bot died right after renaming a newer file into place
        for key in (PENDING, PENDING + SHA):
            worker.ledger.set_meta(key, worker.ledger.get_meta(key.replace(PENDING, WRITTEN)))
        worker.ledger.set_meta(WRITTEN, '{"rows": {"R0001": ["Someone else"]}}')
        worker.ledger.set_meta(WRITTEN + SHA, "0" * 64)
    assert worker.apply_workbook_edits() == "unchanged"
    assert changes(worker) == []
    assert worker.ledger.get_meta(PENDING) == "" and worker.ledger.get_meta(WRITTEN).startswith('{"fields"')


def test_libreoffice_opens_the_edited_and_rebuilt_workbook_and_its_resave_is_no_edit(tmp_path: Path) -> None:
    binary = soffice()
    worker = make_worker(tmp_path)
    for i, name in enumerate(["Sara Holm", "=1+1", "Åsa Öberg"], start=1):
        register(worker, f"p{i}@example.se", name, organisation="-2+3" if i == 2 else "DIGG", diet=("vegan",))
    worker.export_workbook()
    path = worker.settings.workbook.path
    organiser = Organiser(path)
    organiser.set("R0001", "Närvaro", "ja")
    organiser.set("R0002", "Status", "Avanmäld")
    organiser.add_row(Namn="Karin Berg", **{"E-post": "karin@example.se", "Närvaro": "kanske"})
    organiser.save()
    assert worker.export_workbook() == "written"
    logged = len(changes(worker))
    assert logged == 2

    profile = tmp_path / "lo-profile"
    utf8 = "csv:Text - txt - csv (StarCalc):44,34,76"  # 76: UTF-8
    csv = convert(binary, path, utf8, tmp_path / "csv", profile).read_text(encoding="utf-8", errors="replace")
    assert "Karin Berg" in csv and "Avanmäld" in csv and "kanske" in csv and "=1+1" in csv
    # The organiser saves it with LibreOffice instead: another writer's XML, not an edit.
    resaved = convert(binary, path, "xlsx", tmp_path / "lo", profile)
    shutil.copyfile(resaved, path)
    assert worker.apply_workbook_edits().startswith("read back: no edits")
    assert worker.export_workbook(force=True) == "written"
    assert len(changes(worker)) == logged
    rows = people(path)
    assert (rows["R0001"]["Närvaro"], rows["R0004"]["Närvaro"], rows["R0002"]["Status"]) == ("ja", "kanske", "Avanmäld")


def test_the_organisers_own_sheets_survive_every_rebuild_with_their_formulas(tmp_path: Path) -> None:
    worker = make_worker(tmp_path)
    path = worker.settings.workbook.path
    everyone = many_people(6)
    worker.process_message(1, 1, signup_sv(*everyone[0]))
    worker.export_workbook()
    organiser = Organiser(path)
    budget = organiser.book.create_sheet("Budget")
    budget.append(["Post", "Kronor"])
    budget.append(["Lokal", 4500])
    budget.append(["Fika", 1200])
    budget.append(["Summa", "=SUM(B2:B3)"])
    organiser.book.create_sheet("Lokal")["C5"] = "Rum 3, plan 2"
    organiser.save()
    for uid, person in enumerate(everyone[1:], start=2):  # a rebuild after each new sign-up
        worker.process_message(1, uid, signup_sv(*person))
        assert worker.export_workbook() == "written"

    book = load_workbook(path)
    assert book.sheetnames[-2:] == ["Budget", "Lokal"]
    assert [[c.value for c in row] for row in book["Budget"].iter_rows()] == [
        ["Post", "Kronor"],
        ["Lokal", 4500],
        ["Fika", 1200],
        ["Summa", "=SUM(B2:B3)"],
    ]
    assert book["Lokal"]["C5"].value == "Rum 3, plan 2"
    assert len(people(path)) == 6
    assert changes(worker) == []  # another sheet is not an edit of the bot's columns


def test_every_sheet_the_bot_writes_is_known_as_the_bots(tmp_path: Path) -> None:
    from registration_bot.workbook_layout import BOT_SHEETS

    for language in ("sv", "en"):
        (tmp_path / language).mkdir()
        worker = make_worker(tmp_path / language, language=language)
        register(worker, "p1@example.se", "Sara Holm")
        worker.export_workbook()
        book = load_workbook(worker.settings.workbook.path, read_only=True)
        assert set(book.sheetnames) <= BOT_SHEETS, book.sheetnames
        book.close()
