"""Drain the inbox: list new UIDs, fetch in batches, read, decide, record, move.

A message that cannot be processed is recorded as ``failed`` with its reason
and moved to the review folder, and the loop goes on (Mailman's "shunt").
A stop request is honoured between messages, never in the middle of one.
Each message is recorded (one transaction) before it is moved, so a crash
between the two only repeats the move.
"""

from __future__ import annotations

import hashlib
import logging
import re
import threading
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime

from .authresults import dmarc_failure
from .decide import Existing, decide
from .details import extract
from .idle import backoff_seconds
from .ledger import Ledger
from .limits import Limits
from .mailbox import Mailbox, MailboxError, MailboxUnavailable
from .models import Action, Decision, InboundMail, MessageState, RegistrationStatus
from .reading import ReadError, read_message
from .record import Ident, Recorder
from .robots import classify
from .settings import Settings
from .textutil import one_line

log = logging.getLogger(__name__)
_QUOTED = re.compile(r"'[^']*'|\"[^\"]*\"|\S+@\S+")
RECONNECTS = 3  # within one cycle, after a lost connection


def loggable(reason: str) -> str:
    """A reason fit for a log line: the writer's quoted words and any address are left out."""
    return one_line(_QUOTED.sub("…", reason), 160)


class Inbox:
    """The inbox side of the loop, over one IMAP connection kept between cycles."""

    def __init__(
        self,
        settings: Settings,
        ledger: Ledger,
        recorder: Recorder,
        limits: Limits,
        *,
        stop: threading.Event,
        mailbox_factory: Callable[[], Mailbox] | None = None,
    ) -> None:
        self.settings = settings
        self.ledger = ledger
        self.recorder = recorder
        self.limits = limits
        self.stop = stop
        self.mailbox_factory = mailbox_factory or (lambda: Mailbox(settings.imap))
        self.mailbox: Mailbox | None = None
        self.ours = frozenset(a.lower() for a in (settings.smtp.from_address, settings.imap.username) if "@" in a)
        self._reconciled = False

    def close(self) -> None:
        if self.mailbox is not None:
            self.mailbox.close()
            self.mailbox = None

    def _connected(self) -> Mailbox:
        if self.mailbox is None or self.mailbox.client is None:
            self.mailbox = self.mailbox_factory()
            self.mailbox.connect()
            self._reconciled = False
        return self.mailbox

    def drain(self) -> Counter[str]:
        """Record every new message in the inbox and move it out; return counts by state.

        A connection lost midway (a server restart during a fetch) is retried
        a few times with backoff and jitter; the ledger makes the repeat safe.
        """
        states: Counter[str] = Counter()
        for attempt in range(1, RECONNECTS + 2):
            try:
                self._drain_once(states)
                return states
            except MailboxUnavailable as exc:
                self.close()
                if attempt > RECONNECTS or self.stop.is_set():
                    raise
                wait = backoff_seconds(attempt)
                log.warning("IMAP connection lost (%s); reconnecting in %.1f s", exc, wait)
                self.stop.wait(wait)
        return states

    def _drain_once(self, states: Counter[str]) -> None:
        imap = self.settings.imap
        box = self._connected()
        for folder in (imap.processed_folder, imap.review_folder):
            box.ensure_folder(folder)
        uidvalidity = box.select(imap.folder)
        self._retry_moves(box, uidvalidity)
        if self._reconciled:
            uids = box.uids_after(self.ledger.max_uid(imap.folder, uidvalidity))
        else:
            # Once per connection, look at the whole folder: this also catches
            # anything left behind by a restored backup or a UIDVALIDITY change.
            everything = box.all_uids()
            known = self.ledger.known_uids(imap.folder, uidvalidity, everything)
            uids = [uid for uid in everything if uid not in known]
            self._reconciled = True
        for start in range(0, len(uids), imap.batch_size):
            if self.stop.is_set():
                break
            states.update(self._batch(box, uidvalidity, uids[start : start + imap.batch_size]))

    def _batch(self, box: Mailbox, uidvalidity: int, uids: list[int]) -> Counter[str]:
        imap = self.settings.imap
        envelope = box.envelope(uids)
        sizes = {uid: size for uid, (size, _arrived) in envelope.items()}
        arrived = {uid: moment for uid, (_size, moment) in envelope.items()}
        self.limits.note_arrivals(list(arrived.values()))
        small = [uid for uid in uids if uid in sizes and sizes[uid] <= imap.max_message_bytes]
        large = [uid for uid in uids if sizes.get(uid, 0) > imap.max_message_bytes]
        bodies = box.fetch(small) if small else {}
        headers = box.fetch_headers(large) if large else {}
        states: Counter[str] = Counter()
        done: dict[str, list[tuple[int, int]]] = {}
        for uid in uids:
            if self.stop.is_set():
                break
            if uid in bodies:
                state, dest, row = self.process_message(uidvalidity, uid, bodies[uid], arrived.get(uid))
            elif uid in headers:
                state, dest, row = self._oversized(uidvalidity, uid, headers[uid], sizes[uid], arrived.get(uid))
            else:
                continue  # vanished meanwhile (moved or expunged by a person)
            states[state] += 1
            done.setdefault(dest, []).append((uid, row))
        self.ledger.mark_moved(self._move(box, done))
        return states

    def _move(self, box: Mailbox, by_destination: dict[str, list[tuple[int, int]]]) -> list[int]:
        """Move recorded messages out of the inbox; return the ledger rows now moved.

        A refused MOVE is logged and retried on a later cycle (the ledger row
        says where the message belongs); a lost connection ends the cycle.
        """
        moved: list[int] = []
        if by_destination:
            self.ledger.sync()  # the records must survive a power cut before the mail leaves the inbox
        for dest, items in by_destination.items():
            try:
                box.move([uid for uid, _ in items], dest)
            except MailboxUnavailable:
                raise
            except MailboxError as exc:
                log.warning("could not move %d message(s) to %s: %s; will retry", len(items), dest, exc)
                continue
            moved += [row for _, row in items]
        return moved

    def _retry_moves(self, box: Mailbox, uidvalidity: int) -> None:
        pending = self.ledger.unmoved(self.settings.imap.folder, uidvalidity)
        if not pending:
            return
        present = set(box.all_uids())
        gone = [row["id"] for row in pending if row["uid"] not in present]
        by_dest: dict[str, list[tuple[int, int]]] = {}
        for row in pending:
            if row["uid"] in present:
                by_dest.setdefault(row["destination"], []).append((row["uid"], row["id"]))
        self.ledger.mark_moved(gone + self._move(box, by_dest))

    def _destination(self, decision: Decision) -> str:
        imap = self.settings.imap
        return (
            imap.review_folder
            if decision.state in (MessageState.REVIEW, MessageState.FAILED)
            else imap.processed_folder
        )

    def process_message(
        self, uidvalidity: int, uid: int, raw: bytes, arrived: datetime | None = None
    ) -> tuple[str, str, int]:
        """Read, classify, decide and record one message; never raises for bad mail."""
        ident = Ident(self.settings.imap.folder, uidvalidity, uid, hashlib.sha256(raw).hexdigest(), len(raw), arrived)
        mail = None
        try:
            mail = read_message(raw)
            decision = self._decide(mail, ident)
        except ReadError as exc:
            decision = Decision(action=Action.FAIL, reason=f"unreadable: {exc}")
        except Exception as exc:  # noqa: BLE001 - Mailman's shunt: record, log, go on
            log.exception("uid=%s: internal error while reading or deciding", uid, extra={"uid": uid})
            decision = Decision(
                action=Action.FAIL, reason=f"internal error: {type(exc).__name__}: {one_line(str(exc), 200)}"
            )
        dest = self._destination(decision)
        try:
            row, state, dest = self.recorder.record(ident, mail, decision, dest)
        except Exception as exc:  # noqa: BLE001 - record the failure, or the message blocks the inbox forever
            log.exception("uid=%s: internal error while recording", uid, extra={"uid": uid})
            decision = Decision(action=Action.FAIL, reason=f"internal error while recording: {type(exc).__name__}")
            dest = self._destination(decision)
            row, state, dest = self.recorder.record(ident, None, decision, dest)
        message_id = mail.message_id if mail else "-"
        log.info(
            "uid=%s message-id=%s: %s (%s)",
            uid,
            message_id,
            state,
            loggable(decision.reason),
            extra={"uid": uid, "message_id": message_id},
        )
        return state, dest, row

    def _decide(self, mail: InboundMail, ident: Ident) -> Decision:
        duplicate = self.ledger.find_duplicate(ident.sha256, mail.message_id, mail.sender or "")
        if duplicate is not None:
            return Decision(
                action=Action.IGNORE,
                reason=f"duplicate of message M{duplicate['id']:05d} (already {duplicate['state']})",
                language=mail.language or self.settings.event.language,
            )
        verdict = classify(mail, self.ours)
        extraction = None if verdict.automatic else extract(mail, self.settings.event.language, self.ours)
        existing = None
        if mail.sender and not verdict.automatic:
            row = self.ledger.registration_by_email(mail.sender)
            if row is not None:
                existing = Existing(id=row["id"], status=RegistrationStatus(row["status"]))
        distrust = dmarc_failure(mail, self.settings.security.authserv_id)
        closes = self.settings.event.registration_closes
        if closes is not None and closes.tzinfo is None:
            closes = closes.replace(tzinfo=self.settings.event.zone)
        closed = closes is not None and (ident.arrived or datetime.now(UTC)) > closes
        privacy = self.recorder.privacy.facts(mail)  # erased? answering our erasure question?
        return decide(mail, verdict, extraction, existing, distrust=distrust, closed=closed, privacy=privacy)

    def _oversized(
        self, uidvalidity: int, uid: int, header: bytes, size: int, arrived: datetime | None
    ) -> tuple[str, str, int]:
        digest = hashlib.sha256(header + str(size).encode()).hexdigest()
        ident = Ident(self.settings.imap.folder, uidvalidity, uid, digest, size, arrived)
        try:
            mail = read_message(header)
        except ReadError:
            mail = None
        decision = Decision(action=Action.REVIEW, reason=f"too large to read ({size} bytes > imap.max_message_bytes)")
        dest = self._destination(decision)
        row, _state, dest = self.recorder.record(ident, mail, decision, dest)
        message_id = mail.message_id if mail else "-"
        log.info(
            "uid=%s message-id=%s: review (oversized, %d bytes)",
            uid,
            message_id,
            size,
            extra={"uid": uid, "message_id": message_id},
        )
        return decision.state, dest, row
