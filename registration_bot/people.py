"""Who wrote: the person's name, in the organiser's order of trust.

An explicit ``Namn:`` line, then what the writer says ("Jag heter ...",
"Please change my name to ..."), then the signature, then the display name
(made whole from the address when it is only "Johan E"), and last a guess
from the address, marked as such by its low confidence.
"""

from __future__ import annotations

import re

from .lexicon import either, en, sv
from .models import Found, InboundMail
from .names import fix_case, is_name_like, name_from_address
from .signature import _ORG_WORD, Signature
from .textutil import fold, one_line, plain

_LABEL_NAME = re.compile(rf"^\s*{either(sv.NAME_LABELS, en.NAME_LABELS)}\s*:\s*(.+)$", re.I | re.M)
_NAME_SAID = re.compile(
    rf"(?i:{'|'.join((*sv.NAME_SAID, *en.NAME_SAID))})[ \t]+"
    r"([A-ZÅÄÖÉÜØÆ][\w'’-]+(?:[ \t]+(?:von |af |de |van |der |la |le )?[A-ZÅÄÖÉÜØÆ][\w'’-]+){0,3})"
    # "I'm Danish" is not a name: after "I am"/"this is", ask for first name and surname.
    rf"|(?i:{'|'.join((*sv.INTRODUCTIONS, *en.INTRODUCTIONS))})[ \t]+"
    r"([A-ZÅÄÖÉÜØÆ][\w'’-]+(?:[ \t]+(?:von |af |de |van )?[A-ZÅÄÖÉÜØÆ][\w'’-]+){1,3})"
)


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
        if plain(first) == plain(candidate) or (len(first) == 1 and plain(candidate).startswith(plain(first))):
            return " ".join([candidate, *rest])
    return candidate


# Titles before a name are not part of it: "Dr Eleanor Whitfield", "Prof. Anna Berg".
_HONORIFIC = re.compile(r"^(?:(?:dr|prof|professor|docent|mr|mrs|ms|miss|herr|fru)\.?\s+)+(?=\S+\s+\S)", re.I)


def name(mail: InboundMail, sig: Signature) -> Found[str]:
    """The writer's name, with the source and confidence of the strongest place it was found."""
    found = _name(mail, sig)
    plain = _HONORIFIC.sub("", found.value)
    return found if plain == found.value else found.model_copy(update={"value": plain})


def _name(mail: InboundMail, sig: Signature) -> Found[str]:
    label = _LABEL_NAME.search(mail.text) or _LABEL_NAME.search(mail.signature)
    if label:
        value = one_line(label.group(1), 80).strip(" .,")
        if is_name_like(value, 6):
            return Found(value=fix_case(value), confidence=0.98, source="Namn:/Name: line")
    said = _NAME_SAID.search(mail.text)
    said_name = (said.group(1) or said.group(2)) if said else ""
    if said_name and is_name_like(said_name, 4) and not _ORG_WORD.search(said_name):
        if " " not in said_name and sig.name and " " in sig.name and plain(sig.name.split()[0]) == plain(said_name):
            # "my name is spelled Siobhán" signed "Siobhán O'Connor": the signature has the whole of it.
            return Found(value=sig.name, confidence=0.9, source="said their name, whole in the signature")
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
        if display_ok and not _complete(value) and fold(display.split()[0]) == fold(value.split()[0]):
            # "Åsa H" signing for Åsa Holmgren: the initial is made whole by the display name.
            return Found(value=display, confidence=0.9, source="display name (signed with an initial)")
        if " " in value:
            return Found(value=value, confidence=0.92, source="signature")
        if display_ok:
            first, *rest = display.split()
            if value != first and plain(value) == plain(first):
                # "Chloé" signing, "Chloe Martin" in the header: the writer's own spelling of the name.
                return Found(value=" ".join([value, *rest]), confidence=0.9, source="display name, spelt as signed")
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
    local = (mail.sender or "").split("@")[0].lower()
    wanted = {first.lower() for first in firsts}
    for match in _LINE_NAME.finditer(mail.text):
        if match.group(1).lower() in wanted and (match.group(2).lower() in local or not local):
            return fix_case(f"{match.group(1)} {match.group(2)}")
    return ""


_LINE_NAME = re.compile(r"(?im)^[ \t]*([^\W\d_][\w'-]*)[ \t]+([a-zåäöéüø'-]{2,})(?=[ \t]*[,.(]|[ \t]*$)")
