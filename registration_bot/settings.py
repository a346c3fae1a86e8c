"""Typed configuration: a TOML file, overridden by ``REGBOT_<SECTION>__<KEY>``.

The configuration is read and validated once, at start-up, by
:func:`load_settings`. Every problem is reported as a :class:`ConfigError`
whose lines name the key (``imap.port: ...``), so an operator never has to
guess which setting is wrong. Secrets are ``SecretStr`` and can come from the
environment or from a ``*_file`` (Docker and systemd credentials), and they
never appear in ``repr`` or in logs.
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Any

from pydantic import SecretStr, ValidationError, model_validator
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from .sections import (
    EventSettings,
    ImapSettings,
    LimitSettings,
    OAuthSettings,
    OrganiserSettings,
    PrivacySettings,
    ScheduleSettings,
    SecuritySettings,
    ServerSettings,
    SmtpSettings,
    StateSettings,
    TemplateSettings,
    WorkbookSettings,
    is_loopback,
)


class ConfigError(Exception):
    """The configuration is unusable; ``str()`` names each offending key."""


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


def _read_secret_file(key: str, server: ServerSettings) -> None:
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
        parts.scheme == "https" or (parts.scheme == "http" and is_loopback(parts.hostname or ""))
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
            from .oauth_microsoft import load_certificate

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
