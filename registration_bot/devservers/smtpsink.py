"""An aiosmtpd server in a thread that records mail and fails on demand (4xx, 5xx, hang-up)."""

from __future__ import annotations

import asyncio
import email
import email.policy
import os
import re
import socket
import ssl
import threading
import time
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword

from .common import HOST

DROP = "<drop connection>"
"""Queue this instead of a reply to make :class:`SmtpSink` hang up without answering."""


@dataclass
class ReceivedMessage:
    """One message accepted by :class:`SmtpSink`."""

    mail_from: str
    rcpt_tos: list[str]
    data: bytes
    message: EmailMessage = field(repr=False)


class _SinkHandler:
    """aiosmtpd handler hooks; run on the sink's event-loop thread."""

    def __init__(self, sink: SmtpSink) -> None:
        self.sink = sink

    async def handle_MAIL(self, server: SMTP, session: Any, envelope: Any, address: str, options: list[str]) -> str:
        # aiosmtpd's own auth_required=True with auth_require_tls=False emits a
        # UserWarning (an error under filterwarnings=error), so enforce AUTH here.
        if self.sink.auth is not None and not session.authenticated:
            return "530 5.7.0 Authentication required"
        envelope.mail_from = address
        envelope.mail_options.extend(options)
        return "250 OK"

    async def handle_RCPT(self, server: SMTP, session: Any, envelope: Any, address: str, options: list[str]) -> str:
        reply = self.sink._next_reply("rcpt", address)
        if reply is None:
            envelope.rcpt_tos.append(address)
            envelope.rcpt_options.extend(options)
            return "250 OK"
        return await self._answer(server, reply)

    async def handle_DATA(self, server: SMTP, session: Any, envelope: Any) -> str:
        reply = self.sink._next_reply("data")
        if reply is not None:
            return await self._answer(server, reply)
        self.sink._record(envelope.mail_from, list(envelope.rcpt_tos), envelope.content)
        return "250 OK"

    @staticmethod
    async def _answer(server: SMTP, reply: str) -> str:
        if reply == DROP:
            # abort() makes aiosmtpd's connection_lost() cancel this very coroutine,
            # so no reply is ever written; the client just sees the socket close.
            server.transport.abort()
            await asyncio.sleep(3600)
        return reply

    def authenticate(self, server: SMTP, session: Any, envelope: Any, mechanism: str, auth_data: Any) -> AuthResult:
        ok = (
            isinstance(auth_data, LoginPassword)
            and self.sink.auth is not None
            and self.sink.auth.get(auth_data.login.decode(errors="replace"))
            == auth_data.password.decode(errors="replace")
        )
        # handled defaults to True, which means "I already replied": a failed login
        # would then get no answer at all and the client hangs until its timeout.
        return AuthResult(success=ok, handled=False)


class _Controller(Controller):
    def _trigger_server(self) -> None:
        # aiosmtpd's readiness probe connects to self.port, which is 0 when we let
        # the kernel choose; read the real port from the listening socket first.
        # (Its own probe would also disable certificate checks for implicit TLS.)
        assert self.server is not None
        self.port = self.server.sockets[0].getsockname()[1]
        with socket.create_connection((self.hostname, self.port), 1.0) as s:
            if self.ssl_context is None:
                s.recv(1024)  # the 220 greeting
            else:  # accepting the TCP connection already ran factory()
                self._factory_invoked.wait(1.0)


class SmtpSink:
    """An SMTP server on 127.0.0.1 that records messages and fails on request.

    ``auth`` (user -> password) makes AUTH PLAIN/LOGIN mandatory before MAIL;
    it is offered without TLS because the sink only ever listens on loopback.
    ``tls_context`` offers STARTTLS; with ``implicit_tls=True`` the same context
    wraps the whole connection instead (SMTPS).
    """

    host = HOST

    def __init__(
        self,
        *,
        save_dir: Path | None = None,
        auth: dict[str, str] | None = None,
        tls_context: ssl.SSLContext | None = None,
        implicit_tls: bool = False,
    ) -> None:
        if implicit_tls and tls_context is None:
            raise ValueError("implicit_tls=True needs tls_context")
        self.save_dir = Path(save_dir) if save_dir else None
        self.auth = dict(auth) if auth is not None else None
        self.tls_context = tls_context
        self.implicit_tls = implicit_tls
        self.port = 0
        self._lock = threading.Lock()
        self._messages: list[ReceivedMessage] = []
        self._queued: dict[str, list[str]] = {"data": [], "rcpt": []}
        self._rejected: dict[str, str] = {}
        self._controller: _Controller | None = None

    @property
    def messages(self) -> list[ReceivedMessage]:
        """A snapshot of the messages accepted so far, oldest first."""
        with self._lock:
            return list(self._messages)

    def queue_replies(self, *replies: str, at: str = "data") -> None:
        """Answer the next DATA (or RCPT) commands with these replies, in order.

        Each reply is a full SMTP reply line such as "451 4.3.0 Try again later",
        or :data:`DROP` to close the connection without replying.
        """
        if at not in self._queued:
            raise ValueError(f"at must be 'data' or 'rcpt', not {at!r}")
        for reply in replies:
            if reply != DROP and not re.fullmatch(r"[2-5]\d\d( .*)?", reply):
                raise ValueError(f"not an SMTP reply: {reply!r}")
        with self._lock:
            self._queued[at].extend(replies)

    def reject_recipient(self, address: str, reply: str = "550 5.1.1 User unknown") -> None:
        """Always answer RCPT TO:<address> with ``reply`` (checked before the queue)."""
        with self._lock:
            self._rejected[address.lower()] = reply

    def wait_for_messages(self, count: int, timeout: float = 5.0) -> list[ReceivedMessage]:
        """Block until at least ``count`` messages were accepted; return them all."""
        deadline = time.monotonic() + timeout
        while len(msgs := self.messages) < count:
            if time.monotonic() > deadline:
                raise TimeoutError(f"expected {count} messages, got {len(msgs)}")
            time.sleep(0.01)
        return msgs

    def _next_reply(self, at: str, address: str = "") -> str | None:
        with self._lock:
            if at == "rcpt" and address.lower() in self._rejected:
                return self._rejected[address.lower()]
            return self._queued[at].pop(0) if self._queued[at] else None

    def _record(self, mail_from: str, rcpt_tos: list[str], data: bytes) -> None:
        parsed = email.message_from_bytes(data, policy=email.policy.default)
        assert isinstance(parsed, EmailMessage)
        with self._lock:
            self._messages.append(ReceivedMessage(mail_from, rcpt_tos, data, parsed))
            number = len(self._messages)
        if self.save_dir is not None:
            self.save_dir.mkdir(parents=True, exist_ok=True)
            name = f"{number:04d}-{re.sub(r'[^A-Za-z0-9@._+-]', '_', rcpt_tos[0])}.eml"
            tmp = self.save_dir / f".{name}.tmp"
            tmp.write_bytes(data)
            os.replace(tmp, self.save_dir / name)  # readers never see a partial file

    def start(self) -> SmtpSink:
        if self._controller is not None:
            raise RuntimeError("SmtpSink already running")
        handler = _SinkHandler(self)
        kwargs: dict[str, Any] = {}
        if self.auth is not None:
            kwargs.update(authenticator=handler.authenticate, auth_require_tls=False)
        if self.tls_context is not None and not self.implicit_tls:
            kwargs["tls_context"] = self.tls_context
        controller = _Controller(
            handler,
            hostname=HOST,
            port=self.port,
            # Without server_hostname aiosmtpd calls socket.getfqdn() for every
            # connection, which can stall for seconds on hosts with slow DNS.
            server_hostname="localhost",
            ssl_context=self.tls_context if self.implicit_tls else None,
            **kwargs,
        )
        controller.start()
        self._controller, self.port = controller, controller.port
        return self

    def stop(self) -> None:
        controller, self._controller = self._controller, None
        if controller is not None:
            controller.stop()

    def __enter__(self) -> SmtpSink:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
