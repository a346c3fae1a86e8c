"""What an erasure or a purge leaves to do after its commit: receipts, old workbooks, free pages.

:func:`maintain` runs once a cycle, after the workbook step (worker.py):

* an ``erased`` receipt, once the outbox has sent it or given up, is blanked
  like the rest of the erased person's mail (no payload, the recipient
  replaced by the salted hash);
* the retention purge runs when it is due (:mod:`retention`);
* the old workbook versions are deleted once the workbook on disk no longer
  holds the people erased or purged (:func:`settle_workbook`);
* the state file is vacuumed and its WAL truncated, so erased bytes do not
  linger in free pages or old WAL frames (:func:`scrub`).

``erase`` and ``purge`` on the command line call the last two at once when
the service is not running. The erasure itself is privacy.py.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Callable

from . import retention
from .ledger import Ledger
from .settings import Settings

# The privacy logger, like the erasure's own lines: one name to filter on for all of it.
log = logging.getLogger("registration_bot.privacy")


def scrub(ledger: Ledger) -> None:
    """Compact the state file so erased bytes leave free pages and the WAL; retried next cycle if busy.

    Only once the workbook is rewritten: until then the bot's record of
    what it wrote there (``meta``) still names them.
    """
    if not ledger.get_meta("privacy_scrub") or ledger.get_meta("privacy_versions_after"):
        return
    try:
        ledger.db.execute("VACUUM")
        busy = ledger.db.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()[0]
    except sqlite3.OperationalError as exc:
        busy, problem = 1, str(exc)
    else:
        problem = "another process is reading the state file"
    if busy:  # the erased rows are gone; their old bytes wait in the WAL until the next try
        log.warning("could not compact the state file after an erasure (%s); will retry", problem)
        return
    with ledger.transaction():
        ledger.set_meta("privacy_scrub", "")


def blank_receipts(ledger: Ledger) -> None:
    """An ``erased`` receipt, once sent or given up, keeps neither payload nor address."""
    rows = ledger.db.execute(
        "SELECT id, recipient FROM outbox WHERE kind = 'erased' AND state NOT IN ('queued', 'retry', 'held',"
        " 'sending', 'data') AND (length(payload) > 0 OR recipient LIKE '%@%')"
    ).fetchall()
    if not rows:
        return
    with ledger.transaction() as db:
        for row in rows:
            digest = ledger.address_hash(row["recipient"]) if "@" in row["recipient"] else row["recipient"]
            db.execute(
                "UPDATE outbox SET payload = x'', last_error = '', recipient = ? WHERE id = ?", (digest, row["id"])
            )
        ledger.set_meta("privacy_scrub", "1")


def settle_workbook(ledger: Ledger, settings: Settings) -> list[str]:
    """Delete the old workbook versions once the workbook on disk no longer holds erased people."""
    after = ledger.get_meta("privacy_versions_after")
    if not after or int(ledger.get_meta("workbook_version") or 0) < int(after):
        return []
    gone = retention.drop_versions(settings.workbook.path)
    with ledger.transaction():
        ledger.set_meta("privacy_versions_after", "")
    if gone:
        log.info("deleted %d old workbook version(s) after an erasure or purge", len(gone))
    return gone


def maintain(ledger: Ledger, settings: Settings, export: Callable[[], str]) -> None:
    """Once a cycle, after the workbook step: receipts, the retention purge when due, old versions."""
    try:
        blank_receipts(ledger)
        if retention.due(settings) and retention.plan(ledger, settings).personal:
            plan = retention.purge(ledger, settings)
            log.info("retention purge: %s", plan.counts())
            export()
        settle_workbook(ledger, settings)
        scrub(ledger)
    except Exception:  # noqa: BLE001 - retried next cycle; a bug here must not stop registrations
        log.exception("privacy maintenance failed; will retry next cycle")
