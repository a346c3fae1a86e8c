"""The state: one SQLite file in WAL mode, the single source of truth.

Three tables carry the promises. ``messages`` is the ledger: one row per
(folder, UIDVALIDITY, UID) with the sha256 of the raw bytes, so a message is
never processed twice, even after a UIDVALIDITY reset. ``registrations`` holds
the people. ``outbox`` holds every mail to send, written in the same
transaction as the change that caused it, and sent only after the commit.
The workbook is a projection of this file and is never read back as truth.

``PRAGMA user_version`` numbers the schema; the migrations in :mod:`.schema`
upgrade it when the file is opened.

Durability is grouped. Commits run with ``synchronous=NORMAL``: in WAL mode a
commit then survives a crash of the process (``kill -9``) at once, and a
crash of the machine once the WAL is fsynced. :meth:`Ledger.sync` does that
fsync, and is called before every act outside the database that depends on
what was committed: before the inbox MOVEs a batch of recorded messages, and
before the outbox starts an SMTP DATA. One fsync per batch instead of one per
message, with the same promise: nothing leaves the database's control
(a message moved out of the inbox, a mail handed to the server) before the
record of it would survive a power cut.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from .schema import MIGRATIONS


def now_iso() -> str:
    """The current time as an ISO 8601 UTC string, the only time format stored."""
    return datetime.now(UTC).isoformat(timespec="seconds")


class Ledger:
    """A connection to the state file with an explicit transaction boundary."""

    def __init__(self, path: Path, *, synchronous: str = "NORMAL") -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        # isolation_level=None: autocommit; transactions are explicit BEGIN IMMEDIATE.
        self.db = sqlite3.connect(self.path, isolation_level=None, timeout=30, check_same_thread=False)
        self.db.row_factory = sqlite3.Row
        self.db.execute("PRAGMA journal_mode=WAL")
        self.synchronous = synchronous
        self.db.execute(f"PRAGMA synchronous={synchronous}")
        self.db.execute("PRAGMA foreign_keys=ON")
        self._depth = 0
        self._migrate()

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> Ledger:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _migrate(self) -> None:
        version = self.db.execute("PRAGMA user_version").fetchone()[0]
        if version > len(MIGRATIONS):
            raise RuntimeError(
                f"{self.path} was written by a newer registration-bot (schema {version}); upgrade the program"
            )
        for number, script in enumerate(MIGRATIONS[version:], start=version + 1):
            with self.transaction():
                for statement in script.split(";"):
                    if statement.strip():
                        self.db.execute(statement)
                self.db.execute(f"PRAGMA user_version={number}")

    def sync(self) -> None:
        """Make every commit so far survive a power cut: fsync the WAL.

        With ``synchronous=NORMAL`` SQLite writes each commit to the WAL but
        fsyncs it only at checkpoints (which also sync the database file).
        fsync works on the file, not on the descriptor, so syncing our own
        descriptor flushes SQLite's writes too.
        """
        try:
            fd = os.open(self.path.with_name(self.path.name + "-wal"), os.O_RDONLY)
        except FileNotFoundError:
            return  # no WAL: every commit is in the database file, synced by the checkpoint
        try:
            os.fsync(fd)
        finally:
            os.close(fd)

    @contextmanager
    def transaction(self, *, durable: bool = False) -> Iterator[sqlite3.Connection]:
        """``with ledger.transaction() as db:`` commits on success, rolls back on error.

        ``durable=True`` fsyncs this commit (and so every earlier one) before
        returning, for a commit that an act outside the database follows at once.
        """
        if self._depth:
            self._depth += 1
            try:
                yield self.db
            finally:
                self._depth -= 1
            return
        if durable:
            self.db.execute("PRAGMA synchronous=FULL")
        self.db.execute("BEGIN IMMEDIATE")
        self._depth = 1
        try:
            yield self.db
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        else:
            self.db.execute("COMMIT")
        finally:
            self._depth = 0
            if durable:
                self.db.execute(f"PRAGMA synchronous={self.synchronous}")

    # meta ----------------------------------------------------------------
    def get_meta(self, key: str, default: str = "") -> str:
        row = self.db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return row[0] if row else default

    def set_meta(self, key: str, value: str) -> None:
        self.db.execute(
            "INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            (key, value),
        )

    def bump_state_version(self) -> None:
        """Mark the registrations as changed, so the workbook is rewritten."""
        self.db.execute("UPDATE meta SET value = CAST(value AS INTEGER) + 1 WHERE key = 'state_version'")

    # messages ------------------------------------------------------------
    def max_uid(self, folder: str, uidvalidity: int) -> int:
        row = self.db.execute(
            "SELECT MAX(uid) FROM messages WHERE folder = ? AND uidvalidity = ?", (folder, uidvalidity)
        ).fetchone()
        return row[0] or 0

    def known_uids(self, folder: str, uidvalidity: int, uids: list[int]) -> set[int]:
        known: set[int] = set()
        for start in range(0, len(uids), 500):
            chunk = uids[start : start + 500]
            marks = ",".join("?" * len(chunk))
            known.update(
                row[0]
                for row in self.db.execute(
                    f"SELECT uid FROM messages WHERE folder = ? AND uidvalidity = ? AND uid IN ({marks})",
                    (folder, uidvalidity, *chunk),
                )
            )
        return known

    def find_duplicate(self, sha256: str, message_id: str, sender: str) -> sqlite3.Row | None:
        """A message already recorded with the same bytes, or the same Message-ID and sender."""
        row = self.db.execute("SELECT id, state FROM messages WHERE sha256 = ? LIMIT 1", (sha256,)).fetchone()
        if row is None and message_id:
            row = self.db.execute(
                "SELECT id, state FROM messages WHERE message_id = ? AND message_id <> '' AND sender = ? LIMIT 1",
                (message_id, sender),
            ).fetchone()
        return row

    def unmoved(self, folder: str, uidvalidity: int) -> list[sqlite3.Row]:
        return self.db.execute(
            "SELECT id, uid, destination FROM messages WHERE folder = ? AND uidvalidity = ? AND moved = 0 "
            "AND destination IS NOT NULL ORDER BY uid",
            (folder, uidvalidity),
        ).fetchall()

    def mark_moved(self, row_ids: list[int]) -> None:
        if not row_ids:
            return
        with self.transaction():
            self.db.executemany("UPDATE messages SET moved = 1 WHERE id = ?", [(i,) for i in row_ids])

    # outbox ----------------------------------------------------------------
    def queue_mail(
        self,
        *,
        kind: str,
        dedup_key: str,
        recipient: str,
        message_id: str,
        payload: bytes,
        registration_id: int | None = None,
        message_row: int | None = None,
        held: str = "",
    ) -> bool:
        """Add one mail to the outbox inside the caller's transaction; False if its key exists.

        The unique ``dedup_key`` is what makes "at most one confirmation per
        registration" (and one alert per incident, one digest per day) a
        property of the database rather than of the code that asks.
        """
        if self.is_erased(recipient):
            return False  # they asked to be forgotten: never mailed again (privacy.py)
        now = now_iso()
        cursor = self.db.execute(
            "INSERT OR IGNORE INTO outbox (dedup_key, kind, registration_id, message_row, recipient, message_id,"
            " payload, state, last_error, next_attempt_at, created_at, updated_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                dedup_key,
                kind,
                registration_id,
                message_row,
                recipient,
                message_id,
                payload,
                "held" if held else "queued",
                held,
                now,
                now,
                now,
            ),
        )
        return cursor.rowcount == 1

    # erased people (privacy.py) -------------------------------------------
    def address_hash(self, email: str) -> str:
        """HMAC-SHA256 of the address under a salt made once per state file: all that is kept of an erased person."""
        salt = self.get_meta("privacy_salt")
        if not salt:
            salt = secrets.token_hex(32)
            with self.transaction():
                self.db.execute("INSERT OR IGNORE INTO meta (key, value) VALUES ('privacy_salt', ?)", (salt,))
            salt = self.get_meta("privacy_salt")
        return hmac.new(bytes.fromhex(salt), email.strip().lower().encode(), hashlib.sha256).hexdigest()

    def is_erased(self, email: str) -> bool:
        if not email or self.db.execute("SELECT 1 FROM erased LIMIT 1").fetchone() is None:
            return False
        found = self.db.execute("SELECT 1 FROM erased WHERE hash = ?", (self.address_hash(email),)).fetchone()
        return found is not None

    # registrations -------------------------------------------------------
    def registration_by_email(self, email: str) -> sqlite3.Row | None:
        return self.db.execute("SELECT * FROM registrations WHERE email = ?", (email.lower(),)).fetchone()

    def registration_by_id(self, registration_id: int) -> sqlite3.Row:
        return self.db.execute("SELECT * FROM registrations WHERE id = ?", (registration_id,)).fetchone()

    def registrations(self) -> list[sqlite3.Row]:
        return self.db.execute("SELECT * FROM registrations ORDER BY id").fetchall()

    # status ----------------------------------------------------------------
    def counts(self, table: str, column: str) -> dict[str, int]:
        assert (table, column) in {("messages", "state"), ("registrations", "status"), ("outbox", "state")}
        return {row[0]: row[1] for row in self.db.execute(f"SELECT {column}, COUNT(*) FROM {table} GROUP BY {column}")}

    def review_rows(self) -> list[sqlite3.Row]:
        return self.db.execute("SELECT * FROM messages WHERE state IN ('review', 'failed') ORDER BY id").fetchall()
