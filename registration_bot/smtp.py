"""The SMTP edge: connect, verify TLS, log in, and read what a reply means.

:func:`connect` opens a connection the way ``smtp.security`` says (implicit
TLS, STARTTLS or none), always verifying the certificate, and logs in with a
password or a bearer token (XOAUTH2 or OAUTHBEARER, tokens from oauth.py).
A failure comes out as one of two exceptions, because the outbox treats them
differently: :class:`SmtpUnavailable` (cannot reach or talk to the server:
mail stays queued) and :class:`SmtpAuthFailed` (the server refused our
credentials: sending pauses). The state machine that uses the connection is
outbox.py; ``check`` uses the same :func:`connect`.
"""

from __future__ import annotations

import smtplib
import ssl

from . import oauth
from .mailbox import tls_context
from .sections import SmtpSettings


class SmtpUnavailable(Exception):
    """The SMTP server cannot be reached right now."""


class SmtpAuthFailed(Exception):
    """The SMTP server refused our credentials."""


def connect(settings: SmtpSettings) -> smtplib.SMTP:
    """An SMTP connection, TLS verified, logged in when a username is set."""
    helo = settings.from_address.rsplit("@", 1)[-1]  # avoid getfqdn(): a slow reverse DNS lookup
    context = tls_context(settings.ca_file)
    try:
        if settings.security == "tls":
            smtp: smtplib.SMTP = smtplib.SMTP_SSL(
                settings.host, settings.port, local_hostname=helo, timeout=settings.timeout_seconds, context=context
            )
        else:
            smtp = smtplib.SMTP(settings.host, settings.port, local_hostname=helo, timeout=settings.timeout_seconds)
        smtp.ehlo()
        if settings.security == "starttls":
            smtp.starttls(context=context)
            smtp.ehlo()
    except (OSError, smtplib.SMTPException, ssl.SSLError) as exc:
        raise SmtpUnavailable(
            f"cannot connect to SMTP {settings.host}:{settings.port}: {describe_error(exc)}"
        ) from None
    if settings.username:
        try:
            if settings.auth == "password":
                smtp.login(settings.username, settings.secret())
            else:  # XOAUTH2 or OAUTHBEARER; a refused token is replaced once (oauth.py)
                refused = smtplib.SMTPAuthenticationError
                oauth.login_with_token(settings, lambda token: _bearer_auth(smtp, settings, token), refused)
        except smtplib.SMTPAuthenticationError as exc:
            quit_quietly(smtp)
            how = "" if settings.auth == "password" else f" ({oauth.describe(settings)})"
            raise SmtpAuthFailed(
                f"SMTP login refused for {settings.username}{how}: {exc.smtp_code} {reply_text(exc.smtp_error)}"
            ) from None
        except oauth.TokenRefused as exc:
            quit_quietly(smtp)
            how = oauth.describe(settings)
            raise SmtpAuthFailed(f"SMTP login refused for {settings.username} ({how}): {exc}") from None
        except smtplib.SMTPNotSupportedError:
            quit_quietly(smtp)
            raise SmtpAuthFailed(f"SMTP {settings.host} offers no AUTH; check smtp.security and smtp.port") from None
        except (OSError, smtplib.SMTPException, oauth.TokenUnavailable) as exc:
            quit_quietly(smtp)
            raise SmtpUnavailable(f"SMTP {settings.host} failed during login: {describe_error(exc)}") from None
    return smtp


def _bearer_auth(smtp: smtplib.SMTP, settings: SmtpSettings, token: str) -> None:
    """``AUTH XOAUTH2`` or ``AUTH OAUTHBEARER`` (RFC 7628) with the token in the initial response."""
    if not smtp.has_extn("auth"):
        raise smtplib.SMTPNotSupportedError("the server offers no AUTH")
    user = settings.username
    if settings.auth == "xoauth2":
        blob = f"user={user}\x01auth=Bearer {token}\x01\x01"
    else:
        gs2 = "n,a=" + user.replace("=", "=3D").replace(",", "=2C") + ","
        blob = f"{gs2}\x01host={settings.host}\x01port={settings.port}\x01auth=Bearer {token}\x01\x01"
    # A refusing server first sends its JSON error as a challenge; an empty answer ends the exchange.
    smtp.auth(settings.auth.upper(), lambda challenge=None: blob if challenge is None else "")


def is_auth_refusal(code: int, reply: bytes | str) -> bool:
    """530 "Authentication required" (or 5.7.0/5.7.8/5.7.9 before DATA) is our configuration, not the mail."""
    text = reply_text(reply)
    return code in (530, 534, 535, 538) or (code >= 500 and text.startswith(("5.7.0", "5.7.8", "5.7.9")))


def reply_text(reply: bytes | str) -> str:
    """A server reply as one line of at most 300 characters, fit for a log or an outbox row."""
    return (reply.decode("utf-8", "replace") if isinstance(reply, bytes) else str(reply)).replace("\n", " ")[:300]


def describe_error(exc: BaseException) -> str:
    """An exception as at most 300 characters, its type name when it has no message."""
    return (str(exc) or type(exc).__name__)[:300]


def quit_quietly(smtp: smtplib.SMTP) -> None:
    try:
        smtp.quit()
    except Exception:  # noqa: BLE001 - the connection may already be gone
        smtp.close()
