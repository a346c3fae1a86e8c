"""The configuration contract: names, defaults, environment overrides, loud errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from registration_bot.settings import ConfigError, load_settings

MINIMAL = """
[imap]
host = "imap.example.org"
username = "anmalan@example.org"
password = "imap-secret"

[smtp]
host = "smtp.example.org"
from_address = "anmalan@example.org"
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "registration-bot.toml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    import os

    for key in list(os.environ):
        if key.upper().startswith("REGBOT_"):
            monkeypatch.delenv(key)


def test_defaults_follow_the_contract(tmp_path: Path) -> None:
    s = load_settings(write(tmp_path, MINIMAL))
    assert s.event.name == "Ekosystem kring öppen källkod och öppna data"
    assert s.event.date is None and s.event.language == "sv" and s.event.capacity == 0
    assert (s.imap.port, s.imap.security, s.imap.folder) == (993, "tls", "INBOX")
    assert (s.imap.processed_folder, s.imap.review_folder) == ("Registrations/Processed", "Registrations/Review")
    assert s.imap.max_message_bytes == 10_000_000
    assert (s.smtp.port, s.smtp.security, s.smtp.username) == (465, "tls", "")
    assert s.schedule.poll_seconds == 60
    # Relative paths resolve against the configuration file's folder.
    assert s.workbook.path == tmp_path / "attendees.xlsx"
    assert s.state.path == tmp_path / "registration-bot.sqlite3"


def test_environment_overrides_the_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REGBOT_IMAP__PASSWORD", "from-env")
    monkeypatch.setenv("REGBOT_IMAP__PORT", "1143")
    monkeypatch.setenv("REGBOT_EVENT__CAPACITY", "40")
    s = load_settings(write(tmp_path, MINIMAL))
    assert s.imap.secret() == "from-env"
    assert s.imap.port == 1143
    assert s.event.capacity == 40


def test_password_file(tmp_path: Path) -> None:
    (tmp_path / "imap-password").write_text("from-file\n")
    s = load_settings(write(tmp_path, MINIMAL.replace('password = "imap-secret"', 'password_file = "imap-password"')))
    assert s.imap.secret() == "from-file"


def test_password_never_in_repr(tmp_path: Path) -> None:
    s = load_settings(write(tmp_path, MINIMAL))
    assert "imap-secret" not in repr(s) and "imap-secret" not in str(s.model_dump())


@pytest.mark.parametrize(
    ("change", "key"),
    [
        (("[imap]", "[imap]\nprot = 1"), "imap.prot"),
        (('host = "imap.example.org"', 'host = "imap.example.org"\nport = "abc"'), "imap.port"),
        (('host = "imap.example.org"', 'host = "imap.example.org"\nsecurity = "none"'), "imap"),
        (('from_address = "anmalan@example.org"', 'from_address = "not an address"'), "smtp.from_address"),
        (("[imap]", '[event]\nlanguage = "de"\n[imap]'), "event.language"),
        (("[imap]", '[event]\ndate = "next spring"\n[imap]'), "event.date"),
        (("[imap]", "[schedule]\npoll_seconds = 1\n[imap]"), "schedule.poll_seconds"),
        (('username = "anmalan@example.org"', ""), "imap.username"),
        (('password = "imap-secret"', 'password_file = "missing"'), "imap.password_file"),
        (("[smtp]", '[smtp]\nusername = "u"'), "smtp.password"),
    ],
)
def test_errors_name_the_key(tmp_path: Path, change: tuple[str, str], key: str) -> None:
    with pytest.raises(ConfigError) as info:
        load_settings(write(tmp_path, MINIMAL.replace(*change, 1)))
    assert key in str(info.value)


def test_security_none_is_allowed_on_loopback(tmp_path: Path) -> None:
    text = MINIMAL.replace('host = "imap.example.org"', 'host = "127.0.0.1"\nsecurity = "none"')
    assert load_settings(write(tmp_path, text)).imap.port == 143


def test_bad_toml_names_the_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_settings(write(tmp_path, "[imap\n"))


def test_event_date_is_parsed(tmp_path: Path) -> None:
    s = load_settings(write(tmp_path, '[event]\ndate = "2027-03-18T13:00:00+01:00"\n' + MINIMAL))
    assert s.event.date is not None and s.event.date.year == 2027
