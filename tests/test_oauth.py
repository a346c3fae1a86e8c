"""OAuth 2.0 logins (XOAUTH2, OAUTHBEARER) for IMAP and SMTP, and the three token providers.

The IMAP side is tested against the real Dovecot: its ``oauth2`` passdb
validates our JWTs locally (``introspection_mode = local``, an HS256 key in a
``fs:posix`` dictionary, ``issuers`` and ``username_attribute = email``), so a
token that is expired, forged or for someone else is refused by Dovecot
itself. The SMTP side is an aiosmtpd server with ``auth_XOAUTH2`` and
``auth_OAUTHBEARER``. The Google and Microsoft token endpoints are a small
HTTP(S) server on 127.0.0.1; MSAL talks to it over HTTPS with a trustme
certificate (``REQUESTS_CA_BUNDLE``). No test reaches a real Microsoft or
Google endpoint.
"""

from __future__ import annotations

import json
import logging
import os
import shlex
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from e2e_helpers import ADDRESS, base_config, config_text, one_line_error, run_cli, write_config

from registration_bot import oauth, oauth_microsoft, oauth_providers
from registration_bot.devservers import Dovecot, TlsFiles
from registration_bot.devservers.oauth import BearerSmtpSink, JwtIssuer
from registration_bot.devservers.tokenendpoint import TokenEndpoint, TokenRequest
from registration_bot.ledger import Ledger, now_iso
from registration_bot.mailbox import LoginFailed, Mailbox, MailboxUnavailable
from registration_bot.oauth import TokenSource, TokenUnavailable
from registration_bot.outbox import Outbox
from registration_bot.settings import ConfigError, Settings, load_settings
from registration_bot.smtp import SmtpAuthFailed, SmtpUnavailable, connect, quit_quietly

USERS = {ADDRESS: "not-used-with-oauth"}
GOOGLE_CLIENT = ("regbot-test.apps.googleusercontent.test", "g-client-secret-7c1e")
GOOGLE_REFRESH = "1//refresh-token-test-0d9f"
MS_CLIENT = ("0f1e2d3c-regbot-test-app", "ms-client-secret-4b2a")


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.upper().startswith("REGBOT_"):
            monkeypatch.delenv(name)


# -- helpers ---------------------------------------------------------------------------

TOKEN_SCRIPT = """\
import json, pathlib, sys
folder = pathlib.Path(sys.argv[1])
with open(folder / "runs", "a") as runs:
    runs.write("run\\n")
queue = json.loads((folder / "queue.json").read_text())
if not queue:
    sys.stderr.write("no token left\\n")
    sys.exit(3)
print(queue.pop(0) if len(queue) > 1 else queue[0])  # the last one repeats
(folder / "queue.json").write_text(json.dumps(queue))
"""


class TokenCommand:
    """A ``token_command`` that prints queued tokens in order (the last one repeats) and counts its runs."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "token.py").write_text(TOKEN_SCRIPT)
        self.queue()

    @property
    def command(self) -> str:
        return shlex.join([sys.executable, str(self.folder / "token.py"), str(self.folder)])

    def queue(self, *outputs: str) -> None:
        (self.folder / "queue.json").write_text(json.dumps(list(outputs)))

    @property
    def runs(self) -> int:
        path = self.folder / "runs"
        return path.read_text().count("run") if path.exists() else 0


def settings_for(
    tmp_path: Path,
    *,
    imap_port: int = 1,
    smtp_port: int = 2,
    imap_auth: str = "xoauth2",
    smtp_auth: str = "password",
    oauth_section: dict[str, Any] | None = None,
    smtp_username: str = "",
) -> Settings:
    sections = base_config(tmp_path, imap_port, smtp_port)
    sections["imap"]["auth"] = imap_auth
    sections["smtp"]["auth"] = smtp_auth
    if smtp_username:
        sections["smtp"]["username"] = smtp_username
    if oauth_section is not None:
        sections["oauth"] = oauth_section
    path = tmp_path / "bot.toml"
    path.write_text(config_text(sections), encoding="utf-8")
    return load_settings(path)


@pytest.fixture
def issuer() -> JwtIssuer:
    return JwtIssuer()


@pytest.fixture
def oauth_dovecot(dovecot_dir: Path, issuer: JwtIssuer) -> Iterator[Dovecot]:
    """A real Dovecot whose oauth2 passdb validates ``issuer``'s JWTs locally."""
    extra = issuer.dovecot_config(dovecot_dir / "oauth2")
    with Dovecot(dovecot_dir, USERS, extra_config=extra) as server:
        yield server


def oauth2_failures(server: Dovecot) -> list[str]:
    return [line for line in server.log_path.read_text().splitlines() if "oauth2 failed" in line]


@pytest.fixture
def token_command(tmp_path: Path) -> TokenCommand:
    return TokenCommand(tmp_path / "token-command")


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class ScriptedProvider:
    """A provider that hands out ``token-1``, ``token-2``, ... and records whether each was fresh."""

    name = "scripted"

    def __init__(self, lifetime: float | None = 3600) -> None:
        self.lifetime = lifetime
        self.calls: list[bool] = []

    def fetch(self, fresh: bool) -> tuple[str, float | None]:
        self.calls.append(fresh)
        return f"token-{len(self.calls)}", self.lifetime


# -- the cache -------------------------------------------------------------------------


def test_a_token_is_reused_until_five_minutes_before_it_expires() -> None:
    clock, provider = FakeClock(), ScriptedProvider(lifetime=3600)
    source = TokenSource(provider, clock=clock)

    assert source.token() == "token-1"
    clock.now += 3600 - oauth.EXPIRY_MARGIN - 1
    assert source.token() == "token-1"
    clock.now += 2
    assert source.token() == "token-2"
    assert provider.calls == [False, False]


def test_short_and_unknown_lifetimes() -> None:
    clock = FakeClock()
    short = TokenSource(ScriptedProvider(lifetime=120), clock=clock)
    assert short.token() == "token-1"
    clock.now += 59
    assert short.token() == "token-1"  # half of a short life
    clock.now += 2
    assert short.token() == "token-2"

    unknown = TokenSource(ScriptedProvider(lifetime=None), clock=clock)
    assert unknown.token() == "token-1"
    clock.now += oauth.UNKNOWN_LIFETIME - 1
    assert unknown.token() == "token-1"
    clock.now += 2
    assert unknown.token() == "token-2"


def test_refresh_replaces_a_refused_token_once_even_when_two_threads_hit_it() -> None:
    provider = ScriptedProvider()
    source = TokenSource(provider, clock=FakeClock())
    refused = source.token()

    assert source.refresh(refused) == "token-2"
    # A second thread that was refused with the same old token gets the new one, no third fetch.
    assert source.refresh(refused) == "token-2"
    assert provider.calls == [False, True]


def test_a_provider_answer_that_is_not_a_token_is_refused_without_echoing_it() -> None:
    class Noisy:
        name = "noisy"

        def fetch(self, fresh: bool) -> tuple[str, None]:
            return "secret value with spaces", None

    with pytest.raises(TokenUnavailable) as info:
        TokenSource(Noisy()).token()
    assert "secret" not in str(info.value)


class _Refused(Exception):
    pass


def _server_settings(tmp_path: Path, command: TokenCommand) -> Any:
    return settings_for(tmp_path, oauth_section={"provider": "token_command", "token_command": command.command}).imap


def test_login_with_token_refreshes_once_then_succeeds(tmp_path: Path, token_command: TokenCommand) -> None:
    token_command.queue("first", "second")
    imap = _server_settings(tmp_path, token_command)
    seen: list[str] = []

    def login(token: str) -> str:
        seen.append(token)
        if token == "first":
            raise _Refused
        return "in"

    assert oauth.login_with_token(imap, login, _Refused) == "in"
    assert seen == ["first", "second"] and token_command.runs == 2
    # The good token is cached now: no run for the next login.
    assert oauth.login_with_token(imap, login, _Refused) == "in"
    assert seen[-1] == "second" and token_command.runs == 2


def test_login_with_token_gives_up_after_the_second_refusal(tmp_path: Path, token_command: TokenCommand) -> None:
    token_command.queue("bad-1", "bad-2", "bad-3")
    imap = _server_settings(tmp_path, token_command)
    attempts: list[str] = []

    def login(token: str) -> None:
        attempts.append(token)
        raise _Refused

    with pytest.raises(_Refused):
        oauth.login_with_token(imap, login, _Refused)
    assert attempts == ["bad-1", "bad-2"] and token_command.runs == 2


# -- token_command ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("output", "token", "lifetime"),
    [
        ("ya29.plain-token\n", "ya29.plain-token", None),
        ('{"access_token": "eyJ.a.b", "expires_in": 3599}', "eyJ.a.b", 3599),
        # az account get-access-token (JSON output)
        (
            '{"accessToken": "eyJ.c.d", "expiresOn": "2030-01-01 10:00:00.000000", "expires_on": 4000000000,'
            ' "tokenType": "Bearer"}',
            "eyJ.c.d",
            "far",
        ),
    ],
)
def test_token_command_output_forms(output: str, token: str, lifetime: Any) -> None:
    got, life = oauth_providers.parse_command_output(output)
    assert got == token
    if lifetime == "far":
        assert life is not None and life > 10**8
    else:
        assert life == lifetime


def test_a_failing_token_command_says_why_and_is_temporary(tmp_path: Path, token_command: TokenCommand) -> None:
    token_command.queue()  # nothing left: the script prints to stderr and exits 3
    source = TokenSource(oauth_providers.CommandProvider(token_command.command, timeout=10))
    with pytest.raises(TokenUnavailable, match=r"exit status 3: no token left"):
        source.token()


def test_a_hanging_token_command_times_out(tmp_path: Path) -> None:
    provider = oauth_providers.CommandProvider(
        shlex.join([sys.executable, "-c", "import time; time.sleep(30)"]), timeout=0.5
    )
    started = time.monotonic()
    with pytest.raises(TokenUnavailable, match="did not finish within 0.5 s"):
        provider.fetch(False)
    assert time.monotonic() - started < 5


# -- the configuration -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({}, r'^oauth\.provider: required when imap\.auth is "xoauth2"$'),
        ({"provider": "token_command"}, r'^oauth\.token_command: required when oauth\.provider is "token_command"$'),
        (
            {"provider": "token_command", "token_command": "no-such-program-regbot --x"},
            r"^oauth\.token_command: no such program: 'no-such-program-regbot'$",
        ),
        ({"provider": "microsoft365", "client_id": "c"}, r"^oauth\.tenant_id: required when"),
        (
            {"provider": "microsoft365", "tenant_id": "t", "client_id": "c"},
            r"^oauth\.client_secret: when oauth\.provider is \"microsoft365\", set one of client_secret",
        ),
        (
            {
                "provider": "microsoft365",
                "tenant_id": "t",
                "client_id": "c",
                "client_secret": "s",
                "certificate_file": "cert.pem",
            },
            r"^oauth\.client_secret: .*set one of",
        ),
        (
            {
                "provider": "microsoft365",
                "tenant_id": "t",
                "client_id": "c",
                "client_secret": "s",
                "authority": "http://login.example",
            },
            r"^oauth\.authority: 'http://login\.example' is not an https:// URL",
        ),
        ({"provider": "google", "client_id": "c"}, r"^oauth\.refresh_token: required when"),
        (
            {"provider": "google", "client_id": "c", "refresh_token": "r", "token_url": "http://tokens.example/t"},
            r"^oauth\.token_url: .* is not an https:// URL",
        ),
        (
            {"provider": "google", "client_id": "c", "refresh_token": "r", "refresh_token_file": "x"},
            r"^oauth\.refresh_token: set either refresh_token or refresh_token_file, not both$",
        ),
        (
            {"provider": "google", "client_id": "c", "refresh_token_file": "missing-file"},
            r"^oauth\.refresh_token_file: cannot read .*missing-file",
        ),
        ({"provider": "gmail"}, r"^oauth\.provider: Input should be '', 'token_command', 'microsoft365' or 'google'$"),
    ],
)
def test_oauth_configuration_errors_name_the_key(tmp_path: Path, changes: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        settings_for(tmp_path, oauth_section=changes)


def test_a_provider_that_nothing_uses_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r'^oauth\.provider: "google" is set, but neither imap\.auth nor smtp\.auth'):
        settings_for(tmp_path, imap_auth="password", oauth_section={"provider": "google"})


def test_smtp_oauth_needs_the_mailbox_address_as_username(tmp_path: Path) -> None:
    section = {"provider": "token_command", "token_command": "true"}
    with pytest.raises(ConfigError, match=r'^smtp\.username: required when smtp\.auth is "oauthbearer"'):
        settings_for(tmp_path, imap_auth="password", smtp_auth="oauthbearer", oauth_section=section)
    # With OAuth the SMTP password is not needed.
    s = settings_for(tmp_path, smtp_auth="xoauth2", smtp_username=ADDRESS, oauth_section=section)
    assert (s.imap.auth, s.smtp.auth, s.smtp.secret()) == ("xoauth2", "xoauth2", "")


def test_secrets_come_from_files_or_the_environment_and_stay_secret(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "refresh-token").write_text(GOOGLE_REFRESH + "\n")
    monkeypatch.setenv("REGBOT_OAUTH__CLIENT_SECRET", GOOGLE_CLIENT[1])
    s = settings_for(
        tmp_path,
        oauth_section={"provider": "google", "client_id": GOOGLE_CLIENT[0], "refresh_token_file": "refresh-token"},
    )
    assert s.oauth.refresh_token.get_secret_value() == GOOGLE_REFRESH
    assert s.oauth.client_secret.get_secret_value() == GOOGLE_CLIENT[1]
    assert s.oauth.refresh_token_file == tmp_path / "refresh-token"
    assert GOOGLE_REFRESH not in repr(s) and GOOGLE_CLIENT[1] not in repr(s)
    # One token cache for IMAP and SMTP alike.
    assert s.imap._oauth is s.oauth and s.smtp._oauth is s.oauth


def test_certificate_file_needs_key_and_certificate(tmp_path: Path) -> None:
    (tmp_path / "cert.pem").write_text("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n")
    section = {"provider": "microsoft365", "tenant_id": "t", "client_id": "c", "certificate_file": "cert.pem"}
    with pytest.raises(ConfigError, match=r"^oauth\.certificate_file: .* must hold the private key and the cert"):
        settings_for(tmp_path, oauth_section=section)


# -- IMAP against the real Dovecot, token from token_command ----------------------------


@pytest.mark.parametrize("mechanism", ["xoauth2", "oauthbearer"])
def test_imap_login_with_a_token_from_token_command(
    tmp_path: Path,
    oauth_dovecot: Dovecot,
    issuer: JwtIssuer,
    token_command: TokenCommand,
    mechanism: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    token = issuer.token(ADDRESS)
    token_command.queue(token)
    s = settings_for(
        tmp_path,
        imap_port=oauth_dovecot.port,
        imap_auth=mechanism,
        oauth_section={"provider": "token_command", "token_command": token_command.command},
    )
    for _ in range(2):
        with Mailbox(s.imap) as box:
            box.select("INBOX")
    assert token_command.runs == 1  # the second login reused the cached token
    assert f"method={mechanism.upper()}" in oauth_dovecot.log_path.read_text()
    assert token not in caplog.text


def test_an_expired_token_is_refreshed_once_then_the_login_succeeds(
    tmp_path: Path, oauth_dovecot: Dovecot, issuer: JwtIssuer, token_command: TokenCommand
) -> None:
    # The command says nothing about expiry, so the bot cannot know the first token is stale: the server tells it.
    token_command.queue(issuer.expired(ADDRESS), issuer.token(ADDRESS))
    s = settings_for(
        tmp_path,
        imap_port=oauth_dovecot.port,
        oauth_section={"provider": "token_command", "token_command": token_command.command},
    )
    with Mailbox(s.imap) as box:
        box.select("INBOX")
    assert token_command.runs == 2
    assert [line.split("oauth2 failed: ")[1] for line in oauth2_failures(oauth_dovecot)] == [
        "Local validation failed: Token has expired"
    ]


def test_a_token_that_stays_invalid_fails_after_exactly_two_attempts(
    tmp_path: Path, oauth_dovecot: Dovecot, issuer: JwtIssuer, token_command: TokenCommand
) -> None:
    token_command.queue(issuer.forged(ADDRESS), issuer.token("someone-else@example.org"), issuer.token(ADDRESS))
    s = settings_for(
        tmp_path,
        imap_port=oauth_dovecot.port,
        imap_auth="oauthbearer",
        oauth_section={"provider": "token_command", "token_command": token_command.command},
    )
    with pytest.raises(LoginFailed) as info:
        Mailbox(s.imap).connect()
    assert str(info.value) == (
        f'IMAP login refused for {ADDRESS} at 127.0.0.1 (oauthbearer, token from "token_command"): '
        "[AUTHENTICATIONFAILED] Authentication failed."
    )
    assert token_command.runs == 2
    reasons = [line.split("oauth2 failed: ")[1] for line in oauth2_failures(oauth_dovecot)]
    assert reasons == [
        "Local validation failed: Incorrect JWT signature",
        f"Local validation failed: Username '{ADDRESS}' did not match 'someone-else@example.org'",
    ]


def test_a_broken_token_command_is_an_outage_not_a_refused_login(
    tmp_path: Path, oauth_dovecot: Dovecot, token_command: TokenCommand
) -> None:
    token_command.queue()  # exits 3
    s = settings_for(
        tmp_path,
        imap_port=oauth_dovecot.port,
        oauth_section={"provider": "token_command", "token_command": token_command.command},
    )
    with pytest.raises(MailboxUnavailable, match=r"oauth\.token_command failed with exit status 3: no token left"):
        Mailbox(s.imap).connect()
    assert oauth2_failures(oauth_dovecot) == []


# -- SMTP: AUTH XOAUTH2 / OAUTHBEARER against aiosmtpd --------------------------------------


@pytest.fixture
def good_tokens() -> set[str]:
    return set()


@pytest.fixture
def bearer_sink(good_tokens: set[str]) -> Iterator[BearerSmtpSink]:
    with BearerSmtpSink(lambda user, token: user == ADDRESS and token in good_tokens) as sink:
        yield sink


@pytest.mark.parametrize("mechanism", ["xoauth2", "oauthbearer"])
def test_smtp_sends_with_a_bearer_token(
    tmp_path: Path, bearer_sink: BearerSmtpSink, good_tokens: set[str], token_command: TokenCommand, mechanism: str
) -> None:
    good_tokens.add("smtp-token-1")
    token_command.queue("smtp-token-1")
    s = settings_for(
        tmp_path,
        smtp_port=bearer_sink.port,
        imap_auth="password",
        smtp_auth=mechanism,
        smtp_username=ADDRESS,
        oauth_section={"provider": "token_command", "token_command": token_command.command},
    )
    smtp = connect(s.smtp)
    try:
        smtp.sendmail(ADDRESS, ["someone@example.org"], b"Subject: hi\r\n\r\nhello\r\n")
    finally:
        quit_quietly(smtp)
    assert [(a.mechanism, a.user, a.accepted) for a in bearer_sink.attempts] == [(mechanism.upper(), ADDRESS, True)]
    assert len(bearer_sink.messages) == 1


def test_smtp_refresh_after_a_refusal_then_a_clear_failure(
    tmp_path: Path, bearer_sink: BearerSmtpSink, good_tokens: set[str], token_command: TokenCommand
) -> None:
    good_tokens.add("fresh")
    token_command.queue("stale", "fresh")
    s = settings_for(
        tmp_path,
        smtp_port=bearer_sink.port,
        imap_auth="password",
        smtp_auth="xoauth2",
        smtp_username=ADDRESS,
        oauth_section={"provider": "token_command", "token_command": token_command.command},
    )
    quit_quietly(connect(s.smtp))
    assert [a.accepted for a in bearer_sink.attempts] == [False, True] and token_command.runs == 2

    good_tokens.clear()  # revoked: the cached token and the next one are refused
    token_command.queue("revoked")
    with pytest.raises(SmtpAuthFailed) as info:
        connect(s.smtp)
    assert str(info.value) == (
        f'SMTP login refused for {ADDRESS} (xoauth2, token from "token_command"): 535 5.7.3 Authentication unsuccessful'
    )
    assert [a.accepted for a in bearer_sink.attempts] == [False, True, False, False] and token_command.runs == 3


def test_a_refused_smtp_token_pauses_the_outbox_like_a_refused_password(
    tmp_path: Path, bearer_sink: BearerSmtpSink, token_command: TokenCommand
) -> None:
    token_command.queue("never-good")
    s = settings_for(
        tmp_path,
        smtp_port=bearer_sink.port,
        imap_auth="password",
        smtp_auth="xoauth2",
        smtp_username=ADDRESS,
        oauth_section={"provider": "token_command", "token_command": token_command.command},
    )
    with Ledger(s.state.path) as ledger:
        with ledger.transaction() as db:
            db.execute(
                "INSERT INTO outbox (dedup_key, kind, recipient, message_id, payload, state, next_attempt_at,"
                " created_at, updated_at) VALUES ('test-1', 'confirmation', 'a@example.org', '<m@x>', ?, 'queued',"
                " '2000-01-01T00:00:00+00:00', ?, ?)",
                (b"Subject: x\r\n\r\ny\r\n", now_iso(), now_iso()),
            )
        result = Outbox(ledger, s.smtp).flush()
    assert result.paused.startswith(f'SMTP login refused for {ADDRESS} (xoauth2, token from "token_command"): 535')
    assert len(bearer_sink.attempts) == 2 and bearer_sink.messages == []


# -- google: the refresh-token grant against a local token endpoint -----------------------


@pytest.fixture
def google_endpoint(good_tokens: set[str]) -> Iterator[TokenEndpoint]:
    def issue(request: TokenRequest) -> str:
        token = f"ya29.test-{len(good_tokens) + 1}"
        good_tokens.add(token)
        return token

    endpoint = TokenEndpoint(
        issue=issue, clients={GOOGLE_CLIENT[0]: GOOGLE_CLIENT[1]}, refresh_tokens={GOOGLE_REFRESH}, expires_in=3599
    )
    with endpoint:
        yield endpoint


def google_section(endpoint: TokenEndpoint, refresh_token: str = GOOGLE_REFRESH) -> dict[str, str]:
    return {
        "provider": "google",
        "client_id": GOOGLE_CLIENT[0],
        "client_secret": GOOGLE_CLIENT[1],
        "refresh_token": refresh_token,
        "token_url": endpoint.token_url,
    }


def test_google_refresh_token_grant_caching_and_refresh_on_refusal(
    tmp_path: Path,
    google_endpoint: TokenEndpoint,
    bearer_sink: BearerSmtpSink,
    good_tokens: set[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    s = settings_for(
        tmp_path,
        smtp_port=bearer_sink.port,
        imap_auth="password",
        smtp_auth="xoauth2",
        smtp_username=ADDRESS,
        oauth_section=google_section(google_endpoint),
    )
    for _ in range(2):
        quit_quietly(connect(s.smtp))
    requests = google_endpoint.token_requests
    assert len(requests) == 1  # cached for the second login
    assert requests[0].form == {
        "grant_type": "refresh_token",
        "client_id": GOOGLE_CLIENT[0],
        "client_secret": GOOGLE_CLIENT[1],
        "refresh_token": GOOGLE_REFRESH,
    }

    good_tokens.discard("ya29.test-1")  # revoked at the server: one refresh, then it works again
    quit_quietly(connect(s.smtp))
    assert len(google_endpoint.token_requests) == 2
    assert [a.accepted for a in bearer_sink.attempts] == [True, True, False, True]
    for secret in (GOOGLE_REFRESH, GOOGLE_CLIENT[1], "ya29.test-1", "ya29.test-2"):
        assert secret not in caplog.text


def test_google_refuses_a_revoked_refresh_token_with_a_clear_line(
    tmp_path: Path, google_endpoint: TokenEndpoint, bearer_sink: BearerSmtpSink
) -> None:
    s = settings_for(
        tmp_path,
        smtp_port=bearer_sink.port,
        imap_auth="password",
        smtp_auth="xoauth2",
        smtp_username=ADDRESS,
        oauth_section=google_section(google_endpoint, refresh_token="1//revoked"),
    )
    with pytest.raises(SmtpAuthFailed) as info:
        connect(s.smtp)
    assert str(info.value) == (
        f'SMTP login refused for {ADDRESS} (xoauth2, token from "google"): '
        "the Google token endpoint refused the refresh token: invalid_grant (Bad Request)"
    )
    assert "1//revoked" not in str(info.value)
    assert bearer_sink.attempts == []  # no token, so no AUTH at all


def test_google_endpoint_outage_is_temporary(
    tmp_path: Path, google_endpoint: TokenEndpoint, bearer_sink: BearerSmtpSink
) -> None:
    s = settings_for(
        tmp_path,
        smtp_port=bearer_sink.port,
        imap_auth="password",
        smtp_auth="xoauth2",
        smtp_username=ADDRESS,
        oauth_section=google_section(google_endpoint),
    )
    google_endpoint.fail_next(503, "temporarily_unavailable")
    with pytest.raises(SmtpUnavailable, match=r"the Google token endpoint answered HTTP 503: temporarily_unavailable"):
        connect(s.smtp)
    quit_quietly(connect(s.smtp))  # the next cycle works
    assert [a.accepted for a in bearer_sink.attempts] == [True]


def test_google_token_logs_in_to_imap_too(
    tmp_path: Path, oauth_dovecot: Dovecot, issuer: JwtIssuer, bearer_sink: BearerSmtpSink, good_tokens: set[str]
) -> None:
    """One token, from one refresh, serves IMAP (Dovecot) and SMTP."""

    def issue(request: TokenRequest) -> str:
        token = issuer.token(ADDRESS)
        good_tokens.add(token)
        return token

    clients = {GOOGLE_CLIENT[0]: GOOGLE_CLIENT[1]}
    with TokenEndpoint(issue=issue, clients=clients, refresh_tokens={GOOGLE_REFRESH}) as ep:
        s = settings_for(
            tmp_path,
            imap_port=oauth_dovecot.port,
            smtp_port=bearer_sink.port,
            smtp_auth="xoauth2",
            smtp_username=ADDRESS,
            oauth_section=google_section(ep),
        )
        with Mailbox(s.imap) as box:
            box.select("INBOX")
        quit_quietly(connect(s.smtp))
        assert len(ep.token_requests) == 1


# -- microsoft365: MSAL's client-credentials flow against a local HTTPS endpoint ----------


@pytest.fixture
def msal_trusts_the_test_ca(monkeypatch: pytest.MonkeyPatch, tls_files: TlsFiles) -> None:
    # MSAL insists on https:// authorities; requests (under MSAL) reads this variable.
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(tls_files.ca_file))


@pytest.fixture
def app_certificate(tmp_path: Path) -> tuple[Path, bytes]:
    """An app certificate as Entra ID would have it uploaded: one PEM file with key and certificate."""
    import trustme

    # Entra ID takes RSA certificates (trustme's default is ECDSA).
    leaf = trustme.CA().issue_cert("registration-bot-app.example.org", key_type=trustme.KeyType.RSA)
    path = tmp_path / "app.pem"
    path.write_bytes(leaf.private_key_pem.bytes() + leaf.cert_chain_pems[0].bytes())
    return path, leaf.cert_chain_pems[0].bytes()


def ms_section(endpoint: TokenEndpoint, **credential: str) -> dict[str, str]:
    return {
        "provider": "microsoft365",
        "tenant_id": endpoint.tenant,
        "client_id": MS_CLIENT[0],
        "authority": endpoint.base_url,
        **(credential or {"client_secret": MS_CLIENT[1]}),
    }


@pytest.mark.usefixtures("msal_trusts_the_test_ca")
def test_microsoft365_client_secret_cache_and_refresh_against_dovecot(
    tmp_path: Path, oauth_dovecot: Dovecot, issuer: JwtIssuer, tls_files: TlsFiles, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    issued: list[str] = []

    def issue(request: TokenRequest) -> str:
        # The first token is already expired at the server (as after a clock jump or a revocation).
        token = issuer.expired(ADDRESS) if not issued else issuer.token(ADDRESS)
        issued.append(token)
        return token

    endpoint = TokenEndpoint(issue=issue, clients={MS_CLIENT[0]: MS_CLIENT[1]}, tls=tls_files.server_context())
    with endpoint:
        s = settings_for(tmp_path, imap_port=oauth_dovecot.port, oauth_section=ms_section(endpoint))
        with Mailbox(s.imap) as box:  # expired token refused -> MSAL asked again, past its own cache
            box.select("INBOX")
        with Mailbox(s.imap) as box:  # the good token is cached
            box.select("INBOX")
        requests = endpoint.token_requests

    assert len(requests) == 2 and len(oauth2_failures(oauth_dovecot)) == 1
    form = requests[0].form
    assert form["grant_type"] == "client_credentials" and form["client_id"] == MS_CLIENT[0]
    assert form["scope"] == "https://outlook.office365.com/.default" and requests[0].credential == "secret"
    for secret in (MS_CLIENT[1], *issued):
        assert secret not in caplog.text


@pytest.mark.usefixtures("msal_trusts_the_test_ca")
def test_microsoft365_certificate_credential(
    tmp_path: Path, oauth_dovecot: Dovecot, issuer: JwtIssuer, tls_files: TlsFiles, app_certificate: tuple[Path, bytes]
) -> None:
    pem_file, cert_pem = app_certificate
    endpoint = TokenEndpoint(
        issue=lambda request: issuer.token(ADDRESS),
        certificates={MS_CLIENT[0]: cert_pem},
        tls=tls_files.server_context(),
    )
    with endpoint:
        s = settings_for(
            tmp_path, imap_port=oauth_dovecot.port, oauth_section=ms_section(endpoint, certificate_file=str(pem_file))
        )
        with Mailbox(s.imap) as box:
            box.select("INBOX")
        (request,) = endpoint.token_requests
    # The endpoint checked the RS256 client assertion, its x5t (SHA-1 thumbprint) and audience.
    assert request.credential == "certificate" and request.status == 200
    assert request.form["client_assertion_type"] == "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"


@pytest.mark.usefixtures("msal_trusts_the_test_ca")
def test_microsoft365_wrong_secret_and_unknown_tenant_are_refused_logins(
    tmp_path: Path, tls_files: TlsFiles, oauth_dovecot: Dovecot
) -> None:
    endpoint = TokenEndpoint(clients={MS_CLIENT[0]: MS_CLIENT[1]}, tls=tls_files.server_context())
    with endpoint:
        s = settings_for(
            tmp_path, imap_port=oauth_dovecot.port, oauth_section=ms_section(endpoint, client_secret="wrong")
        )
        with pytest.raises(LoginFailed) as info:
            Mailbox(s.imap).connect()
        assert str(info.value) == (
            f'IMAP login refused for {ADDRESS} at 127.0.0.1 (xoauth2, token from "microsoft365"): '
            "Microsoft sign-in refused the app's credentials: invalid_client "
            "(AADSTS7000215: Invalid client secret provided.)"
        )
        assert "wrong" not in str(info.value)

        section = ms_section(endpoint) | {"tenant_id": "no-such-tenant"}
        s = settings_for(tmp_path, imap_port=oauth_dovecot.port, oauth_section=section)
        with pytest.raises(LoginFailed, match=r"Microsoft sign-in does not know oauth\.tenant_id 'no-such-tenant'"):
            Mailbox(s.imap).connect()
    assert oauth2_failures(oauth_dovecot) == []  # no token ever reached the server


def test_microsoft365_unreachable_is_temporary(tmp_path: Path, msal_trusts_the_test_ca: None) -> None:
    from registration_bot.devservers import free_port

    section = {
        "provider": "microsoft365",
        "tenant_id": "t",
        "client_id": "c",
        "client_secret": "s",
        "authority": f"https://127.0.0.1:{free_port()}",
        "timeout_seconds": 5,
    }
    s = settings_for(tmp_path, oauth_section=section)
    with pytest.raises(TokenUnavailable, match=r"cannot reach Microsoft sign-in at https://127\.0\.0\.1:\d+/t"):
        oauth.token_source(s.oauth).token()


def test_certificate_thumbprint_is_the_sha1_of_the_der_certificate(app_certificate: tuple[Path, bytes]) -> None:
    import hashlib
    import ssl

    pem_file, cert_pem = app_certificate
    key, cert = oauth_microsoft.read_certificate(pem_file)
    assert "PRIVATE KEY" in key and cert.startswith("-----BEGIN CERTIFICATE-----")
    der = ssl.PEM_cert_to_DER_cert(cert_pem.decode())
    assert oauth_microsoft.certificate_thumbprint(cert) == hashlib.sha1(der).hexdigest().upper()  # noqa: S324


# -- the command line --------------------------------------------------------------------


def test_check_and_poll_through_the_cli_with_token_command(
    tmp_path: Path,
    oauth_dovecot: Dovecot,
    issuer: JwtIssuer,
    bearer_sink: BearerSmtpSink,
    good_tokens: set[str],
    token_command: TokenCommand,
) -> None:
    token = issuer.token(ADDRESS)
    good_tokens.add(token)
    token_command.queue(token)
    sections = base_config(tmp_path, oauth_dovecot.port, bearer_sink.port, password=None)
    sections["imap"]["auth"] = "xoauth2"
    sections["smtp"] |= {"auth": "oauthbearer", "username": ADDRESS}
    sections["oauth"] = {"provider": "token_command", "token_command": token_command.command}
    config = write_config(tmp_path, sections)

    result = run_cli("check", "--config", config)
    assert result.code == 0, str(result)
    assert '(none, xoauth2, token from "token_command")' in result.stdout
    assert f'logged in as {ADDRESS} (oauthbearer, token from "token_command")' in result.stdout
    assert token not in result.output

    token_command.queue(issuer.forged(ADDRESS))  # a new process: no cache, and the command's tokens are bad
    result = run_cli("poll", "--config", config)
    line = one_line_error(result)
    assert line == (
        f"registration-bot: IMAP login failed: IMAP login refused for {ADDRESS} at 127.0.0.1 "
        '(xoauth2, token from "token_command"): [AUTHENTICATIONFAILED] Authentication failed.'
    ), str(result)
    assert len(oauth2_failures(oauth_dovecot)) == 2


def test_no_import_time_side_effects() -> None:
    code = "import registration_bot.oauth, sys; print('msal' in sys.modules, 'requests' in sys.modules)"
    import subprocess

    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["False", "False"]


def test_threads_share_one_token(tmp_path: Path, token_command: TokenCommand) -> None:
    token_command.queue("shared-token")
    imap = _server_settings(tmp_path, token_command)
    got: list[str] = []
    threads = [threading.Thread(target=lambda: got.append(oauth.token_source(imap._oauth).token())) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert got == ["shared-token"] * 8 and token_command.runs == 1
