"""The ``microsoft365`` provider: app-only access (client credentials) with MSAL.

The app signs in with a client secret or with a certificate. A certificate
file holds the private key and the certificate, both PEM; it is checked here
(an unencrypted RSA key that belongs to the certificate) both when the
configuration is loaded and when MSAL gets it, so a wrong file is named at
start-up rather than at the first login. MSAL and requests are imported on
first use.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .oauth_providers import REFUSALS, TokenRefused, TokenUnavailable

if TYPE_CHECKING:
    from .sections import OAuthSettings

MICROSOFT_AUTHORITY = "https://login.microsoftonline.com"
MICROSOFT_SCOPE = "https://outlook.office365.com/.default"


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
                f"Microsoft sign-in does not know oauth.tenant_id {self.oauth.tenant_id!r}: {first_line(exc)}"
            ) from None
        except (requests.RequestException, RuntimeError) as exc:
            raise TokenUnavailable(f"cannot reach Microsoft sign-in at {self.authority}: {first_line(exc)}") from None
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
            raise TokenUnavailable(f"cannot reach Microsoft sign-in at {self.authority}: {first_line(exc)}") from None
        if "access_token" in result:
            expires_in = result.get("expires_in")
            return result["access_token"], float(expires_in) if expires_in is not None else None
        error = str(result.get("error") or "error")
        description = first_line(result.get("error_description") or "")
        detail = f"{error} ({description})" if description else error
        if error in REFUSALS:
            raise TokenRefused(f"Microsoft sign-in refused the app's credentials: {detail}")
        raise TokenUnavailable(f"Microsoft sign-in failed: {detail}")


def first_line(value: object) -> str:
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
        problem = f"{first_line(exc)} (an unencrypted PEM key is needed)"
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
