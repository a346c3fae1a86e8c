"""Shared pieces of the benchmarks: realistic sign-ups, the real servers, configs, figures.

Nothing here is part of the product. The message builders and the config
writer come from ``tests/e2e_helpers.py``; the servers are the project's own
harness (``registration_bot.devservers``): a real Dovecot and aiosmtpd.
"""

from __future__ import annotations

import json
import math
import os
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests"))  # e2e_helpers: config writer and message builders

import e2e_helpers as e2e  # noqa: E402

from registration_bot.devservers import Dovecot, SmtpSink  # noqa: E402

ADDRESS = e2e.ADDRESS  # the registration mailbox
PASSWORD = "secret"
CONFIRM_SUBJECTS = e2e.CONFIRM_SUBJECTS
CORPUS = REPO / "tests" / "data" / "messages"
BOT = Path(sys.executable).with_name("registration-bot")  # the installed console script

# Caps that a bulk benchmark must raise: with the defaults, 10,000 sign-ups
# within a minute would open the circuit breaker (120 a minute) and hold every
# reply, and the per-domain cap (60 an hour) would hold most of the rest.
RAISED_LIMITS = {
    "replies_per_address_per_day": 1_000_000,
    "replies_per_domain_per_hour": 100_000_000,
    "inbound_per_minute": 100_000_000,
}

# -- realistic, distinct senders ----------------------------------------------------------

# fmt: off
_ORG_WORDS = [
    "skatteverket", "trafikverket", "boverket", "naturvardsverket", "forsakringskassan", "arbetsformedlingen",
    "lantmateriet", "scb", "digg", "jobtech", "trafiklab", "kommun", "region", "lansstyrelsen", "polisen",
    "kth", "chalmers", "liu", "umu", "lu", "gu", "su", "uu", "mau", "hig", "miun", "oru", "kau",
    "sundsvall", "goteborg", "malmo", "uppsala", "linkoping", "orebro", "vasteras", "umea", "lulea", "gavle",
    "kiruna", "visby", "ystad", "falun", "borlange", "karlstad", "vaxjo", "kalmar", "jonkoping", "boras",
    "acme", "datakonsult", "opensource", "kodfabriken", "webbyran", "molnbolaget", "apiverkstan",
    "civictech", "opendata", "geodata", "kollektivtrafik", "sjofart", "energimyndigheten", "vinnova",
    "riksarkivet", "kb", "tillvaxtverket", "mediaio", "nordicdev", "gridworks", "datalab", "innovate",
]
_TLDS = ["se", "com", "org", "nu", "net", "io", "eu", "fi", "no", "dk", "co.uk", "de"]
DOMAINS = [f"{w}.{t}" for t in _TLDS for w in _ORG_WORDS]  # ~870 domains, neighbours differ

SV_FIRST = ["Anna", "Erik", "Maria", "Lars", "Karin", "Johan", "Sara", "Per", "Emma", "Nils", "Ingrid", "Oskar",
            "Elin", "Gustav", "Linnea", "Mattias", "Frida", "Henrik", "Klara", "Björn", "Åsa", "Göran", "Märta"]
SV_LAST = ["Svensson", "Lindqvist", "Berg", "Holm", "Ekström", "Nyberg", "Sandberg", "Wikström", "Johansson",
           "Karlsson", "Nilsson", "Eriksson", "Larsson", "Öberg", "Åkesson", "Forsberg", "Lundgren", "Hedlund"]
EN_FIRST = ["James", "Olivia", "Liam", "Amelia", "Noah", "Isla", "Oliver", "Ava", "George", "Mia", "Harry",
            "Grace", "Jack", "Sophie", "Thomas", "Chloe", "William", "Emily", "Daniel", "Hannah"]
EN_LAST = ["Smith", "Jones", "Taylor", "Brown", "Williams", "Wilson", "Johnson", "Davies", "Robinson", "Wright",
           "Thompson", "Evans", "Walker", "White", "Roberts", "Green", "Hall", "Wood", "Jackson", "Clarke"]
# fmt: on

_ASCII = str.maketrans({"å": "a", "ä": "a", "ö": "o", "é": "e", "ü": "u", "Å": "a", "Ä": "a", "Ö": "o"})


def _local(first: str, last: str) -> str:
    return f"{first}.{last}".lower().translate(_ASCII)


@dataclass(frozen=True)
class Template:
    """One realistic message shape: a corpus file whose sender can be rewritten, or a builder."""

    name: str
    raw: bytes = b""  # corpus bytes; empty for a builder
    sender: str = ""  # the corpus message's sender, replaced in every copy
    language: str = ""

    def render(self, index: int, rng: random.Random) -> tuple[str, bytes]:
        domain = DOMAINS[index % len(DOMAINS)]
        msgid = f"<bench.{index}.{rng.getrandbits(48):012x}@{domain}>"
        if not self.raw:  # e2e_helpers builders: plain text/plain, Swedish or English
            sv = self.language == "sv"
            first = rng.choice(SV_FIRST if sv else EN_FIRST)
            last = rng.choice(SV_LAST if sv else EN_LAST)
            address = f"{_local(first, last)}{index}@{domain}"
            build = e2e.signup_sv if sv else e2e.signup_en
            return address, build(first, last, address, message_id=msgid)
        local = self.sender.split("@", 1)[0]
        address = f"{local}{index}@{domain}"
        raw = re.sub(re.escape(self.sender).encode(), address.encode(), self.raw, flags=re.I)
        raw, found = _MESSAGE_ID.subn(b"\\1" + msgid.encode() + b"\r\n", raw, count=1)
        if not found:  # a corpus message without a Message-ID: give it one
            raw = b"Message-ID: " + msgid.encode() + b"\r\n" + raw
        return address, raw


_MESSAGE_ID = re.compile(rb"^(Message-ID:[ \t]*)[^\r\n]*(?:\r?\n[ \t][^\r\n]*)*\r?\n", re.I | re.M)


def _bot_would_register(raw: bytes) -> bool:
    """The bot's own pure steps (read, robots, extract, decide) say: register, no guests."""
    from registration_bot.decide import decide
    from registration_bot.details import extract
    from registration_bot.models import Action
    from registration_bot.reading import read_message
    from registration_bot.robots import classify

    ours = {ADDRESS}
    mail = read_message(raw)
    verdict = classify(mail, ours)
    ex = None if verdict.automatic else extract(mail, "sv", ours)
    decision = decide(mail, verdict, ex, None)
    return decision.action is Action.REGISTER and not decision.guests


def templates() -> list[Template]:
    """Sign-up shapes from tests/data (many clients, Swedish and English) plus the e2e builders.

    Only corpus messages labelled ``signup``, naming nobody else with an
    address, and that the bot registers once their sender is rewritten are
    kept, so that every generated message should get exactly one confirmation.
    """
    labels = json.loads((CORPUS / "labels.json").read_text(encoding="utf-8"))
    found: list[Template] = []
    rng = random.Random(0)
    for name, label in sorted(labels.items()):
        if label["intent"] != "signup" or label["extra_people"] or "localpart_only" in label["traits"]:
            continue
        t = Template(name, (CORPUS / name).read_bytes(), label["email"], label["language"])
        if t.sender.encode() not in t.raw.lower() and t.sender.encode() not in t.raw:
            continue
        if all(_bot_would_register(t.render(i, rng)[1]) for i in (7, 4242)):
            found.append(t)
    found += [Template(f"builder-{lang}-{k}", language=lang) for lang in ("sv", "en") for k in range(6)]
    return found


def signups(count: int, offset: int = 0, seed: int = 1) -> tuple[list[str], list[bytes], dict[str, int]]:
    """``count`` distinct sign-ups: (addresses, raw messages, how many of each shape)."""
    pool = templates()
    rng = random.Random(seed)
    order = list(range(len(pool)))
    addresses, raws, shapes = [], [], {}
    for i in range(count):
        if i % len(pool) == 0:
            rng.shuffle(order)
        t = pool[order[i % len(pool)]]
        address, raw = t.render(offset + i, rng)
        addresses.append(address.lower())
        raws.append(raw)
        shapes[t.name] = shapes.get(t.name, 0) + 1
    assert len(set(addresses)) == count, "senders must be distinct"
    return addresses, raws, shapes


def describe_mix(raws: Sequence[bytes], shapes: Mapping[str, int]) -> str:
    corpus = sum(n for name, n in shapes.items() if not name.startswith("builder"))
    sizes = sorted(len(r) for r in raws)
    return (
        f"{len(raws)} sign-ups from {len(shapes)} shapes ({corpus} from tests/data client shapes, "
        f"{len(raws) - corpus} from e2e builders), {len({r for r in raws})} distinct byte strings; "
        f"size median {sizes[len(sizes) // 2]} B, max {sizes[-1]} B, total {sum(sizes) / 1e6:.1f} MB"
    )


# -- the servers ------------------------------------------------------------------------


class TimedSink(SmtpSink):
    """The harness's SmtpSink, recording arrival time and recipient only.

    The stock sink parses every message with the standard library's default
    policy inside the DATA reply (about a millisecond each); in a throughput
    benchmark that would be the sink's time charged to the bot. Subjects are
    read later, from the bytes, when the results are checked.
    """

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.arrivals: list[tuple[float, str, bytes]] = []
        self.arrived = threading.Condition()

    def _record(self, mail_from: str, rcpt_tos: list[str], data: bytes) -> None:
        now = time.monotonic()
        with self.arrived:
            self.arrivals.append((now, rcpt_tos[0].lower() if len(rcpt_tos) == 1 else ",".join(rcpt_tos), data))
            self.arrived.notify_all()

    def wait_for(self, recipient: str, timeout: float, start: int = 0) -> tuple[float, bytes] | None:
        """The first arrival for ``recipient`` at index >= ``start``; None after ``timeout``."""
        deadline = time.monotonic() + timeout
        seen = start
        with self.arrived:
            while True:
                for when, rcpt, data in self.arrivals[seen:]:
                    if rcpt == recipient:
                        return when, data
                seen = len(self.arrivals)
                left = deadline - time.monotonic()
                if left <= 0:
                    return None
                self.arrived.wait(left)


def subject_of(data: bytes) -> str:
    import email
    import email.policy

    head = data.split(b"\r\n\r\n", 1)[0] + b"\r\n\r\n"
    return str(email.message_from_bytes(head, policy=email.policy.default)["Subject"] or "")


def confirmation_counts(sink: TimedSink) -> dict[str, int]:
    counts: dict[str, int] = {}
    for _when, rcpt, data in list(sink.arrivals):
        if subject_of(data).startswith(CONFIRM_SUBJECTS):
            counts[rcpt] = counts.get(rcpt, 0) + 1
    return counts


def workdir(keep: bool, prefix: str) -> Path:
    # Under /tmp with mode 0711: as root, Dovecot's mail processes run as nobody.
    path = Path(tempfile.mkdtemp(prefix=prefix, dir="/tmp"))
    path.chmod(0o711)
    return path


def cleanup(path: Path, keep: bool) -> None:
    if keep:
        print(f"work dir kept: {path}")
    else:
        shutil.rmtree(path, ignore_errors=True)


def start_servers(work: Path, users: Iterable[str]) -> tuple[Dovecot, TimedSink]:
    imap = Dovecot(work / "dovecot", {u: PASSWORD for u in users}).start()
    sink = TimedSink().start()
    return imap, sink


def fill(imap: Dovecot, user: str, raws: Sequence[bytes], chunk: int = 500) -> float:
    """APPEND every message to INBOX over one connection (MULTIAPPEND when offered); return seconds."""
    started = time.monotonic()
    with imap.client(user, timeout=120) as c:
        if b"MULTIAPPEND" in c.capabilities():
            for i in range(0, len(raws), chunk):
                c.multiappend("INBOX", raws[i : i + chunk])
        else:
            for raw in raws:
                c.append("INBOX", raw)
        count = c.select_folder("INBOX", readonly=True)[b"EXISTS"]
    assert count == len(raws), f"INBOX holds {count}, expected {len(raws)}"
    return time.monotonic() - started


def write_config(
    work: Path,
    imap: Dovecot,
    sink: SmtpSink,
    user: str = ADDRESS,
    changes: Mapping[str, Mapping[str, Any]] | None = None,
) -> Path:
    """A configuration for these servers (tests/e2e_helpers.base_config), limits raised, plus ``changes``."""
    sections = e2e.base_config(work, imap.port, sink.port, password=PASSWORD)
    sections["imap"]["username"] = user
    sections["imap"]["timeout_seconds"] = 120
    sections["smtp"]["timeout_seconds"] = 60
    sections["limits"] = dict(RAISED_LIMITS)
    for section, values in (changes or {}).items():
        sections.setdefault(section, {}).update(values)
    return e2e.write_config(work, sections)


# -- running the CLI --------------------------------------------------------------------


@dataclass
class Run:
    code: int
    seconds: float
    peak_rss_kb: int  # the child's VmHWM: its own peak resident set, after exec
    log: str
    started_at: float = 0.0  # wall clock (time.time()), to line up with the child's log
    ended_at: float = 0.0


def _vmhwm_kb(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/status", encoding="ascii", errors="replace") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def run_bot(
    *args: str | Path, log_path: Path, timeout: float = 3600, profile: Path | None = None, sampler: str = ""
) -> Run:
    """Run the installed ``registration-bot`` to completion; measure its wall time and peak RSS.

    The peak RSS is the child's ``VmHWM``, read every 10 ms until it exits
    (VmHWM only grows, so the last reading is the peak, give or take the
    last 10 ms). ``getrusage``/``wait4`` would not do: on Linux a child's
    ``ru_maxrss`` also counts the parent's memory it was forked from.
    With ``profile``, the child runs under cProfile (``sampler="cprofile"``)
    or py-spy (``sampler="py-spy"``); the time and memory then include the profiler.
    """
    env = e2e.cli_env()
    argv = [str(BOT)]
    if profile is not None and sampler == "py-spy":
        spy = shutil.which("py-spy") or os.environ.get("PY_SPY", "")
        if not spy:
            raise SystemExit("py-spy not found: pip install py-spy, or set PY_SPY=/path/to/py-spy")
        argv = [spy, "record", "--rate", "200", "--format", "raw", "--output", str(profile), "--", str(BOT)]
    elif profile is not None:
        argv = [sys.executable, "-m", "cProfile", "-o", str(profile), str(BOT)]
    with open(log_path, "ab") as log:
        wall = time.time()
        started = time.monotonic()
        proc = subprocess.Popen(
            [*argv, *(str(a) for a in args)],
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env=env,
            cwd=REPO,
        )
        peak = 0
        done = threading.Event()

        def watch() -> None:
            nonlocal peak
            while not done.is_set():
                peak = max(peak, _vmhwm_kb(proc.pid))
                done.wait(0.01)

        watcher = threading.Thread(target=watch, daemon=True)
        watcher.start()
        try:
            code = proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            code = proc.wait()
        seconds = time.monotonic() - started
        done.set()
        watcher.join()
    tail = log_path.read_text(errors="replace")[-2000:]
    return Run(code, seconds, peak, tail, wall, wall + seconds)


def code_version() -> str:
    """The commit measured, and whether the working tree had uncommitted changes."""

    def git(*args: str) -> str:
        try:
            return subprocess.run(["git", *args], cwd=REPO, capture_output=True, text=True, timeout=10).stdout.strip()
        except OSError:
            return ""

    commit = git("rev-parse", "--short", "HEAD") or "unknown"
    dirty = [line for line in git("status", "--porcelain", "--", "registration_bot").splitlines() if line]
    extra = f" + uncommitted changes in {len(dirty)} file(s) of registration_bot/" if dirty else ""
    return f"code: {commit}{extra}; python {sys.version.split()[0]}; {os.cpu_count()} CPUs"


def load_note() -> str:
    """The load average: other work on the machine skews every figure (the ratios less so)."""
    one, five, _ = os.getloadavg()
    cpus = os.cpu_count() or 1
    warn = "  WARNING: the machine is busy with other work; figures will be noisy" if five > 0.75 * cpus else ""
    return f"load average: {one:.2f} (1 min), {five:.2f} (5 min) on {cpus} CPUs{warn}"


# -- figures ----------------------------------------------------------------------------


def percentile(values: Sequence[float], p: float) -> float:
    """Nearest-rank percentile (p in 0..100): the smallest value with at least p % at or below it."""
    ordered = sorted(values)
    rank = max(1, math.ceil(p / 100 * len(ordered)))
    return ordered[rank - 1]


def median(values: Sequence[float]) -> float:
    return statistics.median(values)


class Targets:
    """Figures beside their targets; the script exits 1 if any target is missed."""

    def __init__(self) -> None:
        self.rows: list[tuple[str, str, str, bool]] = []

    def check(self, what: str, figure: str, target: str, ok: bool) -> None:
        self.rows.append((what, figure, target, ok))

    def report(self) -> int:
        width = max(len(r[0]) for r in self.rows)
        fig = max(len(r[1]) for r in self.rows)
        print("\ntargets:")
        for what, figure, target, ok in self.rows:
            print(f"  {'PASS' if ok else 'MISS'}  {what:<{width}}  {figure:>{fig}}   target {target}")
        missed = [r for r in self.rows if not r[3]]
        print(f"\n{len(self.rows) - len(missed)} of {len(self.rows)} targets met" + ("" if not missed else "; FAILED"))
        return 1 if missed else 0
