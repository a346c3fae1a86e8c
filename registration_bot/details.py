"""A person's details from their own words: name, organisation, seats, diet, guests.

Each field is a :class:`~registration_bot.models.Found` with a confidence and
its source, in the order of trust an organiser would use: an explicit
``Namn:`` line beats the signature, which beats the display name, which beats
a guess from the address.
"""

from __future__ import annotations

import re

from .intent import classify_intent
from .models import Extraction, Found, Guest, InboundMail, Language
from .names import fix_case, is_name_like, name_from_address
from .quotes import CLOSINGS
from .textutil import fold, one_line

FREEMAIL = frozenset(
    """gmail.com googlemail.com hotmail.com hotmail.se outlook.com outlook.se live.com live.se msn.com yahoo.com
    yahoo.se ymail.com icloud.com me.com mac.com aol.com gmx.com gmx.net gmx.de protonmail.com proton.me pm.me
    telia.com bredband.net bredband2.com comhem.se spray.se tele2.se bahnhof.se ownit.nu tutanota.com
    fastmail.com hey.com zoho.com yandex.com mail.com passagen.se swipnet.se home.se""".split()
)
_NUMBERS = {
    "en": 1,
    "ett": 1,
    "one": 1,
    "a": 1,
    "två": 2,
    "two": 2,
    "tre": 3,
    "three": 3,
    "fyra": 4,
    "four": 4,
    "fem": 5,
    "five": 5,
    "sex": 6,
    "six": 6,
    "sju": 7,
    "seven": 7,
    "åtta": 8,
    "eight": 8,
    "nio": 9,
    "nine": 9,
    "tio": 10,
    "ten": 10,
    "par": 2,
    "couple": 2,
    "pair": 2,
}
_NUM = r"(\d{1,2}|en|ett|one|a|två|two|tre|three|fyra|four|fem|five|sex|six|sju|seven|åtta|eight|nio|nine|tio|ten)"
_COMPANION = (
    r"(?:kollega|kollegor|kollegorna|kolleger|arbetskamrat(?:er)?|vän|vänner|kompis(?:ar)?|partner|sambo|fru|man|make|"
    r"maka|chef|medarbetare|praktikant|person(?:er)?|gäst(?:er)?|colleagues?|friends?|partner|guests?|coworkers?|"
    r"co-workers?|teammates?|wife|husband|boss|manager|people|persons?|others?)"
)
_SEATS_TOTAL = [
    re.compile(
        r"\b(?:vi|we) (?:blir|är|kommer|will be|are|'ll be|ll be|would be)(?: nog| totalt| sammanlagt| i alla fall| just nu| now| actually)? "
        + _NUM
        + r"\b(?! (?:dagar|days|veckor|timmar))"
    ),
    re.compile(
        r"\b"
        + _NUM
        + r" (?:personer|pers|st|stycken|deltagare|people|persons|attendees|participants|platser|seats|of us)\b"
    ),
    re.compile(r"\b(?:party of|plats(?:er)? för|seats? for|tickets? for|boka) " + _NUM + r"\b"),
    re.compile(r"\bvi (?:kommer|blir) " + _NUM + r" (?:från|st|stycken)\b"),
]
_SEATS_PLUS = [
    re.compile(r"(?<![\w+])\+\s?(\d)\b"),
    re.compile(r"\bplus (?:en|ett|one)\b()"),
    re.compile(r"\b(?:jag|me|i|myself) (?:och|and|plus|\+|samt) " + _NUM + r" " + _COMPANION),
    re.compile(
        r"\b(?:jag|me|i|myself) (?:och|and|plus|\+|samt) (?:min|mina|my|our|vår)(?: \w+)? " + _COMPANION + r"()"
    ),
    re.compile(r"\b(?:tar med|tar jag med|bring(?:ing)?|ta med|med mig) (?:mig )?" + _NUM + r" " + _COMPANION),
    re.compile(
        r"\b(?:tar med|bring(?:ing)?|ta med|will bring|'ll bring) (?:mig )?(?:min|my|our|vår)(?: \w+)? "
        + _COMPANION
        + r"()"
    ),
    re.compile(r"\b(?:och|and|plus|with|samt|med) (?:min|mitt|mina|my) (?:\w+ )?" + _COMPANION + r"\b()"),
    re.compile(r"\b(?:och|and|plus|samt) " + _NUM + r" (?:\w+ )?" + _COMPANION + r"\b"),
]
DIETS: dict[str, re.Pattern[str]] = {
    "vegan": re.compile(r"\bvegan|\bveganskt?|växtbaserad|plant[- ]based"),
    "vegetarian": re.compile(r"vegetari|\bvego\b|\bveggie|lakto[- ]?ovo|ovo[- ]?lakto|\bveg\b"),
    "gluten_free": re.compile(r"gluten|celiaki|celiac|coeliac|glutenintoleran"),
    "lactose_free": re.compile(r"laktos|lactose|mjölkfri|dairy[- ]free|no dairy|mjölkprotein|utan mjölk"),
    "nut_allergy": re.compile(r"nöt|nut allerg|nuts\b|peanut|jordnöt|tree nut|allergic to nuts|hasselnöt|mandel"),
    "halal": re.compile(r"\bhalal"),
    "kosher": re.compile(r"\bkosher|\bkoscher"),
    "pescetarian": re.compile(r"pesc[ae]tari|fisk men (?:inte|inget|ej) kött|äter fisk men"),
    "other": re.compile(
        r"allergi|allergisk|allergic|allergy|intoleran|fodmap|diabet|skaldjur|shellfish|\bägg\b|selleri|sesam|fisk\b|fish\b"
    ),
}
_NO_DIET = re.compile(
    r"ingen specialkost|inga specialkost|ingen särskild kost|inga (?:särskilda )?(?:kost|mat)(?:önskemål|krav|preferenser)|"
    r"äter allt|inga allergier|ingen allergi|no (?:special )?diet|no dietary|no food|no allergies|nothing special|"
    r"eat (?:anything|everything)|inga önskemål|ingen specialmat|inga specialkostönskemål|specialkost: ?(?:nej|ingen|inga|-)|"
    r"dietary (?:requirements|needs|restrictions)?: ?(?:none|no|n/a|-)|allergier: ?(?:nej|inga|-)"
)
_DIET_LABEL = re.compile(
    r"^\s*(?:specialkost|kost|allergier|matpreferens(?:er)?|dietary(?: requirements| needs| restrictions)?|diet|food|allergies|mat)\s*:\s*(.*)$",
    re.I | re.M,
)
_NAME_LABEL = re.compile(
    r"^\s*(?:namn|name|full name|fullständigt namn|deltagare|participant)\s*:\s*(.+)$", re.I | re.M
)
_NAME_SAID = re.compile(
    r"(?:jag heter|mitt namn är|my name is|this is|här är|i am|i'm)\s+([A-ZÅÄÖÉÜ][\w'’-]+(?:\s+(?:von |af |de |van )?[A-ZÅÄÖÉÜ][\w'’-]+){0,3})"
)
_ORG_LABEL = re.compile(
    r"^\s*(?:organisation|organization|org|företag|myndighet|arbetsgivare|arbetsplats|company|employer|"
    r"affiliation|förvaltning|kommun|bolag|institution|university|universitet)\s*:\s*(.+)$",
    re.I | re.M,
)
_ORG_SAID = re.compile(
    r"(?:jag (?:jobbar|arbetar) (?:på|för|vid|hos|inom)|vi (?:jobbar|arbetar) (?:på|för|vid|hos)|(?:anställd|verksam) (?:på|vid|hos)|"
    r"(?:vi|jag) (?:kommer|är) (?:\w+ )?från|i (?:work|am) (?:at|for|with)|we(?:'re| are) (?:from|at)|i'm (?:from|at|with)|"
    r"on behalf of|å (?:\w+ )?vägnar|representerar|representing)\s+"
    r"((?:[A-ZÅÄÖ][\w&.-]*|AB|och|of|the|för|i|de|la)(?:\s+(?:[A-ZÅÄÖ][\w&.-]*|AB|och|of|the|för|i|kommun|stad|region))*)"
)
_TITLE_WORDS = re.compile(
    r"\b(?:utvecklare|developer|engineer|ingenjör|handläggare|chef|manager|director|direktör|konsult|consultant|"
    r"arkitekt|architect|samordnare|koordinator|coordinator|specialist|analytiker|analyst|strateg|strategist|"
    r"projektledare|project|product|owner|ägare|head of|lead|ansvarig|officer|advisor|rådgivare|utredare|"
    r"doktorand|phd|student|professor|lektor|forskare|researcher|designer|ceo|cto|cio|vd|grundare|founder|"
    r"enhetschef|avdelningschef|it-|systemförvaltare|förvaltare|verksamhetsutvecklare|kommunikatör|scientist|"
    r"administratör|administrator|assistent|assistant|sekreterare|sakkunnig|expert|data|devops|tech|team)\b",
    re.I,
)
_CONTACT = re.compile(
    r"@|https?://|www\.|\+?\d[\d\s().-]{6,}|^\s*(?:tel|telefon|phone|mobil|mobile|m|t|e|e-post|email|mail|web|webb)\b\s*[:.]?",
    re.I,
)
_POSTAL = re.compile(r"\b\d{3}\s?\d{2}\b|\b(?:box|gatan|vägen|väg|street|road|plan \d)\b", re.I)
_ORG_HINT = re.compile(
    r"\b(?:AB|kommun|stad|region|verket|myndighet|styrelse|universitet|högskola|university|institute|institut|"
    r"kassan|förmedlingen|inspektionen|ämbetet|rådet|nämnd|landsting|department|agency|ministry|ltd|inc|gmbh|"
    r"oy|as|aps|foundation|stiftelse|förening|association|consulting|konsult|group|labs?|tech|data|digital)\b",
    re.I,
)


def _number(token: str) -> int | None:
    return int(token) if token.isdigit() else _NUMBERS.get(token)


def seats(text: str) -> Found[int | None]:
    """How many people the writer's own row counts, themselves included."""
    folded = fold(text)
    for pattern in _SEATS_TOTAL:
        match = pattern.search(folded)
        if match and (n := _number(match.group(1))) and 1 <= n <= 50:
            return Found(value=n, confidence=0.9, source=f"said {match.group()!r}")
    for pattern in _SEATS_PLUS:
        match = pattern.search(folded)
        if match:
            extra = _number(match.group(1)) if match.group(1) else 1
            plural = bool(
                re.search(r"kollegor|kolleger|colleagues|friends|vänner|guests|gäster|coworkers|people", match.group())
            )
            if match.group(1) == "" and plural:
                return Found(value=3, confidence=0.6, source=f"several companions, count unclear: {match.group()!r}")
            if extra and 1 <= extra <= 20:
                return Found(value=1 + extra, confidence=0.85, source=f"companions {match.group()!r}")
    return Found(value=1, confidence=0.9, source="no companions mentioned")


def diet(text: str) -> tuple[Found[tuple[str, ...]], str]:
    """Normalised diet categories and the writer's own words about food."""
    folded = fold(text)
    sentences = [s.strip() for s in re.split(r"(?<=[.!?\n])\s*", text) if s.strip()]
    label = _DIET_LABEL.search(text)
    if label:
        folded_value = fold(label.group(1))
        if not folded_value or re.fullmatch(r"(?:nej|ingen|inga|none|no|n/a|-|nope|nothing|inget)\.?", folded_value):
            return Found(value=(), confidence=0.95, source="diet line says none"), one_line(label.group(0), 200)
    if _NO_DIET.search(folded):
        words = next((s for s in sentences if _NO_DIET.search(fold(s))), "")
        return Found(value=(), confidence=0.9, source="says no special diet"), one_line(words, 200)
    found = [name for name, pattern in DIETS.items() if pattern.search(folded)]
    if "vegan" in found and "vegetarian" in found:
        found.remove("vegetarian")
    if "other" in found and len(found) > 1:
        specific = [n for n in found if n != "other"]
        leftover = DIETS["other"].sub("", " ".join(DIETS[n].sub("", folded) for n in specific))
        if not re.search(r"skaldjur|shellfish|\bägg\b|selleri|sesam|fisk\b|fish\b|fodmap|diabet", leftover):
            found.remove("other")
    if not found:
        return Found(value=(), confidence=0.9, source="no diet mentioned"), ""
    words = " ".join(s for s in sentences if any(DIETS[n].search(fold(s)) for n in found))
    return Found(value=tuple(sorted(found)), confidence=0.9, source="diet words"), one_line(words, 200)


def _signature_lines(mail: InboundMail) -> list[str]:
    lines = [line.strip(" \t-–—*_>") for line in mail.signature.split("\n")]
    lines = [line for line in lines if line]
    if lines and re.match(r"^(?:" + "|".join(re.escape(c) for c in CLOSINGS) + r")\b[\s,.!:;-]*", lines[0], re.I):
        rest = re.sub(
            r"^(?:" + "|".join(re.escape(c) for c in sorted(CLOSINGS, key=len, reverse=True)) + r")[\s,.!:;/-]*",
            "",
            lines[0],
            flags=re.I,
        ).strip()
        lines = ([rest] if rest else []) + lines[1:]
    if not lines:
        # No closing phrase: a name alone on the last line of the text signs it.
        tail = [line.strip() for line in mail.text.split("\n") if line.strip()]
        if len(tail) >= 2 and is_name_like(tail[-1].lstrip("/"), 4) and len(tail[-1]) <= 40:
            lines = [tail[-1].lstrip("/")]
    return lines


def _merge_with_display(candidate: str, display: str) -> str:
    """A signature "Anna" with display name "Anna Svensson" is Anna Svensson."""
    if not display or " " in candidate:
        return candidate
    first = display.split()[0]
    if fold(first) == fold(candidate) or fold(first).startswith(fold(candidate)) and len(candidate) >= 3:
        return display
    return candidate


def name(mail: InboundMail, signature: list[str]) -> Found[str]:
    display = mail.display_name
    label = _NAME_LABEL.search(mail.text) or _NAME_LABEL.search(mail.signature)
    if label:
        value = one_line(label.group(1), 80).strip(" .,")
        if is_name_like(value, 6):
            return Found(value=fix_case(value), confidence=0.98, source="Namn:/Name: line")
    said = _NAME_SAID.search(mail.text)
    if said and is_name_like(said.group(1), 4):
        value = _merge_with_display(said.group(1), display)
        return Found(value=value, confidence=0.9 if " " in value else 0.75, source="said their name")
    if signature:
        first = signature[0].lstrip("/").strip()
        first = re.split(r"\s*[,|]\s*", first)[0]
        if is_name_like(first, 4) and not _TITLE_WORDS.search(first) and not _ORG_HINT.search(first):
            value = _merge_with_display(fix_case(first), display)
            if len(value.replace(".", "").replace(" ", "")) > 2 or not display:
                return Found(value=value, confidence=0.9 if " " in value else 0.75, source="signature")
    if display:
        return Found(value=display, confidence=0.9 if " " in display else 0.7, source="display name")
    guess = name_from_address(mail.sender or "")
    if guess:
        return Found(value=guess, confidence=0.75 if " " in guess else 0.5, source="guessed from the address")
    return Found(value="", confidence=0.0, source="no name found")


def _org_from_signature(lines: list[str], person: str) -> str | None:
    start = 1 if lines and fold(lines[0]).startswith(fold(person.split()[0])) else 0 if not person else 1
    for line in lines[start : start + 4]:
        if _CONTACT.search(line) or _POSTAL.search(line) or len(line) > 80:
            continue
        parts = [
            p.strip() for p in re.split(r"\s*(?:[|,•·]|\s[-–—]\s|\bpå\b|\bvid\b|\bat\b|\bhos\b)\s*", line) if p.strip()
        ]
        orgs = [p for p in parts if not _TITLE_WORDS.search(p) or _ORG_HINT.search(p)]
        if orgs and not (len(parts) == 1 and _TITLE_WORDS.search(line) and not _ORG_HINT.search(line)):
            org = orgs[-1] if len(orgs) > 1 and _TITLE_WORDS.search(orgs[0]) else orgs[0]
            if not is_name_like(org, 4) or _ORG_HINT.search(org) or org.isupper() or len(org.split()) <= 3:
                return one_line(org, 100).strip(" .")
    return None


def organisation(mail: InboundMail, signature: list[str], person: str) -> tuple[Found[str | None], bool]:
    """The organisation, and whether it is only a suggestion from the domain."""
    label = _ORG_LABEL.search(mail.text) or _ORG_LABEL.search(mail.signature)
    if label and label.group(1).strip(" .-"):
        return Found(
            value=one_line(label.group(1), 100).strip(" ."), confidence=0.95, source="Organisation: line"
        ), False
    org = _org_from_signature(signature, person)
    if org:
        return Found(value=org, confidence=0.8, source="signature"), False
    said = _ORG_SAID.search(mail.text)
    if said and said.group(1).strip():
        return Found(
            value=one_line(said.group(1), 100).strip(" ."), confidence=0.75, source="said where they work"
        ), False
    if mail.display_org:
        return Found(value=mail.display_org, confidence=0.8, source="display name"), False
    domain = (mail.sender or "").rsplit("@", 1)[-1].lower()
    if domain and domain not in FREEMAIL and "." in domain:
        labels = domain.split(".")
        base = labels[-2] if len(labels) >= 2 else labels[0]
        if len(base) > 2 and base not in ("mail", "post", "email", "example"):
            suggestion = base.upper() if len(base) <= 4 else base.capitalize()
            return Found(value=suggestion, confidence=0.5, source=f"suggested from the domain {domain}"), True
        if base in ("example",):
            pass
    return Found(value=None, confidence=0.9, source="not stated"), False


_GUEST = re.compile(
    r"(?P<name>[A-ZÅÄÖÉÜ][\w'’-]+(?:\s+(?:von |af |de |van )?[A-ZÅÄÖÉÜ][\w'’-]+){0,3})?\s*[(<\[]?\s*(?:mailto:)?"
    r"(?P<addr>[\w.+-]+@[\w-]+(?:\.[\w-]+)+)\s*[)>\]]?(?:\s*\((?P<after>[^()@]{2,60})\))?"
)
_GUEST_CONTEXT = re.compile(
    r"kolleg|colleague|också|även|\bsamt\b|\boch\b|\band\b|\balso\b|följande|following|anmäla|register|sign up|coworker|medarbetare|chef|boss",
    re.I,
)


def guests(mail: InboundMail, ours: set[str]) -> tuple[Guest, ...]:
    """Other people the writer registers by name and address."""
    found: list[Guest] = []
    sender = (mail.sender or "").lower()
    for match in _GUEST.finditer(mail.text):
        addr = match.group("addr").lower().rstrip(".")
        if addr == sender or addr in ours or any(g.email == addr for g in found):
            continue
        context = mail.text[max(0, match.start() - 120) : match.start()]
        if not _GUEST_CONTEXT.search(context + (match.group("name") or "")):
            continue
        person = (match.group("name") or match.group("after") or "").strip()
        person = re.sub(r"^(?:Min|My|Our|Vår|Och|And|Kollega|Kollegan|Colleague)\s+", "", person)
        if not is_name_like(person, 4):
            person = name_from_address(addr)
        found.append(Guest(name=fix_case(person) if person else addr, email=addr))
    return tuple(found)


def extract(mail: InboundMail, default_language: Language, ours: set[str] | frozenset[str] = frozenset()) -> Extraction:
    """Everything the writer said about themselves, each field with a confidence."""
    signature = _signature_lines(mail)
    person = name(mail, signature)
    org, suggested = organisation(mail, signature, person.value)
    diet_found, diet_words = diet(mail.text + "\n" + "\n".join(signature[:0]))
    extra = guests(mail, set(ours))
    seat_count = seats(mail.text)
    if extra and seat_count.value and seat_count.value > 1 and seat_count.source.startswith("companions"):
        seat_count = Found(value=1, confidence=0.85, source="companions registered on their own rows")
    return Extraction(
        intent=classify_intent(mail),
        language=mail.language or default_language,
        name=person,
        organisation=org,
        organisation_suggested=suggested,
        seats=seat_count,
        diet=diet_found,
        diet_text=diet_words,
        guests=extra,
    )
