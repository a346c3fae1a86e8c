"""A person's details from their own words: name, organisation, seats, diet, guests.

Each field is a :class:`~registration_bot.models.Found` with a confidence and
its source, in the order of trust an organiser would use: an explicit
``Namn:`` line beats the signature, which beats the display name, which beats
a guess from the address.
"""

from __future__ import annotations

import re

from .diet import diet, label_lines
from .headers import ascii_address
from .intent import classify_intent, is_reply
from .lexicon import either, en, sv
from .models import Extraction, Found, Guest, InboundMail, Intent, Language
from .names import fix_case, is_name_like, name_from_address
from .organisations import organisation
from .people import name
from .signature import Signature, signature_lines
from .textutil import fold

_NUMBERS = {**sv.NUMBER_WORDS, **en.NUMBER_WORDS}
_NUM = rf"(\d{{1,2}}|{'|'.join(_NUMBERS)})"
_COMPANION = either(sv.COMPANIONS, en.COMPANIONS)
_SEATS_TOTAL = [
    re.compile(rf"\b{either(sv.SEAT_LABELS, en.SEAT_LABELS)}\s*:\s*{_NUM}\b"),
    # "En person till, alltså tre totalt": a total said outright wins over the rest.
    re.compile(rf"\b{_NUM} (?:of us |av oss |st )?{either(sv.IN_TOTAL, en.IN_TOTAL)}\b"),
    re.compile(rf"\b{_NUM} (?:st )?{either(sv.OF_US, en.OF_US)}\b"),
    re.compile(
        rf"\b{either(sv.WE, en.WE)}(?:'ll| {either(sv.WE_VERBS, en.WE_VERBS)})?(?: {either(sv.SEAT_FILLERS, en.SEAT_FILLERS)})* "
        rf"{_NUM}\b(?! {either(sv.DURATIONS, en.DURATIONS)})(?! (?:\w+ )?{either(sv.MORE, en.MORE)})"
    ),
    re.compile(rf"\b{either(sv.MAKE_IT, en.MAKE_IT)} {_NUM}\b"),
    re.compile(
        rf"\b{_NUM} {either(sv.INSTEAD_OF, en.INSTEAD_OF)} "
        rf"(?:\d{{1,2}}|{'|'.join((*sv.SMALL_NUMBER_WORDS, *en.SMALL_NUMBER_WORDS))})\b"
    ),
    re.compile(rf"\b{either(sv.GROUP_OF, en.GROUP_OF)} {_NUM}\b"),
    re.compile(rf"\b{_NUM} {either(sv.HEADCOUNT_UNITS, en.HEADCOUNT_UNITS)}\b"),
    re.compile(rf"\b{either(sv.SEATS_FOR, en.SEATS_FOR)} {_NUM}\b"),
    re.compile(
        rf"\b{either(sv.WE)} {either(sv.WE_ARRIVE, en.WE_ARRIVE)} {_NUM} {either(sv.ARRIVE_UNITS, en.ARRIVE_UNITS)}\b"
    ),
]
# A companion who only "pointed me to the meetup" is not coming along.
_NOT_COMING = rf"(?! {either(sv.NOT_COMING, en.NOT_COMING)})"
_PLUS_SIGN = (r"\+",)
_I_AND = rf"\b{either(sv.I_AND, en.I_AND)} {either(sv.AND, en.AND, _PLUS_SIGN)}"
_PLUS_DIGIT = re.compile(r"(?<![\w+])\+\s?(\d)\b")  # "+1"
_SEATS_PLUS = [
    _PLUS_DIGIT,
    # "Vi blir en till": one more than the writer alone (the row's old count is not in the mail).
    re.compile(rf"\b{either(sv.WE, en.WE)}(?:'re| are| blir| är)? {_NUM} {either(sv.MORE, en.MORE)}\b"),
    # "myself and one more from our team", "+ en kollega".
    re.compile(rf"\b{either(sv.AND, en.AND)} {_NUM} {either(sv.MORE, en.MORE)}\b"),
    re.compile(rf"(?<![\w+])\+ ?(?:{_NUM} )?(?:\w+ )?{_COMPANION}\b"),
    re.compile(rf"\b(?:together with|tillsammans med) (?:{_NUM} |a |an |my |min |mitt )?(?:\w+ )?{_COMPANION}\b"),
    # "Two colleagues from my team will come with me", "två kollegor kommer med mig".
    re.compile(
        rf"\b{_NUM} (?:\w+ )?{_COMPANION}\b[^.!?\n]{{0,30}}?"
        rf"\b{either(sv.COME_ALONG, en.COME_ALONG)}\b"
    ),
    re.compile(rf"\bplus {either(sv.ONE, en.ONE)}\b()"),
    re.compile(rf"\b{either(sv.ME_PLUS, en.ME_PLUS)} plus {_NUM}\b"),
    re.compile(rf"{_I_AND} {_NUM} (?:\w+ )?{_COMPANION}"),  # "me and two PhD students"
    re.compile(rf"{_I_AND} {either(sv.MY_AFTER_AND, en.MY_AFTER_AND)}(?: \w+)? {_COMPANION}()"),
    re.compile(rf"\b{either(sv.BRING, en.BRING)} (?:mig )?{_NUM} {_COMPANION}"),
    re.compile(rf"\b{either(sv.BRING_MY, en.BRING_MY)} (?:mig )?{either(sv.MY, en.MY)}(?: \w+)? {_COMPANION}()"),
    re.compile(
        rf"\b{either(sv.AND, sv.WITH, en.AND, en.WITH)} {either(sv.MY_WITH, en.MY_WITH)} (?:\w+ )?{_COMPANION}\b()"
        + _NOT_COMING
    ),
    re.compile(rf"\b{either(sv.AND, en.AND)} {_NUM} (?:\w+ )?{_COMPANION}\b{_NOT_COMING}"),
]
# Companions in the plural with no number: how many is unclear.
_PLURAL = re.compile(either(sv.PLURAL_COMPANIONS, en.PLURAL_COMPANIONS))


def _number(token: str) -> int | None:
    return int(token) if token.isdigit() else _NUMBERS.get(token)


_OWN_REGISTRATIONS = re.compile(either(sv.OWN_REGISTRATIONS, en.OWN_REGISTRATIONS))
_SENTENCES = re.compile(r"(?<=[.!?])\s+|\n")


def seats(text: str) -> Found[int | None]:
    """How many people the writer's own row counts, themselves included."""
    # "Vi är två till som också vill komma, men de skickar egna anmälningar": not on this row.
    text = "\n".join(s for s in _SENTENCES.split(text) if not _OWN_REGISTRATIONS.search(fold(s)))
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
            if match.group(1) == "" and _PLURAL.search(match.group()):
                unclear = True
            if count and 1 <= count <= 20:
                extra += count
                taken.append(match.span())
                phrases.append(match.group())
    plus = [p for p in phrases if _PLUS_DIGIT.fullmatch(p)]
    if plus and len(plus) < len(phrases):
        # "+1 — I'm bringing my partner": the partner is the +1, not one more.
        signed = sum(_number(p.lstrip("+ ")) or 0 for p in plus)
        extra = max(signed, extra - signed)
    if unclear and extra <= 1:
        return Found(value=3, confidence=0.6, source=f"several companions, count unclear: {phrases!r}")
    if extra:
        return Found(value=1 + extra, confidence=0.85, source=f"companions {phrases!r}")
    return Found(value=1, confidence=0.9, source="no companions mentioned")


# "min kollega Jonas": a companion with a name of their own.
_NAMED_COMPANION = re.compile(rf"(?i:\b{_COMPANION})[ \t,]+([A-ZÅÄÖÉÜ][\w-]+)")


def seats_beside(text: str, extra: tuple[Guest, ...]) -> Found[int | None]:
    """The writer's own seats when others named with an address get rows of their own.

    The sentences that give a guest's address are theirs and are not counted. A
    total ("vi blir 3") includes the guests, so they are taken off it; so are
    unnamed companions ("jag och min kollega ... Kollegan: Per, per@x.se").
    A companion named otherwise ("my colleague Jonas, who has no address")
    is one more seat on the writer's row.
    """
    addresses = [guest.email for guest in extra]
    own_text = "\n".join(part for part in _SENTENCES.split(text) if not any(a in part.lower() for a in addresses))
    found = seats(own_text)
    if not found.value or found.value <= 1:
        return found
    guest_names = {fold(guest.name.split()[0]) for guest in extra if guest.name}
    named_apart = [n for n in _NAMED_COMPANION.findall(own_text) if fold(n) not in guest_names]
    if found.source.startswith("said") or not named_apart:
        remaining = max(1, found.value - len(extra))
        return Found(value=remaining, confidence=0.85, source=f"{found.source}; {len(extra)} on their own rows")
    return found


_ADDRESS_IN_TEXT = re.compile(r"(?:mailto:)?(?P<addr>[\w.+-]+@[\w-]+(?:\.[\w-]+)+)")
_NAME_BEFORE = re.compile(
    r"(?P<name>[A-ZÅÄÖÉÜ][\w'’-]+(?:[ \t]+(?:von |af |de |van )?[A-ZÅÄÖÉÜ][\w'’-]+){0,3})"
    rf"(?P<me>[ \t]*\({either(sv.MYSELF, en.MYSELF)}\))?[ \t]*[,:(<\[–-]?[ \t]*$"
)
_NAME_AFTER = re.compile(r"^[ \t]*[)>\]]?[ \t]*\((?P<name>[^()@\n]{2,60})\)")
_GUEST_CONTEXT = re.compile(either(sv.GUEST_CONTEXT, en.GUEST_CONTEXT), re.I)
# "Min kollega Per Persson": the words before a guest's name that are not part of it.
_LEAD_WORD = re.compile(rf"^{either(sv.GUEST_LEAD_WORDS, en.GUEST_LEAD_WORDS)}\s+")


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
        person = _LEAD_WORD.sub("", person)
        if (before and before.group("me")) or (person and writer and fold(person) == fold(writer)):
            continue  # the writer's own other address
        if not is_name_like(person, 4):
            person = ""
        if not person and not _GUEST_CONTEXT.search(mail.text[: match.start()]):
            continue
        found.append(Guest(name=fix_case(person) if person else name_from_address(addr) or addr, email=addr))
    return tuple(found)


_ON_BEHALF = re.compile(either(sv.ON_BEHALF, en.ON_BEHALF))
_SELF_INCLUDED = re.compile(either(sv.SELF_INCLUDED, en.SELF_INCLUDED))
_REGISTER_VERB = (
    r"\b(?:anmäl\w*|registrera\w*|register\w*|sign(?:ing)? up|book\w*|boka\w*) (?:härmed |hereby |gärna |also |även )?"
)


def writer_coming(text: str, extra: tuple[Guest, ...]) -> Found[bool]:
    """Whether the writer signs themselves up, or only someone else ("Jag anmäler min kollega ...").

    Only an explicit phrase of signing someone else up ("anmäla min kollega",
    "on her behalf", "I can't come myself", or a guest's name straight after
    "anmäler") counts, and only when nothing says the writer comes too ("mig
    och min kollega", "we'll be two", "(jag)" beside their name). A forwarded
    invitation with "Räkna med mig" signs up the forwarder.
    """
    folded = fold(text)
    said = _ON_BEHALF.search(folded)
    if said is None:
        for guest in extra:
            said = re.search(_REGISTER_VERB + re.escape(fold(guest.name)) + r"\b", folded)
            if said:
                break
    if said is None:
        return Found(value=True, source="the writer signs up")
    if own := _SELF_INCLUDED.search(folded):
        return Found(value=True, confidence=0.9, source=f"the writer comes too: {own.group()!r}")
    return Found(value=False, confidence=0.9, source=f"signs up someone else: {said.group()!r}")


def extract(mail: InboundMail, default_language: Language, ours: set[str] | frozenset[str] = frozenset()) -> Extraction:
    """Everything the writer said about themselves, each field with a confidence."""
    if not mail.text.strip() and mail.subject.strip() and not is_reply(mail.subject):
        # Everything in the subject, nothing in the body: "Anmäler mig + 1 från Linköpings kommun".
        mail = mail.model_copy(update={"text": mail.subject})
    signature = Signature(signature_lines(mail), mail.display_name, mail.sender or "")
    person = name(mail, signature)
    org, suggested = organisation(mail, signature, person.value)
    extra = guests(mail, set(ours), person.value)
    own_subject = "" if is_reply(mail.subject) else mail.subject
    diet_found, diet_words = diet(f"{mail.text}\n{label_lines(mail.signature)}", extra, own_subject)
    seat_count = seats_beside(mail.text, extra) if extra else seats(mail.text)
    intent = classify_intent(mail)
    coming = writer_coming(mail.text, extra)
    if not coming.value and extra and intent.value in (Intent.CANCEL, Intent.UPDATE, Intent.QUESTION):
        # "I can't come myself, but please register my colleague Per (per@x.se)":
        # the writer's own "can't come" is why they sign someone else up.
        intent = Found(value=Intent.SIGNUP, confidence=0.85, source=f"{coming.source} ({intent.source})")
    return Extraction(
        intent=intent,
        language=mail.language or default_language,
        name=person,
        organisation=org,
        organisation_suggested=suggested,
        seats=seat_count,
        diet=diet_found,
        diet_text=diet_words,
        guests=extra,
        writer_coming=coming,
    )
