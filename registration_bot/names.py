"""People's names: display names cleaned up, and guesses from addresses.

Mail clients put names in many shapes: ``"Holm, Sara"``, ``SARA HOLM``,
``sara.holm@x.se`` as its own display name, or ``Sara Holm (Trafikverket)``.
An organiser writes "Sara Holm" in every case; these helpers do the same.
"""

from __future__ import annotations

import re

from .textutil import one_line, plain

_PARTICLES = {"von", "af", "de", "van", "der", "den", "la", "le", "du", "da", "di", "del", "zu", "ter", "ten"}
_GENERIC_LOCAL = {
    "info",
    "kontakt",
    "contact",
    "admin",
    "office",
    "mail",
    "post",
    "postmaster",
    "registrator",
    "anmalan",
    "anmälan",
    "registration",
    "hello",
    "hej",
    "support",
    "noreply",
    "no-reply",
    "team",
    "kansli",
    "reception",
    "webmaster",
    "sales",
    "invoice",
    "faktura",
    "ekonomi",
    "hr",
    "it",
    "press",
}
_NAME_WORD = re.compile(r"^[^\W\d_]+(?:['’.-][^\W\d_]*)*\.?$", re.UNICODE)
_BRACKETED = re.compile(r"\s*[\(\[](?P<inner>[^\)\]]{1,60})[\)\]]\s*$")
_SEPARATED_ORG = re.compile(r"\s+[|/–—-]\s+(?P<org>.{2,60})$")


def is_name_like(text: str, max_words: int = 5) -> bool:
    """A plausible personal name: 1 to ``max_words`` words of letters."""
    words = text.split()
    return 1 <= len(words) <= max_words and all(_NAME_WORD.match(w) for w in words)


def _cap_word(word: str) -> str:
    return "-".join(
        "'".join(piece[:1].upper() + piece[1:].lower() for piece in part.split("'")) for part in word.split("-")
    )


def fix_case(name: str) -> str:
    """Title-case a name written in ALL CAPS or all lower case; leave mixed case alone."""
    letters = [c for c in name if c.isalpha()]
    if not letters or not (all(c.isupper() for c in letters) or all(c.islower() for c in letters)):
        return name
    words = name.split()
    return " ".join(w.lower() if i and w.lower() in _PARTICLES else _cap_word(w) for i, w in enumerate(words))


def split_display_name(raw: str, address: str = "") -> tuple[str, str]:
    """Clean a display name; return ``(name, organisation_hint)``.

    ``"Holm, Sara"`` becomes ``"Sara Holm"``; ``"Sara Holm (Trafikverket)"``
    gives the hint ``"Trafikverket"``; a display name that is only an
    address gives ``""``.
    """
    name = one_line(raw, 120).strip(" \"'<>")
    org = ""
    if not name or "@" in name:
        return "", ""
    match = _BRACKETED.search(name)
    if match and is_name_like(name[: match.start()]):
        org, name = match.group("inner").strip(), name[: match.start()].strip()
    else:
        match = _SEPARATED_ORG.search(name)
        if match and is_name_like(name[: match.start()], 4):
            org, name = match.group("org").strip(), name[: match.start()].strip()
    if name.count(",") == 1:
        last, first = (part.strip() for part in name.split(","))
        if is_name_like(last, 3) and is_name_like(first, 3):
            name = f"{first} {last}"
    name = fix_case(name)
    words = name.split()
    local = [p for p in re.split(r"[._]", address.split("@", 1)[0].lower()) if p] if "@" in address else []
    if len(words) == 2 and len(local) == 2 and [plain(w) for w in words] == [plain(p) for p in reversed(local)]:
        name = f"{words[1]} {words[0]}"  # "Svensson Bengt" from bengt.svensson@: a directory's order
    if not is_name_like(name, 6):
        # Keep odd but human display names ("Anna S. (hon/henne)"), but never
        # one that is mostly digits or symbols.
        if sum(c.isalpha() for c in name) < max(2, len(name) // 2):
            return "", org
    return name, org


def name_from_address(address: str) -> str:
    """Guess a name from the local part: ``anna.svensson@`` is "Anna Svensson".

    Returns ``""`` for role addresses (info@, kontakt@) and anything that
    does not split into letters.
    """
    local = address.split("@", 1)[0].split("+", 1)[0].lower()
    if local in _GENERIC_LOCAL:
        return ""
    parts = [p for p in re.split(r"[._]+", re.sub(r"\d+", "", local)) if p]
    if len(parts) == 1:
        parts = [p for p in parts[0].split("-") if p]  # "anna-svensson": a name and a surname
    if not parts or any(not p.replace("-", "").isalpha() for p in parts):
        return ""
    if len(parts) == 1 and len(parts[0]) < 3:
        return ""
    return " ".join(p if p in _PARTICLES and i else _cap_word(p) for i, p in enumerate(parts))
