"""The reader's CPU cost per message, beside mail-parser's on the same bytes.

No servers: every labelled message in tests/data (Outlook, Gmail, Apple
Mail, phones; Swedish and English; HTML-only, quoted-printable, Latin-1),
repeated ``--repeats`` times, through

* the baseline: ``mailparser.parse_from_bytes``, the parse the throughput
  benchmark's baseline does;
* ``reading.read_message`` (mail-parser plus charset cascade, HTML to text,
  quote, forward and signature cutting, language);
* ``details.extract`` (intent, name, organisation, seats, diet, guests);
* ``robots.classify`` and ``decide.decide``.

It prints milliseconds a message and each step's ratio to the baseline: the
floor under what ``poll`` can reach, before any IMAP, SQLite or SMTP.
"""

from __future__ import annotations

import argparse
import logging
import time
from pathlib import Path

import mailparser

from registration_bot.decide import decide
from registration_bot.details import extract
from registration_bot.reading import read_message
from registration_bot.robots import classify

DATA = Path(__file__).resolve().parent.parent / "tests" / "data"
OURS = frozenset({"anmalan@example.org"})


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--repeats", type=int, default=5, help="passes over the labelled messages (default 5)")
    args = ap.parse_args()
    logging.disable(logging.WARNING)  # mail-parser warns about every part type it does not decode
    raws = [path.read_bytes() for path in sorted(DATA.glob("*/*.eml"))] * args.repeats
    if not raws:
        print(f"no messages under {DATA}")
        return 1

    def timed(step) -> tuple[float, list]:
        start = time.perf_counter()
        out = [step(item) for item in items]
        return (time.perf_counter() - start) / len(items) * 1000, out

    items = raws
    base, _ = timed(mailparser.parse_from_bytes)
    read_ms, mails = timed(read_message)
    items = mails
    extract_ms, found = timed(lambda mail: extract(mail, "sv", OURS))
    items = list(zip(mails, found, strict=True))
    decide_ms, _ = timed(lambda pair: decide(pair[0], classify(pair[0], OURS), pair[1], None))
    print(f"{len(raws)} messages ({len(raws) // args.repeats} distinct), ms a message, ratio to the baseline:")
    print(f"  baseline: mail-parser          {base:7.3f} ms   1.00")
    for name, ms in (("read_message", read_ms), ("extract", extract_ms), ("classify + decide", decide_ms)):
        print(f"  {name:<30} {ms:7.3f} ms   {ms / base:4.2f}")
    total = read_ms + extract_ms + decide_ms
    print(f"  {'reading and understanding':<30} {total:7.3f} ms   {total / base:4.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
