"""Where access tokens come from: the failures, and the ``token_command`` and ``google`` providers.

A provider answers one question, "a new access token, and how long it
lives", through :meth:`Provider.fetch`; caching and the one retry after a
refused token are oauth.py's. ``microsoft365`` (MSAL) is oauth_microsoft.py.

* ``token_command``: a program that prints an access token (mutt's
  ``oauth2.py``, ``az account get-access-token``, ``gcloud auth
  print-access-token``). Its output is either the bare token or a JSON
  object with ``access_token``/``accessToken`` and ``expires_in`` or
  ``expires_on`` (epoch seconds). A bare token's lifetime is unknown, so it
  is reused for ``oauth.UNKNOWN_LIFETIME`` seconds.
* ``google``: a stored refresh token, exchanged at ``token_url``.

Failures are :class:`TokenRefused` (the provider refused our credentials:
retrying will not help) or :class:`TokenUnavailable` (network, timeouts,
server errors: try again later). Nothing here logs or puts into an exception
message an access token, a refresh token or a secret; only the provider's
own error code and description.
"""

from __future__ import annotations

import json
import shlex
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request
from typing import Protocol

GOOGLE_TOKEN_URL = "https://oauth2.googleapis.com/token"
# OAuth error codes (RFC 6749 5.2) that mean our credentials are refused, not a passing failure.
REFUSALS = {
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


def oauth_error(status: int, body: bytes) -> tuple[str, str]:
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
            error, description = oauth_error(exc.code, exc.read())
            exc.close()
            detail = f"{error} ({description})" if description else error
            if 400 <= exc.code < 500 and error in REFUSALS:
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
