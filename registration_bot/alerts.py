"""Tell the organiser about persistent trouble: once when it starts, once when it ends.

An incident is a condition that will not fix itself and stops people being
answered: the IMAP login is refused, the SMTP login is refused, the workbook
stays unwritable, or the circuit breaker has opened. Each cycle reports what
it saw; an incident opens the first time its condition holds and closes the
first time it is seen clear, and each transition queues one mail to
``[organiser] email`` (the outbox's unique key makes that at most one per
incident). An SMTP failure's own alert can only leave once SMTP works again,
so ``status --check`` is the operator's other signal.
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime

from .compose import build_message
from .ledger import Ledger
from .settings import Settings

log = logging.getLogger(__name__)

TITLES = {
    "imap_login": ("IMAP-inloggningen nekas", "the IMAP login is refused"),
    "smtp_auth": ("SMTP-inloggningen nekas; inga svar skickas", "the SMTP login is refused; no replies are sent"),
    "workbook": ("arbetsboken kan inte skrivas", "the workbook cannot be written"),
    "breaker": ("för mycket inkommande e-post; svar hålls inne", "too much incoming mail; replies are held"),
}

# What the organiser can do about it, where there is something to do.
NEXT_STEP = {
    "breaker": (
        "\nSvaren som hålls inne skickas inte av sig själva. Är det riktiga anmälningar (till exempel efter ett "
        "utskick) skickar du dem med `registration-bot release`; `release --dry-run` visar dem först.\n",
        "\nThe held replies are not sent by themselves. If they are genuine sign-ups (after a newsletter, say), "
        "send them with `registration-bot release`; `release --dry-run` lists them first.\n",
    ),
}


class Alerts:
    """Opens and closes incidents in the ledger, and queues the mail about them."""

    def __init__(self, ledger: Ledger, settings: Settings) -> None:
        self.ledger = ledger
        self.settings = settings

    def open_incidents(self) -> dict[str, dict]:
        rows = self.ledger.db.execute("SELECT key, value FROM meta WHERE key LIKE 'incident:%' AND value <> ''")
        return {row[0].split(":", 1)[1]: json.loads(row[1]) for row in rows}

    def update(self, conditions: dict[str, str | None]) -> bool:
        """``conditions`` maps an incident kind to its problem now, or None when seen clear.

        Returns whether a mail was queued.
        """
        incidents = self.open_incidents()
        queued = False
        for kind, problem in conditions.items():
            if problem and kind not in incidents:
                since = datetime.now(UTC).isoformat(timespec="seconds")
                log.error("incident opened: %s: %s", kind, problem)
                with self.ledger.transaction():
                    self.ledger.set_meta(f"incident:{kind}", json.dumps({"since": since, "problem": problem}))
                    queued |= self._mail(kind, since, problem, recovered=False)
            elif problem is None and kind in incidents:
                since = incidents[kind]["since"]
                log.info("incident closed: %s (open since %s)", kind, since)
                with self.ledger.transaction():
                    self.ledger.set_meta(f"incident:{kind}", "")
                    queued |= self._mail(kind, since, incidents[kind]["problem"], recovered=True)
        return queued

    def _mail(self, kind: str, since: str, problem: str, *, recovered: bool) -> bool:
        to = self.settings.organiser.email
        if not to:
            return False
        language = self.settings.event.language
        title = TITLES[kind][0 if language == "sv" else 1]
        event = self.settings.event.name
        if language == "sv":
            subject = f"{'Åtgärdat' if recovered else 'Larm'}: {title} ({event})"
            body = (
                f"Problemet är löst: {title}.\nDet började {since}.\n"
                if recovered
                else f"registration-bot behöver hjälp: {title}.\n\nOrsak: {problem}\nSedan: {since}\n\n"
                "Anmälningar registreras så långt det går; kör `registration-bot status` för läget.\n"
                "Du får ett nytt mejl när problemet är löst.\n" + NEXT_STEP.get(kind, ("", ""))[0]
            )
        else:
            subject = f"{'Resolved' if recovered else 'Alert'}: {title} ({event})"
            body = (
                f"The problem is resolved: {title}.\nIt began at {since}.\n"
                if recovered
                else f"registration-bot needs help: {title}.\n\nCause: {problem}\nSince: {since}\n\n"
                "Sign-ups are recorded as far as possible; run `registration-bot status` to see where things stand.\n"
                "You will get another mail when the problem is resolved.\n" + NEXT_STEP.get(kind, ("", ""))[1]
            )
        msg = build_message(
            self.settings,
            recipient=to,
            recipient_name="",
            subject=subject,
            body=body,
            language=language,
            auto_submitted="auto-generated",
        )
        return self.ledger.queue_mail(
            kind="alert",
            dedup_key=f"{'recovered' if recovered else 'alert'}:{kind}:{since}",
            recipient=to,
            message_id=msg["Message-ID"],
            payload=msg.as_bytes(),
        )
