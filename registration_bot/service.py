"""The background service: one APScheduler job, one instance per state file, clean stops.

``run`` uses a ``BlockingScheduler`` with a single interval job
(``max_instances=1``, ``coalesce=True``, a misfire grace time), so a slow
cycle never overlaps the next one and missed runs collapse into one. Beside
it, a cron job sends the organiser's digest and a date job marks the
reminders due at 09:00 (``[event] timezone``), ``[event] reminder_days``
before the event's day; the next cycle queues and sends them, so the
state file is only ever used by one job at a time. The reminder job is
rebuilt from ``[event] date`` at start-up and checked after every cycle: a
reminder time already past (the service was down) runs once at once if the
event has not begun and that date's reminders were not sent. SIGTERM
and SIGINT set a stop flag that the worker checks between messages; the
scheduler then waits for the running cycle to finish and the process exits 0.
Before each cycle a changed configuration is loaded again (:mod:`reload`);
SIGHUP forces that.
"""

from __future__ import annotations

import contextlib
import logging
import signal
import threading
from collections.abc import Callable
from datetime import datetime, time, timedelta
from pathlib import Path
from types import FrameType

from apscheduler.jobstores.base import JobLookupError
from apscheduler.schedulers import SchedulerNotRunningError
from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.date import DateTrigger
from apscheduler.triggers.interval import IntervalTrigger

from .announce import AnnounceError
from .calendar_invite import event_key, start_moment
from .digest import queue_digest
from .idle import IdleWatcher, backoff_seconds
from .ledger import Ledger
from .mailbox import LoginFailed, MailboxError
from .reload import ConfigWatcher
from .settings import Settings, load_settings
from .worker import Worker

log = logging.getLogger(__name__)
LOGIN_BACKOFF_MAX = timedelta(hours=1)
REMINDER_TIME = time(9, 0)


def reminder_time(settings: Settings) -> datetime | None:
    """09:00 in the event's time zone, ``reminder_days`` before the event's day; None without reminders."""
    start = start_moment(settings)
    if start is None or settings.event.reminder_days == 0:
        return None
    day = start.astimezone(settings.event.zone).date() - timedelta(days=settings.event.reminder_days)
    return datetime.combine(day, REMINDER_TIME, tzinfo=settings.event.zone)


class Service:
    """Runs :meth:`Worker.cycle` on a schedule until told to stop."""

    def __init__(
        self,
        settings: Settings,
        ledger: Ledger,
        *,
        config: Path | None = None,
        load: Callable[[Path], Settings] = load_settings,
    ) -> None:
        self.settings = settings
        self.ledger = ledger
        self.stop = threading.Event()
        self.watcher = ConfigWatcher(config, settings, load) if config is not None else None
        self._reload_requested = threading.Event()
        self.worker = Worker(settings, ledger, stop=self.stop)
        # A cycle sends for at most one interval, so that new mail is never kept waiting by old mail.
        self.worker.send_budget = float(settings.schedule.poll_seconds)
        self.scheduler = BlockingScheduler(timezone=settings.event.zone)
        self.wake = threading.Event()  # set by IDLE: mail arrived while a cycle ran
        self._login_failures = 0
        self._outages = 0
        self._skip_until: datetime | None = None
        self._reminders_due = threading.Event()
        self._reminder_at: datetime | None = None

    def on_mail(self) -> None:
        """Called by the IDLE watcher: run a cycle now rather than at the next interval."""
        self.wake.set()
        with contextlib.suppress(JobLookupError, SchedulerNotRunningError):
            self.scheduler.modify_job("poll", next_run_time=datetime.now(self.settings.event.zone))

    def poll_job(self) -> None:
        """Scheduled cycles; mail that arrives during one (IDLE) gets another at once."""
        while not self.stop.is_set():
            self.wake.clear()
            self._reload()
            self._reminders()
            self._one_cycle()
            if not self.wake.is_set() or self._skip_until:
                return

    def _reload(self) -> None:
        """Apply a changed configuration (see :mod:`reload`) before the cycle that should use it."""
        if self.watcher is None:
            return
        forced = self._reload_requested.is_set()
        self._reload_requested.clear()
        try:
            new = self.watcher.check(force=forced)
        except Exception:  # noqa: BLE001 - a reload must never stop the service
            log.exception("configuration reload failed; still running on the previous one")
            return
        if new is None:
            return
        old, self.settings = self.settings, new
        worker = Worker(new, self.ledger, stop=self.stop)
        worker.send_budget = float(new.schedule.poll_seconds)
        self.worker.close()
        self.worker = worker
        if new.schedule.poll_seconds != old.schedule.poll_seconds:
            with contextlib.suppress(JobLookupError):
                self.scheduler.reschedule_job("poll", trigger=IntervalTrigger(seconds=new.schedule.poll_seconds))
        if new.organiser != old.organiser:
            with contextlib.suppress(JobLookupError):
                self.scheduler.remove_job("digest")
            self._schedule_digest()

    def _one_cycle(self) -> None:
        """One cycle; errors are logged, never raised into the scheduler."""
        now = datetime.now()
        if self._skip_until and now < self._skip_until:
            return
        self._skip_until = None
        try:
            report = self.worker.cycle()
        except LoginFailed as exc:
            # A refused password will not start working by itself: back off
            # instead of hammering the server (and tripping its lockout).
            self._login_failures += 1
            wait = min(timedelta(minutes=5) * 2 ** (self._login_failures - 1), LOGIN_BACKOFF_MAX)
            self._skip_until = now + wait
            log.error("IMAP login failed (%d in a row); next attempt in %s: %s", self._login_failures, wait, exc)
            return
        except MailboxError as exc:
            # Reconnect with exponential backoff and jitter, from one interval to 15 minutes.
            self._outages += 1
            wait = timedelta(seconds=backoff_seconds(self._outages, self.settings.schedule.poll_seconds, 900))
            self._skip_until = now + wait
            log.warning("IMAP unavailable (%d in a row); next attempt in %s: %s", self._outages, wait, exc)
            return
        except Exception:  # noqa: BLE001 - the service must outlive a bug in one cycle
            log.exception("cycle failed")
            return
        if self._login_failures or self._outages:
            log.info("IMAP works again")
        self._login_failures, self._outages = 0, 0
        if report.states or report.outbox.did_work or report.workbook != "unchanged":
            log.info("cycle: %s", report.summary())

    def digest_job(self) -> None:
        """The organiser's daily summary; sent at once if SMTP works, else with the next cycle."""
        try:
            if queue_digest(self.worker.ledger, self.settings):
                self.worker.flush_outbox()
        except Exception:  # noqa: BLE001 - a failed digest must not stop the service
            log.exception("daily digest failed")

    def reminder_job(self) -> None:
        """The reminder time has come: the next cycle (started now) queues and sends the reminders."""
        self._reminders_due.set()
        self.on_mail()

    def _reminders(self) -> None:
        """Queue reminders when due, and rebuild the reminder job if the event's date moved."""
        if self._reminders_due.is_set():
            self._reminders_due.clear()
            try:
                outcome = self.worker.recorder.registry.announcer.remind()
                log.info("reminders queued for %d people", len(outcome.recipients))
            except AnnounceError as exc:
                log.warning("reminders not sent: %s", exc)
            except Exception:  # noqa: BLE001 - the service must outlive a failed reminder
                log.exception("reminders failed")
        try:
            self.schedule_reminders()
        except Exception:  # noqa: BLE001
            log.exception("could not schedule the reminders")

    def schedule_reminders(self, now: datetime | None = None) -> datetime | None:
        """Add, move or remove the reminder date job to match ``[event] date``; return when it runs."""
        zone = self.settings.event.zone
        now = now or datetime.now(zone)
        at, start = reminder_time(self.settings), start_moment(self.settings)
        done = self.worker.ledger.get_meta(f"reminders_done:{event_key(self.settings)}")
        if at is None or start is None or start <= now or done:
            with contextlib.suppress(JobLookupError):
                self.scheduler.remove_job("reminders")
            self._reminder_at = None
            return None
        run_at = max(at, now)
        job = self.scheduler.get_job("reminders")
        if job is not None and self._reminder_at == at:
            return job.trigger.run_date
        if job is not None:  # remove, not replace_existing: before start() a replacement is only queued
            self.scheduler.remove_job("reminders")
        self.scheduler.add_job(
            self.reminder_job,
            DateTrigger(run_date=run_at, timezone=zone),
            id="reminders",
            coalesce=True,
            misfire_grace_time=max(1, int((start - run_at).total_seconds())),  # late is fine until it begins
        )
        self._reminder_at = at
        log.info("reminders for the event on %s are due at %s", event_key(self.settings), run_at.isoformat())
        return run_at

    def _on_sighup(self, signum: int, frame: FrameType | None) -> None:
        """``systemctl reload``: read the configuration again before the next cycle, which starts now."""
        log.info("received SIGHUP; reloading the configuration")
        self._reload_requested.set()
        self.on_mail()

    def _on_signal(self, signum: int, frame: FrameType | None) -> None:
        log.info("received %s; finishing the current step", signal.Signals(signum).name)
        self.stop.set()
        # Runs in the main thread, which is idle inside the scheduler's wait:
        # shutdown(wait=True) joins the running cycle, which sees the stop flag.
        if self.scheduler.running:
            self.scheduler.shutdown(wait=True)

    def schedule(self) -> None:
        """Add the jobs: the poll every interval, and the organiser's daily digest."""
        schedule = self.settings.schedule
        self.scheduler.add_job(
            self.poll_job,
            IntervalTrigger(seconds=schedule.poll_seconds),
            id="poll",
            max_instances=1,
            coalesce=True,
            misfire_grace_time=schedule.misfire_grace_seconds,
            next_run_time=datetime.now(self.settings.event.zone),
        )
        self._schedule_digest()
        self.schedule_reminders()

    def _schedule_digest(self) -> None:
        organiser = self.settings.organiser
        if organiser.email and organiser.digest:
            hour, minute = (int(part) for part in organiser.digest_time.split(":"))
            self.scheduler.add_job(
                self.digest_job,
                CronTrigger(hour=hour, minute=minute, timezone=self.settings.event.zone),
                id="digest",
                max_instances=1,
                coalesce=True,
                misfire_grace_time=3600,
            )

    def run(self) -> int:
        schedule = self.settings.schedule
        self.schedule()
        signal.signal(signal.SIGTERM, self._on_signal)
        signal.signal(signal.SIGINT, self._on_signal)
        signal.signal(signal.SIGHUP, self._on_sighup)
        log.info("registration-bot running: polling %s every %d s", self.settings.imap.folder, schedule.poll_seconds)
        watcher = None
        if self.settings.imap.idle:
            watcher = IdleWatcher(self.settings.imap, self.on_mail, self.stop)
            watcher.start()
        try:
            if not self.stop.is_set():  # a signal may have come before the scheduler started
                self.scheduler.start()
        finally:
            self.stop.set()
            if watcher is not None:
                watcher.join(timeout=5)
            self.worker.close()
        log.info("registration-bot stopped")
        return 0
