"""Every rule of DESIGN.md section 2 for automatic mail, one case each (pure, fast)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from registration_bot.reading import read_message
from registration_bot.robots import classify

OURS = ["anmalan@example.org"]
# ../shared/corpus beside the project, or wherever REGBOT_CORPUS points (a CI checkout elsewhere).
CORPUS = Path(os.environ.get("REGBOT_CORPUS") or Path(__file__).resolve().parents[2] / "shared" / "corpus")


def mail(headers: str, body: str = "Hej! Jag vill anmäla mig.", sender: str = "Anna <anna@x.se>"):
    raw = f"From: {sender}\r\nTo: anmalan@example.org\r\nSubject: Anmälan\r\n{headers}\r\n{body}\r\n"
    return read_message(raw.encode())


@pytest.mark.parametrize(
    ("headers", "sender", "reason"),
    [
        ("Auto-Submitted: auto-replied\r\n", None, "auto-submitted"),
        ("Auto-Submitted: auto-generated\r\n", None, "auto-submitted"),
        ("Return-Path: <>\r\n", None, "null Return-Path"),
        ("", "MAILER-DAEMON@mx.x.se", "robot sender"),
        ("", "postmaster@x.se", "robot sender"),
        ("", "noreply@x.se", "robot sender"),
        ("", "no-reply@x.se", "robot sender"),
        ("", "donotreply@x.se", "robot sender"),
        ("List-Id: <list.x.se>\r\n", None, "mailing list"),
        ("List-Unsubscribe: <mailto:u@x.se>\r\n", None, "mailing list"),
        ("List-Post: <mailto:l@x.se>\r\n", None, "mailing list"),
        ("Precedence: bulk\r\n", None, "Precedence"),
        ("Precedence: list\r\n", None, "Precedence"),
        ("Precedence: junk\r\n", None, "Precedence"),
        ("Precedence: auto_reply\r\n", None, "Precedence"),
        ("Content-Type: multipart/report; report-type=delivery-status; boundary=x\r\n", None, "report"),
        ("X-Autoreply: yes\r\n", None, "auto-reply"),
        ("X-Autorespond: yes\r\n", None, "auto-reply"),
        ("X-Loop: anmalan@example.org\r\n", None, "loop"),
        ("", "anmalan@example.org", "loop"),
        ("X-Spam-Flag: YES\r\n", None, "spam"),
    ],
)
def test_each_rule_marks_mail_automatic(headers: str, sender: str | None, reason: str) -> None:
    verdict = classify(mail(headers, sender=sender or "Anna <anna@x.se>"), OURS)
    assert verdict.automatic
    assert reason in verdict.reason


@pytest.mark.parametrize(
    "subject",
    [
        "Autosvar: Anmälan",
        "Automatiskt svar: Anmälan",
        "Frånvaro: Anmälan",
        "Frånvaromeddelande",
        "Out of Office: Anmälan",
        "Automatic reply: Sign up",
        "[Auto-Reply] Anmälan",
        "Undeliverable: Anmälan",
        "Olevererbart: Anmälan",
        "Accepted: Ekosystem kring öppen källkod",
        "Avböjt: Ekosystem kring öppen källkod",
        # colleagues' clients in other languages
        "Abwesenheitsnotiz: Anmälan",
        "Fraværende: Anmälan",
        "Afwezig: Anmälan",
        "Réponse automatique : Anmälan",
        "Poissaolo: Anmälan",
        "Anna Svensson is out of the office.",
        "Anna Svensson är inte på kontoret",
    ],
)
def test_automatic_subjects_in_swedish_and_english(subject: str) -> None:
    raw = f"From: anna@x.se\r\nSubject: {subject}\r\n\r\nJag är på semester.\r\n"
    assert classify(read_message(raw.encode()), OURS).automatic


@pytest.mark.parametrize(
    "headers",
    [
        "X-Auto-Response-Suppress: All\r\n",  # Outlook puts this on ordinary mail
        "Auto-Submitted: no\r\n",
        "Auto-Submitted: auto-forwarded\r\n",  # a person's own forwarding rule
        "Precedence: first-class\r\n",
    ],
)
def test_ordinary_mail_is_not_automatic(headers: str) -> None:
    assert not classify(mail(headers), OURS).automatic


@pytest.mark.parametrize("subject", ["Out of office next week - but sign me up!", "Absence of a date?"])
def test_a_person_mentioning_out_of_office_in_the_subject_is_not_a_robot(subject: str) -> None:
    raw = f"From: henry@x.se\r\nSubject: {subject}\r\n\r\nPlease sign me up.\r\n".encode()
    assert not classify(read_message(raw), OURS).automatic


def test_the_swedish_out_of_office_fixture_is_automatic() -> None:
    data = Path(__file__).parent / "data" / "messages" / "swedish_out_of_office.eml"
    verdict = classify(read_message(data.read_bytes()), OURS)
    assert verdict.automatic


@pytest.mark.skipif(not CORPUS.exists(), reason="../shared/corpus is not present")
@pytest.mark.parametrize(
    "name",
    [
        "discourse/messages/quirks_exchange_xars.eml",
        "redmine_mail_handler/messages/derived__auto_submitted_auto_forwarded__ticket_on_given_project.eml",
    ],
)
def test_the_corpus_negative_controls_are_people(name: str) -> None:
    assert not classify(read_message((CORPUS / name).read_bytes()), OURS).automatic
