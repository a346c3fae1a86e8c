"""Push, not only poll: an IMAP IDLE watcher that wakes the poller when mail arrives.

A thread of its own keeps a second IMAP connection in IDLE on the inbox
(RFC 2177) and calls ``on_mail`` when the server reports EXISTS, so a
confirmation goes out within seconds of the sign-up arriving. The scheduled
poll goes on regardless; IDLE only makes it come sooner.

Protocol facts this relies on:

* Servers end an IDLE after 30 minutes, and NATs drop quiet connections
  sooner, so IDLE is renewed every ``idle_renew_seconds`` (10 minutes by
  default, well inside the 29 minutes RFC 2177 asks for).
* imapclient's ``idle_check`` returns an empty list, without an error, when
  the server has closed the connection; an empty answer long before the
  timeout therefore means the connection is gone.
* Reconnection waits with exponential backoff and jitter, so a server that
  is down is not hammered.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Callable

from imapclient.exceptions import IMAPClientError

from .mailbox import LoginFailed, Mailbox, MailboxError, MailboxUnavailable
from .sections import ImapSettings

log = logging.getLogger(__name__)
CHECK_SECONDS = 1.0  # one idle_check waits this long, so a stop request is seen within a second
MAX_BACKOFF = 300.0
LOGIN_BACKOFF_BASE = 300.0
LOGIN_BACKOFF_CAP = 3600.0


def backoff_seconds(failures: int, base: float = 1.0, cap: float = MAX_BACKOFF) -> float:
    """base, 2 base, 4 base ... up to cap, each with ±25 % jitter."""
    return min(cap, base * 2 ** max(0, failures - 1)) * random.uniform(0.75, 1.25)


class IdleWatcher(threading.Thread):
    """Watches the inbox with IDLE and calls ``on_mail`` when something arrives."""

    def __init__(
        self,
        settings: ImapSettings,
        on_mail: Callable[[], None],
        stop: threading.Event,
        mailbox_factory: Callable[[], Mailbox] | None = None,
    ) -> None:
        super().__init__(name="imap-idle", daemon=True)
        self.settings = settings
        self.on_mail = on_mail
        self.stop_event = stop
        self.factory = mailbox_factory or (lambda: Mailbox(settings))
        self.failures = 0
        self.login_failures = 0
        self.supported = True  # False once a server says it has no IDLE

    def run(self) -> None:
        while not self.stop_event.is_set() and self.supported:
            box = self.factory()
            try:
                box.connect()
                if "IDLE" not in box.capabilities:
                    log.info("the IMAP server offers no IDLE; polling every interval only")
                    self.supported = False
                    return
                box.client.select_folder(box.server_name(self.settings.folder), readonly=True)
                if self.failures or self.login_failures:
                    # Mail that arrived while we were away raises no EXISTS now.
                    self.on_mail()
                self.failures = self.login_failures = 0
                self._idle(box)
            except LoginFailed as exc:
                # A refused password will not start working by itself; the poller
                # reports it. Wait as long as the poller does (5 minutes doubling
                # to an hour), so that IDLE adds no logins toward an account lockout.
                self.login_failures += 1
                log.debug("IDLE login refused: %s", exc)
                self.stop_event.wait(backoff_seconds(self.login_failures, LOGIN_BACKOFF_BASE, LOGIN_BACKOFF_CAP))
                continue
            except (MailboxError, IMAPClientError, OSError) as exc:
                self.failures += 1
                log.info("IDLE connection lost (%s); reconnecting", exc)
            finally:
                box.close()
            if self.failures:
                self.stop_event.wait(backoff_seconds(self.failures))

    def _idle(self, box: Mailbox) -> None:
        client = box.client
        renew = self.settings.idle_renew_seconds
        while not self.stop_event.is_set():
            client.idle()
            started = time.monotonic()
            try:
                while not self.stop_event.is_set() and time.monotonic() - started < renew:
                    asked = time.monotonic()
                    responses = client.idle_check(timeout=CHECK_SECONDS)
                    if not responses and time.monotonic() - asked < CHECK_SECONDS / 2:
                        raise MailboxUnavailable("the server closed the IDLE connection")
                    if any(len(r) > 1 and r[1] in (b"EXISTS", b"RECENT") for r in responses):
                        log.debug("IDLE: new mail in %s", self.settings.folder)
                        self.on_mail()
            finally:
                try:
                    client.idle_done()
                except (IMAPClientError, OSError):
                    raise MailboxUnavailable("IDLE could not be ended cleanly") from None
