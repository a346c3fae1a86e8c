"""Signature blocks, line by line: name, title, department, organisation, contact.

Swedish public-sector signatures stack their parts: "Maria Berg /
Verksamhetsutvecklare, IT-avdelningen / Skatteverket / 010-123 45 67". Each
line is split at commas and bars, and each piece is classified on its own,
so the organisation is found whichever order the parts come in.
"""

from __future__ import annotations

import re

from .models import InboundMail
from .names import fix_case, is_name_like
from .textutil import fold, one_line

_TITLE = re.compile(
    r"(?:utvecklare|strateg|ansvarig|ingenjör|chef|ledare|samordnare|handläggare|arkitekt|specialist|analytiker|"
    r"konsult|förvaltare|lektor|forskare|sekreterare|rådgivare|ägare|designer|expert|tekniker|administratör|"
    r"koordinator|direktör|arkivarie|doktorand|student|studerande|kommunikatör|utredare|controller|jurist|"
    r"bibliotekarie|projektledare|sakkunnig|assistent|grundare|vd|statistiker|registrator)\b|"
    r"\b(?:developer|engineer|manager|officer|lead|head of|director|analyst|architect|consultant|specialist|"
    r"coordinator|advisor|adviser|owner|scientist|researcher|lecturer|professor|student|designer|founder|cto|ceo|"
    r"cio|cdo|vp|president|intern|administrator|assistant|strategist|librarian|archivist|statistician|"
    r"executive|account|sales|säljare|business|partner|advokat|lawyer|counsel|secretary|editor|redaktör|journalist|"
    r"product|project|programme|program|senior|junior|principal|chief|volunteer|phd)\b",
    re.I,
)
_DEPARTMENT = re.compile(
    r"^(?:enheten|avdelningen|institutionen|sektionen|gruppen|teamet|kontoret|staben|förvaltningen för|"
    r"it-avdelningen|intraprenaden|department|dept\.?|division|unit|team|office of|section|school of|faculty|"
    r"partnerships|sales|marketing|communications|kommunikation|hr|it|digital services|ledningsstaben)\b",
    re.I,
)
_ORG_WORD = re.compile(
    r"(?:verket|styrelsen|kassan|myndigheten|förmedlingen|trafiken|trafik|arkivet|inspektionen|rådet|ämbetet|"
    r"nämnden|kollektivet|byrån|banken|bolaget|centrum|institutet|akademien|universitet|universitetet|högskola|"
    r"högskolan|museet|biblioteket|kommun|kommuner|stad|staden|landsting|länsstyrelsen|region|regionen|"
    r"förbundet|föreningen|förening|stiftelsen|kansliet|departementet|verk)\b|"
    r"\b(?:AB|HB|KB|ekonomisk förening|GmbH|Ltd|Inc|AS|ASA|Oy|ApS|LLC|BV|SA|AG|plc|universit(?:y|ies)|"
    r"institutes?|agency|authority|municipality|council|foundation|association|consulting|company|corporation|"
    r"ministry|administration|board|alliance|society|school|college|for Sweden|of Sweden)\b",
    re.I,
)
# Words that suggest an organisation but also name teams and departments.
_WEAK_ORG_WORD = re.compile(r"\b(?:labs?|data|tech|systems|solutions|group|office|network|development|digital)\b", re.I)
_LEADING_ACRONYM = re.compile(r"^[A-ZÅÄÖ]{2,6}\b(?:\s+[A-ZÅÄÖ][\w-]+)+")
_ACRONYM = re.compile(r"^[A-ZÅÄÖ]{2,6}$")
_CONTACT = re.compile(
    r"@|https?://|www\.|\+?\d[\d\s().-]{6,}\d|^\s*(?:tel|telefon|phone|mobil|mobile|m|t|e|e-post|email|mail|web|webb|"
    r"växel|fax)\b\s*[:.]|\b\d{3}\s?\d{2}\b|\b(?:box|gatan|vägen|väg|street|road|allé|torget|plan \d)\b",
    re.I,
)
_FOOTER = re.compile(
    r"sent with|skickat med|proton mail|secure email|confidential|konfidentiell|this e-?mail|detta e-?post|"
    r"när du skickar e-post|personuppgifter|gdpr|pgp|save paper|miljön",
    re.I,
)

_PLACES = {
    "nordics",
    "nordic",
    "norden",
    "emea",
    "europe",
    "europa",
    "scandinavia",
    "skandinavien",
    "stockholm",
    "göteborg",
    "gothenburg",
    "malmö",
    "uppsala",
    "lund",
    "umeå",
    "linköping",
    "örebro",
    "västerås",
    "sundsvall",
    "luleå",
    "gävle",
    "jönköping",
    "berlin",
    "sverige",
    "sweden",
    "norge",
    "norway",
    "finland",
    "danmark",
    "denmark",
    "germany",
    "tyskland",
    "london",
    "oslo",
    "helsingfors",
    "helsinki",
    "köpenhamn",
}
_TRAILING_JUNK = re.compile(r"(?:\s+(?:och|and|i|för|of|the|for|de|&))+$")


def classify_segment(segment: str) -> str:
    """One piece of a signature line: "contact", "title", "department", "org" or "name"."""
    text = segment.strip(" .")
    if not text or _CONTACT.search(text) or _FOOTER.search(text):
        return "contact"
    if _DEPARTMENT.match(text):
        return "department"
    if _ACRONYM.match(text) or (_LEADING_ACRONYM.match(text) and not _TITLE.search(text)):
        return "org"
    if _ORG_WORD.search(text) and not (is_name_like(text, 3) and not re.search(r"\s", text) and _TITLE.search(text)):
        return "org"
    if _TITLE.search(text):
        return "title"
    if _WEAK_ORG_WORD.search(text):
        return "weak_org"
    if is_name_like(text, 4):
        return "name"
    return "org" if text[:1].isupper() and len(text) <= 60 else "contact"


def _segments(line: str) -> list[str]:
    parts = re.split(r"\s*(?:[|•·,;]|\s[-–—/]\s|\s/|/\s)\s*", line)
    return [p.strip(" .") for p in parts if p.strip(" .")]


def clean_org(text: str) -> str:
    text = _TRAILING_JUNK.sub("", text.strip(" .,;:"))
    if text.count("(") != text.count(")"):
        text = text.strip("()")
    return one_line(text, 100)


class Signature:
    """What a signature block says: the person's name and their organisation."""

    def __init__(self, lines: list[str], display_name: str = "") -> None:
        self.name: str | None = None
        self.org: str | None = None
        self.title: str | None = None
        weak: str | None = None
        for raw in lines:
            line = raw.strip(" \t*_>").lstrip("/").strip()
            if not line or len(line) > 90:
                continue
            kinds = [classify_segment(segment) for segment in _segments(line)]
            for position, segment in enumerate(_segments(line)):
                kind = kinds[position]
                if kind == "weak_org":
                    # "Researcher, Mobility and Systems": after a title it is a department.
                    if "title" not in kinds[:position] and weak is None and fold(segment) not in _PLACES:
                        weak = clean_org(segment)
                    continue
                if kind == "name" and self.name is None:
                    self.name = fix_case(segment)
                elif kind == "name" and self.name is not None:
                    if fold(segment).startswith(fold(self.name)) and " " in segment and " " not in self.name:
                        self.name = fix_case(segment)  # "Maria" then "Maria Berg"
                    elif self.org is None and not set(fold(segment).split()) & set(fold(self.name).split()):
                        if fold(segment) not in _PLACES and fold(segment) not in fold(display_name):
                            self.org = clean_org(segment)  # a second "name" is an organisation: "Västtrafik"
                elif kind == "org" and self.org is None and fold(segment) not in _PLACES:
                    self.org = clean_org(segment)
                elif kind == "title" and self.title is None:
                    self.title = segment
        if self.org is None:
            self.org = weak


def signature_lines(mail: InboundMail) -> list[str]:
    """The signature block, without the closing words ("Mvh", "Best regards")."""
    from .quotes import strip_closing

    lines = [line for line in mail.signature.split("\n")]
    if lines:
        lines[0] = strip_closing(lines[0])
    return [line for line in lines if line.strip()]
