"""A person's details from their own words: name, organisation, seats, diet, guests.

Each field is a :class:`~registration_bot.models.Found` with a confidence and
its source, in the order of trust an organiser would use: an explicit
``Namn:`` line beats the signature, which beats the display name, which beats
a guess from the address.
"""

from __future__ import annotations

import re

from .diet import diet
from .headers import ascii_address
from .intent import classify_intent
from .models import Extraction, Found, Guest, InboundMail, Language
from .names import fix_case, is_name_like, name_from_address
from .organisations import organisation
from .people import name
from .signature import Signature, signature_lines
from .textutil import fold

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
        r"\b(?:antal(?: personer| platser| deltagare)?|platser|personer|deltagare|number of (?:people|attendees|seats|guests|participants)|seats|attendees|people|party size)\s*:\s*"
        + _NUM
        + r"\b"
    ),
    re.compile(
        r"\b(?:vi|we)(?:'ll| will| are| blir| är| kommer| would| should)?(?: nog| totalt| sammanlagt| i alla fall| just nu| now| actually| be| alltså| då)* "
        + _NUM
        + r"\b(?! (?:dagar|days|veckor|timmar|hours|weeks|år|years))"
    ),
    re.compile(r"\b(?:make (?:it|that)|gör det till|ändra till|change (?:it|that) to) " + _NUM + r"\b"),
    re.compile(r"\b" + _NUM + r" (?:instead of|istället för|i stället för) (?:\d{1,2}|en|ett|one|two|två|tre|three)\b"),
    re.compile(r"\b(?:party of|a team of|team of|a group of|ett gäng på|en grupp på|ett team på) " + _NUM + r"\b"),
    re.compile(
        r"\b" + _NUM + r" (?:personer|pers|st|stycken|deltagare|people|persons|attendees|participants|platser|seats)\b"
    ),
    re.compile(r"\b(?:plats(?:er)? för|seats? for|tickets? for|boka) " + _NUM + r"\b"),
    re.compile(r"\bvi (?:kommer|blir) " + _NUM + r" (?:från|st|stycken)\b"),
    re.compile(r"\b" + _NUM + r" (?:in total|totalt|sammanlagt|i allt|all together|altogether)\b"),
]
# A companion who only "pointed me to the meetup" is not coming along.
_NOT_COMING = r"(?! (?:pointed|told|recommended|sent|forwarded|tipsade|skickade|berättade|vidarebefordrade|tipped|mentioned|tipsat))"
_SEATS_PLUS = [
    re.compile(r"(?<![\w+])\+\s?(\d)\b"),
    re.compile(r"\bplus (?:en|ett|one)\b()"),
    re.compile(r"\b(?:me|jag|mig|up) plus " + _NUM + r"\b"),
    re.compile(r"\b(?:jag|me|i|myself) (?:och|and|plus|\+|samt) " + _NUM + r" " + _COMPANION),
    re.compile(
        r"\b(?:jag|me|i|myself) (?:och|and|plus|\+|samt) (?:min|mina|my|our|vår)(?: \w+)? " + _COMPANION + r"()"
    ),
    re.compile(r"\b(?:tar med|tar jag med|bring(?:ing)?|ta med|med mig) (?:mig )?" + _NUM + r" " + _COMPANION),
    re.compile(
        r"\b(?:tar med|tar jag med|tar vi med|bring(?:ing)?|ta med|will bring|'ll bring) (?:mig )?(?:min|my|our|vår)(?: \w+)? "
        + _COMPANION
        + r"()"
    ),
    re.compile(r"\b(?:och|and|plus|with|samt|med) (?:min|mitt|mina|my) (?:\w+ )?" + _COMPANION + r"\b()" + _NOT_COMING),
    re.compile(r"\b(?:och|and|plus|samt) " + _NUM + r" (?:\w+ )?" + _COMPANION + r"\b" + _NOT_COMING),
]


def _number(token: str) -> int | None:
    return int(token) if token.isdigit() else _NUMBERS.get(token)


def seats(text: str) -> Found[int | None]:
    """How many people the writer's own row counts, themselves included."""
    folded = fold(text)
    for pattern in _SEATS_TOTAL:
        match = pattern.search(folded)
        if match and (n := _number(match.group(1))) and 1 <= n <= 50:
            return Found(value=n, confidence=0.9, source=f"said {match.group()!r}")
    # Companions may be mentioned more than once ("min kollega ... och vår
    # praktikant"); each distinct phrase counts once.
    extra, phrases, unclear = 0, [], False
    taken: list[tuple[int, int]] = []
    for pattern in _SEATS_PLUS:
        for match in pattern.finditer(folded):
            if any(match.start() < end and start < match.end() for start, end in taken) or match.group() in phrases:
                continue
            count = _number(match.group(1)) if match.group(1) else 1
            if match.group(1) == "" and re.search(
                r"kollegor|kolleger|colleagues|friends|vänner|guests|gäster|coworkers|people", match.group()
            ):
                unclear = True
            if count and 1 <= count <= 20:
                extra += count
                taken.append(match.span())
                phrases.append(match.group())
    if unclear and extra <= 1:
        return Found(value=3, confidence=0.6, source=f"several companions, count unclear: {phrases!r}")
    if extra:
        return Found(value=1 + extra, confidence=0.85, source=f"companions {phrases!r}")
    return Found(value=1, confidence=0.9, source="no companions mentioned")


_ADDRESS_IN_TEXT = re.compile(r"(?:mailto:)?(?P<addr>[\w.+-]+@[\w-]+(?:\.[\w-]+)+)")
_NAME_BEFORE = re.compile(
    r"(?P<name>[A-ZÅÄÖÉÜ][\w'’-]+(?:[ \t]+(?:von |af |de |van )?[A-ZÅÄÖÉÜ][\w'’-]+){0,3})"
    r"(?P<me>[ \t]*\((?:jag|me|i|mig själv|myself)\))?[ \t]*[,:(<\[–-]?[ \t]*$"
)
_NAME_AFTER = re.compile(r"^[ \t]*[)>\]]?[ \t]*\((?P<name>[^()@\n]{2,60})\)")
_GUEST_CONTEXT = re.compile(
    r"kolleg|colleague|också|även|\bsamt\b|\boch\b|\band\b|\balso\b|följande|following|anmäla|register|sign up|"
    r"coworker|medarbetare|chef|boss|\boss\b|\bus\b|\bteam\b",
    re.I,
)


def guests(mail: InboundMail, ours: set[str], writer: str = "") -> tuple[Guest, ...]:
    """Other people the writer registers by name and address, each to get a row of their own.

    An address with a name beside it ("Per Persson (per@x.se)", a list line
    "- Mikael Dahl, mikael.dahl@x.se") is a guest, as is a bare address after
    words such as "kollega" or "also". An address beside the writer's own
    name ("Anna Svensson (jag), anna.privat@x.se") is the writer's.
    """
    found: list[Guest] = []
    sender = (mail.sender or "").lower()
    for match in _ADDRESS_IN_TEXT.finditer(mail.text):
        addr, problem = ascii_address(match.group("addr").lower().rstrip("."))
        if problem or addr == sender or addr in ours or any(g.email == addr for g in found):
            continue
        line_start = mail.text.rfind("\n", 0, match.start()) + 1
        before = _NAME_BEFORE.search(mail.text[line_start : match.start()])
        after = _NAME_AFTER.match(mail.text[match.end() : match.end() + 80])
        person = (before.group("name") if before else "") or (after.group("name").strip() if after else "")
        person = re.sub(r"^(?:Min|My|Our|Vår|Och|And|Kollega|Kollegan|Colleague)\s+", "", person)
        if (before and before.group("me")) or (person and writer and fold(person) == fold(writer)):
            continue  # the writer's own other address
        if not is_name_like(person, 4):
            person = ""
        if not person and not _GUEST_CONTEXT.search(mail.text[: match.start()]):
            continue
        found.append(Guest(name=fix_case(person) if person else name_from_address(addr) or addr, email=addr))
    return tuple(found)


def extract(mail: InboundMail, default_language: Language, ours: set[str] | frozenset[str] = frozenset()) -> Extraction:
    """Everything the writer said about themselves, each field with a confidence."""
    signature = Signature(signature_lines(mail), mail.display_name)
    person = name(mail, signature)
    org, suggested = organisation(mail, signature, person.value)
    extra = guests(mail, set(ours), person.value)
    diet_found, diet_words = diet(mail.text, extra)
    seat_count = seats(mail.text)
    if extra and seat_count.value and seat_count.value > 1:
        # People named with an address get rows of their own.
        remaining = max(1, seat_count.value - len(extra))
        seat_count = Found(
            value=remaining, confidence=0.85, source=f"{seat_count.source}; {len(extra)} on their own rows"
        )
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
