"""Privacy (GDPR): erasure on request, "my data", and the salted hashes of erased people.

* **Erasure by mail is two steps.** "Radera mina uppgifter" queues an
  ``erase_confirm`` mail and a ``privacy_requests`` row holding that mail's
  Message-ID. Only a reply *to that mail* (In-Reply-To or References), from
  the same address, within :data:`CONFIRM_DAYS`, erases: a forged From cannot
  know our Message-ID. A "ja" that is not such a reply goes to review.
* **Erasure is one transaction** (:meth:`Privacy.erase`): the registration and
  its change log are deleted; the person's ledger rows keep their state but
  lose sender, subject, Message-ID and reason, so ``status`` still adds up;
  unsent mail to or about them is deleted and sent mail is blanked (no
  payload, the recipient replaced by the hash); their seats go to the waiting
  list; ``HMAC-SHA256(salt, address)`` goes into ``erased``. The salt is made
  once per state file with :mod:`secrets` and kept in ``meta``
  (:meth:`Ledger.address_hash`). From then on :meth:`Ledger.queue_mail`
  refuses that address, and :class:`~registration_bot.record.Recorder` records
  their mail without sender or subject.
* **The receipt** (``erased``) is the one mail queued after the erasure, to
  the address in clear; once the outbox has sent it (or given up),
  :func:`privacy_upkeep.maintain` blanks it like the rest. That window
  normally ends in the same cycle (it is sent, then blanked); while SMTP is
  down it lasts until the mail goes or the outbox gives up (at most 3 days).
* **The workbook** is rebuilt from the state, so the next export drops them;
  the old versions in ``attendees.versions/`` are deleted once the workbook on
  disk no longer holds them (the next export keeps the old file as a version,
  so they are deleted after it; :func:`privacy_upkeep.settle_workbook`).
* **The file itself**: ``secure_delete`` is on, and once the workbook is
  rewritten the state file is vacuumed and its WAL truncated, so nothing
  lingers in free pages or old WAL frames (:func:`privacy_upkeep.scrub`).
* The IMAP mailbox is never touched: mail there follows the organiser's
  archiving rules. Retention purges are in :mod:`retention`.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from .compose import PLACEHOLDERS, Templates, build_message, event_values
from .dataexport import stored_data
from .decide import PrivacyFacts
from .ledger import Ledger, now_iso
from .limits import Limits
from .models import Action, Decision, InboundMail, Language
from .registry import Registry
from .settings import Settings
from .textutil import echo_name

log = logging.getLogger(__name__)
CONFIRM_DAYS = 30  # an erasure question can be answered this long
UNSENT = ("queued", "retry", "held")
_MSGID = re.compile(r"<[^<>\s]+>")


@dataclass
class Erasure:
    """What one erasure removed, for the organiser's command line."""

    address: str
    registration: str = ""  # "R0003", or "" when there was none
    messages: int = 0
    mails: int = 0
    requests: int = 0
    already: bool = False

    @property
    def found(self) -> bool:
        return bool(self.registration or self.messages or self.mails or self.requests)

    def summary(self) -> str:
        if self.already:
            return f"{self.address}: already erased; nothing is stored and it is never mailed"
        if not self.found:
            return f"{self.address}: nothing stored; its salted hash is recorded, so it is never mailed"
        parts = [f"registration {self.registration}"] if self.registration else []
        parts += [f"{self.messages} recorded message(s)", f"{self.mails} stored mail(s)"]
        parts += [f"{self.requests} privacy request(s)"] if self.requests else []
        return f"{self.address}: erased {', '.join(parts)}; only a salted hash of the address is kept"


class Privacy:
    """Privacy requests and erasure; the mail-related methods run inside the caller's transaction."""

    def __init__(
        self, ledger: Ledger, settings: Settings, templates: Templates, limits: Limits, registry: Registry | None = None
    ) -> None:
        self.ledger = ledger
        self.settings = settings
        self.templates = templates
        self.limits = limits
        self.registry = registry  # for the waiting list, when an erasure frees seats
        ledger.db.execute("PRAGMA secure_delete = ON")  # deleted content is overwritten, not left in free pages

    # what decide() needs to know ---------------------------------------------------
    def facts(self, mail: InboundMail) -> PrivacyFacts:
        sender = (mail.sender or "").lower()
        if not sender:
            return PrivacyFacts()
        if self.ledger.is_erased(sender):
            return PrivacyFacts(erased=True)
        since = (datetime.now(UTC) - timedelta(days=CONFIRM_DAYS)).isoformat(timespec="seconds")
        ours = {
            row[0]
            for row in self.ledger.db.execute(
                "SELECT message_id FROM privacy_requests WHERE email = ? AND kind = 'erase' AND done_at IS NULL"
                " AND requested_at >= ?",
                (sender, since),
            )
        }
        refs = set(_MSGID.findall(" ".join([mail.header("in-reply-to"), *mail.headers.get("references", [])])))
        return PrivacyFacts(erase_pending=bool(ours), replies_to_confirm=bool(ours & refs - {""}))

    # mail ------------------------------------------------------------------------
    def _values(self, address: str, language: Language) -> dict[str, str]:
        row = self.ledger.registration_by_email(address)
        name = echo_name(row["name"]) if row else ""
        return (
            dict.fromkeys(PLACEHOLDERS - {"privacy_notice"}, "")
            | event_values(self.settings, language)
            | {"name": name or address, "first_name": (name.split() or [address])[0]}
        )

    def _mail(self, kind: str, address: str, language: Language, values: dict[str, str], **how) -> str:
        """Queue one privacy mail; the Message-ID if queued, "" if not (a duplicate, or an erased address)."""
        rendered = self.templates.render(kind, language, values)
        msg = build_message(
            self.settings,
            recipient=address,
            recipient_name="",
            subject=rendered.subject,
            body=rendered.body,
            language=language,
            in_reply_to=how.get("in_reply_to", ""),
        )
        held = self.limits.hold_reason(self.ledger.db, address) or "" if how.get("capped", True) else ""
        queued = self.ledger.queue_mail(
            kind=kind,
            dedup_key=how["dedup"],
            recipient=address,
            message_id=msg["Message-ID"],
            payload=msg.as_bytes(),
            message_row=how.get("message_row"),
            held=held,
        )
        return msg["Message-ID"] if queued else ""

    def apply(self, decision: Decision, mail: InboundMail, message_row: int) -> None:
        """Carry out a privacy decision for the sender of ``mail`` (inside the record transaction)."""
        address, language = (mail.sender or "").lower(), decision.language
        how = {"message_row": message_row, "in_reply_to": mail.message_id}
        if decision.action is Action.ERASE_REQUEST:
            sent = self._mail(
                "erase_confirm", address, language, self._values(address, language), dedup=f"erase:{message_row}", **how
            )
            self.ledger.db.execute(
                "INSERT INTO privacy_requests (email, kind, message_id, requested_at) VALUES (?, 'erase', ?, ?)",
                (address, sent, now_iso()),
            )
        elif decision.action is Action.ERASE:
            self.erase(address, why="erased on request", receipt=language, **how)
        elif decision.action is Action.DATA_EXPORT:
            values = self._values(address, language) | {
                "stored_data": stored_data(self.ledger, self.settings, address, language)
            }
            sent = self._mail("data_export", address, language, values, dedup=f"data_export:{message_row}", **how)
            self.ledger.db.execute(
                "INSERT INTO privacy_requests (email, kind, message_id, requested_at, done_at)"
                " VALUES (?, 'access', ?, ?, ?)",
                (address, sent, now_iso(), now_iso()),
            )

    # erasure ----------------------------------------------------------------------
    def erase(
        self,
        address: str,
        *,
        why: str,
        receipt: Language | None = None,
        message_row: int | None = None,
        in_reply_to: str = "",
    ) -> Erasure:
        """Erase everything stored about ``address`` and keep its salted hash; inside a transaction."""
        db, now = self.ledger.db, now_iso()
        address = address.strip().lower()
        digest = self.ledger.address_hash(address)
        result = Erasure(address)
        if self.ledger.is_erased(address):
            result.already = True
            return result
        row = self.ledger.registration_by_email(address)
        reg = row["id"] if row is not None else -1
        about = (
            "(lower(recipient) = :a OR registration_id = :r OR (kind = 'guest_invitation' AND registration_id IN"
            " (SELECT id FROM registrations WHERE registered_by = :r)) OR kind = 'digest')"
        )
        args = {"a": address, "r": reg, "h": digest, "now": now, "why": why}
        result.mails = db.execute(f"SELECT COUNT(*) FROM outbox WHERE {about} AND kind <> 'digest'", args).fetchone()[0]
        db.execute(f"DELETE FROM outbox WHERE state IN {UNSENT} AND {about}", args)
        db.execute(
            "UPDATE outbox SET payload = x'', last_error = '',"
            " recipient = CASE WHEN lower(recipient) = :a THEN :h ELSE recipient END,"
            f" registration_id = CASE WHEN registration_id = :r THEN NULL ELSE registration_id END WHERE {about}",
            args,
        )
        db.execute("UPDATE messages SET registration_id = NULL WHERE registration_id = :r", args)
        result.messages = db.execute(
            "UPDATE messages SET sender = '', subject = '', message_id = '', reason = :why WHERE lower(sender) = :a",
            args,
        ).rowcount
        result.requests = db.execute(
            "UPDATE privacy_requests SET email = :h, done_at = COALESCE(done_at, :now) WHERE lower(email) = :a", args
        ).rowcount
        db.execute(  # the change log (workbook edits): their row's entries, and any that name the address
            "DELETE FROM changes WHERE registration_id = :r OR instr(lower(old), :a) OR instr(lower(new), :a)"
            " OR instr(lower(note), :a)",
            args,
        )
        if row is not None:
            result.registration = f"R{reg:04d}"
            db.execute("UPDATE registrations SET registered_by = NULL WHERE registered_by = :r", args)
            db.execute("DELETE FROM registrations WHERE id = :r", args)
            if row["status"] == "registered" and self.registry is not None and self.settings.event.capacity:
                self.registry.promote()  # their seats go to the waiting list
        if receipt is not None:  # the last mail they get: queued before the hash bars the address
            values = self._values(address, receipt)
            self._mail("erased", address, receipt, values, dedup=f"erased:{digest}", capped=False,
                       message_row=message_row, in_reply_to=in_reply_to)  # fmt: skip
        else:
            db.execute(
                "INSERT INTO privacy_requests (email, kind, requested_at, done_at) VALUES (:h, 'erase', :now, :now)",
                args,
            )
        db.execute("INSERT OR IGNORE INTO erased (hash, erased_at) VALUES (:h, :now)", args)
        self.ledger.bump_state_version()
        self.ledger.set_meta("privacy_versions_after", self.ledger.get_meta("state_version"))
        self.ledger.set_meta("privacy_scrub", "1")
        log.info("erased one person's data (%d messages, %d mails)", result.messages, result.mails)
        log.debug("erased %s", address)
        return result
