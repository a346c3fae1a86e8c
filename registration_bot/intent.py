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

from .lexicon import either, en, en_privacy, sv, sv_privacy
from .models import Found, InboundMail, Intent
from .textutil import fold

_FIRST_PERSON = re.compile(rf"\b{either(sv.FIRST_PERSON, en.FIRST_PERSON)}\b")
_OTHER_SUBJECT = re.compile(
    rf"\b{either(sv.POSSESSIVES, en.POSSESSIVES)}\s+(?:\w+\s+)?{either(sv.OTHER_PEOPLE, en.OTHER_PEOPLE)}\b"
    rf"|^\s*{either(sv.THIRD_PERSON, en.THIRD_PERSON)}\b"
)
_HEDGE = re.compile(either(sv.HEDGE, en.HEDGE))
_ALREADY = re.compile(either(sv.ALREADY, en.ALREADY))
_CANCEL = re.compile(either(sv.CANCEL, en.CANCEL))
# Explicit changes to a registration: they win over sign-up words in the same mail.
_CHANGE = re.compile(either(sv.CHANGE, en.CHANGE))
# Additions that also occur in a first sign-up ("please add my colleague too"), and
# "min kollega vill också gärna komma": who, will, also, softeners, the verb.
_SOMEONE_ALSO_COMES = (
    rf"{either(sv.ADDITION_WHO, en.ADDITION_WHO)}\s+(?:\w+\s+){{0,3}}?{either(sv.ADDITION_WILL, en.ADDITION_WILL)}\s+"
    rf"(?:{either(sv.ALSO, en.ALSO)}\s+)"
    + "".join(rf"(?:{softener}\s+)?" for softener in (*sv.ADDITION_SOFTENER, *en.ADDITION_SOFTENER))
    + either(sv.JOIN_VERBS, en.JOIN_VERBS)
)
_ADDITION = re.compile(either(sv.ADDITION, en.ADDITION, [_SOMEONE_ALSO_COMES]))
_SIGNUP = re.compile(either(sv.SIGNUP, en.SIGNUP))
_TERSE = re.compile(rf"(?:{either(sv.LEAD_INS, en.LEAD_INS)}[ !,.]+)?{either(sv.TERSE_SIGNUP, en.TERSE_SIGNUP)}")
_YES = re.compile(rf"^\s*{either(sv.YES, en.YES)}\b[\s!.,:)]*", re.I)
_FORM = re.compile(rf"^\s*{either(sv.FORM_LABELS, en.FORM_LABELS)}\s*:", re.I | re.M)
# Reply and forward prefixes in other languages: German "AW", Nordic "VS", "Ref".
_OTHER_REPLY_PREFIXES = ("aw", "vs", "ref")
_REPLY_SUBJECT = re.compile(rf"^\s*{either(sv.REPLY_PREFIXES, en.REPLY_PREFIXES, _OTHER_REPLY_PREFIXES)}\s*:", re.I)
_CONFIRMATION_THREAD = re.compile(either(sv.CONFIRMATION, en.CONFIRMATION), re.I)
_CONFIRMATION_QUOTED = re.compile(either(sv.CONFIRMATION_QUOTED, en.CONFIRMATION_QUOTED), re.I)
# The quoted message's subject in Outlook's header block: "Ämne: Du är anmäld till ...".
_QUOTED_SUBJECT = re.compile(r"^[>\s]*(?:subject|ämne|betreff)\s*:(.*)$", re.I | re.M)
_SUBJECT_SIGNUP = re.compile(either(sv.SUBJECT_SIGNUP, en.SUBJECT_SIGNUP), re.I)
_SUBJECT_CANCEL = re.compile(either(sv.SUBJECT_CANCEL, en.SUBJECT_CANCEL), re.I)
# Words that may stand before an elliptical "Hänger på!" or "Count me in".
_LEAD_INS = {"", *sv.LEAD_INS, *en.LEAD_INS}
# A clause's own subject: "min kollega kan inte komma, men jag kommer".
_CLAUSE_BREAK = re.compile(rf"[,;:]|\b{either(sv.CLAUSE_JOINERS, en.CLAUSE_JOINERS)}\b")
# "Om jag inte kan komma ...": an "if" before a cancellation phrase makes it none.
_IF_BEFORE = re.compile(rf"\b{either(sv.IF, en.IF)}\b[^.]*$")
# "If that can be arranged I would love to come": a sign-up that depends on an answer.
_CONDITIONAL = re.compile(rf"\s*{either(sv.IF, en.IF, sv.IN_CASE, en.IN_CASE, sv.PROVIDED, en.PROVIDED)}\b")
_TRAILING_IF = re.compile(either(sv.TRAILING_IF, en.TRAILING_IF))
_SENTENCE = re.compile(r"(?<=[.!?])\s+|\n+")


def is_reply(subject: str) -> bool:
    """ "Re:", "SV:", "VB:", "Fwd:" and the like: the subject is someone else's."""
    return bool(_REPLY_SUBJECT.match(subject))


def _words(text: str) -> str:
    """Folded text with typographic apostrophes made plain (``can’t`` is ``can't``)."""
    return fold(text.replace("’", "'").replace("´", "'"))


def sentences(text: str) -> list[str]:
    return [s for s in (_words(part) for part in _SENTENCE.split(text)) if s]


_RELATIVE = re.compile(rf"\b{either(sv.RELATIVE_PRONOUNS, en.RELATIVE_PRONOUNS)}\s+(?:\w+\s+)?$")


def _about_someone_else(sentence: str, match: re.Match[str]) -> bool:
    """ "min kollega kan inte komma": the cancellation is a colleague's, not the writer's."""
    before = sentence[: match.start()]
    clause = _CLAUSE_BREAK.split(before)[-1]
    # "Some colleagues who can't come would want the slides": a relative clause is theirs.
    return bool(_OTHER_SUBJECT.search(clause) or _RELATIVE.search(before))


def _hedge_reaches(sentence: str, match: re.Match[str], request: bool) -> bool:
    """Whether the doubt in ``sentence`` is about the sign-up at ``match``.

    A question mark, "already", or a hedge before the phrase, in its own
    clause or after a "but" is ("jag vill gärna komma men vet inte om jag
    kan"); a hedge in a clause added with "and" is about something else:
    "jag skulle gärna vilja komma, och kanske visa appen om det finns tid".
    """
    if _ALREADY.search(sentence):
        return True
    if request:
        return False  # "please register me, though I might have to leave early": asked for plainly
    if "?" in sentence:
        # "Count me in — will there be coffee?": a question after a dash is another matter.
        start = max((d.end() for d in _DASH.finditer(sentence, 0, match.start())), default=0)
        end = next((d.start() for d in _DASH.finditer(sentence, match.end())), len(sentence))
        if "?" in sentence[start:end] or end == len(sentence):
            return True
    for hedge in _HEDGE.finditer(sentence):
        between = sentence[match.end() : hedge.start()]
        if hedge.start() < match.end() or not _ADDED_CLAUSE.search(between):
            return True
    return False


_PART_OF_DAY = re.compile(rf"\s+{either(sv.PART_OF_THE_DAY, en.PART_OF_THE_DAY)}")
_DASH = re.compile(r"\s[—–-]\s|;")
_ADDED_CLAUSE = re.compile(rf"(?:^|[,;]|\s){either(sv.AND, en.AND)}\s")


# Privacy requests (GDPR articles 15 and 17). Judged before sign-ups and
# cancellations, but only on a request: the data-protection footers of
# public-sector signatures ("vi behandlar dina personuppgifter ...") and
# questions about the policy ("do you delete my data after the event?") are not.
_ERASE = re.compile(either(sv_privacy.ERASE, en_privacy.ERASE))
_ACCESS = re.compile(either(sv_privacy.ACCESS, en_privacy.ACCESS))
_BARE_ACCESS = re.compile(
    rf"{either(sv_privacy.BARE_ACCESS, en_privacy.BARE_ACCESS)}(?: {either(sv_privacy.PLEASE, en_privacy.PLEASE)})?"
)
_NEGATED = re.compile(rf"\b{either(sv_privacy.NEGATIONS, en_privacy.NEGATIONS)}\b(?: \w+){{0,3}}\s*$")
# "If I cancel, ...", and our own notice quoted back: 'Svara "radera mina uppgifter" för att ...'.
_NOT_A_REQUEST = re.compile(
    rf"^\W*{either(sv.IF, en.IF, sv.IN_CASE, en.IN_CASE)}\b"
    rf"|\b{either(sv_privacy.REPLY_VERBS, en_privacy.REPLY_VERBS)}(?: \w+){{0,2}}\s*[\"“”«»']?\s*$|[\"“”«»']\s*$"
)
# A request may be a polite question ("Kan ni radera mina uppgifter?"); other questions are about the policy.
_POLITE = re.compile(
    rf"^(?:\W*{either(sv_privacy.POLITE_OPENERS, en_privacy.POLITE_OPENERS)}\W+)?{either(sv_privacy.POLITE_ASKS, en_privacy.POLITE_ASKS)}\b"
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


_CONFIRM_YES = re.compile(rf"^\W*{either(sv_privacy.CONFIRM_YES, en_privacy.CONFIRM_YES)}\b")
_ERASE_VERB = either(sv_privacy.ERASE_VERBS, en_privacy.ERASE_VERBS)
# "Nej", "radera inte" (Swedish word order), "don't delete", "jag har ändrat mig".
_CONFIRM_NO = re.compile(
    rf"^\W*{either(sv_privacy.CONFIRM_NO, en_privacy.CONFIRM_NO)}\b|\b{_ERASE_VERB} (?:\w+ )?{either(sv_privacy.NOT)}\b"
    rf"|\b{either(sv_privacy.NOT, en_privacy.NOT)} (?:\w+ )?{_ERASE_VERB}\b|{either(sv_privacy.CHANGED_MIND, en_privacy.CHANGED_MIND)}"
)


def confirms_erasure(mail: InboundMail) -> bool | None:
    """A reply to our erasure question: True yes (or a bare reply), False no, None unclear."""
    own = _words(mail.text).strip()
    if _CONFIRM_NO.search(own):
        return False
    if not own or _CONFIRM_YES.match(own):
        return True
    return None


_REQUEST = re.compile(either(sv.REQUEST, en.REQUEST))


def classify_intent(mail: InboundMail) -> Found[Intent]:
    """The intent of the writer's own words, with a confidence and the rule that fired."""
    if privacy := privacy_request(mail):
        return privacy
    parts = sentences(mail.text)
    subject = _words(mail.subject)
    quoted = mail.quoted[:2000]
    in_confirmation_thread = (
        bool(_REPLY_SUBJECT.match(mail.subject) and _CONFIRMATION_THREAD.search(mail.subject))
        or any(_CONFIRMATION_THREAD.search(line) for line in _QUOTED_SUBJECT.findall(quoted))
        or bool(_CONFIRMATION_QUOTED.search(quoted))
    )
    cancel = update = signup = weak_signup = None
    conditional = False
    question = any("?" in s for s in parts)
    for sentence in parts:
        # "Kan ni anmäla mig?" / "Could you sign me up?" is a request, not a question.
        request = bool(_REQUEST.search(sentence))
        hedged = bool(_HEDGE.search(sentence)) or ("?" in sentence and not request) or bool(_ALREADY.search(sentence))
        if (m := _CANCEL.search(sentence)) and not cancel and not _PART_OF_DAY.match(sentence, m.end()):
            if _about_someone_else(sentence, m):
                update = update or f"someone else's change: {m.group()!r}"
            elif not _IF_BEFORE.search(sentence[: m.start()]) or "avanmäl" in m.group():
                cancel = f"cancel phrase: {m.group()!r}"
        if (m := _CHANGE.search(sentence)) and not update:
            update = f"change phrase: {m.group()!r}"
        elif (m := _ADDITION.search(sentence)) and not update:
            update = f"addition: {m.group()!r}"
        if (m := _SIGNUP.search(sentence)) and not signup:
            if hedged and _hedge_reaches(sentence, m, request):
                weak_signup = weak_signup or f"hedged or asked: {m.group()!r}"
            elif not _FIRST_PERSON.search(sentence) and sentence[: m.start()].strip(" ,!.-") not in _LEAD_INS:
                weak_signup = weak_signup or f"not the writer: {m.group()!r}"
            else:
                signup = f"sign-up phrase: {m.group()!r}"
                # "If that can be arranged I would love to come": it depends on an answer.
                conditional = bool(_CONDITIONAL.match(sentence) or _TRAILING_IF.search(sentence, m.end()))
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
    if _TERSE.fullmatch(own.strip(" !.,:)-")):
        return Found(value=Intent.SIGNUP, confidence=0.85, source=f"a terse yes: {own.strip()!r}")
    if _YES.match(own) and not question:
        return Found(value=Intent.SIGNUP, confidence=0.85, source="a plain yes to the invitation")
    if weak_signup:
        return Found(value=Intent.QUESTION, confidence=0.8, source=weak_signup)
    if (
        not _REPLY_SUBJECT.match(mail.subject)
        and _SUBJECT_SIGNUP.search(subject)
        and not question
        and len(own) < 1500
        and not _ALREADY.search(own)
    ):
        return Found(value=Intent.SIGNUP, confidence=0.75, source="subject says sign-up")
    if not own.strip():
        return Found(value=Intent.QUESTION, confidence=0.5, source="no text of the writer's own")
    return Found(value=Intent.QUESTION, confidence=0.8, source="no sign-up, cancellation or change found")
