"""A throwaway OAuth 2.0 token endpoint for the tests and the harness: never used by the bot itself.

:class:`TokenEndpoint` is a tiny token endpoint on 127.0.0.1 (HTTP, or HTTPS
with a test certificate) that answers the Google refresh-token grant and the
Microsoft identity platform's client-credentials grant (with the OpenID
discovery document that MSAL asks for first), checking a client secret or a
certificate-signed client assertion. Its error replies use the real
services' codes (``invalid_grant``, ``invalid_client``, AADSTS numbers).

Nothing here touches the network beyond 127.0.0.1, and nothing happens at import.
"""

from __future__ import annotations

import hmac
import json
import secrets
import ssl
import threading
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from .common import HOST, _b64url


@dataclass
class TokenRequest:
    """One POST to the token endpoint, as the endpoint understood it."""

    path: str
    form: dict[str, str]
    client_id: str
    credential: str  # "secret", "certificate", "none"
    status: int = 0


@dataclass
class _Reply:
    status: int
    body: dict[str, Any]


class TokenEndpoint:
    """An OAuth 2.0 token endpoint on 127.0.0.1 for the Google and Microsoft flows.

    * ``POST /token`` (any path ending in ``/token``) with
      ``grant_type=refresh_token``: Google's refresh. ``refresh_tokens`` lists
      the refresh tokens it accepts; ``clients`` the client secrets.
    * ``GET /<tenant>/v2.0/.well-known/openid-configuration`` and
      ``POST /<tenant>/oauth2/v2.0/token`` with
      ``grant_type=client_credentials``: the Microsoft identity platform as
      MSAL uses it. A client proves itself with ``client_secret`` (checked
      against ``clients``) or with a client assertion signed by the key of a
      certificate in ``certificates`` (RS256, ``x5t`` = SHA-1 thumbprint,
      audience = this token endpoint).

    ``issue(request)`` makes each access token (default: random text).
    ``fail_next(status, error)`` makes the next requests fail. MSAL insists
    on HTTPS, so pass ``tls`` (a server :class:`ssl.SSLContext`) for it.
    """

    def __init__(
        self,
        *,
        issue: Callable[[TokenRequest], str] | None = None,
        expires_in: int = 3600,
        clients: dict[str, str] | None = None,
        certificates: dict[str, bytes] | None = None,
        refresh_tokens: set[str] | None = None,
        tenant: str = "regbot-tenant",
        tls: ssl.SSLContext | None = None,
    ) -> None:
        self.issue = issue or (lambda request: secrets.token_urlsafe(24))
        self.expires_in = expires_in
        self.clients = dict(clients or {})
        self.certificates = dict(certificates or {})
        self.refresh_tokens = set(refresh_tokens or ())
        self.tenant = tenant
        self.tls = tls
        self.requests: list[TokenRequest] = []
        self.discoveries = 0
        self._failures: list[_Reply] = []
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- addresses -------------------------------------------------------------------
    @property
    def base_url(self) -> str:
        assert self._server is not None, "start() first"
        scheme = "https" if self.tls else "http"
        return f"{scheme}://{HOST}:{self._server.server_address[1]}"

    @property
    def token_url(self) -> str:
        """The Google-style token URL."""
        return f"{self.base_url}/token"

    @property
    def microsoft_token_url(self) -> str:
        return f"{self.base_url}/{self.tenant}/oauth2/v2.0/token"

    # -- control ---------------------------------------------------------------------
    def fail_next(self, status: int = 500, error: str = "temporarily_unavailable", count: int = 1) -> None:
        with self._lock:
            self._failures.extend(
                _Reply(status, {"error": error, "error_description": f"test {error}"}) for _ in range(count)
            )

    @property
    def token_requests(self) -> list[TokenRequest]:
        with self._lock:
            return list(self.requests)

    def start(self) -> TokenEndpoint:
        endpoint = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - keep test output clean
                pass

            def do_GET(self) -> None:  # noqa: N802
                path = urllib.parse.urlsplit(self.path).path
                if path == f"/{endpoint.tenant}/v2.0/.well-known/openid-configuration":
                    with endpoint._lock:
                        endpoint.discoveries += 1
                    base = f"{endpoint.base_url}/{endpoint.tenant}"
                    self._send(
                        200,
                        {
                            "token_endpoint": f"{base}/oauth2/v2.0/token",
                            "authorization_endpoint": f"{base}/oauth2/v2.0/authorize",
                            "issuer": f"{base}/v2.0",
                        },
                    )
                else:
                    self._send(404, {"error": "not_found"})

            def do_POST(self) -> None:  # noqa: N802
                length = int(self.headers.get("Content-Length") or 0)
                form = dict(urllib.parse.parse_qsl(self.rfile.read(length).decode("utf-8")))
                reply, request = endpoint._answer(urllib.parse.urlsplit(self.path).path, form)
                if request is not None:
                    request.status = reply.status
                self._send(reply.status, reply.body)

            def _send(self, status: int, body: dict[str, Any]) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.send_header("Cache-Control", "no-store")
                self.end_headers()
                self.wfile.write(data)

        server = ThreadingHTTPServer((HOST, 0), Handler)
        server.daemon_threads = True
        if self.tls is not None:
            server.socket = self.tls.wrap_socket(server.socket, server_side=True)
        self._server = server
        self._thread = threading.Thread(target=server.serve_forever, name="token-endpoint", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        server, self._server = self._server, None
        if server is not None:
            server.shutdown()
            server.server_close()
        if self._thread is not None:
            self._thread.join(5)
            self._thread = None

    def __enter__(self) -> TokenEndpoint:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- the grants ------------------------------------------------------------------
    def _answer(self, path: str, form: dict[str, str]) -> tuple[_Reply, TokenRequest | None]:
        if not path.endswith("/token"):
            return _Reply(404, {"error": "not_found"}), None
        client_id = form.get("client_id", "")
        credential = (
            "secret" if form.get("client_secret") else "certificate" if form.get("client_assertion") else "none"
        )
        request = TokenRequest(path, form, client_id, credential)
        with self._lock:
            self.requests.append(request)
            failure = self._failures.pop(0) if self._failures else None
        if failure is not None:
            return failure, request
        grant = form.get("grant_type")
        if grant == "refresh_token":
            if form.get("refresh_token") not in self.refresh_tokens:
                return _Reply(400, {"error": "invalid_grant", "error_description": "Bad Request"}), request
        elif grant == "client_credentials":
            if path != f"/{self.tenant}/oauth2/v2.0/token":
                return _Reply(
                    400, {"error": "invalid_request", "error_description": "AADSTS90002: Tenant not found."}
                ), request
        else:
            return _Reply(400, {"error": "unsupported_grant_type"}), request
        problem = self._check_client(form, path)
        if problem:
            return _Reply(401, {"error": "invalid_client", "error_description": problem}), request
        token = self.issue(request)
        return _Reply(200, {"access_token": token, "token_type": "Bearer", "expires_in": self.expires_in}), request

    def _check_client(self, form: dict[str, str], path: str) -> str:
        client_id = form.get("client_id", "")
        if form.get("client_secret"):
            ok = client_id in self.clients and hmac.compare_digest(self.clients[client_id], form["client_secret"])
            return "" if ok else "AADSTS7000215: Invalid client secret provided."
        if form.get("client_assertion"):
            return self._check_assertion(client_id, form["client_assertion"], f"{self.base_url}{path}")
        if client_id in self.clients and not self.clients[client_id]:
            return ""  # a public client, registered without a secret
        return "AADSTS7000218: The request body must contain client_assertion or client_secret."

    def _check_assertion(self, client_id: str, assertion: str, audience: str) -> str:
        import jwt  # PyJWT, installed with msal
        from cryptography import x509
        from cryptography.hazmat.primitives import hashes

        pem = self.certificates.get(client_id)
        if pem is None:
            return f"AADSTS700027: no certificate registered for {client_id}"
        cert = x509.load_pem_x509_certificate(pem)
        header = jwt.get_unverified_header(assertion)
        # MSAL keeps the base64 padding of x5t; Entra ID accepts it either way.
        if str(header.get("x5t", "")).rstrip("=") != _b64url(cert.fingerprint(hashes.SHA1())):  # noqa: S303
            return "AADSTS700027: the certificate thumbprint (x5t) is not registered"
        try:
            claims = jwt.decode(assertion, cert.public_key(), algorithms=["RS256", "PS256"], audience=audience)
        except jwt.PyJWTError as exc:
            return f"AADSTS700027: client assertion failed: {exc}"
        if claims.get("iss") != client_id or claims.get("sub") != client_id:
            return "AADSTS700027: iss and sub must be the client id"
        return ""
