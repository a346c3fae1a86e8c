"""What the sender's domain says about their organisation: a name in the text, or only a suggestion.

"jag jobbar på inera" from @inera.se names Inera, whatever its case; a
signature line "Statskontoret" at @statskontoret.se names it too. Without
such words the domain gives only a clearly marked suggestion, and a
free-mail provider gives nothing.
"""

from __future__ import annotations

import re

from .lexicon import either, en, sv
from .models import Found
from .signature import _ORG_WORD
from .textutil import plain

_TOKEN = re.compile(r"[^\W\d_][\w-]*")
SMALL_WORDS = frozenset((*sv.ORG_NAME_WORDS, *en.ORG_NAME_WORDS))


_TRAVEL = re.compile(rf"(?i)\b{either(sv.NOT_WORKPLACE, en.NOT_WORKPLACE)}\b[^.!?\n]*$")


def named_domain(text: str, address: str, person: str = "") -> str | None:
    """Words of the text that spell the sender's domain name the organisation, whatever their case.

    "jag jobbar på inera" from fatima@inera.se, "stina berg, riksarkivet" from
    @riksarkivet.se, "Region Uppsala" from @regionuppsala.se. Never for a
    free-mail domain, nor for the address or a link itself.
    """
    domain = address.rsplit("@", 1)[-1].lower() if "@" in address else ""
    labels = domain.split(".")
    if domain in FREEMAIL or len(labels) < 2 or len(labels[-2]) < 4:
        return None
    base = plain(labels[-2])
    tokens = list(_TOKEN.finditer(text))
    for size in (1, 2, 3):
        for i in range(len(tokens) - size + 1):
            first, last = tokens[i], tokens[i + size - 1]
            before = text[first.start() - 1] if first.start() else " "
            after = text[last.end() : last.end() + 2]
            if before in "@./:" or after[:1] == "@" or (after[:1] == "." and after[1:2].isalnum()):
                continue  # part of an address or a link
            phrase = text[first.start() : last.end()]
            if "\n" in phrase or plain(phrase) not in (base, base + "s"):  # "Lunds kommun" from @lund.se
                continue
            if _TRAVEL.search(text, max(0, first.start() - 40), first.start()):
                continue  # "jag kör bil från Enköping" from @enkoping.se: a town, not the employer
            if plain(phrase) in {plain(part) for part in person.split()}:
                continue  # henrik@stahl.se signing "Henrik Ståhl": a family name, not an organisation
            if phrase.islower():
                phrase = " ".join(w if w in SMALL_WORDS else w[:1].upper() + w[1:] for w in phrase.split())
            return _widened(text, tokens, i, i + size - 1, phrase)
    return None


ORG_SUFFIX = re.compile(rf"[ \t]+{either(sv.ORG_NAME_SUFFIXES, en.ORG_NAME_SUFFIXES)}\b", re.I)


def _widened(text: str, tokens: list[re.Match[str]], first: int, last: int, phrase: str) -> str:
    """The whole name around the domain's word: "Region Skåne" from @skane.se, "Örebro kommun" from @orebro.se."""
    if first > 0:
        before = tokens[first - 1]
        between = text[before.end() : tokens[first].start()]
        if between.strip(" \t") == "" and before.group()[:1].isupper() and _ORG_WORD.fullmatch(before.group()):
            phrase = f"{before.group()} {phrase}"
    if suffix := ORG_SUFFIX.match(text, tokens[last].end()):
        phrase += suffix.group()
    elif (
        last + 1 < len(tokens)
        and text[tokens[last].end() : tokens[last + 1].start()] == " "
        and tokens[last + 1].group()[:1].isupper()
        and phrase[:1].isupper()
    ):
        phrase += " " + tokens[last + 1].group()  # "Kodkollektivet Norr" from @kodkollektivet.se
    return phrase


FREEMAIL = frozenset(
    """gmail.com googlemail.com hotmail.com hotmail.se outlook.com outlook.se live.com live.se msn.com yahoo.com
    yahoo.se ymail.com icloud.com me.com mac.com aol.com gmx.com gmx.net gmx.de protonmail.com proton.me pm.me
    telia.com bredband.net bredband2.com comhem.se spray.se tele2.se bahnhof.se ownit.nu tutanota.com posteo.de
    posteo.net fastmail.com hey.com zoho.com yandex.com mail.com passagen.se swipnet.se home.se""".split()
)


def domain_suggestion(address: str) -> tuple[Found[str | None], bool]:
    """A clearly marked guess from the domain; never from a free-mail provider."""
    domain = address.rsplit("@", 1)[-1].lower() if "@" in address else ""
    labels = domain.split(".")
    if domain and domain not in FREEMAIL and len(labels) >= 2:
        base = labels[-2]
        if len(base) > 1 and base not in ("mail", "post", "email", "example", "test", "invalid", "localhost"):
            suggestion = base.upper() if len(base) <= 4 else base.capitalize()
            return Found(value=suggestion, confidence=0.5, source=f"suggested from the domain {domain}"), True
    return Found(value=None, confidence=0.9, source="not stated"), False
