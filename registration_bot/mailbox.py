"""The IMAP edge: connect, list new UIDs, fetch without marking read, move. Nothing else.

Surprising protocol facts this module relies on (RFC 3501, 6851, 4315):

* ``FETCH RFC822`` and ``BODY[]`` set ``\\Seen``; ``BODY.PEEK[]`` does not.
  People read the shared inbox in Outlook, so the bot never touches flags.
* ``UID SEARCH UID n:*`` always returns the highest UID, even when it is
  below ``n``; the result must be filtered.
* Long UID lists overflow Dovecot's command-line limit, so UIDs go in batches.
* Without MOVE, COPY then ``\\Deleted`` then ``UID EXPUNGE`` (UIDPLUS) moves
  only our messages; a plain EXPUNGE would also remove whatever a person had
  marked deleted, so it is never used.
* Folder names in the configuration use ``/``; the server's own hierarchy
  delimiter and personal namespace prefix (``INBOX.`` on some servers) are
  applied here.
"""

from __future__ import annotations

import logging
import socket
import ssl
from collections.abc import Iterable
from datetime import datetime

import imapclient
from imapclient.exceptions import IMAPClientAbortError, IMAPClientError, LoginError

from . import oauth
from .sections import ImapSettings

log = logging.getLogger(__name__)
FETCH_CHUNK = 200  # UIDs per FETCH/MOVE command: far below Dovecot's 64 KB line limit


class MailboxError(Exception):
    """The mailbox could not do what was asked."""


class MailboxUnavailable(MailboxError):
    """The server could not be reached or dropped the connection; try again later."""


class LoginFailed(MailboxError):
    """The server refused the credentials: retrying will not help until they change."""


def tls_context(ca_file: object = None) -> ssl.SSLContext:
    """A verifying TLS context, with an optional private CA bundle."""
    return ssl.create_default_context(cafile=str(ca_file) if ca_file else None)


def _chunks(uids: list[int], size: int = FETCH_CHUNK) -> Iterable[list[int]]:
    for start in range(0, len(uids), size):
        yield uids[start : start + size]


class Mailbox:
    """One logged-in IMAP connection to the registration mailbox."""

    def __init__(self, settings: ImapSettings) -> None:
        self.settings = settings
        self.client: imapclient.IMAPClient | None = None
        self.capabilities: frozenset[str] = frozenset()
        self._prefix = ""
        self._delimiter = "/"
        self._ensured: set[str] = set()

    # connection ------------------------------------------------------------
    def connect(self) -> None:
        s = self.settings
        context = tls_context(s.ca_file) if s.security != "none" else None
        try:
            client = imapclient.IMAPClient(
                s.host, port=s.port, ssl=s.security == "tls", ssl_context=context, timeout=s.timeout_seconds
            )
        except (OSError, ssl.SSLError, IMAPClientError) as exc:
            raise MailboxUnavailable(f"cannot connect to IMAP {s.host}:{s.port}: {_describe(exc)}") from None
        try:
            if s.security == "starttls":
                client.starttls(context)
            if s.auth == "password":
                client.login(s.username, s.secret())
            else:  # XOAUTH2 or OAUTHBEARER; a refused token is replaced once (oauth.py)
                sasl = client.oauth2_login if s.auth == "xoauth2" else client.oauthbearer_login
                oauth.login_with_token(s, lambda token: sasl(s.username, token), LoginError)
        except (LoginError, oauth.TokenRefused) as exc:
            _close_quietly(client)
            how = "" if s.auth == "password" else f" ({oauth.describe(s)})"
            raise LoginFailed(f"IMAP login refused for {s.username} at {s.host}{how}: {_describe(exc)}") from None
        except (OSError, ssl.SSLError, IMAPClientError, oauth.TokenUnavailable) as exc:
            _close_quietly(client)
            raise MailboxUnavailable(f"IMAP {s.host}:{s.port} failed during login: {_describe(exc)}") from None
        self.client = client
        # Capabilities can change after login (RFC 3501 7.2.1), so ask again.
        self.capabilities = frozenset(c.decode().upper() for c in client.capabilities())
        self._prefix, self._delimiter = self._namespace()
        log.debug("IMAP connected to %s:%s, capabilities %s", s.host, s.port, " ".join(sorted(self.capabilities)))

    def _namespace(self) -> tuple[str, str]:
        assert self.client is not None
        try:
            if "NAMESPACE" in self.capabilities:
                personal = self.client.namespace().personal
                if personal:
                    prefix, delimiter = personal[0]
                    return prefix or "", delimiter or "/"
            listed = self.client.list_folders("", "")
            if listed and listed[0][1]:
                delimiter = listed[0][1]
                return "", delimiter.decode() if isinstance(delimiter, bytes) else delimiter
        except IMAPClientError:
            pass
        return "", "/"

    def close(self) -> None:
        if self.client is not None:
            _close_quietly(self.client)
            self.client = None

    def __enter__(self) -> Mailbox:
        self.connect()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def has_move(self) -> bool:
        return "MOVE" in self.capabilities

    # folders ---------------------------------------------------------------
    def server_name(self, folder: str) -> str:
        """The configured name (``/`` separated) as this server spells it."""
        if folder.upper() == "INBOX":
            return "INBOX"
        name = folder.replace("/", self._delimiter)
        if self._prefix and not name.startswith(self._prefix):
            name = self._prefix + name
        return name

    def ensure_folder(self, folder: str) -> None:
        """Create a folder (and its parents) if it is missing; once per connection."""
        if folder in self._ensured:
            return
        name = self.server_name(folder)
        with self._errors("create folder"):
            if not self.client.folder_exists(name):
                log.info("creating IMAP folder %s", name)
                try:
                    self.client.create_folder(name)
                except IMAPClientError:
                    if not self.client.folder_exists(name):  # created meanwhile by someone else?
                        raise
                try:
                    self.client.subscribe_folder(name)
                except IMAPClientError:
                    pass
        self._ensured.add(folder)

    def select(self, folder: str) -> int:
        """Select a folder read-write and return its UIDVALIDITY."""
        with self._errors("select"):
            info = self.client.select_folder(self.server_name(folder))
        return int(info[b"UIDVALIDITY"])

    # messages ----------------------------------------------------------------
    def uids_after(self, last_uid: int) -> list[int]:
        """UIDs greater than ``last_uid``, ascending."""
        with self._errors("search"):
            found = self.client.search(["UID", f"{last_uid + 1}:*"])
        return sorted(uid for uid in found if uid > last_uid)

    def all_uids(self) -> list[int]:
        with self._errors("search"):
            return sorted(self.client.search(["ALL"]))

    def envelope(self, uids: list[int]) -> dict[int, tuple[int, datetime | None]]:
        """Size and arrival time (INTERNALDATE, set by the server, not the sender) by UID."""
        result: dict[int, tuple[int, datetime | None]] = {}
        for chunk in _chunks(uids):
            with self._errors("fetch sizes"):
                data = self.client.fetch(chunk, ["RFC822.SIZE", "INTERNALDATE"])
            for uid, item in data.items():
                arrived = item.get(b"INTERNALDATE")
                if isinstance(arrived, datetime) and arrived.tzinfo is None:
                    arrived = arrived.astimezone()  # imapclient normalised it to local time
                result[uid] = (int(item.get(b"RFC822.SIZE", 0)), arrived if isinstance(arrived, datetime) else None)
        return result

    def fetch(self, uids: list[int]) -> dict[int, bytes]:
        """Raw bytes by UID, fetched with BODY.PEEK[] so that \\Seen is never set."""
        result: dict[int, bytes] = {}
        for chunk in _chunks(uids):
            with self._errors("fetch"):
                data = self.client.fetch(chunk, ["BODY.PEEK[]"])
            for uid, item in data.items():
                raw = item.get(b"BODY[]")
                if raw is not None:
                    result[uid] = bytes(raw)
        return result

    def fetch_headers(self, uids: list[int], limit: int = 65536) -> dict[int, bytes]:
        """At most ``limit`` bytes of each message's header, for mail too large to fetch whole."""
        result: dict[int, bytes] = {}
        for chunk in _chunks(uids):
            with self._errors("fetch headers"):
                data = self.client.fetch(chunk, [f"BODY.PEEK[HEADER]<0.{limit}>"])
            for uid, item in data.items():
                raw = next((v for k, v in item.items() if k.startswith(b"BODY[HEADER]")), None)
                if raw is not None:
                    result[uid] = bytes(raw)
        return result

    def move(self, uids: list[int], folder: str) -> None:
        """Move messages out of the selected folder, with or without MOVE.

        The connection is kept between cycles, so a folder someone deleted
        meanwhile is met as ``NO [TRYCREATE]``: it is created again and the
        move retried once.
        """
        if not uids:
            return
        try:
            self._move(uids, folder)
        except MailboxUnavailable:
            raise
        except MailboxError as exc:
            if "TRYCREATE" not in str(exc).upper() and "NONEXISTENT" not in str(exc).upper():
                raise
            self._ensured.discard(folder)
            self._move(uids, folder)

    def _move(self, uids: list[int], folder: str) -> None:
        self.ensure_folder(folder)
        target = self.server_name(folder)
        for chunk in _chunks(uids):
            with self._errors("move"):
                if self.has_move:
                    self.client.move(chunk, target)
                else:
                    self.client.copy(chunk, target)
                    self.client.delete_messages(chunk, silent=True)
                    if "UIDPLUS" in self.capabilities:
                        self.client.uid_expunge(chunk)
                    # Without UIDPLUS the copies stay marked \Deleted: a plain
                    # EXPUNGE would also purge what a person marked deleted.

    def noop(self) -> None:
        with self._errors("noop"):
            self.client.noop()

    # errors ----------------------------------------------------------------
    def _errors(self, what: str) -> _ErrorScope:
        if self.client is None:
            raise MailboxUnavailable("not connected")
        return _ErrorScope(self, what)


class _ErrorScope:
    """Turns socket and protocol failures into the module's two exception kinds."""

    def __init__(self, mailbox: Mailbox, what: str) -> None:
        self.mailbox, self.what = mailbox, what

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: object) -> bool:
        if exc is None:
            return False
        if isinstance(exc, (IMAPClientAbortError, OSError, ssl.SSLError, socket.timeout, EOFError)):
            self.mailbox.close()
            raise MailboxUnavailable(f"IMAP connection lost during {self.what}: {_describe(exc)}") from None
        if isinstance(exc, IMAPClientError):
            raise MailboxError(f"IMAP {self.what} failed: {_describe(exc)}") from None
        return False


def _describe(exc: BaseException) -> str:
    text = str(exc) or type(exc).__name__
    return text if len(text) < 300 else text[:300] + "…"


def _close_quietly(client: imapclient.IMAPClient) -> None:
    try:
        client.logout()
    except Exception:  # noqa: BLE001 - closing a broken connection
        try:
            client.shutdown()
        except Exception:  # noqa: BLE001
            pass
