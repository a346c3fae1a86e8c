"""Score the reader on the labelled messages in tests/data/messages.

Used by tests/test_understanding.py (which enforces the bars) and runnable on
its own for a full report while tuning: ``python tests/understanding_eval.py``.
"""

from __future__ import annotations

import json
import sys
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from registration_bot.decide import decide
from registration_bot.details import extract
from registration_bot.models import Action
from registration_bot.reading import read_message
from registration_bot.robots import classify

DATA = Path(__file__).parent / "data" / "messages"
OURS = frozenset({"anmalan@example.org"})
INTENTS = ["signup", "cancel", "update", "question", "automatic"]


def norm(text: str | None) -> str:
    return " ".join(unicodedata.normalize("NFC", text or "").casefold().split())


@dataclass
class Score:
    right: int = 0
    total: int = 0
    misses: list[str] = field(default_factory=list)

    def add(self, ok: bool, miss: str) -> None:
        self.total += 1
        self.right += ok
        if not ok:
            self.misses.append(miss)

    @property
    def rate(self) -> float:
        return self.right / self.total if self.total else 1.0


@dataclass
class Report:
    fields: dict[str, Score]
    confusion: Counter[tuple[str, str]]
    wrongly_registered: list[str]

    def table(self) -> str:
        lines = ["per-field accuracy:"]
        for name, score in self.fields.items():
            lines.append(f"  {name:<13} {score.rate:6.1%}  ({score.right}/{score.total})")
        lines.append("intent confusion (rows: label, columns: predicted):")
        lines.append("  " + " " * 10 + "".join(f"{p[:9]:>10}" for p in INTENTS))
        for label in INTENTS:
            lines.append("  " + f"{label:<10}" + "".join(f"{self.confusion[(label, p)]:>10}" for p in INTENTS))
        lines.append(f"wrongly registered non-sign-ups: {len(self.wrongly_registered)}")
        return "\n".join(lines)


def evaluate(directory: Path = DATA) -> Report:
    labels = json.loads((directory / "labels.json").read_text("utf-8"))
    fields = {
        name: Score()
        for name in ("intent", "name", "organisation", "seats", "diet", "language", "guests", "writer_coming")
    }
    confusion: Counter[tuple[str, str]] = Counter()
    wrong: list[str] = []
    for file, label in sorted(labels.items()):
        mail = read_message((directory / file).read_bytes())
        verdict = classify(mail, OURS)
        ex = None if verdict.automatic else extract(mail, "sv", OURS)
        predicted = "automatic" if verdict.automatic else ex.intent.value.value
        confusion[(label["intent"], predicted)] += 1
        fields["intent"].add(
            predicted == label["intent"],
            f"{file}: {label['intent']} -> {predicted}" + (f" ({ex.intent.source})" if ex else f" ({verdict.reason})"),
        )
        decision = decide(mail, verdict, ex, None)
        if label["intent"] in ("question", "automatic", "cancel") and decision.action is Action.REGISTER:
            wrong.append(f"{file}: {label['intent']} registered ({decision.reason})")
        if label["intent"] == "automatic" or ex is None:
            continue
        fields["language"].add(ex.language == label["language"], f"{file}: {label['language']} -> {ex.language}")
        if label["name"]:
            fields["name"].add(
                norm(ex.name.value) == norm(label["name"]),
                f"{file}: {label['name']!r} -> {ex.name.value!r} ({ex.name.source})",
            )
        if label["organisation"]:
            got = None if ex.organisation_suggested else ex.organisation.value
            fields["organisation"].add(
                norm(got) == norm(label["organisation"]),
                f"{file}: {label['organisation']!r} -> {got!r} ({ex.organisation.source})",
            )
        if label["seats"] is not None and label["intent"] in ("signup", "update"):
            fields["seats"].add(
                ex.seats.value == label["seats"], f"{file}: {label['seats']} -> {ex.seats.value} ({ex.seats.source})"
            )
        if label["diet"] is not None and label["intent"] in ("signup", "update"):
            fields["diet"].add(
                sorted(ex.diet.value) == sorted(label["diet"]),
                f"{file}: {label['diet']} -> {list(ex.diet.value)} ({label.get('diet_text')!r})",
            )
        if "writer_coming" in label and label["intent"] == "signup":
            fields["writer_coming"].add(
                ex.writer_coming.value == label["writer_coming"],
                f"{file}: {label['writer_coming']} -> {ex.writer_coming.value} ({ex.writer_coming.source})",
            )
        expected_guests = sorted(g["email"].lower() for g in label.get("extra_people") or [])
        if expected_guests or ex.guests:
            fields["guests"].add(
                sorted(g.email for g in ex.guests) == expected_guests,
                f"{file}: {expected_guests} -> {[g.email for g in ex.guests]}",
            )
    return Report(fields, confusion, wrong)


if __name__ == "__main__":
    report = evaluate(Path(sys.argv[1]) if len(sys.argv) > 1 else DATA)
    for name, score in report.fields.items():
        for miss in score.misses:
            print(f"[{name}] {miss}")
    for miss in report.wrongly_registered:
        print(f"[WRONGLY REGISTERED] {miss}")
    print(report.table())
