"""The organiser's workbook, written and read back as real .xlsx files."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from openpyxl import load_workbook

from registration_bot.atomic import versions_dir
from registration_bot.workbook import (
    WorkbookError,
    build,
    lock_file,
    read_organiser_columns,
    save_atomically,
)

ZONE = ZoneInfo("Europe/Stockholm")


def person(ident: int, name: str, **extra) -> dict:
    row = {
        "id": ident,
        "name": name,
        "email": f"p{ident}@x.se",
        "organisation": "Trafikverket",
        "organisation_suggested": 0,
        "diet": "",
        "diet_text": "",
        "seats": 1,
        "status": "registered",
        "created_at": "2026-11-26T08:12:00+00:00",
    }
    return row | extra


def review(ident: int, **extra) -> dict:
    row = {
        "id": ident,
        "sender": "kalle@x.se",
        "subject": "Fråga",
        "date": "2026-11-26T09:00:00+01:00",
        "processed_at": "2026-11-26T09:01:00+00:00",
        "state": "review",
        "reason": "question or other mail",
    }
    return row | extra


def write(path: Path, people: list[dict], reviews: list[dict] | None = None, language: str = "sv") -> None:
    save_atomically(build(people, reviews or [], language, ZONE, read_organiser_columns(path)), path)


def test_sheet_layout_in_swedish(tmp_path: Path) -> None:
    path = tmp_path / "attendees.xlsx"
    write(path, [person(1, "Sara Holm", diet="vegan,gluten_free", diet_text="Vegan och glutenfri")], [review(7)])
    book = load_workbook(path)
    people, queue = book.worksheets
    assert people.title == "Anmälda" and queue.title == "Att granska"
    header = [c.value for c in people[1]]
    assert header[:8] == [
        "Namn",
        "E-post",
        "Organisation",
        "Specialkost",
        "Specialkost, egna ord",
        "Platser",
        "Status",
        "Anmäld",
    ]
    assert "ID" in header
    assert people["A1"].font.b and people.freeze_panes == "A2" and people.auto_filter.ref
    row = [c.value for c in people[2]]
    assert row[0] == "Sara Holm" and row[3] == "vegansk, glutenfri" and row[6] == "Anmäld"
    # 08:12 UTC is 09:12 in Stockholm, stored without a time zone as Excel expects.
    assert row[7] == datetime(2026, 11, 26, 9, 12)
    assert people.cell(2, 8).number_format == "yyyy-mm-dd hh:mm"
    assert [c.value for c in queue[1]][:5] == ["Avsändare", "Ämne", "Datum", "Läge", "Orsak"]
    assert queue["A2"].value == "kalle@x.se"


def test_english_headers_and_statuses(tmp_path: Path) -> None:
    path = tmp_path / "attendees.xlsx"
    write(path, [person(1, "John Smith", status="cancelled")], language="en")
    sheet = load_workbook(path).worksheets[0]
    assert [c.value for c in sheet[1]][:2] == ["Name", "Email"]
    assert sheet.cell(2, 7).value == "Cancelled"


@pytest.mark.parametrize("text", ['=HYPERLINK("http://evil","x")', "+1+1", "-2+3", "@SUM(A1)", "\t=1"])
def test_mail_content_never_becomes_a_formula(tmp_path: Path, text: str) -> None:
    path = tmp_path / "attendees.xlsx"
    write(path, [person(1, text, organisation=text)])
    cell = load_workbook(path).worksheets[0]["A2"]
    assert cell.data_type == "s"
    assert cell.value == text


def test_characters_excel_cannot_hold_are_removed(tmp_path: Path) -> None:
    path = tmp_path / "attendees.xlsx"
    write(path, [person(1, "Anna\x00\x07 Svensson\x1b")])
    assert load_workbook(path).worksheets[0]["A2"].value == "Anna Svensson"


def test_organiser_columns_survive_twenty_rebuilds(tmp_path: Path) -> None:
    path = tmp_path / "attendees.xlsx"
    people = [person(i, f"Person {i}") for i in range(1, 6)]
    write(path, people)
    # The organiser adds two columns of their own and types into them.
    book = load_workbook(path)
    sheet = book.worksheets[0]
    first_free = sheet.max_column + 1
    sheet.cell(1, first_free, "Närvaro")
    sheet.cell(1, first_free + 1, "Anteckningar")
    notes = {}
    for row in range(2, sheet.max_row + 1):
        ident = sheet.cell(row, [c.value for c in sheet[1]].index("ID") + 1).value
        notes[ident] = f"note for {ident}"
        sheet.cell(row, first_free, "ja")
        sheet.cell(row, first_free + 1, notes[ident])
    book.save(path)
    for rebuild in range(20):
        # Rows are added, cancelled and the order changes between rebuilds.
        people.append(person(100 + rebuild, f"New {rebuild}"))
        people[rebuild % len(people)]["status"] = "cancelled"
        people.reverse()
        write(path, people)
    sheet = load_workbook(path).worksheets[0]
    header = [c.value for c in sheet[1]]
    assert header[-2:] == ["Närvaro", "Anteckningar"]
    id_col, note_col = header.index("ID"), header.index("Anteckningar")
    seen = {row[id_col].value: row[note_col].value for row in sheet.iter_rows(min_row=2)}
    for ident, note in notes.items():
        assert seen[ident] == note
    assert len(seen) == 25


def test_old_versions_are_kept_and_no_temp_files_remain(tmp_path: Path) -> None:
    path = tmp_path / "attendees.xlsx"
    for i in range(8):
        write(path, [person(1, f"Version {i}")])
        os.utime(path, (1_700_000_000 + i, 1_700_000_000 + i))  # distinct mtimes name the versions
    kept = sorted(versions_dir(path).glob("*.xlsx"))
    assert len(kept) == 5
    assert load_workbook(kept[-1]).worksheets[0]["A2"].value == "Version 6"
    assert not list(tmp_path.glob(".attendees.xlsx.*"))


def test_a_workbook_open_in_excel_is_not_overwritten(tmp_path: Path) -> None:
    path = tmp_path / "attendees.xlsx"
    write(path, [person(1, "Before")])
    lock_file(path).write_text("owner")
    with pytest.raises(WorkbookError, match="open in Excel"):
        write(path, [person(1, "After")])
    assert load_workbook(path).worksheets[0]["A2"].value == "Before"


def test_a_full_disk_leaves_the_old_file_whole(tmp_path: Path) -> None:
    """RLIMIT_FSIZE makes every write past a few KB fail, as a full disk does (EFBIG instead of ENOSPC)."""
    path = tmp_path / "attendees.xlsx"
    write(path, [person(1, "Before")])
    script = textwrap.dedent(f"""
        import resource, signal, sys
        from pathlib import Path
        from zoneinfo import ZoneInfo
        from registration_bot.workbook import WorkbookError, write_workbook
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (4096, 4096))
        people = [dict(id=i, name="P" * 50, email="p@x.se", organisation="", organisation_suggested=0, diet="",
                       diet_text="", seats=1, status="registered", created_at=None) for i in range(2000)]
        try:
            write_workbook(Path({str(path)!r}), people, [], "sv", ZoneInfo("UTC"))
        except WorkbookError as exc:
            print("refused:", exc)
            sys.exit(0)
        sys.exit(3)
    """)
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "refused: cannot" in done.stdout
    assert load_workbook(path).worksheets[0]["A2"].value == "Before"
    assert not list(tmp_path.glob(".attendees.xlsx.*"))


def soffice() -> str | None:
    return shutil.which("soffice") or shutil.which("libreoffice")


def test_libreoffice_opens_the_workbook(tmp_path: Path) -> None:
    binary = soffice()
    if binary is None:
        if os.environ.get("CI") == "true":
            pytest.fail("LibreOffice (soffice) is not installed; CI=true, so this test may not be skipped")
        pytest.skip("LibreOffice (soffice) is not installed")
    path = tmp_path / "attendees.xlsx"
    write(path, [person(1, "Sara Holm"), person(2, "=1+1")], [review(3)])
    profile = tmp_path / "lo-profile"
    done = subprocess.run(
        [
            binary,
            f"-env:UserInstallation=file://{profile}",
            "--headless",
            "--convert-to",
            "csv",
            "--outdir",
            str(tmp_path / "out"),
            str(path),
        ],
        capture_output=True,
        text=True,
        timeout=180,
    )
    csv = tmp_path / "out" / "attendees.csv"
    assert done.returncode == 0 and csv.exists(), done.stderr
    text = csv.read_text(encoding="utf-8", errors="replace")
    assert "Sara Holm" in text and "=1+1" in text  # the formula text stays text


def test_a_crash_while_saving_leaves_the_old_file_whole(tmp_path: Path) -> None:
    """kill -9 in the middle of writing the new version: the workbook on disk is the old one, intact."""
    path = tmp_path / "attendees.xlsx"
    write(path, [person(1, "Before")])
    script = textwrap.dedent(f"""
        import sys, time
        from pathlib import Path
        from registration_bot.atomic import replace_atomically

        def slow(handle):
            handle.write(b"PK" + b"half a workbook" * 1000)
            handle.flush()
            print("writing", flush=True)
            time.sleep(60)

        replace_atomically(Path({str(path)!r}), slow, versions_kept=5)
    """)
    proc = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout.readline().strip() == "writing"
        assert list(tmp_path.glob(".attendees.xlsx.*.tmp")), "the new version is written beside the old one"
        proc.kill()
        proc.wait(10)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)
        proc.stdout.close()
    assert load_workbook(path).worksheets[0]["A2"].value == "Before"
    # The next save works and replaces it; the leftover is removed once it is clearly stale.
    write(path, [person(1, "After")])
    assert load_workbook(path).worksheets[0]["A2"].value == "After"
