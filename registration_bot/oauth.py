"""OAuth 2.0 access tokens for IMAP and SMTP (XOAUTH2, OAUTHBEARER): get them, cache them.

One :class:`TokenSource` per configuration serves both IMAP and SMTP (the
same token works for both at Microsoft 365 and Gmail) and every thread (the
poller and the IDLE watcher). A token is reused until shortly before it
expires. When a server refuses a token anyway (revoked, clock skew, expired
early), :func:`login_with_token` asks the provider for a new one and tries
once more; a second refusal is the caller's ``LoginFailed`` /
``SmtpAuthFailed``, so a bad credential never turns into a retry storm.

The providers (``[oauth] provider``):

* ``token_command``: a program that prints an access token (mutt's
  ``oauth2.py``, ``az account get-access-token``, ``gcloud auth
  print-access-token``). Its output is either the bare token or a JSON
  object with ``access_token``/``accessToken`` and ``expires_in`` or
  ``expires_on`` (epoch seconds). A bare token is reused for
  :data:`UNKNOWN_LIFETIME` seconds.
* ``microsoft365``: the app-only client-credentials flow with MSAL, with a
  client secret or a certificate.
* ``google``: a stored refresh token, exchanged at ``token_url``.

Failures are :class:`TokenRefused` (the provider refused our credentials:
retrying will not help) or :class:`TokenUnavailable` (network, timeouts,
server errors: try again later). Nothing here logs or puts into an exception
message an access token, a refresh token or a secret; only the provider's
own error code and description.
"""

from __future__ import annotations

import json
import logging
import re
import shlex
import subprocess
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

if TYPE_CHECKING:
    from .settings import OAuthSettings, _ServerSettings

log = logging.getLogger(__name__)
T = TypeVar("T")

EXPIRY_MARGIN = 300.0
"""A token is renewed this many seconds before it expires (MSAL uses the same 5 minutes)."""
UNKNOWN_LIFETIME = 300.0
"""How long a token from ``token_command`` is reused when the command does not say when it expires."""
GOOGLE_TOKEN_URL = "https://oauth2.googleapis.com/token"
MICROSOFT_AUTHORITY = "https://login.microsoftonline.com"
MICROSOFT_SCOPE = "https://outlook.office365.com/.default"
_TOKEN_CHARS = re.compile(r"[\x21-\x7e]+")  # visible ASCII: what fits in "auth=Bearer <token>"
_REFUSALS = {
    "invalid_client",
    "invalid_grant",
    "unauthorized_client",
    "invalid_request",
    "invalid_scope",
    "unsupported_grant_type",
    "access_denied",
}


class TokenError(Exception):
    """No access token could be had."""


class TokenRefused(TokenError):
    """The provider refused the configured credentials; this will not heal by itself."""


class TokenUnavailable(TokenError):
    """The provider could not be asked right now (network, timeout, server error)."""


class Provider(Protocol):
    name: str

    def fetch(self, fresh: bool) -> tuple[str, float | None]:
        """A new access token and its lifetime in seconds (None: unknown).

        ``fresh`` is set after a server refused the previous token, so a
        provider with a cache of its own must bypass it.
        """


class TokenSource:
    """Hands out one provider's token, cached until :data:`EXPIRY_MARGIN` before it expires. Thread-safe."""

    def __init__(self, provider: Provider, clock: Callable[[], float] = time.monotonic) -> None:
        self.provider = provider
        self.clock = clock
        self.fetches = 0
        self._token = ""
        self._good_until = 0.0
        self._lock = threading.Lock()

    def token(self) -> str:
        """The cached token while it is fresh, otherwise a new one from the provider."""
        with self._lock:
            if self._token and self.clock() < self._good_until:
                return self._token
            return self._fetch(fresh=False)

    def refresh(self, refused: str) -> str:
        """A new token to replace ``refused``, which a server just turned down.

        If another thread has already replaced it, that newer token is
        returned instead of asking the provider twice.
        """
        with self._lock:
            if self._token and self._token != refused and self.clock() < self._good_until:
                return self._token
            self._token, self._good_until = "", 0.0
            return self._fetch(fresh=True)

    def forget(self) -> None:
        with self._lock:
            self._token, self._good_until = "", 0.0

    def _fetch(self, fresh: bool) -> str:
        self.fetches += 1
        token, lifetime = self.provider.fetch(fresh)
        if not _TOKEN_CHARS.fullmatch(token or ""):
            raise TokenUnavailable(f"{self.provider.name} returned something that is not an access token")
        if lifetime is None:  # the provider did not say: reuse it a while, a refusal replaces it anyway
            usable = UNKNOWN_LIFETIME
        elif lifetime > 2 * EXPIRY_MARGIN:  # renew EXPIRY_MARGIN early ...
            usable = lifetime - EXPIRY_MARGIN
        else:  # ... or, for a short-lived token, after half its life
            usable = lifetime / 2
        self._token, self._good_until = token, self.clock() + max(usable, 0.0)
        log.debug("got a new OAuth access token from %s; reused for %.0f s", self.provider.name, usable)
        return token


# -- using a token ------------------------------------------------------------------


def token_source(oauth: OAuthSettings | None) -> TokenSource:
    """The one :class:`TokenSource` of this configuration, made on first use."""
    if oauth is None or not oauth.provider:
        raise TokenRefused("no OAuth provider is configured (set [oauth] provider)")
    with _sources_lock:
        source = oauth._source
        if source is None:
            source = oauth._source = TokenSource(make_provider(oauth))
        return source


_sources_lock = threading.Lock()


def login_with_token(
    server: _ServerSettings, login: Callable[[str], T], refused: type[BaseException] | tuple[type[BaseException], ...]
) -> T:
    """``login(token)``; if the server raises ``refused``, get a new token and call it once more.

    The second refusal propagates: the caller turns it into its one clear
    login failure.
    """
    source = token_source(server._oauth)
    token = source.token()
    try:
        return login(token)
    except refused:
        log.info(
            "%s refused the OAuth token for %s (%s); getting a new one from %s and trying once more",
            server.host,
            server.username,
            server.auth,
            source.provider.name,
        )
    return login(source.refresh(token))


def describe(server: _ServerSettings) -> str:
    """How ``server`` logs in, for ``check`` and error messages: 'password' or 'xoauth2, token from "google"'."""
    if server.auth == "password":
        return "password"
    provider = server._oauth.provider if server._oauth is not None else ""
    return f'{server.auth}, token from "{provider}"' if provider else f"{server.auth}, no oauth.provider"


# -- the providers --------------------------------------------------------------------


def make_provider(oauth: OAuthSettings) -> Provider:
    if oauth.provider == "token_command":
        return CommandProvider(oauth.token_command, oauth.timeout_seconds)
    if oauth.provider == "google":
        return GoogleProvider(
            oauth.client_id,
            oauth.client_secret.get_secret_value(),
            oauth.refresh_token.get_secret_value(),
            oauth.token_url or GOOGLE_TOKEN_URL,
            oauth.timeout_seconds,
        )
    if oauth.provider == "microsoft365":
        return Microsoft365Provider(oauth)
    raise TokenRefused(f"unknown OAuth provider {oauth.provider!r}")


class CommandProvider:
    """Runs ``token_command`` (split like a shell line, but not run by a shell) for each new token."""

    name = "oauth.token_command"

    def __init__(self, command: str, timeout: float) -> None:
        self.argv = shlex.split(command)
        self.timeout = timeout

    def fetch(self, fresh: bool) -> tuple[str, float | None]:
        try:
            done = subprocess.run(
                self.argv, stdin=subprocess.DEVNULL, capture_output=True, timeout=self.timeout, check=False
            )
        except subprocess.TimeoutExpired:
            raise TokenUnavailable(f"{self.name} did not finish within {self.timeout:g} s") from None
        except OSError as exc:
            raise TokenUnavailable(f"{self.name} could not be run: {exc.strerror or exc}") from None
        if done.returncode != 0:
            lines = done.stderr.decode("utf-8", "replace").strip().splitlines()
            said = f": {lines[-1][:200]}" if lines else ""
            raise TokenUnavailable(f"{self.name} failed with exit status {done.returncode}{said}")
        return parse_command_output(done.stdout.decode("utf-8", "replace"))


def parse_command_output(text: str) -> tuple[str, float | None]:
    """The token (and lifetime, if told) from a token command's standard output."""
    text = text.strip()
    if text.startswith("{"):
        try:
            data = json.loads(text)
        except ValueError:
            raise TokenUnavailable("oauth.token_command printed JSON that does not parse") from None
        token = data.get("access_token") or data.get("accessToken") or ""
        if not isinstance(token, str) or not token:
            raise TokenUnavailable("oauth.token_command printed JSON without access_token")
        lifetime: float | None = None
        try:
            if data.get("expires_in") is not None:
                lifetime = float(data["expires_in"])
            elif data.get("expires_on") is not None:
                lifetime = float(data["expires_on"]) - time.time()
        except (TypeError, ValueError):
            lifetime = None
        return token, lifetime
    lines = text.splitlines()
    return (lines[0].strip() if lines else ""), None


def _oauth_error(status: int, body: bytes) -> tuple[str, str]:
    """(error, first line of error_description) from an OAuth error response (RFC 6749 5.2)."""
    try:
        data = json.loads(body)
    except ValueError:
        return f"HTTP {status}", ""
    if not isinstance(data, dict):
        return f"HTTP {status}", ""
    error = data.get("error")
    error = error if isinstance(error, str) else f"HTTP {status}"
    description = data.get("error_description")
    description = description.strip().splitlines()[0][:200] if isinstance(description, str) and description else ""
    return error, description


class GoogleProvider:
    """Google's refresh-token grant (RFC 6749 section 6), with the standard library."""

    name = "oauth.provider google"

    def __init__(self, client_id: str, client_secret: str, refresh_token: str, token_url: str, timeout: float) -> None:
        self.client_id = client_id
        self.client_secret = client_secret
        self.refresh_token = refresh_token
        self.token_url = token_url
        self.timeout = timeout

    def fetch(self, fresh: bool) -> tuple[str, float | None]:
        form = {"grant_type": "refresh_token", "client_id": self.client_id, "refresh_token": self.refresh_token}
        if self.client_secret:
            form["client_secret"] = self.client_secret
        request = urllib.request.Request(
            self.token_url,
            data=urllib.parse.urlencode(form).encode("ascii"),
            headers={"Content-Type": "application/x-www-form-urlencoded", "Accept": "application/json"},
            method="POST",
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310 - https or loopback
                body = response.read()
        except urllib.error.HTTPError as exc:
            error, description = _oauth_error(exc.code, exc.read())
            exc.close()
            detail = f"{error} ({description})" if description else error
            if 400 <= exc.code < 500 and error in _REFUSALS:
                raise TokenRefused(f"the Google token endpoint refused the refresh token: {detail}") from None
            raise TokenUnavailable(f"the Google token endpoint answered HTTP {exc.code}: {detail}") from None
        except (urllib.error.URLError, OSError) as exc:
            reason = getattr(exc, "reason", None) or exc
            raise TokenUnavailable(f"cannot reach the Google token endpoint {self.token_url}: {reason}") from None
        try:
            data = json.loads(body)
            token = data["access_token"]
            lifetime = float(data["expires_in"]) if data.get("expires_in") is not None else None
        except (ValueError, KeyError, TypeError):
            raise TokenUnavailable("the Google token endpoint sent no access token") from None
        return token, lifetime


class Microsoft365Provider:
    """App-only access (client credentials) with MSAL: a client secret or a certificate."""

    name = "oauth.provider microsoft365"

    def __init__(self, oauth: OAuthSettings) -> None:
        self.oauth = oauth
        self.authority = f"{(oauth.authority or MICROSOFT_AUTHORITY).rstrip('/')}/{oauth.tenant_id}"
        self.scope = oauth.scope or MICROSOFT_SCOPE
        self._app: Any = None

    def credential(self) -> str | dict[str, str]:
        """MSAL's ``client_credential``: the secret, or the certificate's key and SHA-1 thumbprint."""
        oauth = self.oauth
        if oauth.certificate_file is None:
            return oauth.client_secret.get_secret_value()
        try:
            key_pem, thumbprint = load_certificate(oauth.certificate_file)
        except ValueError as exc:
            raise TokenRefused(str(exc)) from None
        return {"private_key": key_pem, "thumbprint": thumbprint}

    def _application(self) -> Any:
        if self._app is not None:
            return self._app
        import msal  # imported on first use: it pulls in requests
        import requests

        session = requests.Session()
        # A token is fetched about once an hour: no idle keep-alive connection left behind.
        session.headers["Connection"] = "close"
        try:
            self._app = msal.ConfidentialClientApplication(
                self.oauth.client_id,
                client_credential=self.credential(),
                authority=self.authority,
                http_client=session,
                # Only login.microsoftonline.com and its sovereign siblings are
                # used; MSAL knows them, so never ask it to discover others.
                instance_discovery=False,
                timeout=self.oauth.timeout_seconds,
            )
        except ValueError as exc:  # the tenant's OpenID document answered 4xx: an unknown tenant
            raise TokenRefused(
                f"Microsoft sign-in does not know oauth.tenant_id {self.oauth.tenant_id!r}: {_first_line(exc)}"
            ) from None
        except (requests.RequestException, RuntimeError) as exc:
            raise TokenUnavailable(f"cannot reach Microsoft sign-in at {self.authority}: {_first_line(exc)}") from None
        return self._app

    def fetch(self, fresh: bool) -> tuple[str, float | None]:
        import requests

        app = self._application()
        if fresh:
            # MSAL reuses its own cached token for client credentials (and
            # refuses force_refresh): drop it, so that a refused token is
            # really replaced.
            cache = app.token_cache
            for entry in list(cache.search(cache.CredentialType.ACCESS_TOKEN)):
                cache.remove_at(entry)
        try:
            result = app.acquire_token_for_client(scopes=[self.scope])
        except requests.RequestException as exc:
            raise TokenUnavailable(f"cannot reach Microsoft sign-in at {self.authority}: {_first_line(exc)}") from None
        if "access_token" in result:
            expires_in = result.get("expires_in")
            return result["access_token"], float(expires_in) if expires_in is not None else None
        error = str(result.get("error") or "error")
        description = _first_line(result.get("error_description") or "")
        detail = f"{error} ({description})" if description else error
        if error in _REFUSALS:
            raise TokenRefused(f"Microsoft sign-in refused the app's credentials: {detail}")
        raise TokenUnavailable(f"Microsoft sign-in failed: {detail}")


def _first_line(value: object) -> str:
    text = str(value).strip()
    return text.splitlines()[0][:200] if text else ""


_PEM_BLOCK = re.compile(r"-----BEGIN ([A-Z0-9 ]+)-----\r?\n.*?-----END \1-----", re.DOTALL)


def read_certificate(path: Any) -> tuple[str, str]:
    """(private key PEM, certificate PEM) from one PEM file holding both; ValueError names the key."""
    try:
        text = Path(path).read_text(encoding="ascii", errors="replace")
    except OSError as exc:
        raise ValueError(f"oauth.certificate_file: cannot read {path}: {exc.strerror}") from None
    key = cert = ""
    for match in _PEM_BLOCK.finditer(text):
        kind = match.group(1)
        if kind.endswith("PRIVATE KEY") and not key:
            key = match.group(0)
        elif kind == "CERTIFICATE" and not cert:
            cert = match.group(0)
    if not key or not cert:
        raise ValueError(f"oauth.certificate_file: {path} must hold the private key and the certificate, both in PEM")
    return key + "\n", cert + "\n"


def load_certificate(path: Any) -> tuple[str, str]:
    """(private key PEM, SHA-1 thumbprint) for MSAL, checked: an unencrypted RSA key that matches the certificate."""
    from cryptography import x509
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key_pem, cert_pem = read_certificate(path)
    try:
        key = serialization.load_pem_private_key(key_pem.encode("ascii"), password=None)
        cert = x509.load_pem_x509_certificate(cert_pem.encode("ascii"))
    except (ValueError, TypeError) as exc:
        problem = f"{_first_line(exc)} (an unencrypted PEM key is needed)"
        raise ValueError(f"oauth.certificate_file: {path}: {problem}") from None
    if not isinstance(key, rsa.RSAPrivateKey):
        raise ValueError(f"oauth.certificate_file: {path}: the key must be RSA (Entra ID takes RSA certificates)")
    if key.public_key().public_numbers() != cert.public_key().public_numbers():  # type: ignore[union-attr]
        raise ValueError(f"oauth.certificate_file: {path}: the private key does not belong to the certificate")
    return key_pem, certificate_thumbprint(cert_pem)


def certificate_thumbprint(cert_pem: str) -> str:
    """The certificate's SHA-1 thumbprint in hex, as Entra ID shows it and MSAL's ``thumbprint`` wants it."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes

    cert = x509.load_pem_x509_certificate(cert_pem.encode("ascii"))
    return cert.fingerprint(hashes.SHA1()).hex().upper()  # noqa: S303 - the thumbprint is defined as SHA-1
