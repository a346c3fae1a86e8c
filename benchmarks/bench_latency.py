#!/usr/bin/env python3
"""Time from APPEND to the confirmation arriving, with ``registration-bot run`` and IMAP IDLE.

``registration-bot run`` (the service) runs against a real Dovecot and an
aiosmtpd sink with ``idle = true`` and ``poll_seconds = 60``, so that only
IDLE can explain a reply within seconds. Sign-ups are APPENDed one at a time
over one IMAP connection; each waits for its confirmation before the next is
sent. The latency is from APPEND returning to the sink accepting the
confirmation (both clocks are this process's ``time.monotonic``).

The control runs the same way with ``idle = false`` and ``poll_seconds = 5``
(the smallest allowed): there, a reply waits for the next scheduled poll.
Each control sign-up follows a random 0-5 s pause, so that it lands at a
random moment of the interval rather than just after a cycle (which would
make every wait nearly the full 5 s).

The baseline, in the same run, is the server's own floor: APPEND to EXISTS
pushed to a bare imapclient connection in IDLE, with no bot at all.

One warm-up sign-up precedes each series and is not counted: it absorbs the
service's first cycle (folder creation, lazy imports) and makes sure the
IDLE connection is up, as it would be in a service that has been running.

Exit status 1 when a target is missed or a confirmation is missing. Usage:

    .venv/bin/python benchmarks/bench_latency.py [--count 200] [--control-count 20] [--keep]
"""

from __future__ import annotations

import argparse
import json
import random
import re
import signal
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path

import benchlib as b

CONTROL_USER = "kontroll@example.org"
BASELINE_USER = "baslinje@example.org"
TIMEOUT = 90.0  # longer than poll_seconds = 60: a missed IDLE shows up as a ~60 s outlier, not a hang


def message_id(raw: bytes) -> str:
    found = re.search(rb"^Message-ID:[ \t]*(<[^>\r\n]+>)", raw, re.I | re.M)
    return found.group(1).decode() if found else ""


def bot_log(log_path: Path) -> tuple[dict[str, float], list[float]]:
    """From the service's JSON log: when each message was recorded (by Message-ID), and each IDLE push."""
    recorded: dict[str, float] = {}
    pushes: list[float] = []
    for line in log_path.read_text(errors="replace").splitlines():
        try:
            entry = json.loads(line)
        except ValueError:
            continue
        moment = datetime.fromisoformat(entry["time"]).timestamp()
        text = entry.get("message", "")
        if text.startswith("IDLE: new mail"):
            pushes.append(moment)
        match = re.match(r"uid=\d+ message-id=(\S+):", text)
        if match:
            recorded.setdefault(match.group(1), moment)
    return recorded, sorted(pushes)


def breakdown(log_path: Path, sends: list[tuple[str, float, float]]) -> dict[str, list[float]]:
    """Split each latency at the bot's IDLE push and its ledger commit (log times, millisecond resolution)."""
    recorded, pushes = bot_log(log_path)
    parts: dict[str, list[float]] = {"APPEND -> IDLE push seen": [], "-> recorded": [], "-> at the sink": []}
    for mid, appended, arrived in sends:
        done = recorded.get(mid)
        push = next((p for p in pushes if p >= appended - 0.002), None)
        if done is None or arrived != arrived:  # NaN: never confirmed
            continue
        if push is not None and push <= done:
            parts["APPEND -> IDLE push seen"].append(push - appended)
            parts["-> recorded"].append(done - push)
        parts["-> at the sink"].append(arrived - done)
    return parts


def series(
    imap: b.Dovecot,
    sink: b.TimedSink,
    user: str,
    config: Path,
    log_path: Path,
    addresses: list[str],
    raws: list[bytes],
    jitter: float = 0.0,
) -> tuple[list[float], dict[str, list[float]], int]:
    """Run the service, send the sign-ups one by one; return latencies, their breakdown, exit code."""
    proc = subprocess.Popen(
        [str(b.BOT), "--log-format", "json", "--log-level", "debug", "run", "--config", str(config)],
        stdout=open(log_path, "ab"),  # noqa: SIM115 - closed with the process
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        env=b.e2e.cli_env(),
        cwd=b.REPO,
    )
    latencies: list[float] = []
    sends: list[tuple[str, float, float]] = []  # Message-ID, APPEND returned, confirmation arrived (wall clock)
    pause = random.Random(3)
    try:
        with imap.client(user, timeout=60) as client:
            for i, (address, raw) in enumerate(zip(addresses, raws, strict=True)):
                if i and jitter:  # arrive at a random moment of the poll interval, not just after a cycle
                    time.sleep(pause.uniform(0, jitter))
                    client.noop()
                before = len(sink.arrivals)
                client.append("INBOX", raw)
                sent, sent_wall = time.monotonic(), time.time()
                got = sink.wait_for(address, TIMEOUT, start=before)
                if proc.poll() is not None:
                    raise SystemExit(f"registration-bot run exited {proc.returncode}; see {log_path}")
                if i == 0:
                    if got is None:
                        raise SystemExit(f"the warm-up sign-up got no confirmation within {TIMEOUT} s; see {log_path}")
                    print(f"  warm-up confirmed after {got[0] - sent:.2f} s (not counted)")
                    continue
                latencies.append(got[0] - sent if got else float("inf"))
                sends.append((message_id(raw), sent_wall, sent_wall + (got[0] - sent) if got else float("nan")))
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            code = proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            code = proc.wait()
    return latencies, breakdown(log_path, sends), code


def summary(values: list[float]) -> str:
    finite = [v for v in values if v != float("inf")]
    missing = len(values) - len(finite)
    text = (
        f"p50 {b.percentile(values, 50):.3f} s, p90 {b.percentile(values, 90):.3f} s, "
        f"p99 {b.percentile(values, 99):.3f} s, max {max(values):.3f} s, min {min(finite):.3f} s"
    )
    return text + (f", {missing} never confirmed" if missing else "")


def idle_floor(imap: b.Dovecot, raws: list[bytes]) -> list[float]:
    """Baseline: APPEND -> EXISTS pushed to a bare imapclient IDLE connection, no bot involved.

    This is the floor the server sets (Dovecot delays its mailbox notifications).
    """
    found: list[float] = []
    with imap.client(BASELINE_USER, timeout=60) as watcher, imap.client(BASELINE_USER, timeout=60) as sender:
        watcher.select_folder("INBOX", readonly=True)
        watcher.idle()
        try:
            for raw in raws:
                sender.append("INBOX", raw)
                sent = time.monotonic()
                while time.monotonic() - sent < TIMEOUT:
                    responses = watcher.idle_check(timeout=TIMEOUT)
                    if any(len(r) > 1 and r[1] == b"EXISTS" for r in responses):
                        break
                found.append(time.monotonic() - sent)
        finally:
            watcher.idle_done()
    return found


def print_parts(parts: dict[str, list[float]]) -> None:
    shown = [f"{name} {b.percentile(v, 50):.3f} s" for name, v in parts.items() if v]
    if shown:
        print("  medians from the bot's log: " + ", ".join(shown))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--count", type=int, default=200, help="sign-ups sent one by one with IDLE on (default 200)")
    ap.add_argument("--control-count", type=int, default=20, help="sign-ups in the idle = false control (default 20)")
    ap.add_argument("--baseline-count", type=int, default=30, help="APPENDs timed on a bare IDLE connection")
    ap.add_argument("--keep", action="store_true", help="keep the work directory (logs, state, Maildir)")
    args = ap.parse_args()
    work = b.workdir(args.keep, "bench-latency-")
    imap = sink = None
    try:
        print(b.code_version())
        print(b.load_note())
        n, m = args.count, args.control_count
        addresses, raws, shapes = b.signups(n + 1 + m + 1)
        print(f"generated {b.describe_mix(raws, shapes)}")
        imap, sink = b.start_servers(work, [b.ADDRESS, CONTROL_USER, BASELINE_USER])

        floor = idle_floor(imap, b.signups(args.baseline_count, offset=10**6)[1])
        print(f"\nbaseline: APPEND -> EXISTS on a bare imapclient IDLE connection, {len(floor)} messages")
        print(f"  {summary(floor)}")

        idle_cfg = b.write_config(
            work / "idle", imap, sink, changes={"imap": {"idle": True}, "schedule": {"poll_seconds": 60}}
        )
        print(f"\nIDLE on, poll_seconds 60: {n} sign-ups one by one")
        idle, idle_parts, idle_code = series(
            imap, sink, b.ADDRESS, idle_cfg, work / "idle.log", addresses[: n + 1], raws[: n + 1]
        )
        print(f"  APPEND -> confirmation at the sink: {summary(idle)}")
        print_parts(idle_parts)
        print(
            f"  ratio to the baseline: p50 {b.percentile(idle, 50) / b.percentile(floor, 50):.2f}, "
            f"p99 {b.percentile(idle, 99) / b.percentile(floor, 99):.2f}"
        )

        control_cfg = b.write_config(
            work / "control",
            imap,
            sink,
            user=CONTROL_USER,
            changes={"imap": {"idle": False}, "schedule": {"poll_seconds": 5}},
        )
        print(f"\ncontrol, IDLE off, poll_seconds 5: {m} sign-ups one by one, each after a random 0-5 s pause")
        control, control_parts, control_code = series(
            imap, sink, CONTROL_USER, control_cfg, work / "control.log", addresses[n + 1 :], raws[n + 1 :], jitter=5.0
        )
        print(f"  APPEND -> confirmation at the sink: {summary(control)}")
        print_parts(control_parts)
        print(
            f"\nIDLE's median is {b.percentile(control, 50) / b.percentile(idle, 50):.1f}x faster than polling "
            "every 5 s"
        )

        print(b.load_note())
        counts = b.confirmation_counts(sink)
        wrong = [a for a in addresses if counts.get(a) != 1]
        p50, p99 = b.percentile(idle, 50), b.percentile(idle, 99)
        targets = b.Targets()
        targets.check(f"latency p50, IDLE, {n} sign-ups", f"{p50:.3f} s", "< 2 s", p50 < 2)
        targets.check(f"latency p99, IDLE, {n} sign-ups", f"{p99:.3f} s", "< 5 s", p99 < 5)
        targets.check(
            "one confirmation each; clean exits",
            f"{len(addresses) - len(wrong)}/{len(addresses)}; exit {idle_code}, {control_code}",
            "all; 0, 0",
            not wrong and idle_code == 0 and control_code == 0,
        )
        return targets.report()
    finally:
        if sink is not None:
            sink.stop()
        if imap is not None:
            imap.stop()
        b.cleanup(work, args.keep)


if __name__ == "__main__":
    sys.exit(main())
