"""Throwaway OAuth 2.0 pieces for the tests and the harness: never used by the bot itself.

* :class:`JwtIssuer` mints HS256 JSON Web Tokens and writes the matching
  configuration for Dovecot's ``oauth2`` passdb with *local* validation
  (``introspection_mode = local``): Dovecot checks the signature with a key
  from a ``fs:posix`` dictionary, and ``exp``, ``iss`` and ``email`` itself,
  so no introspection server is needed.
* The token endpoint that hands out access tokens (Google's and
  Microsoft's flows) is :class:`~.tokenendpoint.TokenEndpoint`.
* :class:`BearerSmtpSink` is the :class:`SmtpSink` with ``AUTH XOAUTH2`` and
  ``AUTH OAUTHBEARER`` instead of passwords.

Nothing here touches the network beyond 127.0.0.1, and nothing happens at import.
"""

from __future__ import annotations

import base64
import collections
import hashlib
import hmac
import json
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiosmtpd.smtp import SMTP, AuthResult

from .common import _b64url
from .smtpsink import SmtpSink, _SinkHandler


class JwtIssuer:
    """Mints HS256 JWTs for ``email`` claims, and configures Dovecot to trust them.

    Dovecot looks the key up as ``/shared/<azp or default>/<ALG>/<kid>`` in
    ``local_validation_key_dict``; with ``fs:posix:prefix=DIR/`` that is the
    file ``DIR/default/HS256/<kid>``, holding the key in base64.
    """

    def __init__(self, issuer: str = "https://issuer.regbot.test/", kid: str = "regbot-test") -> None:
        self.issuer = issuer
        self.kid = kid
        self.key = secrets.token_bytes(32)

    def token(self, email: str, lifetime: float = 3600, *, key: bytes | None = None, issuer: str | None = None) -> str:
        """A signed token for ``email`` that expires ``lifetime`` seconds from now (negative: already expired)."""
        now = int(time.time())
        header = {"alg": "HS256", "typ": "JWT", "kid": self.kid}
        claims = {
            "iss": issuer or self.issuer,
            "sub": email,
            "email": email,
            "iat": now - 3600 if lifetime < 0 else now,
            "exp": now + int(lifetime),
            "jti": secrets.token_hex(8),  # every token differs, even within one second
        }
        signing_input = f"{_b64url(json.dumps(header).encode())}.{_b64url(json.dumps(claims).encode())}"
        signature = hmac.new(key or self.key, signing_input.encode("ascii"), hashlib.sha256).digest()
        return f"{signing_input}.{_b64url(signature)}"

    def expired(self, email: str) -> str:
        return self.token(email, lifetime=-60)

    def forged(self, email: str) -> str:
        """A well-formed token signed with some other key."""
        return self.token(email, key=secrets.token_bytes(32))

    def dovecot_config(self, directory: Path) -> str:
        """Write the key and the oauth2 passdb file under ``directory``; return Dovecot's ``extra_config``.

        The files must be readable by Dovecot's auth process (the ``dovecot``
        user when running as root), hence the modes.
        """
        directory = Path(directory).resolve()
        key_dir = directory / "keys" / "default" / "HS256"
        key_dir.mkdir(parents=True, exist_ok=True)
        for part in (directory, directory / "keys", key_dir.parent, key_dir):
            part.chmod(0o755)
        key_file = key_dir / self.kid
        key_file.write_text(base64.b64encode(self.key).decode("ascii"))
        key_file.chmod(0o644)
        conf = directory / "dovecot-oauth2.conf.ext"
        conf.write_text(
            "introspection_mode = local\n"
            f"local_validation_key_dict = fs:posix:prefix={directory}/keys/\n"
            f"issuers = {self.issuer}\n"
            "username_attribute = email\n"
        )
        conf.chmod(0o644)
        return (
            "auth_mechanisms = plain login xoauth2 oauthbearer\n"
            "passdb {\n"
            "  driver = oauth2\n"
            "  mechanisms = xoauth2 oauthbearer\n"
            f"  args = {conf}\n"
            "}\n"
        )


# -- SMTP with bearer tokens ---------------------------------------------------------


def _parse_xoauth2(blob: bytes) -> tuple[str, str]:
    """``user=U^Aauth=Bearer T^A^A`` -> (U, T)."""
    fields = dict(part.split("=", 1) for part in blob.decode("utf-8").split("\x01") if "=" in part)
    return fields.get("user", ""), fields.get("auth", "").removeprefix("Bearer ")


def _parse_oauthbearer(blob: bytes) -> tuple[str, str]:
    """``n,a=U,^Ahost=..^Aport=..^Aauth=Bearer T^A^A`` (RFC 7628) -> (U, T)."""
    gs2, _, rest = blob.decode("utf-8").partition("\x01")
    user = next((p[2:] for p in gs2.split(",") if p.startswith("a=")), "")
    user = user.replace("=2C", ",").replace("=3D", "=")
    fields = dict(part.split("=", 1) for part in rest.split("\x01") if "=" in part)
    return user, fields.get("auth", "").removeprefix("Bearer ")


class _BearerHandler(_SinkHandler):
    sink: BearerSmtpSink

    async def auth_XOAUTH2(self, server: SMTP, args: list[str]) -> AuthResult:  # noqa: N802 - aiosmtpd's naming
        return await self._bearer(server, args, "XOAUTH2", _parse_xoauth2)

    async def auth_OAUTHBEARER(self, server: SMTP, args: list[str]) -> AuthResult:  # noqa: N802
        return await self._bearer(server, args, "OAUTHBEARER", _parse_oauthbearer)

    async def _bearer(self, server: SMTP, args: list[str], mechanism: str, parse: Any) -> AuthResult:
        if len(args) > 1:
            blob = base64.b64decode(args[1])
        else:
            answer = await server.challenge_auth("")
            if not isinstance(answer, bytes):
                return AuthResult(success=False, handled=True)
            blob = answer
        try:
            user, token = parse(blob)
        except (UnicodeDecodeError, ValueError):
            return AuthResult(success=False, handled=False)
        ok = self.sink.check_token(mechanism, user, token)
        if ok:
            return AuthResult(success=True, auth_data=user)
        # As Gmail and Outlook do (RFC 7628 3.2.2): a JSON error as a 334
        # challenge, an empty line from the client, then the failure reply.
        error = json.dumps({"status": "401", "schemes": "bearer", "scope": "https://mail.example/"})
        await server.challenge_auth(error)
        return AuthResult(success=False, handled=False, message="535 5.7.3 Authentication unsuccessful")


@dataclass
class BearerAttempt:
    mechanism: str
    user: str
    accepted: bool
    token_digest: str = field(repr=False, default="")


class BearerSmtpSink(SmtpSink):
    """:class:`SmtpSink` that requires ``AUTH XOAUTH2`` or ``AUTH OAUTHBEARER`` before MAIL.

    ``accept(user, token)`` decides whether a bearer token is good; every
    attempt is recorded in ``attempts`` (the token only as a digest).
    """

    def __init__(self, accept: Callable[[str, str], bool], **kwargs: Any) -> None:
        kwargs.setdefault("auth", {})  # no password works, but AUTH is required
        super().__init__(**kwargs)
        self.accept = accept
        self.attempts: list[BearerAttempt] = []

    def check_token(self, mechanism: str, user: str, token: str) -> bool:
        ok = bool(token) and self.accept(user, token)
        with self._lock:
            self.attempts.append(BearerAttempt(mechanism, user, ok, hashlib.sha256(token.encode()).hexdigest()[:12]))
        return ok

    def start(self) -> BearerSmtpSink:
        super().start()
        # aiosmtpd builds one SMTP protocol object per connection, from the
        # controller's handler (whose auth_* methods become mechanisms) and
        # its factory(); replacing both here changes every later connection.
        controller = self._controller
        assert controller is not None
        controller.handler = _BearerHandler(self)

        def factory() -> SMTP:
            server = SMTP(controller.handler, **controller.SMTP_kwargs)
            # A bearer token makes a long AUTH line; RFC 4954 allows 12288
            # octets, aiosmtpd 512 (its reader still stops at ~1000).
            server.command_size_limits = collections.defaultdict(lambda: SMTP.command_size_limit, AUTH=12288)
            return server

        controller.factory = factory  # type: ignore[method-assign]
        return self
