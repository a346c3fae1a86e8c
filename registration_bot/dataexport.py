"""What the state holds about one address, as plain text: the reply to "mina uppgifter" (GDPR article 15).

The registration's fields, the messages recorded from the address (dates,
subjects, what became of them) and the mail sent to it (dates, kinds,
states). It goes only to that address itself (privacy.py), so it may name
the person; values that came from mail are still cleaned like any echo (no
links, one line each), so a forged sign-up cannot turn it into a relay.
"""

from __future__ import annotations

from datetime import datetime

from .compose import diet_words
from .ledger import Ledger
from .models import Language
from .settings import Settings
from .textutil import echo_name, echo_subject, one_line
from .workbook import STATUS_NAMES

WORDS = {
    "sv": {
        "registration": "Anmälan",
        "none": "Vi har ingen anmälan från den här adressen.",
        "fields": ("Namn", "E-post", "Organisation", "Specialkost", "Specialkost, egna ord", "Platser", "Status"),
        "created": "Anmäld",
        "received": "Mejl från dig som vi har registrerat",
        "sent": "Mejl vi har skickat till dig",
        "nothing": "inga",
    },
    "en": {
        "registration": "Registration",
        "none": "We have no registration from this address.",
        "fields": ("Name", "Email", "Organisation", "Dietary needs", "Dietary needs, own words", "Seats", "Status"),
        "created": "Registered",
        "received": "Mail from you that we have recorded",
        "sent": "Mail we have sent you",
        "nothing": "none",
    },
}
STATES_SV = {
    "registered": "anmälan",
    "updated": "ändring",
    "cancelled": "avanmälan",
    "ignored": "inget svar behövdes",
    "review": "läses av en person",
    "failed": "kunde inte läsas",
    "privacy": "gällde dina personuppgifter",
    "queued": "väntar på att skickas",
    "retry": "försöker igen",
    "sent": "skickat",
    "failed_mail": "kunde inte levereras",
    "held": "hålls kvar",
    "unknown": "okänt om det kom fram",
}
KINDS_SV = {
    "confirmation": "bekräftelse",
    "cancellation": "bekräftelse av avanmälan",
    "guest_invitation": "inbjudan",
    "waitlist": "plats på väntelistan",
    "promoted": "plats från väntelistan",
    "closed": "anmälan stängd",
    "invited": "kvitto på att du anmält någon annan",
    "event_update": "ändrat datum eller plats",
    "reminder": "påminnelse",
    "erase_confirm": "fråga om radering",
    "data_export": "dina uppgifter",
}


def _local(iso: str | None, settings: Settings) -> str:
    if not iso:
        return "?"
    try:
        return datetime.fromisoformat(iso).astimezone(settings.event.zone).strftime("%Y-%m-%d %H:%M")
    except ValueError:
        return "?"


def stored_data(ledger: Ledger, settings: Settings, address: str, language: Language) -> str:
    """Everything the state holds about ``address``, for ``${stored_data}`` in the data_export mail."""
    words, db = WORDS[language], ledger.db
    sv = language == "sv"
    lines = []
    row = ledger.registration_by_email(address)
    if row is None:
        lines.append(words["none"])
    else:
        lines.append(f"{words['registration']} R{row['id']:04d}:")
        diet = diet_words(tuple(filter(None, row["diet"].split(","))), language)
        values = (echo_name(row["name"]), one_line(row["email"], 200), echo_subject(row["organisation"], 200))
        values += (diet, echo_subject(row["diet_text"], 200), str(row["seats"]))
        values += (STATUS_NAMES[language].get(row["status"], row["status"]),)
        lines += [f"  {label}: {value}" for label, value in zip(words["fields"], values, strict=True)]
        lines.append(f"  {words['created']}: {_local(row['created_at'], settings)}")
    received = db.execute(
        "SELECT date, processed_at, subject, state FROM messages WHERE lower(sender) = ? ORDER BY id", (address,)
    ).fetchall()
    lines += ["", f"{words['received']} ({len(received) or words['nothing']}):"]
    for r in received:
        state = STATES_SV.get(r["state"], r["state"]) if sv else r["state"]
        when = _local(r["date"] or r["processed_at"], settings)
        lines.append(f'  {when}  "{echo_subject(r["subject"], 80)}"  ({state})')
    sent = db.execute(
        "SELECT created_at, sent_at, kind, state FROM outbox WHERE lower(recipient) = ? ORDER BY id", (address,)
    ).fetchall()
    lines += ["", f"{words['sent']} ({len(sent) or words['nothing']}):"]
    for r in sent:
        kind = KINDS_SV.get(r["kind"], r["kind"]) if sv else r["kind"].replace("_", " ")
        state = STATES_SV.get("failed_mail" if r["state"] == "failed" else r["state"], r["state"]) if sv else r["state"]
        lines.append(f"  {_local(r['sent_at'] or r['created_at'], settings)}  {kind} ({state})")
    return "\n".join(lines)
