"""What ships beside the code: the example configuration, the templates, the Dockerfile, the licence.

Fast and offline: no servers, no Docker. The example configuration is checked
against the settings models themselves, so a new setting without an example
(or an example without a setting) fails here.
"""

from __future__ import annotations

import fnmatch
import hashlib
import json
import os
import re
import shutil
import tomllib
from pathlib import Path

import pytest
from pydantic import BaseModel

import registration_bot
from registration_bot.compose import FRAGMENTS, KINDS, LANGUAGES, PLACEHOLDERS, Templates
from registration_bot.settings import ConfigError, Settings, load_settings

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = Path(registration_bot.__file__).resolve().parent
PACKAGED_EXAMPLE = PACKAGE / "resources" / "registration-bot.example.toml"
PACKAGED_TEMPLATES = PACKAGE / "resources" / "templates"
CONFIG_EXAMPLE = ROOT / "config" / "registration-bot.example.toml"
CONFIG_TEMPLATES = ROOT / "config" / "templates"
SEED_NAME = "Ekosystem kring öppen källkod och öppna data"


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """No REGBOT_* variable from the caller's shell may change what these tests see."""
    for name in list(os.environ):
        if name.upper().startswith("REGBOT_"):
            monkeypatch.delenv(name)


@pytest.fixture
def passwords(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REGBOT_IMAP__PASSWORD", "imap-secret")
    monkeypatch.setenv("REGBOT_SMTP__PASSWORD", "smtp-secret")


def sections() -> dict[str, type[BaseModel]]:
    """Every table of the configuration: each field of Settings whose type is a model."""
    found = {}
    for name, field in Settings.model_fields.items():
        assert isinstance(field.annotation, type) and issubclass(field.annotation, BaseModel), name
        found[name] = field.annotation
    return found


# -- the example configuration ---------------------------------------------


def test_the_example_loads_and_describes_the_seed_event(passwords: None) -> None:
    settings = load_settings(PACKAGED_EXAMPLE)

    event = settings.event
    assert (event.name, event.date, event.location, event.language, event.capacity) == (SEED_NAME, None, "", "sv", 0)
    assert event.timezone == "Europe/Stockholm"

    imap = settings.imap
    assert (imap.host, imap.port, imap.security, imap.username) == (
        "imap.example.org",
        993,
        "tls",
        "anmalan@example.org",
    )
    assert imap.secret() == "imap-secret"
    assert (imap.password_file, imap.ca_file) == (None, None)
    assert (imap.folder, imap.processed_folder, imap.review_folder) == (
        "INBOX",
        "Registrations/Processed",
        "Registrations/Review",
    )

    smtp = settings.smtp
    assert (smtp.host, smtp.port, smtp.security, smtp.from_address) == (
        "smtp.example.org",
        465,
        "tls",
        "anmalan@example.org",
    )
    assert smtp.secret() == "smtp-secret"

    # Relative paths resolve against the file's own folder.
    assert settings.workbook.path == PACKAGED_EXAMPLE.parent / "attendees.xlsx"
    assert settings.state.path == PACKAGED_EXAMPLE.parent / "registration-bot.sqlite3"
    assert settings.schedule.poll_seconds == 60
    assert settings.templates.dir is None


def test_the_example_holds_no_password_and_says_so(monkeypatch: pytest.MonkeyPatch) -> None:
    data = tomllib.loads(PACKAGED_EXAMPLE.read_text("utf-8"))
    assert data["imap"]["password"] == "" and data["smtp"]["password"] == ""
    monkeypatch.setenv("REGBOT_IMAP__PASSWORD", "imap-secret")
    with pytest.raises(ConfigError, match=r"smtp\.password"):
        load_settings(PACKAGED_EXAMPLE)


def test_a_copied_example_takes_secrets_and_overrides_the_way_the_service_examples_pass_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    etc = tmp_path / "etc"
    etc.mkdir()
    config = etc / "registration-bot.toml"
    shutil.copyfile(CONFIG_EXAMPLE, config)
    secret = tmp_path / "credentials" / "imap"
    secret.parent.mkdir()
    secret.write_text("from-a-file\n", encoding="utf-8")
    # As in config/registration-bot.service and compose.yaml.
    monkeypatch.setenv("REGBOT_IMAP__PASSWORD_FILE", str(secret))
    monkeypatch.setenv("REGBOT_SMTP__PASSWORD", "smtp-secret")
    monkeypatch.setenv("REGBOT_SCHEDULE__POLL_SECONDS", "120")
    elsewhere = tmp_path / "cwd"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)

    settings = load_settings(config)

    assert settings.imap.secret() == "from-a-file"
    assert settings.schedule.poll_seconds == 120
    assert settings.state.path == etc / "registration-bot.sqlite3"
    assert settings.workbook.path == etc / "attendees.xlsx"


def test_every_setting_has_an_example_and_every_example_a_setting() -> None:
    data = tomllib.loads(PACKAGED_EXAMPLE.read_text("utf-8"))
    models = sections()
    assert set(data) == set(models)
    missing = [
        f"[{name}] {field}" for name, model in models.items() for field in model.model_fields if field not in data[name]
    ]
    assert not missing, f"settings without an example in {PACKAGED_EXAMPLE.name}: {missing}"
    unknown = [
        f"[{name}] {key}" for name, table in data.items() for key in table if key not in models[name].model_fields
    ]
    assert not unknown, f"examples of settings that do not exist: {unknown}"


def _comment_blocks(text: str) -> dict[str, str]:
    """``section.key`` -> the comment lines right above the key."""
    blocks, section, comments = {}, "", []
    for line in text.splitlines():
        stripped = line.strip()
        if stripped.startswith("#"):
            comments.append(stripped)
            continue
        if header := re.fullmatch(r"\[([a-z_]+)\]", stripped):
            section = header.group(1)
        elif key := re.match(r"([A-Za-z_][A-Za-z0-9_]*)\s*=", stripped):
            blocks[f"{section}.{key.group(1)}"] = "\n".join(comments)
        comments = [] if not stripped.startswith("[") else comments
    return blocks


def test_every_example_key_is_explained_with_its_default() -> None:
    blocks = _comment_blocks(PACKAGED_EXAMPLE.read_text("utf-8"))
    expected = {f"{name}.{field}" for name, model in sections().items() for field in model.model_fields}
    assert expected <= set(blocks)
    unexplained = sorted(key for key in expected if not re.search(r"Default:|Required\.", blocks[key]))
    assert not unexplained, f"no comment with 'Default:' (or 'Required.') above: {unexplained}"


def test_the_example_mentions_the_environment_and_relative_paths() -> None:
    text = PACKAGED_EXAMPLE.read_text("utf-8")
    assert "REGBOT_<SECTION>__<KEY>" in text
    assert "resolved against the folder that holds this file" in text
    assert '# password_file = "/run/secrets/imap"' in text


def test_config_example_is_a_relative_symlink_to_the_packaged_file() -> None:
    assert CONFIG_EXAMPLE.is_symlink()
    assert not Path(os.readlink(CONFIG_EXAMPLE)).is_absolute()
    assert CONFIG_EXAMPLE.resolve() == PACKAGED_EXAMPLE.resolve()


def test_the_example_and_the_templates_are_package_data() -> None:
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))
    patterns = pyproject["tool"]["setuptools"]["package-data"]["registration_bot"]
    shipped = [PACKAGED_EXAMPLE, *PACKAGED_TEMPLATES.iterdir()]
    for path in shipped:
        relative = path.relative_to(PACKAGE).as_posix()
        assert any(fnmatch.fnmatch(relative, pattern) for pattern in patterns), f"{relative} is not package data"


# -- templates ----------------------------------------------------------------


def test_the_packaged_templates_are_exactly_one_per_kind_and_language() -> None:
    names = sorted(path.name for path in PACKAGED_TEMPLATES.iterdir())
    assert names == sorted(f"{kind}.{language}.txt" for kind in KINDS + FRAGMENTS for language in LANGUAGES)


@pytest.mark.parametrize(
    "directory", [None, PACKAGED_TEMPLATES, CONFIG_TEMPLATES], ids=["built-in", "package", "config"]
)
def test_every_template_parses_and_renders(directory: Path | None) -> None:
    templates = Templates(directory)
    values = {name: f"<{name}>" for name in PLACEHOLDERS}
    for kind in KINDS:
        for language in LANGUAGES:
            rendered = templates.render(kind, language, values)
            assert rendered.subject.strip(), (kind, language)
            assert "${" not in rendered.subject + rendered.body, (kind, language)
            assert len(rendered.body.strip()) > 20, (kind, language)


def test_config_templates_is_a_relative_symlink_to_the_packaged_templates() -> None:
    assert CONFIG_TEMPLATES.is_symlink()
    assert not Path(os.readlink(CONFIG_TEMPLATES)).is_absolute()
    assert CONFIG_TEMPLATES.resolve() == PACKAGED_TEMPLATES.resolve()


# -- Dockerfile and licence ---------------------------------------------------


def _final_stage(dockerfile: str) -> list[tuple[str, str]]:
    """The instructions after the last FROM, as (KEYWORD, arguments), continuations joined."""
    joined = re.sub(r"\\\n", " ", dockerfile)
    instructions = []
    for line in joined.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        keyword, _, rest = line.partition(" ")
        instructions.append((keyword.upper(), rest.strip()))
    last_from = max(i for i, (keyword, _) in enumerate(instructions) if keyword == "FROM")
    return instructions[last_from:]


def test_the_image_runs_unprivileged_with_a_health_check_and_a_data_volume() -> None:
    stage = _final_stage((ROOT / "Dockerfile").read_text("utf-8"))
    args = {}
    for keyword, rest in stage:
        args.setdefault(keyword, []).append(rest)

    users = args.get("USER", [])
    assert users, "the runtime stage has no USER, so it runs as root"
    user, _, group = users[-1].partition(":")
    assert user not in {"root", "0"} and group not in {"root", "0"}

    health = args.get("HEALTHCHECK", [])
    assert len(health) == 1 and "NONE" not in health[0].split()
    command = json.loads(health[0][health[0].index("CMD") + 3 :])
    assert command[:2] == ["registration-bot", "status"] and "--config" in command

    volumes = " ".join(args.get("VOLUME", []))
    assert "/data" in re.findall(r"[^\s\[\]\",]+", volumes)
    assert json.loads(args["ENTRYPOINT"][-1]) == ["registration-bot"]
    assert json.loads(args["CMD"][-1])[0] == "run"


def test_the_licence_is_the_complete_apache_2_text() -> None:
    text = (ROOT / "LICENSE").read_text("utf-8")
    assert text.lstrip().startswith("Apache License")
    assert "END OF TERMS AND CONDITIONS" in text
    # The text published at https://www.apache.org/licenses/LICENSE-2.0.txt, byte for byte.
    assert hashlib.sha256(text.encode()).hexdigest() == (
        "cfc7749b96f63bd31c3c42b5c471bf756814053e847c10f3eb003417bc523d30"
    )
