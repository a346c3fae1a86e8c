"""The organiser's commands: digest, announce, remind, release, erase and purge.

Each one queues mail or removes personal data outside the poll cycle. After
the change, announce, remind, erase and purge send the mail or rewrite the
workbook at once, unless ``run`` holds the instance lock: then the running
service does it on its next cycle. ``digest`` takes the lock itself. The
command line (names, options, help) is defined in cli.py, beside the core
commands, so ``--help`` lists them in one place.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from .cli_common import EXIT_CONFIG, EXIT_FAILED, EXIT_OK, Fail, acquire_lock, open_ledger, settings_of
from .settings import Settings


def cmd_digest(args: argparse.Namespace) -> int:
    from .digest import queue_digest
    from .worker import Worker

    settings = settings_of(args)
    if not settings.organiser.email:
        raise Fail(EXIT_CONFIG, "configuration error: organiser.email: set it to send the digest")
    lock = acquire_lock(settings)
    try:
        with open_ledger(settings) as ledger:
            queued = queue_digest(ledger, settings)
            result = Worker(settings, ledger).flush_outbox()
    finally:
        lock.release()
    print(f"digest: {'queued' if queued else 'already sent today'}; sent {result.sent}")
    return EXIT_OK


def _announced(name: str, settings: Settings, worker, outcome, dry_run: bool) -> int:
    """Print what an announcement queued (or would), then send it now unless ``run`` is running."""
    from .textutil import one_line

    if dry_run:
        print(f"{name}: dry run, nothing queued: {len(outcome.recipients)} would get it, {outcome.already} have it")
        for person in outcome.recipients:
            who = one_line(person["name"], 80) or "-"
            print(f"  {who} <{person['email']}> ({person['status']}, {person['language']})")
        return EXIT_OK
    print(f"{name}: queued for {len(outcome.recipients)} people; {outcome.already} already had it")
    if outcome.held and outcome.recipients:
        print(f"{name}: held, not sent (see status): {outcome.held}")
        return EXIT_OK
    return _send_now(name, settings, worker)


def _send_now(name: str, settings: Settings, worker) -> int:
    """Flush the outbox now, unless ``run`` holds the lock: then its next cycle sends."""
    from .lock import AlreadyRunning, InstanceLock

    try:
        lock = InstanceLock(settings.state.path).acquire()
    except AlreadyRunning:
        print(f"{name}: the running service sends it")
        return EXIT_OK
    try:
        result = worker.flush_outbox()
    finally:
        lock.release()
    print(f"{name}: sent {result.sent}, retry {result.retry}, failed {result.failed}")
    if result.paused or result.outage:
        why = f"SMTP login failed: {result.paused}" if result.paused else f"SMTP unavailable: {result.outage}"
        raise Fail(EXIT_FAILED, f"{why}; the mail stays queued for the next cycle")
    return EXIT_OK


def cmd_announce(args: argparse.Namespace) -> int:
    from .announce import AnnounceError
    from .worker import Worker

    settings = settings_of(args)
    if args.event_update == bool(args.subject or args.body_file):
        raise Fail(EXIT_CONFIG, "announce: give --subject and --body-file, or --event-update")
    body = ""
    if not args.event_update:
        if not (args.subject and args.body_file):
            raise Fail(EXIT_CONFIG, "announce: --subject and --body-file go together")
        try:
            body = Path(args.body_file).read_text("utf-8-sig")
        except (OSError, UnicodeDecodeError) as exc:
            raise Fail(EXIT_CONFIG, f"announce: cannot read --body-file {args.body_file}: {exc}") from None
    with open_ledger(settings) as ledger:
        worker = Worker(settings, ledger)
        announcer = worker.recorder.registry.announcer
        try:
            if args.event_update:
                outcome = announcer.event_update(include_waitlist=args.waitlist, dry_run=args.dry_run)
            else:
                outcome = announcer.announce(args.subject, body, include_waitlist=args.waitlist, dry_run=args.dry_run)
        except AnnounceError as exc:
            raise Fail(EXIT_CONFIG, f"announce: {exc}") from None
        return _announced("announce", settings, worker, outcome, args.dry_run)


def cmd_remind(args: argparse.Namespace) -> int:
    from .announce import AnnounceError
    from .worker import Worker

    settings = settings_of(args)
    with open_ledger(settings) as ledger:
        worker = Worker(settings, ledger)
        try:
            outcome = worker.recorder.registry.announcer.remind(dry_run=args.dry_run)
        except AnnounceError as exc:
            raise Fail(EXIT_CONFIG, f"remind: {exc}") from None
        return _announced("remind", settings, worker, outcome, args.dry_run)


def cmd_release(args: argparse.Namespace) -> int:
    """Send replies held by the circuit breaker or a reply cap, once the organiser has looked at them."""
    from .limits import release
    from .textutil import one_line
    from .worker import Worker

    settings = settings_of(args)
    with open_ledger(settings) as ledger:
        rows = release(ledger, args.ids or None, dry_run=args.dry_run)
        if not rows:
            print("release: no held mail" + (f" with id {', '.join(map(str, args.ids))}" if args.ids else ""))
            return EXIT_OK
        for row in rows:
            print(f"  #{row['id']} {row['kind']} to {row['recipient']}: {one_line(row['last_error'], 120)}")
        if args.dry_run:
            print(f"release: dry run, nothing released: {len(rows)} held")
            return EXIT_OK
        print(f"release: {len(rows)} queued for sending")
        return _send_now("release", settings, Worker(settings, ledger))


MAILBOX_NOTE = "The IMAP mailbox is not touched: the mail there is kept under your own archiving rules."


def _settle_privacy(worker, name: str) -> None:
    """After an erasure or a purge: compact the state, rewrite the workbook, delete its old versions."""
    from .lock import AlreadyRunning, InstanceLock
    from .privacy_upkeep import scrub, settle_workbook

    try:
        lock = InstanceLock(worker.settings.state.path).acquire()
    except AlreadyRunning:
        print(f"{name}: the running service rewrites the workbook and deletes its old versions on its next cycle")
        return
    try:
        written = worker.export_workbook()
        gone = settle_workbook(worker.ledger, worker.settings)
        scrub(worker.ledger)
    finally:
        lock.release()
    print(f"{name}: workbook {written}; {len(gone)} old version(s) deleted")
    if written.startswith("not written"):
        print(f"{name}: the old versions are deleted once the workbook is written (the next cycle)")


def cmd_erase(args: argparse.Namespace) -> int:
    from .worker import Worker

    settings = settings_of(args)
    address = args.email.strip().lower()
    if address.count("@") != 1 or any(c.isspace() for c in address) or address.startswith("@"):
        raise Fail(EXIT_CONFIG, f"erase: {args.email!r} is not an email address")
    with open_ledger(settings) as ledger:
        worker = Worker(settings, ledger)
        with ledger.transaction():
            erasure = worker.recorder.privacy.erase(address, why="erased by the organiser")
        print(f"erase: {erasure.summary()}")
        _settle_privacy(worker, "erase")
    return EXIT_OK


def cmd_purge(args: argparse.Namespace) -> int:
    from . import retention
    from .worker import Worker

    settings = settings_of(args)
    when = retention.due_at(settings)
    if when is None:
        why = "[event] date is not set" if settings.event.date is None else "[privacy] retention_days_after_event is 0"
        print(f"purge: nothing to do: {why}")
        return EXIT_OK
    due = retention.due(settings)
    moment = when.astimezone(settings.event.zone).strftime("%Y-%m-%d %H:%M")
    with open_ledger(settings) as ledger:
        if args.dry_run or not due:
            plan = retention.plan(ledger, settings)
            state = f"due since {moment}" if due else f"not due until {moment}"
            print(f"purge: {state}; {'dry run, ' if args.dry_run else ''}nothing changed. It would remove:")
            print("\n".join(plan.lines()) + "\n" + MAILBOX_NOTE)
            return EXIT_OK
        worker = Worker(settings, ledger)
        plan = retention.purge(ledger, settings)
        print(f"purge: due since {moment}; removed:\n" + "\n".join(plan.lines()))
        _settle_privacy(worker, "purge")
    print(MAILBOX_NOTE)
    return EXIT_OK
