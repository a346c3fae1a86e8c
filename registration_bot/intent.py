"""What does the writer want? Sign up, cancel, change their details, or ask?

Judged on the writer's own words (quotes already cut by :mod:`quotes`), in
Swedish and English. Each answer carries a confidence so that the decision
can send an unsure message to review instead of guessing. Person details
(name, organisation, seats, diet, guests) live in :mod:`details`.
"""

from __future__ import annotations

import re

from .models import Found, InboundMail, Intent
from .textutil import fold

_NEGATION = r"(?:inte|ej|icke|aldrig|not|n't|cannot|never)"

_CANCEL = re.compile(
    r"avanmäl|avregistrer|stryk (?:mig|mitt namn|min anmälan|oss)|ta bort (?:mig|min anmälan|oss|mitt namn)|"
    r"lämna(?:r)? återbud|återbud|avboka|ställa in (?:min|mitt) |"
    r"(?:kan|kommer|hinner|har möjlighet|går)(?: \w+){0,3} (?:inte|ej)(?: \w+){0,3} (?:komma|delta|närvara|vara med|medverka|dyka upp)|"
    r"kan (?:tyvärr )?inte (?:längre )?(?:komma|delta|närvara|vara med)|"
    r"(?:inte|ej) (?:längre )?(?:möjlighet|kunna) (?:att )?(?:komma|delta|närvara)|"
    r"måste (?:tyvärr )?(?:avstå|hoppa av|tacka nej|backa ur|lämna återbud|ställa in)|hoppa(?:r)? av|"
    r"kommer (?:tyvärr )?inte|jag (?:får|måste) (?:tyvärr )?(?:avstå|tacka nej)|"
    r"\bcancel|unregister|deregister|withdraw (?:my|from)|remove (?:me|my (?:name|registration|sign[- ]?up))|"
    r"(?:can'?t|cannot|can not|won'?t be able to|will not be able to|unable to|not able to|no longer able to) "
    r"(?:make it|attend|come|join|participate|be there)|"
    r"(?:won'?t|will not) (?:be (?:attending|coming|joining|able)|make it|attend)|no longer (?:attend|come|join|coming|attending)|"
    r"(?:have|need) to (?:drop out|pull out|back out|withdraw)|drop (?:out|me)|count me out|take me off",
)
_UPDATE = re.compile(
    r"ändra (?:min|mitt|mina|i min|till|antal|anmälan|uppgift)|ändring (?:av|i|till)|ändra\b|uppdatera|"
    r"lägga till (?:att|en|min)|lägg till (?:att|en|min)|komplettera|korrigera|rätta (?:min|mitt)|"
    r"(?:vi|jag) blir (?:nu |istället |i stället |ändå )?(?:fler|färre|en till|en mer)|"
    r"(?:glömde|glömt) (?:att )?(?:skriva|nämna|säga|berätta)|"
    r"\bupdate\b|\bchange (?:my|the|our|to)|amend|correct(?:ion)? (?:my|to)|forgot to (?:mention|say|add|tell)|"
    r"(?:add|adding) (?:that|a colleague|one more|my)|(?:now|instead) (?:be )?bringing|"
    r"i(?:'m| am) now|actually (?:be )?(?:two|three|\d)",
)
_SIGNUP = re.compile(
    r"anmäl(?:a|er)? (?:mig|oss|härmed|gärna)|anmäler (?:mig|oss|härmed)|vill (?:gärna |också |även )?"
    r"(?:anmäla|delta|vara med|komma|närvara|medverka|boka|registrera)|"
    r"räkna med (?:mig|oss)|räkna in (?:mig|oss)|jag (?:är|e) med|vi (?:är|e) med|"
    r"(?:jag|vi) (?:kommer|deltar|är på|ses där|närvarar)|(?:jag|vi) kommer (?:gärna|garanterat|absolut|att komma)|"
    r"kommer gärna|deltar gärna|är gärna med|gärna med|skriv upp (?:mig|oss)|boka (?:mig|en plats|plats|oss)|"
    r"(?:hänger|är) på\b|intresserad(?:e)? av att (?:delta|komma|vara med)|anmälan\b|"
    r"tacka(?:r)? ja|ja tack|ja, tack|vill anmäla|önskar (?:delta|anmäla|komma)|platser? (?:till|för) (?:mig|oss)|"
    r"sign (?:me|us) up|signing up|sign up|count (?:me|us) in|register (?:me|us|myself)|i(?:'d| would) (?:like|love) to "
    r"(?:attend|join|come|register|participate|sign up|be there)|i(?:'ll| will) (?:attend|be there|come|join)|"
    r"we(?:'ll| will) (?:attend|be there|come|join)|(?:i'm|i am|we're|we are) (?:in\b|coming|attending|interested in attending)|"
    r"(?:like|want|wish|love) to (?:attend|join|register|participate)|please register|registration for|"
    r"save (?:me|us) a (?:seat|spot)|reserve (?:a|me a) (?:seat|spot)|(?:book|put) me (?:in|down)|"
    r"(?:accept|rsvp yes|i accept)|happy to (?:attend|join|come)",
)
_YES = re.compile(
    r"^\s*(?:ja|japp|jajamän|absolut|självklart|gärna|yes|yep|sure|definitely|absolutely|count me in)\b[\s!.,:)]*", re.I
)
_FORM = re.compile(r"^\s*(?:namn|name|full name|organisation|organization|företag|company)\s*:", re.I | re.M)
_REPLY_SUBJECT = re.compile(r"^\s*(?:re|sv|aw|vs|fwd?|vb|fw|ref)\s*:", re.I)
_SUBJECT_SIGNUP = re.compile(r"anmälan|anmäl mig|registration|sign[- ]?up|rsvp|deltagande", re.I)
_SUBJECT_CANCEL = re.compile(r"avanmälan|avanmäl|återbud|cancel", re.I)


def _words(text: str) -> str:
    """Folded text with typographic apostrophes made plain (``can’t`` is ``can't``)."""
    return fold(text.replace("’", "'").replace("´", "'"))


def _negated_signup(text: str) -> bool:
    return bool(
        re.search(
            r"(?:vill|kan|tänker) (?:inte|ej) (?:anmäla|delta|komma)|(?:don't|do not) (?:want to )?(?:sign|register|attend)",
            text,
        )
    )


def classify_intent(mail: InboundMail) -> Found[Intent]:
    """The intent of the writer's own words, with a confidence and the rule that fired."""
    own = _words(mail.text)
    subject = "" if _REPLY_SUBJECT.match(mail.subject) else _words(mail.subject)
    cancel = _CANCEL.search(own)
    update = _UPDATE.search(own)
    signup = _SIGNUP.search(own) if not _negated_signup(own) else None
    if cancel and not (signup and signup.start() < cancel.start() and "avanmäl" not in cancel.group()):
        return Found(value=Intent.CANCEL, confidence=0.95, source=f"cancel phrase: {cancel.group()!r}")
    if update:
        return Found(value=Intent.UPDATE, confidence=0.9, source=f"update phrase: {update.group()!r}")
    if signup:
        return Found(value=Intent.SIGNUP, confidence=0.95, source=f"sign-up phrase: {signup.group()!r}")
    if _FORM.search(mail.text):
        return Found(value=Intent.SIGNUP, confidence=0.85, source="form-like details")
    if subject and _SUBJECT_CANCEL.search(subject):
        return Found(value=Intent.CANCEL, confidence=0.85, source="subject says cancellation")
    if _YES.match(own) and "?" not in own:
        return Found(value=Intent.SIGNUP, confidence=0.85, source="a plain yes to the invitation")
    if subject and _SUBJECT_SIGNUP.search(subject) and "?" not in own and len(own) < 400:
        return Found(value=Intent.SIGNUP, confidence=0.75, source="subject says sign-up")
    if not own.strip():
        return Found(value=Intent.QUESTION, confidence=0.5, source="no text of the writer's own")
    return Found(value=Intent.QUESTION, confidence=0.8, source="no sign-up, cancellation or change found")
