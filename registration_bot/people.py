"""Who wrote, and where they work: names and organisations from a message.

The order of trust is the organiser's: an explicit ``Namn:``/``Organisation:``
line, then what the writer says ("Jag heter ...", "jobbar på ..."), then the
signature block, then the display name, and last a guess from the address.
Signature lines are classified one by one (name, title, department,
organisation, contact) because Swedish public-sector signatures stack them:
"Maria Berg / Verksamhetsutvecklare, IT-avdelningen / Skatteverket / 010-...".
"""

from __future__ import annotations

import re

from .models import Found, InboundMail
from .names import fix_case, is_name_like, name_from_address
from .textutil import fold, one_line

_LABEL_NAME = re.compile(
    r"^\s*(?:namn|name|full name|fullständigt namn|för- och efternamn|deltagare|participant)\s*:\s*(.+)$", re.I | re.M
)
_LABEL_ORG = re.compile(
    r"^\s*(?:organisation|organization|org|företag|myndighet|arbetsgivare|arbetsplats|company|employer|affiliation|"
    r"förvaltning|bolag|institution|universitet|university|lärosäte|kommun|region|förening)\s*:\s*(.+)$",
    re.I | re.M,
)
_NAME_SAID = re.compile(
    r"(?i:jag heter|mitt namn är|my name is|my name's|namnet är|change my name to|correct my name to|"
    r"update my name to|(?:ändra|rätta|byt) (?:mitt )?namn(?:et)? till|mitt namn ska vara)[ \t]+"
    r"([A-ZÅÄÖÉÜØÆ][\w'’-]+(?:[ \t]+(?:von |af |de |van |der |la |le )?[A-ZÅÄÖÉÜØÆ][\w'’-]+){0,3})"
    # "I'm Danish" is not a name: after "I am"/"this is", ask for first name and surname.
    r"|(?i:this is|i am|i'm|det är)[ \t]+([A-ZÅÄÖÉÜØÆ][\w'’-]+(?:[ \t]+(?:von |af |de |van )?[A-ZÅÄÖÉÜØÆ][\w'’-]+){1,3})"
)
# Words that make a line a job title rather than a name or an organisation.
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
_ORG_TOKEN = r"[A-ZÅÄÖ0-9][\w&'’-]*(?:\.[\w&'’-]+)*"
# Lower-case words inside a name: "Kodbyrån i Norr AB", "Post- och telestyrelsen", "Öppna data Norr".
_ORG_SMALL = (
    r"(?:i|för|och|of|the|for|de|&|AB|kommun|stad|universitet|högskola|region|ekonomisk|förening|län|"
    r"[a-zåäö]+(?:styrelsen|verket|myndigheten|nämnden|kommun|förvaltningen|inspektionen))"
)
_ORG_BRIDGE = (
    r"(?!(?:men|som|med|till|hos|på|vid|och|att|är|but|with|from|at|to|in|and|is|as|who|that|the|en|ett|a|an)\b)"
    r"[a-zåäö]{2,12}(?=[ \t]+[A-ZÅÄÖ])"
)
_ORG_PHRASE = (
    r"(?P<org>(?!(?:I|I'm|Jag|Vi|We|My|Min|Mitt|Vår|Our|Hej|Hi|Tack|Thanks|PS)\b)"
    + _ORG_TOKEN
    + r"(?:[ \t]+(?:"
    + _ORG_TOKEN
    + "|"
    + _ORG_SMALL
    + "|"
    + _ORG_BRIDGE
    + r")(?![\w'’-])){0,6}"
    r"(?:[ \t]*\([A-ZÅÄÖ][\w&-]{1,10}\))?)"
)
_ORG_CUE = re.compile(
    r"(?i:\b(?:jobbar|arbetar|anställd|verksam|forskar|läser|studerar|pluggar|doktorerar|praktiserar|konsultar|"
    r"aktiv|engagerad|medlem|member|active|involved|"
    r"work(?:s|ing)?|employed|stud(?:y|ying|ent)|researcher|developer|engineer|owner|manager|analyst|officer|"
    r"consultant|lead|volunteer|lecturer|archivist|arkivarie|team|office|department|kontor|avdelning|enhet|grupp)"
    r"(?:[ \t]+[\w-]+){0,6}?[ \t]+(?:på|vid|hos|för|inom|åt|i|at|for|in)[ \t]+)" + _ORG_PHRASE
)
_ORG_IS = re.compile(
    r"(?i:\b(?:min|mitt|my|our|vår)[ \t]+(?:organisation|organization|arbetsgivare|employer|company|företag|"
    r"myndighet|arbetsplats)[ \t]+(?:is|är|heter)[ \t]+)" + _ORG_PHRASE
)
_ORG_APPOSITIVE = re.compile(
    r"(?i:\b(?:konsultbolag|konsultföretag|företag|bolag|company|firm|startup|förening|organisation|organization|"
    r"myndighet|byrå|agency|arbetsgivare|employer),?[ \t]+)" + _ORG_PHRASE
)
_ORG_PAREN = re.compile(
    r"(?i:\b(?:volunteer|member|medlem|engagerad|aktiv|developer|utvecklare|consultant|konsult|researcher|student)"
    r"[^.!?\n()]{0,30}?)\((?P<org>[A-ZÅÄÖ][^()\n]{1,60})\)"
)
_FROM_CUE = re.compile(
    r"(?i:(?:\b(?:jag|vi|oss|mig|i|we|us|me)\b[^.!?\n]{0,40}?\bfrån|kollegor(?:na)?[ \t]+från|kollega[ \t]+från|colleagues?[ \t]+from|"
    r"\b(?:jag|vi|i|we)\b[^.!?\n]{0,30}?\bfrom|\bvi på|\bwe at|representerar|representing|on behalf of)[ \t]+)"
    r"(?:(?:föreningen|organisationen|myndigheten|företaget|the)[ \t]+)?" + _ORG_PHRASE
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


def _is_title(text: str) -> bool:
    return bool(_TITLE.search(text)) and not _ORG_WORD.search(text.split(",")[0] if "," in text else "")


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


def _clean_org(text: str) -> str:
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
                        weak = _clean_org(segment)
                    continue
                if kind == "name" and self.name is None:
                    self.name = fix_case(segment)
                elif kind == "name" and self.name is not None:
                    if fold(segment).startswith(fold(self.name)) and " " in segment and " " not in self.name:
                        self.name = fix_case(segment)  # "Maria" then "Maria Berg"
                    elif self.org is None and not set(fold(segment).split()) & set(fold(self.name).split()):
                        if fold(segment) not in _PLACES and fold(segment) not in fold(display_name):
                            self.org = _clean_org(segment)  # a second "name" is an organisation: "Västtrafik"
                elif kind == "org" and self.org is None and fold(segment) not in _PLACES:
                    self.org = _clean_org(segment)
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


def _complete(full_name: str) -> bool:
    """ "Johan E." is not a whole name: its last word is an initial."""
    return len(full_name.split()[-1].strip(".")) > 1


def _merge(candidate: str, mail: InboundMail) -> str:
    """Make a lone first name whole from the display name or the address."""
    if " " in candidate:
        return candidate
    display = mail.display_name
    if display and " " in display and _complete(display):
        first = fold(display.split()[0])
        if first == fold(candidate) or (len(candidate) >= 3 and first.startswith(fold(candidate))):
            return display  # "Alex" signing for Alexandra Berglund
    guess = name_from_address(mail.sender or "")
    if guess and " " in guess:
        first, *rest = guess.split()
        if fold(first) == fold(candidate) or (len(first) == 1 and fold(candidate).startswith(fold(first))):
            return " ".join([candidate, *rest])
    return candidate


def name(mail: InboundMail, sig: Signature) -> Found[str]:
    label = _LABEL_NAME.search(mail.text) or _LABEL_NAME.search(mail.signature)
    if label:
        value = one_line(label.group(1), 80).strip(" .,")
        if is_name_like(value, 6):
            return Found(value=fix_case(value), confidence=0.98, source="Namn:/Name: line")
    said = _NAME_SAID.search(mail.text)
    said_name = (said.group(1) or said.group(2)) if said else ""
    if said_name and is_name_like(said_name, 4) and not _ORG_WORD.search(said_name):
        value = _merge(said_name, mail)
        return Found(value=value, confidence=0.9 if " " in value else 0.75, source="said their name")
    display = mail.display_name
    display_ok = (
        bool(display)
        and " " in display
        and is_name_like(display, 5)
        and not _ORG_WORD.search(display)
        and _complete(display)
    )
    if sig.name:
        value = _merge(sig.name, mail)
        if " " in value:
            return Found(value=value, confidence=0.92, source="signature")
        if display_ok:
            # "Tom" signing for Thomas Wright: the full display name is the record.
            return Found(value=display, confidence=0.9, source="display name (signed with a short name)")
        return Found(value=value, confidence=0.75, source="signature (first name only)")
    if display_ok:
        return Found(value=display, confidence=0.9, source="display name")
    written = _self_introduced(mail)
    if written and (not display or not _complete(display)):
        return Found(value=written, confidence=0.8, source="wrote their name on a line")
    if display and is_name_like(display, 5) and not _ORG_WORD.search(display):
        value = display if _complete(display) else display.split()[0]
        value = _merge(value, mail)
        if " " not in value and not _complete(display):
            value = display
        return Found(value=value, confidence=0.85 if " " in value else 0.7, source="display name")
    guess = name_from_address(mail.sender or "")
    if guess:
        return Found(value=guess, confidence=0.75 if " " in guess else 0.5, source="guessed from the address")
    return Found(value="", confidence=0.0, source="no name found")


def _self_introduced(mail: InboundMail) -> str:
    """ "johan ekberg, frilansande utvecklare": a line that starts with the writer's first name and a surname."""
    firsts = {
        w for w in (mail.display_name.split()[:1] + name_from_address(mail.sender or "").split()[:1]) if len(w) > 1
    }
    local = (mail.sender or "").split("@")[0]
    for first in firsts:
        match = re.search(
            r"(?im)^[ \t]*(" + re.escape(first) + r")[ \t]+([a-zåäöéüø'-]{2,})(?=[ \t]*[,.(]|[ \t]*$)", mail.text
        )
        if match and (match.group(2).lower() in local.lower() or not local):
            return fix_case(f"{match.group(1)} {match.group(2)}")
    return ""


def _org_in_text(text: str, person: str) -> str | None:
    if person:
        # "Simon Ek, Kodkollektivet Öst", "Carlos Mendes, developer at Skånetrafiken", "Anna från DIGG".
        inline = re.search(
            r"(?i:" + re.escape(person) + r")(?:[ \t]*[,(–-][ \t]*(?:[\w -]{0,40}?[ \t](?:at|på|vid|hos)[ \t]+)?"
            r"|[ \t]+(?:från|from|at|på|@)[ \t]+)" + _ORG_PHRASE,
            text,
        )
        first = person.split()[0]
        signed = re.search(
            r"(?:^|\n|[.!?][ \t]+)[ \t]*(?i:"
            + re.escape(first)
            + r")[ \t]*,[ \t]*"
            + _ORG_PHRASE
            + r"[ \t]*[.!]?[ \t]*(?:$|\n)",
            text,
        )
        for match in (inline, signed):
            if match and classify_segment(match.group("org")) in ("org", "name", "weak_org"):
                return _clean_org(match.group("org"))
    for pattern in (_ORG_IS, _ORG_CUE, _ORG_APPOSITIVE, _ORG_PAREN, _FROM_CUE):
        for match in pattern.finditer(text):
            org = _clean_org(match.group("org"))
            if org and fold(org) not in _PLACES:
                return org
    return None


def organisation(mail: InboundMail, sig: Signature, person: str) -> tuple[Found[str | None], bool]:
    """The organisation, and whether it is only a suggestion from the address's domain."""
    label = _LABEL_ORG.search(mail.text) or _LABEL_ORG.search(mail.signature)
    if label and label.group(1).strip(" .-"):
        return Found(value=_clean_org(label.group(1)), confidence=0.95, source="Organisation: line"), False
    said = _org_in_text(mail.text, person)
    if said and sig.org and (_ACRONYM.match(said) or fold(said) in fold(sig.org)):
        return Found(value=sig.org, confidence=0.85, source="signature (spelt out)"), False
    if said:
        return Found(value=said, confidence=0.8, source="said where they work"), False
    if sig.org:
        return Found(value=sig.org, confidence=0.85, source="signature"), False
    if mail.display_org:
        return Found(value=mail.display_org, confidence=0.8, source="display name"), False
    return domain_suggestion(mail.sender or "")


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
