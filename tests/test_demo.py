"""The README's first command: the demo leaves a real workbook and the sent confirmations on disk."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from email import message_from_bytes, policy
from pathlib import Path

import pytest
from openpyxl import load_workbook

from registration_bot.devservers import dovecot_available


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    out = tmp_path_factory.mktemp("demo") / "demo-output"
    done = subprocess.run(
        [sys.executable, "-m", "registration_bot", "demo", "--output", str(out)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    return out, done.stdout


def test_the_demo_uses_real_imap_when_dovecot_is_installed(demo) -> None:
    _out, stdout = demo
    if dovecot_available():
        assert "Dovecot IMAP on 127.0.0.1" in stdout
    else:
        assert "local Maildir" in stdout


def test_the_demo_registers_confirms_and_ignores_the_robot(demo) -> None:
    out, stdout = demo
    sent = sorted((out / "sent").glob("*.eml"))
    recipients = [message_from_bytes(p.read_bytes(), policy=policy.default)["To"].addresses[0].addr_spec for p in sent]
    assert "maria.lindell@skatteverket.se" not in recipients  # the out-of-office
    assert len(recipients) == len(set(recipients)) + 1  # Stefan: a confirmation, then a cancellation receipt
    for path in sent:
        msg = message_from_bytes(path.read_bytes(), policy=policy.default)
        assert msg["Auto-Submitted"] == "auto-replied"
        if "lina.sjo" not in msg["To"]:  # the colleague's invitation answers no mail of hers
            assert msg["In-Reply-To"]
    assert "second cycle: no new mail; sent 0" in stdout


def test_the_demo_workbook_has_a_row_per_person(demo) -> None:
    out, _stdout = demo
    sheet = load_workbook(out / "attendees.xlsx").worksheets[0]
    rows = {row[1]: row for row in sheet.iter_rows(min_row=2, values_only=True)}
    assert len(rows) == 10  # nine sign-ups and one colleague named with an address
    assert rows["stefan.lindblom@forsakringskassan.se"][6] == "Avanmäld"
    assert rows["lina.sjo@digg.se"][6] == "Väntar på bekräftelse"
    assert rows["amira.saleh@icloud.com"][5] == 2


def test_libreoffice_opens_the_demo_workbook(demo, tmp_path: Path) -> None:
    out, _stdout = demo
    binary = shutil.which("soffice") or shutil.which("libreoffice")
    if binary is None:
        if os.environ.get("CI") == "true":
            pytest.fail("LibreOffice (soffice) is not installed; CI=true, so this test may not be skipped")
        pytest.skip("LibreOffice (soffice) is not installed")
    done = subprocess.run(
        [
            binary,
            f"-env:UserInstallation=file://{tmp_path / 'profile'}",
            "--headless",
            "--convert-to",
            "csv",
            "--outdir",
            str(tmp_path),
            str(out / "attendees.xlsx"),
        ],
        capture_output=True,
        text=True,
        timeout=180,
    )
    csv = tmp_path / "attendees.csv"
    assert done.returncode == 0 and csv.exists(), done.stderr
    assert "Klara Dahlberg" in csv.read_text(encoding="utf-8", errors="replace")
