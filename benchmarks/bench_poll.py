#!/usr/bin/env python3
"""Throughput, memory and idle cost of ``registration-bot poll`` against a baseline, in one run.

1. Fill a real Dovecot with N realistic, distinct sign-ups (MULTIAPPEND).
2. Baseline: a fresh imapclient connection does ``UID SEARCH ALL``, fetches
   ``BODY.PEEK[]`` in batches of the bot's ``imap.batch_size`` and parses
   every message with ``mailparser.parse_from_bytes`` (the bot's parser).
3. ``registration-bot poll`` drains the same messages: every one recorded,
   moved, confirmed over SMTP to aiosmtpd, and the workbook written. Wall
   time and the child's peak RSS (VmHWM) are measured; the results are
   checked (one confirmation per sender, N rows in the workbook).
4. Idle cost: ``poll`` with nothing new, with N messages in the processed
   folder and, in a second mailbox of the same Dovecot, 100; plus a bare
   ``status`` (process start, imports, config) and the in-process cycle
   (``Worker.cycle()`` on a fresh Worker: the first, then the mean of the
   next ten) so that the ratio is about the bot's own work and not Python's
   start-up.

Exit status 1 when a target is missed or a check fails. Usage:

    .venv/bin/python benchmarks/bench_poll.py [--count 10000] [--keep]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import time
from pathlib import Path

import benchlib as b

SMALL_USER = "liten@example.org"
SMALL_COUNT = 100


def baseline(imap: b.Dovecot, user: str, batch: int) -> dict[str, float | int | list[bytes]]:
    """Raw imapclient fetch plus mail-parser on the same bytes the bot will read."""
    import imapclient
    import mailparser

    kept: list[bytes] = []
    fetch_s = parse_s = 0.0
    started = time.monotonic()
    client = imapclient.IMAPClient(imap.host, imap.port, ssl=False, timeout=120)
    client.login(user, b.PASSWORD)
    client.select_folder("INBOX", readonly=True)
    uids = sorted(client.search(["ALL"]))  # imapclient sends UID SEARCH
    for start in range(0, len(uids), batch):
        chunk = uids[start : start + batch]
        t0 = time.monotonic()
        data = client.fetch(chunk, ["BODY.PEEK[]"])
        t1 = time.monotonic()
        for uid in chunk:
            raw = data[uid][b"BODY[]"]
            mailparser.parse_from_bytes(raw)
            kept.append(raw)
        parse_s += time.monotonic() - t1
        fetch_s += t1 - t0
    client.logout()
    total = time.monotonic() - started
    return {"seconds": total, "fetch": fetch_s, "parse": parse_s, "count": len(uids), "raws": kept}


def phases(log_text: str, run: b.Run) -> dict[str, float]:
    """Where the drain's time went, from the child's JSON log (millisecond timestamps)."""
    from datetime import datetime

    first_msg = last_msg = last_sent = None
    for line in log_text.splitlines():
        try:
            entry = json.loads(line)
        except ValueError:
            continue
        moment = datetime.fromisoformat(entry["time"]).timestamp()
        message = entry.get("message", "")
        if message.startswith("uid="):
            first_msg = first_msg if first_msg is not None else moment
            last_msg = moment
        elif message.endswith(": sent"):
            last_sent = moment
    if first_msg is None or last_msg is None:
        return {}
    last_sent = last_sent or last_msg
    return {
        "start-up, login, first FETCH": first_msg - run.started_at,
        "inbox (read, decide, record, move)": last_msg - first_msg,
        "outbox (SMTP)": last_sent - last_msg,
        "workbook, exit": run.ended_at - last_sent,
    }


def idle_polls(configs: dict[str, Path], work: Path, repeats: int) -> dict[str, list[b.Run]]:
    runs: dict[str, list[b.Run]] = {name: [] for name in configs}
    for _ in range(repeats):  # alternate, so drift on the machine hits both alike
        for name, config in configs.items():
            run = b.run_bot("poll", "--config", config, log_path=work / f"idle-{name}.log", timeout=300)
            if run.code != 0 or "poll: no new mail" not in run.log.splitlines()[-1]:
                raise SystemExit(f"idle poll of {name} did not find an empty inbox:\n{run.log}")
            runs[name].append(run)
    return runs


def inprocess_cycles(config: Path, repeats: int, steady: int = 10) -> tuple[list[float], list[float]]:
    """Worker.cycle() on a fresh Worker: the first connects and reconciles; the next ``steady`` are averaged."""
    from registration_bot.ledger import Ledger
    from registration_bot.settings import load_settings
    from registration_bot.worker import Worker

    settings = load_settings(config)
    first, second = [], []
    with Ledger(settings.state.path) as ledger:
        Worker(settings, ledger).close()  # imports and template loading, outside the timing
        for _ in range(repeats):
            worker = Worker(settings, ledger)
            try:
                t0 = time.perf_counter()
                reports = [worker.cycle()]
                t1 = time.perf_counter()
                reports += [worker.cycle() for _ in range(steady)]
                t2 = time.perf_counter()
            finally:
                worker.close()
            busy = [r for r in reports if r.states or r.outbox.sent or r.workbook != "unchanged"]
            if busy:
                raise SystemExit(f"an idle cycle did work: {busy[0].summary()}")
            first.append(t1 - t0)
            second.append((t2 - t1) / steady)
    return first, second


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--count", type=int, default=10_000, help="sign-ups in the backlog (default 10000)")
    ap.add_argument("--repeats", type=int, default=9, help="runs of each idle measurement; the median is shown")
    ap.add_argument("--keep", action="store_true", help="keep the work directory (logs, state, workbook, Maildir)")
    ap.add_argument(
        "--profile", type=Path, metavar="FILE", help="profile the drain into FILE (a diagnosis, not a benchmark)"
    )
    ap.add_argument("--sampler", choices=["cprofile", "py-spy"], default="cprofile", help="the profiler for --profile")
    args = ap.parse_args()
    n = args.count
    work = b.workdir(args.keep, "bench-poll-")
    imap = sink = None
    problems: list[str] = []
    try:
        print(b.code_version())
        print(b.load_note())
        t = time.monotonic()
        addresses, raws, shapes = b.signups(n)
        small_addresses, small_raws, _ = b.signups(SMALL_COUNT, offset=n, seed=2)
        print(f"generated {b.describe_mix(raws, shapes)} in {time.monotonic() - t:.1f} s")

        imap, sink = b.start_servers(work, [b.ADDRESS, SMALL_USER])
        fill_s = b.fill(imap, b.ADDRESS, raws)
        b.fill(imap, SMALL_USER, small_raws)
        print(f"filled Dovecot: {n} messages in {fill_s:.1f} s ({n / fill_s:,.0f}/s, one connection, MULTIAPPEND)")

        main_cfg = b.write_config(work / "main", imap, sink)
        small_cfg = b.write_config(work / "small", imap, sink, user=SMALL_USER)
        from registration_bot.settings import load_settings

        batch = load_settings(main_cfg).imap.batch_size

        # -- baseline ---------------------------------------------------------------
        base = baseline(imap, b.ADDRESS, batch)
        same = sorted(hashlib.sha256(r).digest() for r in base.pop("raws")) == sorted(
            hashlib.sha256(r).digest() for r in raws
        )
        if base["count"] != n or not same:
            problems.append(f"baseline fetched {base['count']} messages; same bytes as generated: {same}")
        base_rate = n / base["seconds"]
        print(
            f"baseline: {n} fetched (BODY.PEEK[], {batch} a FETCH) and parsed (mail-parser) in "
            f"{base['seconds']:.2f} s = {base_rate:,.0f}/s "
            f"[fetch {base['fetch']:.2f} s, parse {base['parse']:.2f} s]"
        )

        # -- the bot drains the backlog -------------------------------------------------
        drain = b.run_bot(
            "--log-format",
            "json",
            "poll",
            "--config",
            main_cfg,
            log_path=work / "drain.log",
            profile=args.profile,
            sampler=args.sampler,
        )
        bot_rate = n / drain.seconds
        rss_mb = drain.peak_rss_kb / 1024
        print(
            f"registration-bot poll: {n} drained in {drain.seconds:.2f} s = {bot_rate:,.0f}/s, "
            f"peak RSS {rss_mb:.0f} MB, exit {drain.code}"
        )
        split = phases((work / "drain.log").read_text(errors="replace"), drain)
        if split:
            print("  where the time went: " + ", ".join(f"{k} {v:.1f} s" for k, v in split.items()))
        if args.profile and args.sampler == "cprofile":
            import pstats

            print(f"  profile written to {args.profile} (the figures above are slowed by cProfile):")
            pstats.Stats(str(args.profile)).sort_stats("cumulative").print_stats(40)
        elif args.profile:
            print(f"  py-spy samples written to {args.profile} (collapsed stacks; the figures include py-spy)")
        if drain.code != 0:
            problems.append(f"poll exited {drain.code}: {drain.log[-500:]}")

        counts = b.confirmation_counts(sink)
        missing = [a for a in addresses if counts.get(a) != 1]
        strangers = set(counts) - set(addresses)
        if missing or strangers:
            problems.append(
                f"{len(missing)} senders without exactly one confirmation (e.g. {missing[:3]}); "
                f"{len(strangers)} confirmations to someone else"
            )
        book = b.e2e.read_workbook(work / "main" / "attendees.xlsx")
        if len(book.rows) != n:
            problems.append(f"workbook has {len(book.rows)} rows, expected {n}")
        status_run = b.run_bot("status", "--json", "--config", main_cfg, log_path=work / "status-json.log")
        try:
            text = (work / "status-json.log").read_text(errors="replace")
            status = json.loads(text[text.index("{") :])
        except ValueError:
            status = {}
            problems.append(f"status --json failed (exit {status_run.code}): {status_run.log[-300:]}")
        registered = status.get("messages", {}).get("registered")
        print(
            f"  checked: {len(sink.arrivals)} mails at the sink, {n - len(missing)} senders with exactly one "
            f"confirmation, {len(book.rows)} workbook rows, status says {registered} registered"
        )

        # -- the small mailbox, drained the same way ------------------------------------------
        before = len(sink.arrivals)
        small = b.run_bot("poll", "--config", small_cfg, log_path=work / "small-drain.log")
        got = {rcpt for _, rcpt, _ in sink.arrivals[before:]}
        if small.code != 0 or got != set(small_addresses):
            problems.append(f"small mailbox drain: exit {small.code}, {len(got)} of {SMALL_COUNT} confirmed")

        # -- idle cost ---------------------------------------------------------------------
        configs = {"small": small_cfg, "large": main_cfg}
        polls = idle_polls(configs, work, args.repeats)
        status_s = []
        for _ in range(args.repeats):
            run = b.run_bot("status", "--config", small_cfg, log_path=work / "status.log", timeout=120)
            status_s.append(run.seconds)
        poll_small = b.median([r.seconds for r in polls["small"]])
        poll_large = b.median([r.seconds for r in polls["large"]])
        status_med = b.median(status_s)
        in_small = inprocess_cycles(small_cfg, args.repeats)
        in_large = inprocess_cycles(main_cfg, args.repeats)
        first_small, first_large = b.median(in_small[0]), b.median(in_large[0])
        steady_small, steady_large = b.median(in_small[1]), b.median(in_large[1])
        idle_rss = max(r.peak_rss_kb for rs in polls.values() for r in rs) / 1024

        print(f"\nidle poll (nothing new; median of {args.repeats}):")
        print(f"  {'':38}{SMALL_COUNT:>10,} msgs{n:>10,} msgs   ratio")
        print(
            f"  {'registration-bot poll (process)':38}{poll_small * 1000:>10.0f} ms{poll_large * 1000:>10.0f} ms"
            f"   {poll_large / poll_small:.2f}"
        )
        print(f"  {'  of which: bare status (start-up)':38}{status_med * 1000:>10.0f} ms")
        print(
            f"  {'  poll minus start-up':38}{(poll_small - status_med) * 1000:>10.0f} ms"
            f"{(poll_large - status_med) * 1000:>10.0f} ms"
            f"   {(poll_large - status_med) / max(poll_small - status_med, 1e-6):.2f}"
        )
        print(
            f"  {'Worker.cycle(), first (connect+login)':38}{first_small * 1000:>10.1f} ms"
            f"{first_large * 1000:>10.1f} ms   {first_large / first_small:.2f}"
        )
        print(
            f"  {'Worker.cycle(), later (steady state)':38}{steady_small * 1000:>10.1f} ms"
            f"{steady_large * 1000:>10.1f} ms   {steady_large / steady_small:.2f}"
        )
        print(f"  peak RSS of an idle poll: {idle_rss:.0f} MB")

        print(b.load_note())

        # -- targets ----------------------------------------------------------------------
        ratio = bot_rate / base_rate
        targets = b.Targets()
        targets.check(
            "throughput, bot / baseline",
            f"{bot_rate:,.0f}/s / {base_rate:,.0f}/s = {ratio:.2f}",
            ">= 0.50",
            ratio >= 0.5,
        )
        targets.check(f"peak RSS of poll at {n:,}", f"{rss_mb:.0f} MB", "< 200 MB", rss_mb < 200)
        for what, small_v, large_v in (
            ("idle poll (process)", poll_small, poll_large),
            ("idle Worker.cycle(), first", first_small, first_large),
            ("idle Worker.cycle(), steady", steady_small, steady_large),
        ):
            targets.check(
                f"{what}, {n:,} vs {SMALL_COUNT}", f"{large_v / small_v:.2f}x", "<= 2x", large_v / small_v <= 2
            )
        targets.check(
            "results correct", "ok" if not problems else f"{len(problems)} problem(s)", "all checks", not problems
        )
        for p in problems:
            print(f"PROBLEM: {p}")
        return targets.report()
    finally:
        if sink is not None:
            sink.stop()
        if imap is not None:
            imap.stop()
        b.cleanup(work, args.keep)


if __name__ == "__main__":
    sys.exit(main())
