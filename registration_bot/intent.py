"""What does the writer want? Sign up, cancel, change their details, or ask?

Judged sentence by sentence on the writer's own words (quotes already cut),
in Swedish and English, the way an organiser reads: "Jag anmäler mig! Vet ni
när det blir?" is a sign-up with a question attached, but "Jag funderar på
att anmäla mig" and "I might sign up if so" are questions, and "min kollega
kan inte komma" changes a registration rather than cancelling it. Each answer
carries a confidence, so that an unsure message goes to review.
"""

from __future__ import annotations

import re

from .models import Found, InboundMail, Intent
from .textutil import fold

_FIRST_PERSON = re.compile(r"\b(?:jag|vi|mig|oss|i|i'm|i'd|i'll|we|we're|we'll|me|us|my|our|min|mitt|vår)\b")
_OTHER_SUBJECT = re.compile(
    r"\b(?:min|mina|my|our|vår|våra)\s+(?:\w+\s+)?(?:kollega|kollegor|colleague|colleagues|chef|boss|vän|friend|"
    r"partner|sambo|fru|man|wife|husband)\b|^\s*(?:han|hon|de|he|she|they)\b"
)
_HEDGE = re.compile(
    r"funderar på|fundera på|tänker (?:kanske|eventuellt)|kanske|eventuellt|möjligen|innan (?:jag|vi) kan|"
    r"skulle (?:kunna )?vilja veta|undrar (?:om|hur|när|var|vad)|\bmight\b|\bmaybe\b|\bperhaps\b|\bconsidering\b|"
    r"thinking (?:about|of)|\bif so\b|\bbefore i\b|wondering|would like to know|"
    r"vem ska man|om man vill|if one wants|how do i|hur gör (?:jag|man)|vet inte om|osäker på om|"
    r"not sure (?:if|whether)|don't know (?:if|whether|yet)|unsure|\bprobably\b|troligen|förmodligen|"
    r"can't decide|kan inte bestämma"
)
_ALREADY = re.compile(
    r"har (?:redan )?anmält|redan anmäld|already (?:signed up|registered)|have (?:already )?registered|"
    r"anmälde mig (?:för|i|redan)|signed up (?:last|a few|two|for)"
)
_CANCEL = re.compile(
    r"avanmäl|avregistrer|stryk (?:mig|mitt namn|min anmälan|oss)|ta bort (?:mig|min anmälan|oss|mitt namn)|"
    r"lämna(?:r)? återbud|återbud|avboka|avstå|hoppa(?:r)? av|backa ur|tacka(?:r)? nej|"
    r"\b(?:kan|kommer|hinner|har möjlighet|går|får|kunna)(?: \w+){0,3} (?:inte|ej)(?: \w+){0,3} "
    r"(?:komma|delta|närvara|vara med|medverka|dyka upp|följa med|gå)|"
    r"\b(?:inte|ej) (?:längre )?(?:möjlighet|kunna|komma|delta)|kommer (?:tyvärr )?inte(?! från| ifrån| heller från)\b|"
    r"\bcancel|unregister|deregister|withdraw|remove (?:me|my (?:name|registration|sign[- ]?up))|take me off|"
    r"(?:can'?t|cannot|can not|won'?t be able to|will not be able to|unable to|not able to|no longer able to) "
    r"(?:make it|attend|come|join|participate|be there|go)|"
    r"(?:won'?t|will not) (?:be (?:attending|coming|joining|able)|make it|attend)|no longer (?:attend|come|join|coming|attending)|"
    r"(?:have|need) to (?:drop out|pull out|back out)|drop (?:out|me)|count me out|"
    r"something (?:has )?come up|något (?:har )?kommit emellan"
)
# Explicit changes to a registration: they win over sign-up words in the same mail.
_CHANGE = re.compile(
    r"\bändr(?:a|ing|ar|at)\b|uppdater|rättelse|korrigera|\bistället för\b|\bi stället för\b|"
    r"(?:vi|jag) blir (?:nu |istället |i stället |ändå )?(?:fler|färre|en till|en mer)|"
    r"bytt (?:jobb|arbete|organisation|namn|mejl|e-post)|\bnumera\b|inte längre (?:vegan|vegetarian|vegetarisk)|"
    r"\bupdate\b|change of plans|change (?:my|the|our)|\bamend|\bcorrection\b|\binstead of\b|"
    r"no longer (?:vegan|vegetarian)|\bi'?m now\b|only me now|bara jag nu|kommer ensam|jag kommer själv"
)
# Additions that also occur in a first sign-up ("please add my colleague too").
_ADDITION = re.compile(
    r"lägg(?:a)? till|tillägg|komplettera|(?:glömde|glömt) (?:att )?(?:skriva|nämna|säga|berätta)|"
    r"forgot to (?:mention|say|add|tell)|(?:add|adding) (?:that|a colleague|one more|my)|(?:now|also) (?:be )?bringing|"
    r"(?:kollega\w*|colleague\w*|chef|boss|han|hon|he|she)\s+(?:\w+\s+){0,3}?(?:vill|ska|kan|would|will|wants?)\s+"
    r"(?:(?:också|även|also)\s+)(?:gärna\s+)?(?:like to\s+)?(?:följa med|komma|vara med|come|join|attend)"
)
_SIGNUP = re.compile(
    r"\banmäl(?:a|er)? (?:mig|oss|härmed|gärna|också|även)|\banmäler (?:mig|oss|härmed)|(?:vill|ska|skulle) (?:gärna |också |även |jättegärna |väldigt gärna )?"
    r"(?:vilja )?(?:anmäla|delta|vara med|komma|närvara|medverka|boka|registrera|gå)|"
    r"räkna med (?:mig|oss)|räkna in (?:mig|oss)|(?:jag|vi) (?:är|e) med|"
    r"(?:jag|vi) (?:kommer|deltar|är på|ses där|närvarar)\b|kommer gärna|deltar gärna|är gärna med|gärna med\b|"
    r"skriv upp (?:mig|oss)|boka (?:mig|en plats|plats|oss)|(?:jag|vi) hänger på|intresserad(?:e)? av att (?:delta|komma|vara med)|"
    r"intresserad och vill|tacka(?:r)? ja|ja tack|ja, tack|önskar (?:delta|anmäla|komma)|plats(?:er)? (?:till|för) (?:mig|oss)|"
    r"sign (?:me|us) up|sign up|signing up|count (?:me|us) in|register (?:me|us|myself)|i(?:'d| would) (?:like|love) to "
    r"(?:attend|join|come|register|participate|sign up|be there)|i(?:'ll| will) (?:attend|be there|come|join)|"
    r"we(?:'ll| will) (?:attend|be there|come|join)|(?:i'm|i am|we're|we are) (?:in\b|coming|attending|interested in attending)|"
    r"(?:i|we) (?:would )?(?:like|want|wish|love) to (?:attend|join|register|participate|come)|please register|"
    r"save (?:me|us) a (?:seat|spot)|reserve (?:a|me a) (?:seat|spot)|(?:book|put) me (?:in|down)|"
    r"\brsvp yes\b|\bi accept\b|happy to (?:attend|join|come)|(?:i|we)'d love to come|"
    r"would (?:like|love) to (?:attend|join|come|register|participate)|^hänger på\b|hänger (?:gärna )?med\b|"
    r"\b(?:me|jag|mig) (?:plus|\+) (?:one|1|en|ett)\b|"
    r"\bvi (?:blir|är|kommer) (?:\d{1,2}|två|tre|fyra|fem|sex|sju|åtta)\b|\bwe(?:'ll| will) be (?:\d{1,2}|two|three|four|five)\b|"
    r"(?:^|[.!]\s*)(?:gärna|absolut|självklart)[!.]|hoppas få komma|vill hemskt gärna"
)
_YES = re.compile(
    r"^\s*(?:ja|japp|jajamän|absolut|självklart|gärna|yes|yep|sure|definitely|absolutely|count me in)\b[\s!.,:)]*", re.I
)
_FORM = re.compile(r"^\s*(?:namn|name|full name|organisation|organization|företag|company)\s*:", re.I | re.M)
_REPLY_SUBJECT = re.compile(r"^\s*(?:re|sv|aw|vs|fwd?|vb|fw|ref)\s*:", re.I)
_CONFIRMATION_THREAD = re.compile(
    r"tack för din anmälan|du är (?:nu )?anmäld|din anmälan|bekräftelse|thanks for signing up|you are (?:now )?registered|"
    r"your registration|confirmation",
    re.I,
)
_SUBJECT_SIGNUP = re.compile(r"anmälan|anmäl mig|registration|sign[- ]?up|rsvp|deltagande", re.I)
_SUBJECT_CANCEL = re.compile(r"avanmälan|avanmäl|återbud|cancel", re.I)
# Words that may stand before an elliptical "Hänger på!" or "Count me in".
_GREETINGS = {
    "",
    "hej",
    "hej hej",
    "hejsan",
    "hallå",
    "hi",
    "hello",
    "hey",
    "dear all",
    "ja",
    "yes",
    "kul",
    "great",
    "tack",
    "thanks",
    "absolut",
    "gärna",
    "självklart",
    "sure",
}
_SENTENCE = re.compile(r"(?<=[.!?])\s+|\n+")


def _words(text: str) -> str:
    """Folded text with typographic apostrophes made plain (``can’t`` is ``can't``)."""
    return fold(text.replace("’", "'").replace("´", "'"))


def sentences(text: str) -> list[str]:
    return [s for s in (_words(part) for part in _SENTENCE.split(text)) if s]


def _about_someone_else(sentence: str, match: re.Match[str]) -> bool:
    """ "min kollega kan inte komma": the cancellation is a colleague's, not the writer's."""
    before = sentence[: match.start()]
    clause = re.split(r"[,;:]|\bmen\b|\bbut\b|\boch\b|\band\b", before)[-1]
    return bool(_OTHER_SUBJECT.search(clause))


# Privacy requests (GDPR articles 15 and 17). Judged before sign-ups and
# cancellations, but only on a request: the data-protection footers of
# public-sector signatures ("vi behandlar dina personuppgifter ...") and
# questions about the policy ("do you delete my data after the event?") are not.
_DATA_WORDS = r"(?:person|kontakt)?(?:uppgifter|uppgifterna|data|datan|information|informationen)"
_ERASE = re.compile(
    r"\b(?:radera|raderar|ta bort|tar bort|rensa|rensar|makulera|makulerar|gallra|gallrar) (?:alla |all |samtliga )?"
    rf"(?:(?:mina|min|mitt) (?:\w+ )?{_DATA_WORDS}|{_DATA_WORDS} (?:\w+ ){{0,4}}?om mig)\b|"
    r"\bradera mig\b|\bglöm (?:bort )?mig\b|rätten att bli (?:bort)?glömd|\b(?:begär|begäran om) radering|"
    r"\b(?:delete|erase|remove|purge|wipe) (?:all )?(?:of )?my (?:\w+ )?(?:data|information|info|records?)\b|"
    r"\b(?:delete|erase) (?:all )?(?:of )?my (?:personal )?details\b|"
    r"\b(?:delete|erase|remove|purge|wipe) (?:all )?(?:the |any )?(?:personal )?(?:data|information|info|details|records?)"
    r" (?:\w+ ){0,4}?(?:about|on|of|regarding) me\b|"
    r"\bforget me\b|right to (?:be forgotten|erasure)|\bdelete me from\b|\berasure request\b"
)
_ACCESS = re.compile(
    r"registerutdrag|\butdrag (?:ur|av|från) (?:registret|mina)|"
    r"\b(?:vilka|vad för|vilken) (?:\w+ ){0,2}?(?:person)?(?:uppgifter|data|information) (?:\w+ ){0,4}?"
    r"(?:om mig|(?:sparat|lagrat|registrerat|sparar|lagrar) (?:\w+ ){0,2}?om mig)|"
    r"\bvad (?:har ni|ni har|finns det) (?:\w+ ){0,2}?(?:sparat|lagrat|registrerat|för uppgifter)? ?om mig|"
    r"\b(?:skicka|visa|ge|lämna ut|begär|begära|se|få ut|ta del av|vill ha|vill veta)"
    rf" (?:mig )?(?:\w+ ){{0,2}}?(?:mina (?:\w+ )?{_DATA_WORDS}|{_DATA_WORDS} (?:ni har )?om mig|min data)\b|"
    r"\bwhat (?:personal )?(?:data|information|info|details|records) (?:\w+ ){0,4}?(?:about me|on me|on file)|"
    r"\bwhat (?:personal )?data (?:do|did) you (?:have|hold|store|keep)|"
    r"\b(?:send|give|show|see|access|obtain|get|export|copy of|want|like to see|like to know|like to have)"
    r" (?:me )?(?:a copy of )?(?:all )?(?:my (?:personal )?(?:data|information|records)|"
    r"(?:the )?(?:personal )?(?:data|information|details|records) (?:\w+ ){0,3}?(?:about|on) me)\b|"
    r"subject access request|right of access|\bdsar\b|artic(?:le|el) 15\b"
)
_BARE_ACCESS = re.compile(r"(?:mina (?:person)?uppgifter|registerutdrag|my (?:personal )?data|gdpr)(?: tack| please)?")
_NEGATED = re.compile(r"\b(?:inte|ej|icke|aldrig|not|don't|do not|never|no need to)\b(?: \w+){0,3}\s*$")
# "If I cancel, ...", and our own notice quoted back: 'Svara "radera mina uppgifter" för att ...'.
_NOT_A_REQUEST = re.compile(
    r"^\W*(?:om|if|ifall)\b|\b(?:svara|skriv|reply|write|answer)(?: \w+){0,2}\s*[\"“”«»']?\s*$|[\"“”«»']\s*$"
)
# A request may be a polite question ("Kan ni radera mina uppgifter?"); other questions are about the policy.
_POLITE = re.compile(
    r"^(?:\W*(?:hej|hi|hello|snälla|please)\W+)?(?:kan|skulle|vill|could|can|would|will you please|please)\b"
)


def _privacy_in(sentence: str) -> tuple[Intent, str] | None:
    # "What data do you have about me?" asks for the data; "Do you delete my data?" asks about the policy.
    asked = "?" in sentence and not _POLITE.match(sentence)
    for intent, pattern in ((Intent.ERASE, _ERASE), (Intent.DATA_REQUEST, _ACCESS)):
        m = None if asked and intent is Intent.ERASE else pattern.search(sentence)
        if m and not _NEGATED.search(sentence[: m.start()]) and not _NOT_A_REQUEST.search(sentence[: m.start()]):
            return intent, f"{intent.value.replace('_', ' ')} phrase: {m.group()!r}"
    return None


def privacy_request(mail: InboundMail) -> Found[Intent] | None:
    """ "Radera mina uppgifter", "delete my data", "mina uppgifter", "what data do you have about me"."""
    own = _words(mail.text)
    for sentence in sentences(mail.text):
        if found := _privacy_in(sentence):
            return Found(value=found[0], confidence=0.9, source=found[1])
        if len(own) <= 80 and _BARE_ACCESS.fullmatch(sentence.strip(" .!?-")):
            return Found(value=Intent.DATA_REQUEST, confidence=0.85, source=f"asks for {sentence.strip(' .!?-')!r}")
    subject = _words(mail.subject).strip(" .!?-")
    if len(own) <= 80 and subject and not _REPLY_SUBJECT.match(mail.subject):
        if found := _privacy_in(subject):
            return Found(value=found[0], confidence=0.85, source=f"subject: {found[1]}")
        if _BARE_ACCESS.fullmatch(subject):
            return Found(value=Intent.DATA_REQUEST, confidence=0.85, source=f"subject asks for {subject!r}")
    return None


_CONFIRM_YES = re.compile(
    r"^\W*(?:ja|japp|jajamän|ok|okej|bekräftar|jag bekräftar|yes|yep|confirm(?:ed)?|i confirm|radera|delete|erase)\b"
)
_CONFIRM_NO = re.compile(
    r"^\W*(?:nej|no|nope)\b|\b(?:radera|ta bort|delete|erase|remove) (?:\w+ )?(?:inte|ej)\b|"
    r"\b(?:inte|ej|don't|do not|not) (?:\w+ )?(?:radera|ta bort|delete|erase|remove)\b|"
    r"\bångra\w*|\bavbryt|\bcancel (?:the|my|this) (?:request|deletion|erasure)|changed my mind|ändrat mig"
)


def confirms_erasure(mail: InboundMail) -> bool | None:
    """A reply to our erasure question: True yes (or a bare reply), False no, None unclear."""
    own = _words(mail.text).strip()
    if _CONFIRM_NO.search(own):
        return False
    if not own or _CONFIRM_YES.match(own):
        return True
    return None


_REQUEST = re.compile(
    r"\b(?:kan|skulle|vill) ni (?:(?:snälla|vänligen|gärna|också|även) )?(?:anmäla|registrera|skriva upp|boka|lägga till) "
    r"(?:mig|oss)\b|\b(?:can|could|would|will) you (?:please |kindly )?(?:sign|register|book|add|put|count) (?:me|us)\b"
)


def classify_intent(mail: InboundMail) -> Found[Intent]:
    """The intent of the writer's own words, with a confidence and the rule that fired."""
    if privacy := privacy_request(mail):
        return privacy
    parts = sentences(mail.text)
    subject = _words(mail.subject)
    in_confirmation_thread = bool(
        _REPLY_SUBJECT.match(mail.subject) and _CONFIRMATION_THREAD.search(mail.subject)
    ) or bool(_CONFIRMATION_THREAD.search(mail.quoted[:2000]))
    cancel = update = signup = weak_signup = None
    conditional = False
    question = any("?" in s for s in parts)
    for sentence in parts:
        # "Kan ni anmäla mig?" / "Could you sign me up?" is a request, not a question.
        request = bool(_REQUEST.search(sentence))
        hedged = bool(_HEDGE.search(sentence)) or ("?" in sentence and not request) or bool(_ALREADY.search(sentence))
        if (m := _CANCEL.search(sentence)) and not cancel:
            if _about_someone_else(sentence, m):
                update = update or f"someone else's change: {m.group()!r}"
            elif not re.search(r"\b(?:om|if)\b[^.]*$", sentence[: m.start()]) or "avanmäl" in m.group():
                cancel = f"cancel phrase: {m.group()!r}"
        if (m := _CHANGE.search(sentence)) and not update:
            update = f"change phrase: {m.group()!r}"
        elif (m := _ADDITION.search(sentence)) and not update:
            update = f"addition: {m.group()!r}"
        if (m := _SIGNUP.search(sentence)) and not signup:
            if hedged:
                weak_signup = weak_signup or f"hedged or asked: {m.group()!r}"
            elif not _FIRST_PERSON.search(sentence) and sentence[: m.start()].strip(" ,!.-") not in _GREETINGS:
                weak_signup = weak_signup or f"not the writer: {m.group()!r}"
            else:
                signup = f"sign-up phrase: {m.group()!r}"
                # "If that can be arranged I would love to come": it depends on an answer.
                conditional = bool(re.match(r"\s*(?:if|om|ifall|provided|förutsatt)\b", sentence))
    if cancel and not signup:
        return Found(value=Intent.CANCEL, confidence=0.95, source=cancel)
    if cancel and signup:
        return Found(value=Intent.CANCEL, confidence=0.6, source=f"both {cancel} and {signup}")
    if update and (in_confirmation_thread or not signup or "change phrase" in update):
        return Found(value=Intent.UPDATE, confidence=0.9, source=update)
    if signup and conditional and question:
        return Found(value=Intent.QUESTION, confidence=0.8, source=f"a sign-up that waits for an answer: {signup}")
    if signup:
        if in_confirmation_thread:
            return Found(value=Intent.UPDATE, confidence=0.85, source=f"in reply to a confirmation: {signup}")
        return Found(value=Intent.SIGNUP, confidence=0.95, source=signup)
    if _FORM.search(mail.text) and not question:
        return Found(value=Intent.SIGNUP, confidence=0.85, source="form-like details")
    if not _REPLY_SUBJECT.match(mail.subject) and _SUBJECT_CANCEL.search(subject) and not question:
        return Found(value=Intent.CANCEL, confidence=0.85, source="subject says cancellation")
    own = _words(mail.text)
    if _YES.match(own) and not question:
        return Found(value=Intent.SIGNUP, confidence=0.85, source="a plain yes to the invitation")
    if weak_signup:
        return Found(value=Intent.QUESTION, confidence=0.8, source=weak_signup)
    if (
        not _REPLY_SUBJECT.match(mail.subject)
        and _SUBJECT_SIGNUP.search(subject)
        and not question
        and len(own) < 400
        and not _ALREADY.search(own)
    ):
        return Found(value=Intent.SIGNUP, confidence=0.75, source="subject says sign-up")
    if not own.strip():
        return Found(value=Intent.QUESTION, confidence=0.5, source="no text of the writer's own")
    return Found(value=Intent.QUESTION, confidence=0.8, source="no sign-up, cancellation or change found")
