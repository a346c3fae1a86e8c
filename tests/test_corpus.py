"""Every message of ../shared/corpus through the real pipeline: read, classify, decide, record.

The corpus (about 650 real messages from other projects' test suites) is read
in place and never copied: several of its sources are GPL-family licensed.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from registration_bot.ledger import Ledger
from registration_bot.reading import read_message
from registration_bot.settings import load_settings
from registration_bot.worker import Worker

# ../shared/corpus beside the project, or wherever REGBOT_CORPUS points (a CI checkout elsewhere).
CORPUS = Path(os.environ.get("REGBOT_CORPUS") or Path(__file__).resolve().parents[2] / "shared" / "corpus")
ROBOTS = {"auto_generated", "bounce", "mailing_list"}
# Discourse's "mailman mirror" setting takes the sender from Reply-To; without
# that setting the list address is the sender, which is what we read.
MIRROR_SETTING_ONLY = {"discourse/mailman_2.eml", "discourse/mailman_3.eml", "discourse/mailman_4.eml"}

pytestmark = pytest.mark.skipif(not CORPUS.exists(), reason="../shared/corpus is not present")


def corpus() -> list[tuple[str, Path, dict]]:
    items = []
    for labels_file in sorted(CORPUS.glob("*/labels.json")):
        for name, label in json.loads(labels_file.read_text("utf-8")).items():
            items.append((f"{labels_file.parent.name}/{name}", labels_file.parent / "messages" / name, label))
    return items


@pytest.fixture(scope="module")
def processed(tmp_path_factory: pytest.TempPathFactory):
    folder = tmp_path_factory.mktemp("corpus")
    config = folder / "c.toml"
    config.write_text(
        '[imap]\nhost = "127.0.0.1"\nsecurity = "none"\nusername = "anmalan@example.org"\n'
        '[smtp]\nhost = "127.0.0.1"\nsecurity = "none"\nfrom_address = "anmalan@example.org"\n'
    )
    settings = load_settings(config)
    items = corpus()
    with Ledger(settings.state.path) as ledger:
        worker = Worker(settings, ledger)
        for uid, (_key, path, _label) in enumerate(items, start=1):
            worker.process_message(1, uid, path.read_bytes())  # must never raise
        rows = {row["uid"]: dict(row) for row in ledger.db.execute("SELECT * FROM messages")}
        replies = {row["message_row"] for row in ledger.db.execute("SELECT message_row FROM outbox")}
        by_row = {row["id"]: row["uid"] for row in rows.values()}
    yield items, rows, {by_row[r] for r in replies if r in by_row}


def test_the_corpus_is_large(processed) -> None:
    items, _rows, _replied = processed
    assert len(items) >= 600


def test_every_message_has_exactly_one_recorded_state_with_a_reason(processed) -> None:
    items, rows, _replied = processed
    assert sorted(rows) == list(range(1, len(items) + 1))
    states = {"registered", "updated", "cancelled", "ignored", "review", "failed"}
    for uid, row in rows.items():
        assert row["state"] in states, (items[uid - 1][0], row["state"])
        assert row["reason"].strip(), items[uid - 1][0]


def test_no_robot_gets_a_reply(processed) -> None:
    items, _rows, replied = processed
    answered_robots = [items[uid - 1][0] for uid in replied if items[uid - 1][2]["category"] in ROBOTS]
    assert answered_robots == []


def test_internal_errors_never_happen(processed) -> None:
    items, rows, _replied = processed
    crashed = [items[uid - 1][0] for uid, row in rows.items() if row["reason"].startswith("internal error")]
    assert crashed == []


def test_the_sender_matches_where_the_peer_asserts_it() -> None:
    wrong = []
    for key, path, label in corpus():
        expected = (label.get("expected_from") or {}).get("address")
        if not expected or key in MIRROR_SETTING_ONLY:
            continue
        got = read_message(path.read_bytes()).sender
        if (got or "").lower() != expected.lower():
            wrong.append((key, expected, got))
    assert wrong == []
