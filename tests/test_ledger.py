"""The state file's durability contract (ledger.py): grouped fsyncs before every outside act."""

from __future__ import annotations

from pathlib import Path

from registration_bot.ledger import Ledger

NORMAL, FULL = 1, 2  # PRAGMA synchronous values


def test_commits_are_grouped_and_a_durable_commit_is_fsynced(tmp_path: Path) -> None:
    with Ledger(tmp_path / "state.sqlite3") as ledger:
        assert ledger.db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert ledger.db.execute("PRAGMA synchronous").fetchone()[0] == NORMAL
        with ledger.transaction(durable=True) as db:
            assert db.execute("PRAGMA synchronous").fetchone()[0] == FULL
            ledger.set_meta("k", "v")
        assert ledger.db.execute("PRAGMA synchronous").fetchone()[0] == NORMAL
        assert ledger.get_meta("k") == "v"


def test_a_failed_durable_transaction_rolls_back_and_restores_the_mode(tmp_path: Path) -> None:
    with Ledger(tmp_path / "state.sqlite3") as ledger:
        try:
            with ledger.transaction(durable=True):
                ledger.set_meta("k", "lost")
                raise RuntimeError("boom")
        except RuntimeError:
            pass
        assert ledger.get_meta("k") == ""
        assert ledger.db.execute("PRAGMA synchronous").fetchone()[0] == NORMAL


def test_sync_flushes_the_wal_and_is_harmless_without_one(tmp_path: Path) -> None:
    path = tmp_path / "state.sqlite3"
    with Ledger(path) as ledger:
        with ledger.transaction():
            ledger.set_meta("k", "v")
        wal = path.with_name(path.name + "-wal")
        assert wal.exists() and wal.stat().st_size > 0
        ledger.sync()
        wal.unlink()  # as after a checkpoint on close: nothing to flush, no error
        ledger.sync()
