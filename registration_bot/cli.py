"""The ``registration-bot`` command: demo, run, poll, export, status, check, announce, remind, erase, purge.

Exit codes: 0 done; 1 a server could not be used (an IMAP or SMTP login
refused, a server unreachable) or ``export`` could not write the workbook;
2 the configuration (or the command line) is wrong; 3 another instance holds
the state file. A failure prints one line naming its cause on stderr. A
workbook that ``poll`` cannot write now (open in Excel) is not a failure:
it is written on a later cycle and ``status`` says so.

This module holds the command line (every command and option) and the core
commands; the organiser's commands are in cli_admin.py, the shared exit codes
and openers in cli_common.py.
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from . import __version__, logs
from .cli_admin import cmd_announce, cmd_digest, cmd_erase, cmd_purge, cmd_release, cmd_remind
from .cli_common import EXIT_FAILED, EXIT_OK, Fail, acquire_lock, open_ledger, settings_of

log = logging.getLogger("registration_bot")


def cmd_poll(args: argparse.Namespace) -> int:
    from .mailbox import LoginFailed, MailboxError
    from .worker import Worker

    settings = settings_of(args)
    lock = acquire_lock(settings)
    try:
        with open_ledger(settings) as ledger:
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

    settings = settings_of(args)
    lock = acquire_lock(settings)
    try:
        with open_ledger(settings) as ledger:
            return Service(settings, ledger, config=Path(args.config)).run()
    finally:
        lock.release()


def cmd_export(args: argparse.Namespace) -> int:
    from .worker import Worker

    settings = settings_of(args)
    with open_ledger(settings) as ledger:
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

    settings = settings_of(args)
    if not settings.state.path.exists():
        raise Fail(EXIT_FAILED, f"no state file at {settings.state.path}: the bot has not run yet")
    with open_ledger(settings) as ledger:
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


def cmd_check(args: argparse.Namespace) -> int:
    from .checks import run_checks

    settings = settings_of(args)
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
    release = command("release", cmd_release, "send replies held by the circuit breaker or a reply cap")
    release.add_argument("ids", nargs="*", type=int, metavar="ID", help="outbox ids, as status lists them; none: all")
    release.add_argument("--dry-run", action="store_true", help="list the held mail; release nothing")
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
