"""The service's configuration reload (reload.py), on real files and the real loader."""

from __future__ import annotations

import logging
import os
from pathlib import Path

import pytest

from registration_bot.reload import ConfigWatcher
from registration_bot.settings import load_settings

BASE = (
    '[imap]\nhost = "127.0.0.1"\nsecurity = "none"\nusername = "anmalan@example.org"\n'
    '[smtp]\nhost = "127.0.0.1"\nsecurity = "none"\nfrom_address = "anmalan@example.org"\n'
)


def write(path: Path, text: str) -> None:
    path.write_text(text)
    stat = path.stat()  # a new mtime even within the file system's timestamp granularity
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))


@pytest.fixture
def config(tmp_path: Path) -> Path:
    path = tmp_path / "bot.toml"
    write(path, BASE + "[event]\ncapacity = 10\n")
    return path


def test_nothing_changed_nothing_loaded(config: Path) -> None:
    watcher = ConfigWatcher(config, load_settings(config), load_settings)
    assert watcher.check() is None


def test_a_changed_value_is_loaded_and_named(config: Path, caplog: pytest.LogCaptureFixture) -> None:
    watcher = ConfigWatcher(config, load_settings(config), load_settings)
    write(config, BASE + "[event]\ncapacity = 40\n")
    with caplog.at_level(logging.INFO):
        new = watcher.check()
    assert new is not None and new.event.capacity == 40
    assert "[event]" in caplog.text
    assert watcher.check() is None  # applied once


def test_a_broken_file_is_refused_once_and_the_old_settings_stay(
    config: Path, caplog: pytest.LogCaptureFixture
) -> None:
    watcher = ConfigWatcher(config, load_settings(config), load_settings)
    write(config, BASE + "[event]\ncapacity = 'many'\n")
    assert watcher.check() is None
    assert watcher.check() is None
    assert caplog.text.count("not valid") == 1 and "event.capacity" in caplog.text
    assert watcher.settings.event.capacity == 10


def test_state_and_imap_wait_for_a_restart(config: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    old = load_settings(config)
    watcher = ConfigWatcher(config, old, load_settings)
    moved = BASE.replace("127.0.0.1", "localhost", 1) + f'[state]\npath = "{tmp_path / "x.sqlite3"}"\n'
    write(config, moved + "[event]\ncapacity = 10\n")
    assert watcher.check(force=True) is None  # nothing that can apply now
    assert "[imap], [state]" in caplog.text and "restart" in caplog.text
    write(config, moved + "[event]\ncapacity = 20\n")
    new = watcher.check()
    assert new is not None and new.event.capacity == 20
    assert new.imap.host == "127.0.0.1" and new.state.path == old.state.path


def test_a_changed_template_file_reloads(config: Path, tmp_path: Path) -> None:
    templates = tmp_path / "templates"
    templates.mkdir()
    template = templates / "closed.sv.txt"
    write(template, "Subject: Stängt\n\nTyvärr.\n")
    write(config, BASE + f'[templates]\ndir = "{templates}"\n')
    watcher = ConfigWatcher(config, load_settings(config), load_settings)
    write(template, "Subject: Anmälan har stängt\n\nTyvärr, ${first_name}.\n")
    assert watcher.check() is not None
