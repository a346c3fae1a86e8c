"""Storage limitation: personal data goes ``[privacy] retention_days_after_event`` days after the event.

The purge removes every registration (and its change log), blanks the
sender, subject, Message-ID and reason of every recorded message (the rows
and their states stay, so ``status`` still adds up), deletes unsent mail and
blanks the stored copy and recipient of sent mail (the only raw mail the bot
keeps; alerts to the organiser excepted), turns the addresses of privacy
requests into their salted hashes, and deletes the old workbook versions; the
workbook is then rewritten, without anyone in it. Nobody is added to
``erased``: that list is for people who objected, not for the end of an event.

The IMAP mailbox is never touched. Mail there is the authority's record and
follows its own archiving rules (arkivlagen, its gallringsbeslut); the bot
neither reads it for this nor deletes from it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from .atomic import versions_dir
from .ledger import Ledger, now_iso
from .settings import Settings

PURGED = "personal data purged after the retention time"
_PERSONAL_MESSAGES = "sender <> '' OR subject <> '' OR message_id <> ''"
_PERSONAL_MAIL = "kind <> 'alert' AND (length(payload) > 0 OR recipient LIKE '%@%')"


def due_at(settings: Settings) -> datetime | None:
    """When personal data is to go; None without an event date or with retention 0 (never)."""
    days, date = settings.privacy.retention_days_after_event, settings.event.date
    if not days or date is None:
        return None
    if date.tzinfo is None:
        date = date.replace(tzinfo=settings.event.zone)
    return date + timedelta(days=days)


def due(settings: Settings, now: datetime | None = None) -> bool:
    moment = due_at(settings)
    return moment is not None and (now or datetime.now(UTC)) >= moment


def old_versions(workbook: Path) -> list[Path]:
    folder = versions_dir(workbook)
    return sorted(folder.glob(f"{workbook.stem}-*{workbook.suffix}")) if folder.is_dir() else []


def drop_versions(workbook: Path) -> list[str]:
    """Delete every kept version of the workbook; return their names."""
    gone = []
    for path in old_versions(workbook):
        path.unlink(missing_ok=True)
        gone.append(path.name)
    return gone


@dataclass
class Plan:
    """What a purge removes (or removed)."""

    people: list[tuple[str, str, str]] = field(default_factory=list)  # ("R0001", name, email)
    messages: int = 0
    mails: int = 0
    requests: int = 0
    changes: int = 0
    versions: list[str] = field(default_factory=list)

    @property
    def personal(self) -> bool:
        """Personal data left in the state (old workbook versions aside)."""
        return bool(self.people or self.messages or self.mails or self.requests or self.changes)

    def counts(self) -> str:
        """One line without names or addresses, for the log."""
        return (
            f"{len(self.people)} registration(s), {self.messages} recorded message(s), {self.mails} stored mail(s), "
            f"{self.requests} privacy request(s), {len(self.versions)} old workbook version(s)"
        )

    def lines(self) -> list[str]:
        """What goes, in full, for the organiser's terminal."""
        out = [f"  registrations: {len(self.people)}"]
        out += [f"    {ident} {name} <{email}>" for ident, name, email in self.people]
        out += [
            f"  recorded messages: {self.messages} lose their sender, subject, Message-ID and reason"
            " (the rows and their states stay)",
            f"  stored mail: {self.mails} (unsent ones deleted; sent ones lose their copy and recipient)",
            f"  privacy requests: {self.requests} address(es) replaced by their salted hash",
            f"  change log entries: {self.changes}",
            f"  old workbook versions: {len(self.versions)}",
        ]
        out += [f"    {name}" for name in self.versions]
        return out


def plan(ledger: Ledger, settings: Settings) -> Plan:
    db = ledger.db
    return Plan(
        people=[
            (f"R{r['id']:04d}", r["name"], r["email"])
            for r in db.execute("SELECT id, name, email FROM registrations ORDER BY id")
        ],
        messages=db.execute(f"SELECT COUNT(*) FROM messages WHERE {_PERSONAL_MESSAGES}").fetchone()[0],
        mails=db.execute(f"SELECT COUNT(*) FROM outbox WHERE {_PERSONAL_MAIL}").fetchone()[0],
        requests=db.execute("SELECT COUNT(*) FROM privacy_requests WHERE email LIKE '%@%'").fetchone()[0],
        changes=db.execute("SELECT COUNT(*) FROM changes").fetchone()[0],
        versions=[path.name for path in old_versions(settings.workbook.path)],
    )


def purge(ledger: Ledger, settings: Settings) -> Plan:
    """Remove all personal data in one transaction; the caller rewrites the workbook, then the versions go."""
    with ledger.transaction() as db:
        done = plan(ledger, settings)
        db.execute("UPDATE messages SET registration_id = NULL WHERE registration_id IS NOT NULL")
        blank = "sender = '', subject = '', message_id = '', reason = ?"
        db.execute(f"UPDATE messages SET {blank} WHERE {_PERSONAL_MESSAGES}", (PURGED,))
        db.execute(f"DELETE FROM outbox WHERE state IN ('queued', 'retry', 'held') AND {_PERSONAL_MAIL}")
        db.execute(
            f"UPDATE outbox SET payload = x'', recipient = '', last_error = '', registration_id = NULL"
            f" WHERE {_PERSONAL_MAIL} OR registration_id IS NOT NULL"
        )
        for row in db.execute("SELECT id, email FROM privacy_requests WHERE email LIKE '%@%'").fetchall():
            db.execute("UPDATE privacy_requests SET email = ?, done_at = COALESCE(done_at, ?) WHERE id = ?",
                       (ledger.address_hash(row["email"]), now_iso(), row["id"]))  # fmt: skip
        db.execute("DELETE FROM changes")
        db.execute("UPDATE registrations SET registered_by = NULL")
        db.execute("DELETE FROM registrations")
        ledger.bump_state_version()
        ledger.set_meta("privacy_versions_after", ledger.get_meta("state_version"))
        ledger.set_meta("privacy_scrub", "1")
        ledger.set_meta("privacy_purged_at", now_iso())
    return done
