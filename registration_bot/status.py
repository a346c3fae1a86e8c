"""What the bot has done, from the state file alone: for ``status`` and health checks."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from .ledger import Ledger
from .models import MessageState, OutboxState, RegistrationStatus


def collect(ledger: Ledger) -> dict:
    """One JSON-ready dict; ``messages`` counts every message ever seen, by state."""
    last = ledger.db.execute("SELECT started_at, finished_at, outcome FROM cycles ORDER BY id DESC LIMIT 1").fetchone()
    last_ok = ledger.db.execute(
        "SELECT finished_at FROM cycles WHERE outcome = 'ok' AND finished_at IS NOT NULL ORDER BY id DESC LIMIT 1"
    ).fetchone()
    messages = {state.value: 0 for state in MessageState} | ledger.counts("messages", "state")
    registrations = {status.value: 0 for status in RegistrationStatus} | ledger.counts("registrations", "status")
    outbox = {state.value: 0 for state in OutboxState} | ledger.counts("outbox", "state")
    seats = ledger.db.execute(
        "SELECT COALESCE(SUM(seats), 0) FROM registrations WHERE status = 'registered'"
    ).fetchone()[0]
    unknown = [
        {"id": row["id"], "recipient": row["recipient"], "message_id": row["message_id"], "error": row["last_error"]}
        for row in ledger.db.execute("SELECT * FROM outbox WHERE state IN ('unknown', 'failed', 'held') ORDER BY id")
    ]
    state_version = ledger.get_meta("state_version")
    return {
        "last_cycle": dict(last) if last else None,
        "last_ok_cycle": last_ok[0] if last_ok else None,
        "messages": messages,
        "messages_total": sum(messages.values()),
        "registrations": registrations,
        "seats_registered": seats,
        "outbox": outbox,
        "outbox_problems": unknown,
        "workbook": {
            "up_to_date": state_version == ledger.get_meta("workbook_version"),
            "written_at": ledger.get_meta("workbook_written_at") or None,
            "error": ledger.get_meta("workbook_error") or None,
        },
        "incidents": {
            row[0].split(":", 1)[1]: json.loads(row[1])
            for row in ledger.db.execute("SELECT key, value FROM meta WHERE key LIKE 'incident:%' AND value <> ''")
        },
        "breaker": {
            "open_until": ledger.get_meta("breaker_open_until") or None,
            "reason": ledger.get_meta("breaker_reason") or None,
        },
        "smtp": {
            "paused": ledger.get_meta("smtp_pause_reason") or None,
            "paused_until": ledger.get_meta("smtp_paused_until") or None,
            "outage": ledger.get_meta("smtp_outage") or None,
        },
    }


def as_json(info: dict) -> str:
    return json.dumps(info, ensure_ascii=False, sort_keys=True)


def as_text(info: dict) -> str:
    def counts(d: dict) -> str:
        return ", ".join(f"{k} {v}" for k, v in d.items())

    last = info["last_cycle"]
    lines = [
        "Last cycle:    " + (f"{last['started_at']} ({last['outcome']})" if last else "never"),
        f"Messages:      {info['messages_total']} ({counts(info['messages'])})",
        f"Registrations: {counts(info['registrations'])}; {info['seats_registered']} seats taken",
        f"Outbox:        {counts(info['outbox'])}",
    ]
    for problem in info["outbox_problems"]:
        lines.append(f"  ! outbox #{problem['id']} to {problem['recipient']}: {problem['error']}")
    book = info["workbook"]
    if book["error"]:
        lines.append(f"Workbook:      NOT WRITTEN: {book['error']} (will retry on the next cycle)")
    else:
        state = "up to date" if book["up_to_date"] else "changes not yet written"
        lines.append(f"Workbook:      {state}; last written {book['written_at'] or 'never'}")
    breaker = info["breaker"]
    if breaker["open_until"] and breaker["open_until"] > datetime.now(UTC).isoformat(timespec="seconds"):
        lines.append(f"Replies:       HELD: {breaker['reason']}")
    for kind, incident in info["incidents"].items():
        lines.append(f"Incident:      {kind} since {incident['since']}: {incident['problem']}")
    smtp = info["smtp"]
    if smtp["paused"]:
        lines.append(f"SMTP:          PAUSED until {smtp['paused_until']}: {smtp['paused']}")
    elif smtp["outage"]:
        lines.append(f"SMTP:          unavailable: {smtp['outage']}")
    return "\n".join(lines)


def health(info: dict, poll_seconds: int, now: datetime | None = None) -> list[str]:
    """Why the bot is unhealthy (for ``status --check``, Docker and systemd); empty when healthy.

    Unhealthy: no successful cycle within 3 x poll_seconds, sending paused,
    or the workbook not written since a change because writing it failed.
    """
    now = now or datetime.now(UTC)
    problems = []
    last_ok = info["last_ok_cycle"]
    if last_ok is None:
        problems.append("no cycle has succeeded yet")
    else:
        age = (now - datetime.fromisoformat(last_ok)).total_seconds()
        if age > 3 * poll_seconds:
            problems.append(f"the last successful cycle was {int(age)} s ago (more than 3 x {poll_seconds} s)")
    if info["smtp"]["paused"]:
        problems.append(f"sending is paused: {info['smtp']['paused']}")
    book = info["workbook"]
    if not book["up_to_date"] and book["error"]:
        problems.append(f"the workbook has not been written since a change: {book['error']}")
    return problems
