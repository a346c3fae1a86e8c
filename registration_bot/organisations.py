"""Where a person works: an ``Organisation:`` line, their own words, the signature, the domain.

People say it in running text ("jag jobbar på Region Skåne", "vi på
Försäkringskassan", "from the Swedish Tax Agency", "ett litet konsultbolag,
Lunds Data AB"), so the phrases after such cues are read as an organisation's
name: capitalised words, with the small words that names contain ("Kodbyrån i
Norr AB", "Post- och telestyrelsen"). A guess from the address's domain is
only ever a marked suggestion, and never made from a free-mail provider.
"""

from __future__ import annotations

import re

from .lexicon import either, en, sv
from .models import Found, InboundMail
from .org_domain import ORG_SUFFIX, SMALL_WORDS, domain_suggestion, named_domain
from .signature import _ACRONYM, _ORG_WORD, _PLACES, Signature, classify_segment, clean_org
from .textutil import fold

# At the start of a line, or after a sentence on it: "Jag vill gärna komma. Arbetsplats: Region Västerbotten".
_LABEL_ORG = re.compile(
    rf"(?:^|(?<=[.!?])[ \t]+)[ \t]*{either(sv.ORG_LABELS, en.ORG_LABELS)}[ \t]*:[ \t]*(.+)$", re.I | re.M
)

_ORG_TOKEN = r"[A-ZÅÄÖ0-9][\w&'’-]*(?:\.[\w&'’-]+)*"
# Lower-case words inside a name: "Kodbyrån i Norr AB", "Post- och telestyrelsen", "Öppna data Norr".
_ORG_SMALL = (
    rf"(?:{'|'.join((*sv.ORG_NAME_WORDS, *en.ORG_NAME_WORDS))}"
    rf"|[a-zåäö-]*{either(sv.ORG_NAME_ENDINGS, en.ORG_NAME_ENDINGS)}"
    rf"|{either(sv.ORG_NAME_PREPOSITIONS, en.ORG_NAME_PREPOSITIONS)}(?=[ \t]+[A-ZÅÄÖ]))"
)
_ORG_BRIDGE = rf"(?!{either(sv.NOT_BRIDGES, en.NOT_BRIDGES)}\b)[a-zåäö]{{2,12}}(?=[ \t]+[A-ZÅÄÖ])"
_ORG_PHRASE = (
    rf"(?P<org>(?!{either(sv.NOT_ORG_STARTS, en.NOT_ORG_STARTS)}\b)"
    + _ORG_TOKEN
    + r"(?:[ \t]+(?!I\b)(?:"
    + _ORG_TOKEN
    + "|"
    + _ORG_SMALL
    + "|"
    + _ORG_BRIDGE
    + r")(?![\w'’-])){0,6}"
    r"(?:[ \t]*\([A-ZÅÄÖ][\w&-]{1,10}\))?)"
)
_ORG_CUE = re.compile(
    rf"(?i:\b{either(sv.ORG_CUES, en.ORG_CUES)}"
    rf"(?:[ \t]+[\w-]+){{0,6}}?[ \t]+{either(sv.ORG_CUE_PREPOSITIONS, en.ORG_CUE_PREPOSITIONS)}[ \t]+"
    rf"(?:{either(sv.ORG_ARTICLES, en.ORG_ARTICLES)}[ \t]+)?)" + _ORG_PHRASE
)
_ORG_IS = re.compile(
    rf"(?i:\b{either(sv.MY_ORG, en.MY_ORG)}[ \t]+{either(sv.ORG_NOUNS, en.ORG_NOUNS)}[ \t]+"
    rf"{either(sv.IS_NAMED, en.IS_NAMED)}[ \t]+)" + _ORG_PHRASE
)
# "Skriv gärna Region Skåne som organisation", "put Vinnova as my organisation", "it should be Linköping University".
_ORG_AS = re.compile(
    rf"(?i:\b{either(sv.WRITE_ORG, en.WRITE_ORG)}[ \t]+)" + _ORG_PHRASE + rf"(?i:[ \t]+{either(sv.AS_ORG, en.AS_ORG)})"
    rf"|(?i:\b{either(en.IT_SHOULD_BE)}[ \t]+)" + _ORG_PHRASE.replace("(?P<org>", "(?P<org2>")
)
_ORG_APPOSITIVE = re.compile(rf"(?i:\b{either(sv.ORG_KINDS, en.ORG_KINDS)},?[ \t]+)" + _ORG_PHRASE)
_ORG_PAREN = re.compile(
    rf"(?i:\b{either(sv.ORG_ROLES, en.ORG_ROLES)}"
    r"[^.!?\n()]{0,30}?)\((?P<org>[A-ZÅÄÖ][^()\n]{1,60})\)"
)
_FROM_CUE = re.compile(
    rf"(?i:(?:\b{either(sv.I_WE_ME_US, en.I_WE_ME_US)}\b[^.!?\n]{{0,40}}?\b{either(sv.FROM)}"
    rf"|{'|'.join((*sv.COLLEAGUES_FROM, *en.COLLEAGUES_FROM))}"
    rf"|\b{either(sv.I_WE, en.I_WE_ME_US)}\b[^.!?\n]{{0,30}}?\b{either(en.FROM)}"
    rf"|{'|'.join((*sv.REPRESENTING, *en.REPRESENTING))})[ \t]+)"
    rf"(?:{either(sv.ORG_ARTICLES, en.ORG_ARTICLES)}[ \t]+)?" + _ORG_PHRASE
)


_POSSESSIVE = re.compile(r"['’]s[ \t]")
_CITY_OF = re.compile(r"\b(?:the )?city of ([A-ZÅÄÖ][\w-]+)")
# Writers who use no capitals at all: "jobbar på lantmäteriet", "me and 2 coworkers from sgu".
_LOWER_CUE = re.compile(
    rf"\b(?:{either(sv.LOWER_CASE_CUES, en.LOWER_CASE_CUES)})[ \t]+(?P<org>[a-zåäö][\w&-]+"
    rf"(?:[ \t]+{either(sv.ORG_NAME_SUFFIXES, en.ORG_NAME_SUFFIXES)}\b)?)"
)


_COMMON_AFTER_CUE = frozenset((*sv.COMMON_AFTER_CUE, *en.COMMON_AFTER_CUE))


def _lower_case_org(text: str) -> str | None:
    """In a mail without a single capital letter, the words after "jobbar på" or "from" name the organisation.

    The name runs to the next punctuation or ordinary word ("jobbar på
    lantmäteriet äter inte gluten"); "kulturförvaltningen i göteborgs stad"
    is Göteborgs stad; "ett litet konsultbolag (nordkod ab)" is Nordkod AB.
    """
    if any(c.isupper() for c in text):
        return None
    for match in _LOWER_CUE.finditer(text):
        clause = _CLAUSE_STOP.split(text[match.start("org") :], maxsplit=1)[0].split()
        if not clause or clause[0] in _COMMON_AFTER_CUE or fold(clause[0]) in _PLACES:
            continue
        if "i" in clause[1:] and ORG_SUFFIX.search(" " + " ".join(clause[clause.index("i", 1) + 1 :])):
            clause = clause[clause.index("i", 1) + 1 :]  # the department's organisation
        name: list[str] = []
        for word in clause[:4]:
            if word in _LOWER_STOPS:
                break
            name.append(word)
            if ORG_SUFFIX.fullmatch(" " + word):
                break
        if name:
            return _capitalised(name)
    if paren := _LOWER_PAREN.search(text):
        return _capitalised(paren.group(1).split())
    return None


def _capitalised(words: list[str]) -> str:
    """ "sgu" is SGU, "open knowledge sweden" Open Knowledge Sweden, "nordkod ab" Nordkod AB."""
    if len(words) == 1 and len(words[0]) <= 4:
        return words[0].upper()
    return " ".join(w.upper() if w in ("ab", "hb") else w if w in SMALL_WORDS else w.capitalize() for w in words)


_CLAUSE_STOP = re.compile(r"[.,;:!?()\n/]")
_LOWER_STOPS = frozenset((*sv.LOWER_CASE_STOPS, *en.LOWER_CASE_STOPS))
_LOWER_PAREN = re.compile(
    rf"\(([a-zåäö][\w&-]*(?:[ \t]+[\w&-]+){{0,3}}[ \t]+{either(sv.ORG_NAME_SUFFIXES, en.ORG_NAME_SUFFIXES)})\)"
)


_SENTENCE_END = re.compile(r"[.!?](?=\s)|\n")  # not the dots of an address
_LEGAL_FORM = re.compile(r"[ \t,]+(?:AB|HB|KB|Ltd|Inc|LLC|Oy|AS|ASA|GmbH|AG|ApS)\.?$")
_WRITER_TOO = re.compile(rf"(?i)\b{either(sv.I_AND, en.I_AND)}\b")
_NOT_WORKPLACE = re.compile(rf"(?i)\b{either(sv.NOT_WORKPLACE, en.NOT_WORKPLACE)}\b")
_SOMEONE_ELSES = re.compile(
    rf"(?i)\b{either(sv.POSSESSIVES, en.POSSESSIVES)}\s+(?:\w+\s+)?{either(sv.OTHER_PEOPLE, en.OTHER_PEOPLE)}\b"
    rf"|\b{either(sv.THIRD_PERSON, en.THIRD_PERSON)}\b"
)


def _org_in_text(text: str, person: str) -> str | None:
    letters = [c for c in text if c.isalpha()]
    if letters and sum(c.isupper() for c in letters) > 0.7 * len(letters):
        return None  # ALL CAPS: capitals no longer mark names
    if person:
        # "Simon Ek, Kodkollektivet Öst", "Carlos Mendes, developer at Skånetrafiken", "Anna från DIGG".
        # Found with str.find and a precompiled tail: a regex per person would be compiled per message.
        lowered = text.lower()
        for match in (
            *_after(text, lowered, person, _INLINE_TAIL),
            *_after(text, lowered, person.split()[0], _SIGNED_TAIL, signed=True),
        ):
            if classify_segment(match.group("org")) in ("org", "name", "weak_org"):
                return _outer(clean_org(_POSSESSIVE.split(match.group("org"), maxsplit=1)[0]))
    text = _CITY_OF.sub(lambda m: f"City of {m.group(1)}", text)  # "working in the city of Helsinki"
    found: list[str] = []
    department = None
    if stated := _ORG_AS.search(text):
        return clean_org(stated.group("org") or stated.group("org2"))  # the writer's own correction wins
    for pattern in (_ORG_IS, _ORG_CUE, _ORG_APPOSITIVE, _ORG_PAREN, _FROM_CUE):
        for match in pattern.finditer(text):
            if _NOT_WORKPLACE.search(match.group(0), 0, match.start("org") - match.start()):
                continue  # "I'm based in Tampere", "I moved to Sweden from Leipzig"
            sentence_start = max((end.end() for end in _SENTENCE_END.finditer(text, 0, match.start())), default=0)
            if _SOMEONE_ELSES.search(text, sentence_start, match.start("org")) and not _WRITER_TOO.search(
                text, sentence_start, match.start("org")
            ):
                continue  # "min sambo jobbar på RISE": not where the writer works; "jag och mina kollegor från X" is
            org = _outer(clean_org(_POSSESSIVE.split(match.group("org"), maxsplit=1)[0]))  # "Region Skåne's IT"
            if not org or fold(org) in _PLACES:
                continue
            if classify_segment(org) == "department":
                department = department or org
                continue
            found.append(org)
            break
    if found:
        # "the Danish Agency for Digital Government" over "Digital Government", found by another cue.
        return next((org for org in found if all(fold(other) in fold(org) for other in found)), found[0])
    # "Vi är två från Riksdagsförvaltningen": a name like a department's, but all there is.
    return department or _lower_case_org(text)


# "Anna Svensson, utvecklare på DIGG", "Carlos, developer at Skånetrafiken", "Anna från DIGG", "anna @ DIGG".
_AT_SIGN = ("@",)
_INLINE_TAIL = re.compile(
    rf"(?:[ \t]*[,(–-][ \t]*(?:[\w -]{{0,40}}?[ \t]{either(sv.AT_ORG, en.AT_ORG)}[ \t]+)?"
    rf"|[ \t]+{either(sv.SIGNED_FROM, en.SIGNED_FROM, _AT_SIGN)}[ \t]+)" + _ORG_PHRASE
)
_SIGNED_TAIL = re.compile(r"[ \t]*,[ \t]*" + _ORG_PHRASE + r"[ \t]*[.!]?[ \t]*(?:$|\n)")
_SIGNED_START = re.compile(r"(?:^|\n|[.!?][ \t]+)[ \t]*$")


def _after(text: str, lowered: str, name: str, tail: re.Pattern[str], signed: bool = False) -> list[re.Match[str]]:
    """Matches of ``tail`` right after each place ``name`` is written (any case).

    ``signed``: the name must begin a line or a sentence ("... tack! Liam, Nordvind Tech").
    """
    found = []
    needle = name.lower()
    start = lowered.find(needle)
    while start >= 0 and needle:
        end = start + len(needle)
        whole_word = (start == 0 or not text[start - 1].isalnum()) and (end == len(text) or not text[end].isalnum())
        if whole_word and (not signed or _SIGNED_START.search(text, 0, start)):
            match = tail.match(text, end)
            if match:
                found.append(match)
        start = lowered.find(needle, end)
    return found


_WITHIN = re.compile(rf"[ \t]+{either(sv.WITHIN, en.WITHIN)}[ \t]+(?=[A-ZÅÄÖ])")


def _outer(org: str) -> str:
    """ "Trafikförvaltningen i Region Stockholm" is Region Stockholm: the department's organisation.

    "Lantmäteriet i Gävle" is Lantmäteriet: the office's town is no part of the name.
    """
    parts = _WITHIN.split(org, maxsplit=1)
    if len(parts) == 2 and classify_segment(parts[0]) == "department":
        return parts[1]
    office = _IN_TOWN.fullmatch(org)
    if office and fold(office.group(2)) in _PLACES and fold(office.group(1)) not in _NEEDS_ITS_TOWN:
        return office.group(1)
    return org


_IN_TOWN = re.compile(r"(.+?)[ \t]+i[ \t]+([A-ZÅÄÖ][\w-]+)")
# "Högskolan i Gävle", "Länsstyrelsen i Kalmar": the town is part of these names.
_NEEDS_ITS_TOWN = frozenset(sv.NEEDS_ITS_TOWN)


def organisation(mail: InboundMail, sig: Signature, person: str) -> tuple[Found[str | None], bool]:
    """The organisation, and whether it is only a suggestion from the address's domain."""
    label = _LABEL_ORG.search(mail.text) or _LABEL_ORG.search(mail.signature)
    if label and label.group(1).strip(" .-"):
        # "University of Gothenburg, Department of Applied IT": the organisation, not its department.
        parts = [p for p in label.group(1).split(",") if p.strip()]
        kept = [p for p in parts if classify_segment(p.strip()) != "department"] or parts
        return Found(value=clean_org(",".join(kept)), confidence=0.95, source="Organisation: line"), False
    said = _org_in_text(mail.text, person)
    if said and sig.org and fold(_LEGAL_FORM.sub("", sig.org)) == fold(said):
        # "Jakob from Kartly" signing "CTO, Kartly AB": the name they use, without the legal form.
        return Found(value=said, confidence=0.85, source="said where they work (signature adds the legal form)"), False
    if (
        said
        and sig.org
        and (
            _ACRONYM.match(said)
            or fold(said) in fold(sig.org)
            or not _ORG_WORD.search(said)
            and _ORG_WORD.search(sig.org)
        )
    ):
        return Found(value=sig.org, confidence=0.85, source="signature (spelt out)"), False
    if said:
        return Found(value=said, confidence=0.8, source="said where they work"), False
    if sig.org:
        return Found(value=sig.org, confidence=0.85, source="signature"), False
    if mail.display_org:
        return Found(value=mail.display_org, confidence=0.8, source="display name"), False
    if named := named_domain(f"{mail.text}\n{mail.signature}", mail.sender or "", person):
        return Found(value=named, confidence=0.8, source="named in the text, as in the address's domain"), False
    return domain_suggestion(mail.sender or "")
