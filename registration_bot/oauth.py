"""OAuth 2.0 access tokens for IMAP and SMTP (XOAUTH2, OAUTHBEARER): get them, cache them.

One :class:`TokenSource` per configuration serves both IMAP and SMTP (the
same token works for both at Microsoft 365 and Gmail) and every thread (the
poller and the IDLE watcher). A token is reused until shortly before it
expires. When a server refuses a token anyway (revoked, clock skew, expired
early), :func:`login_with_token` asks the provider for a new one and tries
once more; a second refusal is the caller's ``LoginFailed`` /
``SmtpAuthFailed``, so a bad credential never turns into a retry storm.

The providers (``[oauth] provider``) fetch the tokens: ``token_command``
and ``google`` in oauth_providers.py, with the failures every caller
catches (:class:`TokenRefused`: the credentials are refused, retrying will
not help; :class:`TokenUnavailable`: try again later), and
``microsoft365`` in oauth_microsoft.py. Nothing here logs or puts into an
exception message an access token, a refresh token or a secret.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, TypeVar

from .oauth_microsoft import Microsoft365Provider
from .oauth_providers import (
    GOOGLE_TOKEN_URL,
    CommandProvider,
    GoogleProvider,
    Provider,
    TokenRefused,
    TokenUnavailable,
)

if TYPE_CHECKING:
    from .sections import OAuthSettings, ServerSettings

log = logging.getLogger(__name__)
T = TypeVar("T")

EXPIRY_MARGIN = 300.0
"""A token is renewed this many seconds before it expires (MSAL uses the same 5 minutes)."""
UNKNOWN_LIFETIME = 300.0
"""How long a token from ``token_command`` is reused when the command does not say when it expires."""
_TOKEN_CHARS = re.compile(r"[\x21-\x7e]+")  # visible ASCII: what fits in "auth=Bearer <token>"


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
    server: ServerSettings, login: Callable[[str], T], refused: type[BaseException] | tuple[type[BaseException], ...]
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


def describe(server: ServerSettings) -> str:
    """How ``server`` logs in, for ``check`` and error messages: 'password' or 'xoauth2, token from "google"'."""
    if server.auth == "password":
        return "password"
    provider = server._oauth.provider if server._oauth is not None else ""
    return f'{server.auth}, token from "{provider}"' if provider else f"{server.auth}, no oauth.provider"


def make_provider(oauth: OAuthSettings) -> Provider:
    """The provider ``[oauth] provider`` names, built from the settings."""
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
