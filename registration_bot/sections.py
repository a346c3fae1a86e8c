"""The tables of the configuration file, one pydantic model each.

Each model validates its own keys (types, ranges, known time zones, bare
addresses) and refuses unknown ones, so a typo is named rather than ignored.
What needs more than one table, or the file's folder, is checked by
:func:`registration_bot.settings.load_settings`, which also assembles these
sections into :class:`registration_bot.settings.Settings`.
"""

from __future__ import annotations

import ipaddress
from datetime import datetime
from email.utils import parseaddr
from pathlib import Path
from typing import Any, ClassVar, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, SecretStr, field_validator, model_validator

Security = Literal["tls", "starttls", "none"]
AuthMethod = Literal["password", "xoauth2", "oauthbearer"]


def is_loopback(host: str) -> bool:
    """``localhost`` or a loopback IP address: the one place clear text and http:// are allowed."""
    if host.lower() in {"localhost", "localhost.localdomain"}:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _empty_to_none(value: Any) -> Any:
    return None if value == "" else value


class Section(BaseModel):
    """A configuration table: unknown keys are typos and are refused."""

    model_config = ConfigDict(extra="forbid", validate_default=True)


class EventSettings(Section):
    name: str = "Ekosystem kring öppen källkod och öppna data"
    date: datetime | None = None
    location: str = ""
    language: Literal["sv", "en"] = "sv"
    capacity: int = Field(default=0, ge=0)
    timezone: str = "Europe/Stockholm"
    registration_closes: datetime | None = None
    reminder_days: int = Field(default=2, ge=0, le=60)
    duration_minutes: int = Field(default=180, ge=1, le=14 * 24 * 60)  # the calendar invitation's DTEND

    _none_if_empty = field_validator("date", "registration_closes", mode="before")(_empty_to_none)

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r} (use an IANA name such as Europe/Stockholm)") from None
        return value

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


class ServerSettings(Section):
    host: str
    port: int | None = Field(default=None, ge=1, le=65535)
    security: Security = "tls"
    username: str = ""
    auth: AuthMethod = "password"
    password: SecretStr = SecretStr("")
    password_file: Path | None = None
    ca_file: Path | None = None
    timeout_seconds: float = Field(default=60.0, gt=0)

    # The [oauth] section, linked by Settings, for auth = "xoauth2"/"oauthbearer".
    _oauth: OAuthSettings | None = PrivateAttr(default=None)

    _none_if_empty = field_validator("password_file", "ca_file", "port", mode="before")(_empty_to_none)

    DEFAULT_PORTS: ClassVar[dict[str, int]] = {}

    @model_validator(mode="after")
    def _check(self) -> ServerSettings:
        if self.security == "none" and not is_loopback(self.host):
            raise ValueError(
                f'security = "none" sends the password in clear text; it is only allowed for a loopback host, '
                f'not {self.host!r}. Use "tls" or "starttls"'
            )
        if self.port is None:
            self.port = self.DEFAULT_PORTS[self.security]
        return self

    def secret(self) -> str:
        """The password, from ``password`` or read from ``password_file``."""
        return self.password.get_secret_value()


class ImapSettings(ServerSettings):
    host: str
    username: str
    folder: str = "INBOX"
    processed_folder: str = "Registrations/Processed"
    review_folder: str = "Registrations/Review"
    max_message_bytes: int = Field(default=10_000_000, gt=0)
    batch_size: int = Field(default=50, ge=1, le=1000)
    idle: bool = True
    idle_renew_seconds: int = Field(default=600, ge=30, le=1740)

    DEFAULT_PORTS: ClassVar[dict[str, int]] = {"tls": 993, "starttls": 143, "none": 143}


class SmtpSettings(ServerSettings):
    from_address: str
    from_name: str = ""
    rate_per_minute: int = Field(default=30, ge=1, le=100_000)
    retry_base_seconds: float = Field(default=60.0, ge=0)
    max_attempts: int = Field(default=10, ge=1, le=100)

    DEFAULT_PORTS: ClassVar[dict[str, int]] = {"tls": 465, "starttls": 587, "none": 25}

    @field_validator("from_address")
    @classmethod
    def _address(cls, value: str) -> str:
        name, addr = parseaddr(value)
        if name or addr != value or "@" not in addr or any(c.isspace() for c in addr):
            raise ValueError(f"{value!r} is not a bare e-mail address such as anmalan@example.org")
        return addr


class LimitSettings(Section):
    """Caps on automatic mail, so that the bot can never be turned into a mail cannon."""

    replies_per_address_per_day: int = Field(default=5, ge=1)
    replies_per_domain_per_hour: int = Field(default=200, ge=1)
    inbound_per_minute: int = Field(default=300, ge=1)
    breaker_cooldown_minutes: int = Field(default=60, ge=1)


class SecuritySettings(Section):
    """Trust in the receiving server's SPF/DKIM/DMARC verdict (``Authentication-Results``)."""

    authserv_id: str = ""


class WorkbookSettings(Section):
    path: Path = Path("attendees.xlsx")
    versions_kept: int = Field(default=5, ge=0, le=100)


class StateSettings(Section):
    path: Path = Path("registration-bot.sqlite3")


class ScheduleSettings(Section):
    poll_seconds: int = Field(default=60, ge=5, le=86_400)
    misfire_grace_seconds: int = Field(default=30, ge=1)


class OrganiserSettings(Section):
    """Who hears about trouble, and gets the daily summary."""

    email: str = ""
    digest: bool = True
    digest_time: str = "08:00"
    workbook_alert_minutes: int = Field(default=30, ge=1)

    @field_validator("email")
    @classmethod
    def _address(cls, value: str) -> str:
        if value and ("@" not in value or any(c.isspace() for c in value) or parseaddr(value)[1] != value):
            raise ValueError(f"{value!r} is not a bare e-mail address")
        return value

    @field_validator("digest_time")
    @classmethod
    def _clock(cls, value: str) -> str:
        hours, _, minutes = value.partition(":")
        if not (hours.isdigit() and minutes.isdigit() and int(hours) < 24 and int(minutes) < 60 and len(minutes) == 2):
            raise ValueError(f"{value!r} is not a time of day such as 08:00")
        return value


class TemplateSettings(Section):
    dir: Path | None = None

    _none_if_empty = field_validator("dir", mode="before")(_empty_to_none)


class PrivacySettings(Section):
    """How long personal data is kept (GDPR storage limitation); see privacy.py."""

    retention_days_after_event: int = Field(default=90, ge=0, le=3650)


OAuthProvider = Literal["", "token_command", "microsoft365", "google"]


class OAuthSettings(Section):
    """Where access tokens come from when ``[imap] auth`` or ``[smtp] auth`` is OAuth (see oauth.py)."""

    provider: OAuthProvider = ""
    token_command: str = ""
    tenant_id: str = ""
    client_id: str = ""
    client_secret: SecretStr = SecretStr("")
    client_secret_file: Path | None = None
    certificate_file: Path | None = None
    refresh_token: SecretStr = SecretStr("")
    refresh_token_file: Path | None = None
    token_url: str = "https://oauth2.googleapis.com/token"
    authority: str = "https://login.microsoftonline.com"
    scope: str = "https://outlook.office365.com/.default"
    timeout_seconds: float = Field(default=30.0, gt=0)

    _none_if_empty = field_validator("client_secret_file", "certificate_file", "refresh_token_file", mode="before")(
        _empty_to_none
    )

    # The token cache shared by IMAP, SMTP and every thread (oauth.token_source).
    _source: Any = PrivateAttr(default=None)
