"""Typed configuration: a TOML file, overridden by ``REGBOT_<SECTION>__<KEY>``.

The configuration is read and validated once, at start-up, by
:func:`load_settings`. Every problem is reported as a :class:`ConfigError`
whose lines name the key (``imap.port: ...``), so an operator never has to
guess which setting is wrong. Secrets are ``SecretStr`` and can come from the
environment or from a ``*_file`` (Docker and systemd credentials), and they
never appear in ``repr`` or in logs.
"""

from __future__ import annotations

import ipaddress
import os
import tomllib
from datetime import datetime
from email.utils import parseaddr
from pathlib import Path
from typing import Any, ClassVar, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

Security = Literal["tls", "starttls", "none"]
AuthMethod = Literal["password", "xoauth2", "oauthbearer"]


class ConfigError(Exception):
    """The configuration is unusable; ``str()`` names each offending key."""


def _is_loopback(host: str) -> bool:
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


class _ServerSettings(Section):
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
    def _check(self) -> _ServerSettings:
        if self.security == "none" and not _is_loopback(self.host):
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


class ImapSettings(_ServerSettings):
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


class SmtpSettings(_ServerSettings):
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
    replies_per_domain_per_hour: int = Field(default=60, ge=1)
    inbound_per_minute: int = Field(default=120, ge=1)
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


class Settings(BaseSettings):
    """The whole configuration. Build it with :func:`load_settings`."""

    model_config = SettingsConfigDict(
        env_prefix="REGBOT_",
        env_nested_delimiter="__",
        case_sensitive=False,
        extra="forbid",
    )

    event: EventSettings = EventSettings()
    imap: ImapSettings
    smtp: SmtpSettings
    workbook: WorkbookSettings = WorkbookSettings()
    state: StateSettings = StateSettings()
    schedule: ScheduleSettings = ScheduleSettings()
    templates: TemplateSettings = TemplateSettings()
    limits: LimitSettings = LimitSettings()
    security: SecuritySettings = SecuritySettings()
    oauth: OAuthSettings = OAuthSettings()
    organiser: OrganiserSettings = OrganiserSettings()
    privacy: PrivacySettings = PrivacySettings()

    @model_validator(mode="after")
    def _link_oauth(self) -> Settings:
        self.imap._oauth = self.smtp._oauth = self.oauth
        return self

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # The TOML file arrives as init arguments; the environment overrides it.
        return (env_settings, init_settings)


def _format_error(exc: ValidationError) -> str:
    lines = []
    for err in exc.errors():
        key = ".".join(str(part) for part in err["loc"]) or "(top level)"
        msg = err["msg"].removeprefix("Value error, ")
        if err["type"] == "extra_forbidden":
            msg = "unknown setting (a typo?)"
        elif err["type"] == "missing":
            msg = "required setting is missing"
        lines.append(f"{key}: {msg}")
    return "\n".join(lines)


def _resolve(base: Path, path: Path | None) -> Path | None:
    if path is None:
        return None
    path = path.expanduser()
    return path if path.is_absolute() else (base / path)


def _read_secret_file(key: str, server: _ServerSettings) -> None:
    if server.password_file is None:
        return
    if server.password.get_secret_value():
        raise ConfigError(f"{key}.password: set either password or password_file, not both")
    try:
        text = server.password_file.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"{key}.password_file: cannot read {server.password_file}: {exc.strerror}") from None
    server.password = SecretStr(text.rstrip("\r\n"))


def load_settings(path: str | os.PathLike[str] | None) -> Settings:
    """Read, merge and validate the configuration; raise :class:`ConfigError`.

    Relative paths in the file are resolved against the file's own folder,
    so a service finds its state wherever it was started from.
    """
    data: dict[str, Any] = {}
    base = Path.cwd()
    if path is not None:
        cfg = Path(path)
        try:
            raw = cfg.read_bytes()
        except OSError as exc:
            raise ConfigError(f"cannot read configuration file {cfg}: {exc.strerror}") from None
        try:
            data = tomllib.loads(raw.decode("utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise ConfigError(f"{cfg}: not valid TOML: {exc}") from None
        base = cfg.resolve().parent
    try:
        settings = Settings(**data)
    except ValidationError as exc:
        raise ConfigError(_format_error(exc)) from None
    for key, server in (("imap", settings.imap), ("smtp", settings.smtp)):
        server.password_file = _resolve(base, server.password_file)
        server.ca_file = _resolve(base, server.ca_file)
        if server.ca_file is not None and not server.ca_file.is_file():
            raise ConfigError(f"{key}.ca_file: no such file: {server.ca_file}")
        _read_secret_file(key, server)
    if settings.smtp.username and settings.smtp.auth == "password" and not settings.smtp.secret():
        raise ConfigError("smtp.password: smtp.username is set, so a password (or password_file) is needed")
    _check_oauth(settings, base)
    settings.workbook.path = _resolve(base, settings.workbook.path)
    settings.state.path = _resolve(base, settings.state.path)
    settings.templates.dir = _resolve(base, settings.templates.dir)
    if settings.templates.dir is not None and not settings.templates.dir.is_dir():
        raise ConfigError(f"templates.dir: no such folder: {settings.templates.dir}")
    return settings


def _url_ok(url: str) -> bool:
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    return bool(parts.hostname) and (
        parts.scheme == "https" or (parts.scheme == "http" and _is_loopback(parts.hostname or ""))
    )


def _check_oauth(settings: Settings, base: Path) -> None:
    """Cross-section rules for OAuth: what each provider needs, read secret files, name the key."""
    oauth = settings.oauth
    users = [
        f'{key}.auth is "{server.auth}"'
        for key, server in (("imap", settings.imap), ("smtp", settings.smtp))
        if server.auth != "password"
    ]
    if not users:
        if oauth.provider:
            raise ConfigError(
                f'oauth.provider: "{oauth.provider}" is set, but neither imap.auth nor smtp.auth is '
                '"xoauth2" or "oauthbearer"'
            )
        return
    if not oauth.provider:
        raise ConfigError(f"oauth.provider: required when {users[0]}")
    if settings.smtp.auth != "password" and not settings.smtp.username:
        raise ConfigError(f'smtp.username: required when smtp.auth is "{settings.smtp.auth}" (the mailbox address)')
    why = f'when oauth.provider is "{oauth.provider}"'
    for name in ("client_secret", "refresh_token"):
        path = _resolve(base, getattr(oauth, f"{name}_file"))
        setattr(oauth, f"{name}_file", path)
        if path is None:
            continue
        if getattr(oauth, name).get_secret_value():
            raise ConfigError(f"oauth.{name}: set either {name} or {name}_file, not both")
        try:
            setattr(oauth, name, SecretStr(path.read_text(encoding="utf-8").strip()))
        except OSError as exc:
            raise ConfigError(f"oauth.{name}_file: cannot read {path}: {exc.strerror}") from None
    oauth.certificate_file = _resolve(base, oauth.certificate_file)
    if oauth.provider == "token_command":
        import shlex
        import shutil

        try:
            argv = shlex.split(oauth.token_command)
        except ValueError as exc:
            raise ConfigError(f"oauth.token_command: cannot be split into words: {exc}") from None
        if not argv:
            raise ConfigError(f"oauth.token_command: required {why}")
        if shutil.which(argv[0]) is None:
            raise ConfigError(f"oauth.token_command: no such program: {argv[0]!r}")
    elif oauth.provider == "microsoft365":
        for name in ("tenant_id", "client_id"):
            if not getattr(oauth, name):
                raise ConfigError(f"oauth.{name}: required {why}")
        has_secret = bool(oauth.client_secret.get_secret_value())
        if has_secret == (oauth.certificate_file is not None):
            raise ConfigError(
                f"oauth.client_secret: {why}, set one of client_secret, client_secret_file or certificate_file"
            )
        if oauth.certificate_file is not None:
            from .oauth import load_certificate

            try:
                load_certificate(oauth.certificate_file)
            except ValueError as exc:
                raise ConfigError(str(exc)) from None
        if not _url_ok(oauth.authority) or not oauth.authority.startswith("https://"):
            raise ConfigError(f"oauth.authority: {oauth.authority!r} is not an https:// URL")
        if not oauth.scope:
            raise ConfigError(f"oauth.scope: required {why}")
    elif oauth.provider == "google":
        if not oauth.client_id:
            raise ConfigError(f"oauth.client_id: required {why}")
        if not oauth.refresh_token.get_secret_value():
            raise ConfigError(f"oauth.refresh_token: required {why} (or refresh_token_file)")
        if not _url_ok(oauth.token_url):
            raise ConfigError(
                f"oauth.token_url: {oauth.token_url!r} is not an https:// URL (http:// only for a loopback host)"
            )
