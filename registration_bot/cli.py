"""The ``registration-bot`` command: demo, run, poll, export, status, check, announce, remind, erase, purge.

Exit codes: 0 done; 1 a server could not be used (an IMAP or SMTP login
refused, a server unreachable) or ``export`` could not write the workbook;
2 the configuration (or the command line) is wrong; 3 another instance holds
the state file. A failure prints one line naming its cause on stderr. A
workbook that ``poll`` cannot write now (open in Excel) is not a failure:
it is written on a later cycle and ``status`` says so.
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from . import __version__, logs
from .settings import ConfigError, Settings, load_settings

log = logging.getLogger("registration_bot")
EXIT_OK, EXIT_FAILED, EXIT_CONFIG, EXIT_RUNNING = 0, 1, 2, 3


class Fail(Exception):
    """Stop with ``code`` and print the message as one line."""

    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.code = code


def _settings(args: argparse.Namespace) -> Settings:
    try:
        return load_settings(args.config)
    except ConfigError as exc:
        raise Fail(EXIT_CONFIG, "configuration error: " + "; ".join(str(exc).splitlines())) from None


def _ledger(settings: Settings):
    from .ledger import Ledger

    return Ledger(settings.state.path)


def _lock(settings: Settings):
    from .service import AlreadyRunning, InstanceLock

    try:
        return InstanceLock(settings.state.path).acquire()
    except AlreadyRunning as exc:
        raise Fail(EXIT_RUNNING, str(exc)) from None


def cmd_poll(args: argparse.Namespace) -> int:
    from .mailbox import LoginFailed, MailboxError
    from .worker import Worker

    settings = _settings(args)
    lock = _lock(settings)
    try:
        with _ledger(settings) as ledger:
            worker = Worker(settings, ledger)
            try:
                report = worker.cycle()
            except LoginFailed as exc:
                raise Fail(EXIT_FAILED, f"IMAP login failed: {exc}") from None
            except MailboxError as exc:
                raise Fail(EXIT_FAILED, f"IMAP server unavailable: {exc}") from None
            finally:
                worker.close()
    finally:
        lock.release()
    print(f"poll: {report.summary()}")
    if report.outbox.paused:
        raise Fail(EXIT_FAILED, f"SMTP login failed; sending is paused: {report.outbox.paused}")
    return EXIT_OK


def cmd_run(args: argparse.Namespace) -> int:
    from .service import Service

    settings = _settings(args)
    lock = _lock(settings)
    try:
        with _ledger(settings) as ledger:
            return Service(settings, ledger).run()
    finally:
        lock.release()


def cmd_export(args: argparse.Namespace) -> int:
    from .worker import Worker

    settings = _settings(args)
    with _ledger(settings) as ledger:
        worker = Worker(settings, ledger)
        target = Path(args.output) if args.output else None
        result = worker.export_workbook(force=True, path=target)
    if result != "written":
        raise Fail(EXIT_FAILED, f"workbook {result}")
    print(f"export: wrote {target or settings.workbook.path}")
    return EXIT_OK


def cmd_status(args: argparse.Namespace) -> int:
    from .calendar_invite import pending_update
    from .status import as_json, as_text, collect, health

    settings = _settings(args)
    if not settings.state.path.exists():
        raise Fail(EXIT_FAILED, f"no state file at {settings.state.path}: the bot has not run yet")
    with _ledger(settings) as ledger:
        info = collect(ledger)
        info["event_update"] = pending_update(ledger, settings)  # date or venue changed, nobody told yet
    problems = health(info, settings.schedule.poll_seconds)
    info["healthy"] = not problems
    info["health_problems"] = problems
    text = as_text(info)
    if info["event_update"]:
        change = info["event_update"]
        text += (
            f"\nEvent:         date {change['date']}, venue {change['location']}: not announced yet; send it"
            f" with: registration-bot announce --config {args.config} --event-update"
        )
    print(as_json(info) if args.json else text)
    if args.check:
        if problems:
            raise Fail(EXIT_FAILED, "unhealthy: " + "; ".join(problems))
        if not args.json:
            print("Health:        ok")
    return EXIT_OK


def cmd_digest(args: argparse.Namespace) -> int:
    from .digest import queue_digest
    from .worker import Worker

    settings = _settings(args)
    if not settings.organiser.email:
        raise Fail(EXIT_CONFIG, "configuration error: organiser.email: set it to send the digest")
    lock = _lock(settings)
    try:
        with _ledger(settings) as ledger:
            queued = queue_digest(ledger, settings)
            result = Worker(settings, ledger).flush_outbox()
    finally:
        lock.release()
    print(f"digest: {'queued' if queued else 'already sent today'}; sent {result.sent}")
    return EXIT_OK


def _announced(name: str, settings: Settings, worker, outcome, dry_run: bool) -> int:
    """Print what an announcement queued (or would), then send it now unless ``run`` is running."""
    from .service import AlreadyRunning, InstanceLock
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

    settings = _settings(args)
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
    with _ledger(settings) as ledger:
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

    settings = _settings(args)
    with _ledger(settings) as ledger:
        worker = Worker(settings, ledger)
        try:
            outcome = worker.recorder.registry.announcer.remind(dry_run=args.dry_run)
        except AnnounceError as exc:
            raise Fail(EXIT_CONFIG, f"remind: {exc}") from None
        return _announced("remind", settings, worker, outcome, args.dry_run)


MAILBOX_NOTE = "The IMAP mailbox is not touched: the mail there is kept under your own archiving rules."


def _settle_privacy(worker, name: str) -> None:
    """After an erasure or a purge: compact the state, rewrite the workbook, delete its old versions."""
    from .service import AlreadyRunning, InstanceLock

    privacy = worker.recorder.privacy
    try:
        lock = InstanceLock(worker.settings.state.path).acquire()
    except AlreadyRunning:
        print(f"{name}: the running service rewrites the workbook and deletes its old versions on its next cycle")
        return
    try:
        written = worker.export_workbook()
        gone = privacy.settle_workbook()
        privacy.scrub()
    finally:
        lock.release()
    print(f"{name}: workbook {written}; {len(gone)} old version(s) deleted")
    if written.startswith("not written"):
        print(f"{name}: the old versions are deleted once the workbook is written (the next cycle)")


def cmd_erase(args: argparse.Namespace) -> int:
    from .worker import Worker

    settings = _settings(args)
    address = args.email.strip().lower()
    if address.count("@") != 1 or any(c.isspace() for c in address) or address.startswith("@"):
        raise Fail(EXIT_CONFIG, f"erase: {args.email!r} is not an email address")
    with _ledger(settings) as ledger:
        worker = Worker(settings, ledger)
        with ledger.transaction():
            erasure = worker.recorder.privacy.erase(address, why="erased by the organiser")
        print(f"erase: {erasure.summary()}")
        _settle_privacy(worker, "erase")
    return EXIT_OK


def cmd_purge(args: argparse.Namespace) -> int:
    from . import retention
    from .worker import Worker

    settings = _settings(args)
    when = retention.due_at(settings)
    if when is None:
        why = "[event] date is not set" if settings.event.date is None else "[privacy] retention_days_after_event is 0"
        print(f"purge: nothing to do: {why}")
        return EXIT_OK
    due = retention.due(settings)
    moment = when.astimezone(settings.event.zone).strftime("%Y-%m-%d %H:%M")
    with _ledger(settings) as ledger:
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


def cmd_check(args: argparse.Namespace) -> int:
    from .checks import run_checks

    settings = _settings(args)
    print(f"config: ok ({args.config})")
    ok = run_checks(settings, print)
    return EXIT_OK if ok else EXIT_FAILED


def cmd_demo(args: argparse.Namespace) -> int:
    from .demo import run_demo

    return run_demo(Path(args.output))


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(
        prog="registration-bot",
        description="Sign people up for an event when they simply send an email.",
    )
    top.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    top.add_argument("--log-level", default="info", choices=["debug", "info", "warning", "error"])
    top.add_argument("--log-format", default="text", choices=["text", "json"])
    commands = top.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def command(name: str, func, text: str, config: bool = True) -> argparse.ArgumentParser:
        sub = commands.add_parser(name, help=text, description=text)
        if config:
            sub.add_argument("--config", "-c", required=True, metavar="FILE", help="the TOML configuration file")
        sub.set_defaults(func=func)
        return sub

    demo = command("demo", cmd_demo, "run the whole loop against throwaway local mail servers", config=False)
    demo.add_argument(
        "--output",
        "-o",
        default="demo-output",
        metavar="DIR",
        help="where the workbook and sent mail go (default: ./demo-output)",
    )
    command("run", cmd_run, "run as a service: poll every [schedule] poll_seconds until SIGTERM")
    command("poll", cmd_poll, "run one cycle (inbox, outbox, workbook) and exit")
    export = command("export", cmd_export, "rebuild the workbook from the state")
    export.add_argument("--output", "-o", metavar="PATH", help="write here instead of [workbook] path")
    status = command("status", cmd_status, "show the last cycle and counts of messages, people and mail")
    status.add_argument("--json", action="store_true", help="one JSON object")
    status.add_argument(
        "--check",
        action="store_true",
        help="exit 1 when unhealthy: no successful cycle within 3 x poll_seconds, sending paused, "
        "or the workbook not written since a change",
    )
    command("digest", cmd_digest, "send the organiser today's summary now, with the workbook attached")
    command("check", cmd_check, "validate the configuration and log in to IMAP and SMTP")
    erase = command("erase", cmd_erase, "erase everything stored about one person; keep only a salted hash")
    erase.add_argument("email", metavar="EMAIL", help="the person's address")
    purge = command("purge", cmd_purge, "remove all personal data once [privacy] retention_days_after_event has passed")
    purge.add_argument("--dry-run", action="store_true", help="list what would go; change nothing")
    announce = command(
        "announce", cmd_announce, "mail every registered person once: a message, or the event's date and venue"
    )
    announce.add_argument("--subject", metavar="TEXT", help="the subject of the message")
    announce.add_argument("--body-file", metavar="FILE", help="a UTF-8 text file: the message, sent as written")
    announce.add_argument(
        "--event-update", action="store_true", help="send [event] date and location with a calendar invitation"
    )
    announce.add_argument("--waitlist", action="store_true", help="the waiting list gets it too")
    announce.add_argument("--dry-run", action="store_true", help="list who would get it; queue nothing")
    remind = command("remind", cmd_remind, "queue the event reminder for every registered person (once each)")
    remind.add_argument("--dry-run", action="store_true", help="list who would get it; queue nothing")
    return top


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    # The service's logs go to stdout; a command whose stdout is its answer
    # (status --json, check) keeps its logs on stderr.
    logs.setup(args.log_level, args.log_format, sys.stdout if args.command in ("run", "poll") else sys.stderr)
    try:
        return args.func(args)
    except Fail as exc:
        print(f"registration-bot: {exc}", file=sys.stderr)
        return exc.code
    except KeyboardInterrupt:
        return EXIT_FAILED


if __name__ == "__main__":
    sys.exit(main())
