"""Signature blocks, line by line: name, title, department, organisation, contact.

Swedish public-sector signatures stack their parts: "Maria Berg /
Verksamhetsutvecklare, IT-avdelningen / Skatteverket / 010-123 45 67". Each
line is split at commas and bars, and each piece is classified on its own,
so the organisation is found whichever order the parts come in.
"""

from __future__ import annotations

import re

from .lexicon import either, en_mail, sv_mail
from .models import InboundMail
from .names import fix_case, is_name_like
from .textutil import fold, one_line, plain

_TITLE = re.compile(
    rf"{either(sv_mail.TITLE_ENDINGS, en_mail.TITLE_ENDINGS)}\b|\b{either(sv_mail.TITLE_WORDS, en_mail.TITLE_WORDS)}\b",
    re.I,
)
_DEPARTMENT = re.compile(
    rf"^{either(sv_mail.DEPARTMENT_WORDS, en_mail.DEPARTMENT_WORDS)}\b"
    # Departments inside an organisation: Stadsbyggnadsförvaltningen, Stadsledningskontoret, IT-avdelningen.
    rf"|^[\w-]*{either(sv_mail.DEPARTMENT_ENDINGS, en_mail.DEPARTMENT_ENDINGS)}(?:\s|$)"
    # ... and English ones named last: "Data Services Unit", "Open Source Team".
    rf"|^.*\b{either(en_mail.DEPARTMENT_TAILS)}$",
    re.I,
)
# Company forms of other languages: German, Nordic, Finnish, Dutch, French and Spanish.
_OTHER_COMPANY_FORMS = ("GmbH", "AS", "ASA", "Oy", "ApS", "BV", "SA", "AG")
_ORG_WORD = re.compile(
    rf"{either(sv_mail.ORG_ENDINGS, en_mail.ORG_ENDINGS)}\b"
    rf"|\b{either(sv_mail.ORG_WORDS, en_mail.ORG_WORDS, _OTHER_COMPANY_FORMS)}\b",
    re.I,
)
# Words that suggest an organisation but also name teams and departments.
_WEAK_ORG_WORD = re.compile(rf"\b{either(sv_mail.WEAK_ORG_WORDS, en_mail.WEAK_ORG_WORDS)}\b", re.I)
_LEADING_ACRONYM = re.compile(r"^[A-ZÅÄÖ]{2,6}\b(?:\s+[A-ZÅÄÖ][\w-]+)+")
_ACRONYM = re.compile(r"^[A-ZÅÄÖ]{2,6}$")
_CONTACT = re.compile(
    r"@|https?://|www\.|\+?\d[\d\s().-]{6,}\d"
    rf"|^\s*{either(sv_mail.CONTACT_LABELS, en_mail.CONTACT_LABELS)}\b\s*[:.]"
    rf"|\b\d{{3}}\s?\d{{2}}\b|\b{either(sv_mail.ADDRESS_WORDS, en_mail.ADDRESS_WORDS)}\b",
    re.I,
)
_FOOTER = re.compile(either(sv_mail.FOOTERS, en_mail.FOOTERS), re.I)

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
    "luxembourg",
    "bryssel",
    "brussels",
    "helsinki",
    "helsingfors",
    "oslo",
    "köpenhamn",
    "copenhagen",
    "tallinn",
    "reykjavik",
    "paris",
    "london",
    "amsterdam",
    "estonia",
    "iceland",
    "poland",
    "germany",
    "france",
    "sverige",
    "sweden",
    "norge",
    "norway",
    "finland",
    "danmark",
    "denmark",
    "tyskland",
}
_TRAILING_JUNK = re.compile(rf"(?:\s+{either(sv_mail.NAME_TAIL_WORDS, en_mail.NAME_TAIL_WORDS)})+$")


def classify_segment(segment: str) -> str:
    """One piece of a signature line: "contact", "title", "department", "org" or "name"."""
    text = segment.strip(" .")
    if not text or _CONTACT.search(text) or _FOOTER.search(text):
        return "contact"
    if _DEPARTMENT.match(text) and not _ORG_WORD.search(text):
        return "department"
    if _TITLE.fullmatch(text):
        return "title"  # "VD", "CEO": an acronym that is a title
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
    return [p.strip() for p in parts if p.strip(" .")]


def clean_org(text: str) -> str:
    text = text.strip(" ,;:")
    if text.endswith(".") and not re.search(r"\b\w\.\w+\.$|\b(?:Inc|Ltd|Co|Corp)\.$", text):
        text = text[:-1]  # a sentence's full stop, but not the one in "e.V." or "Inc."
    text = _TRAILING_JUNK.sub("", text)
    if text.count("(") != text.count(")"):
        text = text.strip("()")
    return one_line(text, 100)


_SURNAME_FIRST = re.compile(r"([A-ZÅÄÖÉÜ][\w'’-]+),[ \t]*([A-ZÅÄÖÉÜ][\w'’-]+)")


class Signature:
    """What a signature block says: the person's name and their organisation.

    Organisation candidates are ranked, because signatures put departments,
    titles and organisations in every order: a line with an organisation
    word ("kommun", "AB", "universitet") beats a line of its own, which
    beats what follows a title on the same line ("Arkitekt, Digitala
    tjänster" is a department when "Kronofogden" follows); departments never
    count.
    """

    def __init__(self, lines: list[str], display_name: str = "", address: str = "") -> None:
        self.name: str | None = None
        self.title: str | None = None
        candidates: list[tuple[int, int, str]] = []  # (rank, order, text)
        local = set(re.split(r"[._+-]", address.split("@", 1)[0].lower())) if "@" in address else set()
        labels = address.rsplit("@", 1)[-1].lower().split(".") if "@" in address else []
        domain = plain(labels[-2]) if len(labels) >= 2 else ""
        for raw in lines:
            surname_first = _SURNAME_FIRST.fullmatch(raw.strip())
            if surname_first and self.name is None and fold(surname_first.group(1)) in local:
                # "Johansson, Kristina" from k.johansson@: the surname first, as in a directory
                self.name = fix_case(f"{surname_first.group(2)} {surname_first.group(1)}")
                continue
            # "/Anna", "/AK": a sign-off starts with a name or initials, never an organisation.
            signoff = raw.strip(" \t*_>").startswith("/")
            line = raw.strip(" \t*_>").lstrip("/").strip()
            if not line or len(line) > 90:
                continue
            segments = _segments(line)
            kinds = [classify_segment(segment) for segment in segments]
            for position, (segment, kind) in enumerate(zip(segments, kinds, strict=True)):
                after_title = "title" in kinds[:position]
                if display_name and sorted(fold(segment).split()) == sorted(fold(display_name).split()):
                    kind = "name"  # "ÅSA HELLSTRÖM": the display name, in capitals
                if signoff and position == 0 and kind != "name":
                    continue  # "/AK" is initials; "/Per Holm, Borlänge kommun" names the organisation after
                if kind == "name" and self.name is None:
                    self.name = fix_case(segment)
                    continue
                if kind == "name":
                    if fold(segment).startswith(fold(self.name)) and " " in segment and " " not in self.name:
                        self.name = fix_case(segment)  # "Maria" then "Maria Berg"
                        continue
                    if set(fold(segment).split()) & set(fold(self.name).split()) or fold(segment) in fold(display_name):
                        continue
                    kind = "org"  # a second "name" is an organisation: "Västtrafik"
                if kind == "title":
                    if self.name and set(fold(segment).split()) & set(fold(self.name).split()[1:]):
                        kind = "org"  # "Sjögren IT-konsult": a firm named after its owner
                    else:
                        self.title = self.title or segment
                        continue
                if kind not in ("org", "weak_org") or fold(segment) in _PLACES or segment == segment.lower():
                    continue  # an organisation's name has a capital: "kommun-gtfs-tools" is a project
                strong = bool(_ORG_WORD.search(segment) or _ACRONYM.match(segment) or _LEADING_ACRONYM.match(segment))
                rank = 3 if strong else 0 if kind == "weak_org" else 1 if after_title else 2
                if domain and plain(segment) == domain:
                    rank = 4  # "Vinnova – Sweden's Innovation Agency" at vinnova.se: the name the address uses
                candidates.append((rank, len(candidates), clean_org(segment)))
        best = max(candidates, key=lambda c: (c[0], -c[1]), default=None)
        self.org: str | None = best[2] if best else None


def signature_lines(mail: InboundMail) -> list[str]:
    """The signature block, without the closing words ("Mvh", "Best regards")."""
    from .quotes import strip_closing

    lines = [line for line in mail.signature.split("\n") if line.strip()]
    # "Tack på förhand!" then "Vänliga hälsningar": every closing before the name goes.
    while lines and not strip_closing(lines[0]):
        lines.pop(0)
    if lines:
        lines[0] = strip_closing(lines[0])
    return lines
