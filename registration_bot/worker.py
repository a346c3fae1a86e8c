"""One cycle: drain the inbox, then the outbox, then rewrite the workbook if anything changed.

Each step is a method that returns what it did, so tests and the scheduler
call the same code (healthchecks' ``sendalerts`` shape). The inbox side
lives in :mod:`inbox`; an IMAP failure there does not stop the outbox or the
workbook, which need no IMAP.
"""

from __future__ import annotations

import json
import logging
import threading
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from . import privacy_upkeep
from .alerts import Alerts
from .calendar_invite import offer_update
from .compose import Templates
from .inbox import Inbox
from .ledger import Ledger, now_iso
from .limits import Limits
from .mailbox import LoginFailed, Mailbox, MailboxError
from .outbox import FlushResult, Outbox
from .record import Recorder
from .settings import Settings
from .workbook import WorkbookError
from .workbook_edits import apply_edits
from .workbook_sheets import write_projection

log = logging.getLogger(__name__)


@dataclass
class CycleReport:
    """What one cycle did; ``outcome`` is "ok" or the error that ended it."""

    states: Counter[str] = field(default_factory=Counter)
    moved: int = 0
    outbox: FlushResult = field(default_factory=FlushResult)
    workbook: str = "unchanged"
    outcome: str = "ok"

    def summary(self) -> str:
        states = ", ".join(f"{n} {s}" for s, n in sorted(self.states.items())) or "no new mail"
        return (
            f"{states}; sent {self.outbox.sent}, retry {self.outbox.retry}, failed {self.outbox.failed}; "
            f"workbook {self.workbook}"
        )


class Worker:
    """The registration loop over one mailbox, one state file and one SMTP server."""

    def __init__(
        self,
        settings: Settings,
        ledger: Ledger,
        *,
        stop: threading.Event | None = None,
        mailbox_factory: Callable[[], Mailbox] | None = None,
    ) -> None:
        self.settings = settings
        self.ledger = ledger
        self.send_budget: float | None = None  # seconds of sending per cycle; the service sets one
        self.stop = stop or threading.Event()
        self.templates = Templates(settings.templates.dir)
        self.limits = Limits(ledger, settings.limits)
        self.recorder = Recorder(ledger, settings, self.templates, self.limits)
        self.outbox = Outbox(ledger, settings.smtp)
        self.alerts = Alerts(ledger, settings)
        self.inbox = Inbox(
            settings, ledger, self.recorder, self.limits, stop=self.stop, mailbox_factory=mailbox_factory
        )

    def close(self) -> None:
        self.inbox.close()

    # step 1: the inbox ----------------------------------------------------------
    def poll_inbox(self) -> Counter[str]:
        """Record every new message in the inbox and move it out; return counts by state."""
        return self.inbox.drain()

    def process_message(
        self, uidvalidity: int, uid: int, raw: bytes, arrived: datetime | None = None
    ) -> tuple[str, str, int]:
        """Read, decide and record one message (see :meth:`Inbox.process_message`)."""
        return self.inbox.process_message(uidvalidity, uid, raw, arrived)

    # step 2: the outbox -----------------------------------------------------------
    def flush_outbox(self) -> FlushResult:
        self.outbox.recover()
        self.limits.release_deferred()
        return self.outbox.flush(self.stop, self.send_budget)

    # step 3: the workbook ----------------------------------------------------------
    def export_workbook(self, *, force: bool = False, path=None) -> str:
        """Rewrite the workbook if the state changed since it was last written (its edits read back first)."""
        target = path or self.settings.workbook.path
        if path is None:
            self.apply_workbook_edits()  # never rebuild over edits that were not read
        version = self.ledger.get_meta("state_version")
        if not force and path is None and version == self.ledger.get_meta("workbook_version") and target.exists():
            return "unchanged"
        try:
            write_projection(self.ledger, self.settings, target, record=path is None)
        except WorkbookError as exc:
            problem = str(exc)
        except Exception as exc:  # noqa: BLE001 - a bug here must not stop registrations
            log.exception("workbook not written: internal error")
            problem = f"internal error: {type(exc).__name__}: {exc}"
        else:
            problem = ""
        if problem:
            log.warning("workbook not written: %s", problem)
            with self.ledger.transaction():
                self.ledger.set_meta("workbook_error", problem)
                if not self.ledger.get_meta("workbook_failing_since"):
                    self.ledger.set_meta("workbook_failing_since", now_iso())
            return f"not written: {problem}"
        if path is None:
            with self.ledger.transaction():
                self.ledger.set_meta("workbook_version", version)
                self.ledger.set_meta("workbook_written_at", now_iso())
                self.ledger.set_meta("workbook_error", "")
                self.ledger.set_meta("workbook_failing_since", "")
        return "written"

    def apply_workbook_edits(self) -> str:
        """Read the organiser's edits back from the workbook (see :mod:`workbook_edits`); once per saved version."""
        try:
            return apply_edits(self.ledger, self.settings, self.recorder.registry)
        except Exception:  # noqa: BLE001 - a bug here must not stop registrations
            log.exception("workbook edits not read back: internal error")
            return "internal error"

    # the whole cycle --------------------------------------------------------------
    def promote_waitlist(self) -> int:
        """Seats freed outside a message (a raised capacity) go to the waiting list."""
        if not self.settings.event.capacity:
            return 0
        with self.ledger.transaction():
            promoted = self.recorder.registry.promote()
            if promoted:
                self.ledger.bump_state_version()
        return len(promoted)

    def offer_event_update(self) -> bool:
        """The date or location changed since the last event update: tell the organiser (once per change)."""
        try:
            return offer_update(self.ledger, self.settings)
        except Exception:  # noqa: BLE001 - a notice must not stop registrations
            log.exception("could not check the event details for a change")
            return False

    def _conditions(self, inbox_error: MailboxError | None, report: CycleReport) -> dict[str, str | None]:
        """What this cycle saw of each incident kind; kinds it could not judge are left out."""
        conditions: dict[str, str | None] = {"breaker": self.limits.breaker_open()}
        if isinstance(inbox_error, LoginFailed):
            conditions["imap_login"] = str(inbox_error)
        elif inbox_error is None:
            conditions["imap_login"] = None
        if report.outbox.paused:
            conditions["smtp_auth"] = report.outbox.paused
        elif report.outbox.connected:
            conditions["smtp_auth"] = None
        failing_since = self.ledger.get_meta("workbook_failing_since")
        if report.workbook.startswith("not written") and failing_since:
            minutes = (datetime.now(UTC) - datetime.fromisoformat(failing_since)).total_seconds() / 60
            if minutes >= self.settings.organiser.workbook_alert_minutes:
                conditions["workbook"] = report.workbook
        elif report.workbook in ("written", "unchanged"):
            conditions["workbook"] = None
        return conditions

    def cycle(self) -> CycleReport:
        """Inbox, outbox, workbook; recorded for ``status``.

        An IMAP failure does not stop the outbox or the workbook (they need no
        IMAP); it is raised at the end so that ``poll`` can exit non-zero.
        """
        report = CycleReport()
        with self.ledger.transaction() as db:
            cycle_id = db.execute("INSERT INTO cycles (started_at) VALUES (?)", (now_iso(),)).lastrowid
        inbox_error: MailboxError | None = None
        try:
            self.promote_waitlist()
            self.offer_event_update()
            try:
                report.states = self.poll_inbox()
            except MailboxError as exc:
                inbox_error = exc
                report.outcome = f"error: {exc}"
                self.close()
            self.apply_workbook_edits()  # before the flush: a receipt for a cancellation typed there goes now
            if not self.stop.is_set():
                report.outbox = self.flush_outbox()
            report.workbook = self.export_workbook()
            # receipts, the retention purge, old versions
            privacy_upkeep.maintain(self.ledger, self.settings, self.export_workbook)
            if self.alerts.update(self._conditions(inbox_error, report)) and not self.stop.is_set():
                self.flush_outbox()  # an alert should not wait for the next cycle
        except BaseException as exc:
            report.outcome = f"error: {exc}" if str(exc) else f"error: {type(exc).__name__}"
            raise
        finally:
            with self.ledger.transaction() as db:
                db.execute(
                    "UPDATE cycles SET finished_at = ?, outcome = ?, detail = ? WHERE id = ?",
                    (
                        now_iso(),
                        report.outcome[:500],
                        json.dumps({"states": report.states, "sent": report.outbox.sent, "workbook": report.workbook}),
                        cycle_id,
                    ),
                )
        if inbox_error is not None:
            raise inbox_error
        return report
