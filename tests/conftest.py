"""Shared fixtures: real Dovecot IMAP servers and an aiosmtpd sink, on 127.0.0.1 only."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from registration_bot import devservers

USERS = {"anmalan@example.org": "secret", "attendee@example.org": "secret"}
DOVECOT_FIXTURES = {"dovecot", "dovecot_tls", "dovecot_dir", "needs_dovecot"}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    # Whatever uses a Dovecot fixture is a server test (`-m "not servers"` skips it).
    for item in items:
        if DOVECOT_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.servers)


def require_dovecot() -> None:
    """Skip without Dovecot -- but fail in CI, where server tests must always run."""
    if devservers.dovecot_available():
        return
    message = "Dovecot is not installed (Debian/Ubuntu: apt-get install dovecot-imapd)"
    if os.environ.get("CI") == "true":
        pytest.fail(f"{message}; CI=true, so server tests may not be skipped")
    pytest.skip(message)


@pytest.fixture
def needs_dovecot() -> None:
    """For tests that start Dovecot themselves."""
    require_dovecot()


@pytest.fixture
def dovecot_dir(tmp_path: Path) -> Iterator[Path]:
    """A work directory that Dovecot's unprivileged processes can reach.

    As root, mail is accessed as 'nobody', but pytest's basetemp is mode 0700 (and
    pytest resets it), so then we use a fresh 0711 directory under /tmp instead.
    """
    require_dovecot()
    if os.geteuid() != 0:
        yield tmp_path / "dovecot"
        return
    path = Path(tempfile.mkdtemp(prefix="regbot-dovecot-"))
    try:
        path.chmod(0o711)
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


@pytest.fixture(scope="session")
def tls_files(tmp_path_factory: pytest.TempPathFactory) -> devservers.TlsFiles:
    """A trustme CA and a server certificate for 127.0.0.1 and localhost (PEM files)."""
    return devservers.make_tls_files(tmp_path_factory.mktemp("tls"))


@pytest.fixture
def dovecot(dovecot_dir: Path) -> Iterator[devservers.Dovecot]:
    """A started plaintext Dovecot with USERS (both with password "secret")."""
    with devservers.Dovecot(dovecot_dir, USERS) as server:
        yield server


@pytest.fixture
def dovecot_tls(dovecot_dir: Path, tls_files: devservers.TlsFiles) -> Iterator[devservers.Dovecot]:
    """Like ``dovecot`` but IMAPS only; clients verify against ``.ca_file``."""
    server = devservers.Dovecot(
        dovecot_dir, USERS, tls=True, tls_cert=(tls_files.cert_file, tls_files.key_file), ca_file=tls_files.ca_file
    )
    with server:
        yield server


@pytest.fixture
def smtp_sink(tmp_path: Path) -> Iterator[devservers.SmtpSink]:
    """A recording SMTP server; accepted mail is also saved under tmp_path/"outbox"."""
    with devservers.SmtpSink(save_dir=tmp_path / "outbox") as sink:
        yield sink


@pytest.fixture
def smtp_sink_tls(tls_files: devservers.TlsFiles) -> Iterator[devservers.SmtpSink]:
    """A recording SMTP server offering STARTTLS (trust ``tls_files.ca_file``)."""
    with devservers.SmtpSink(tls_context=tls_files.server_context()) as sink:
        yield sink
