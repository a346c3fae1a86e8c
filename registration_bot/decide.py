"""Choose what to do with one message: a pure function of what was read and what is stored.

The worker records the returned :class:`~registration_bot.models.Decision`
in one transaction together with the ledger row and any outgoing mail. Here
the rules are plain: robots are ignored, unusable senders and unsure readings
go to review, a second sign-up from the same address updates instead of
registering twice, and a cancellation needs someone to cancel.
"""

from __future__ import annotations

from dataclasses import dataclass

from .intent import confirms_erasure
from .models import Action, Decision, Details, Extraction, InboundMail, Intent, RegistrationStatus, Verdict


@dataclass(frozen=True)
class Existing:
    """The stored registration for the sender's address, if any."""

    id: int
    status: RegistrationStatus


@dataclass(frozen=True)
class PrivacyFacts:
    """What the state knows about the sender's privacy requests (see privacy.py)."""

    erased: bool = False  # the sender's salted hash is in ``erased``: never answered again
    erase_pending: bool = False  # we asked them to confirm an erasure, and they have not yet
    replies_to_confirm: bool = False  # this mail's In-Reply-To/References names our confirmation question


_UNSTATED = {
    "no companions mentioned",
    "no diet mentioned",
    "not stated",
    "no name found",
    "display name",
    "guessed from the address",
}


def _details(mail: InboundMail, ex: Extraction) -> Details:
    stated = {
        field
        for field in ("name", "seats", "diet", "organisation")
        if getattr(ex, field).source not in _UNSTATED and getattr(ex, field).value not in (None, "")
    }
    if ex.organisation_suggested:
        stated.discard("organisation")
    return Details(
        stated=frozenset(stated),
        email=mail.sender or "",
        name=ex.name.value,
        organisation=ex.organisation.value or "",
        organisation_suggested=ex.organisation_suggested,
        seats=ex.seats.value or 1,
        diet=ex.diet.value,
        diet_text=ex.diet_text,
        language=ex.language,
    )


def decide(
    mail: InboundMail,
    verdict: Verdict,
    ex: Extraction | None,
    existing: Existing | None,
    *,
    threshold: float = 0.7,
    distrust: str | None = None,
    closed: bool = False,
    privacy: PrivacyFacts | None = None,
) -> Decision:
    """What to record for this message; never raises for any input.

    ``distrust`` is a reason not to believe the sender address (our own
    server's DMARC verdict): such mail is reviewed by a person, never answered.
    """
    language = ex.language if ex else (mail.language or "sv")
    privacy = privacy or PrivacyFacts()
    if privacy.erased:  # recorded without sender or subject (record.py), and never answered
        action = Action.IGNORE if verdict.automatic else Action.REVIEW
        return Decision(action=action, reason="from an erased person: no automatic reply", language=language)
    if verdict.automatic:
        return Decision(action=Action.IGNORE, reason=verdict.reason, language=language)
    if distrust:
        return Decision(action=Action.REVIEW, reason=distrust, language=language)
    if mail.reply_address is None:
        problem = mail.sender_problem or "no sender address"
        return Decision(action=Action.REVIEW, reason=f"no usable sender address: {problem}", language=language)
    if privacy.replies_to_confirm:
        if confirms_erasure(mail):
            return Decision(action=Action.ERASE, reason="confirmed the erasure by replying", language=language)
        return Decision(
            action=Action.REVIEW, reason="replied to the erasure question without a clear yes", language=language
        )
    if privacy.erase_pending and mail.text.strip() and confirms_erasure(mail):
        return Decision(
            action=Action.REVIEW,
            reason="a yes while an erasure awaits confirmation, but not a reply to that question; "
            "erase by hand with `registration-bot erase` if it is meant",
            language=language,
        )
    if ex is None:
        return Decision(action=Action.REVIEW, reason="could not read the message text", language=language)
    intent = ex.intent.value
    active = existing is not None and existing.status in (RegistrationStatus.REGISTERED, RegistrationStatus.WAITLISTED)
    pending = existing is not None and existing.status is RegistrationStatus.PENDING
    others_only = not ex.writer_coming.value and not active and not pending
    # Signing only someone else up. The writer's own "I can't come" beside the
    # other's "would like to come" makes the intent look mixed; it is not.
    if others_only and (intent is Intent.SIGNUP or (ex.guests and intent is Intent.CANCEL)):
        details = _details(mail, ex)
        if closed:
            return Decision(
                action=Action.CLOSED, reason="registration has closed; told so", language=language, details=details
            )
        if not ex.guests:
            return Decision(
                action=Action.REVIEW,
                reason=f"{ex.writer_coming.source}, but gives no address for them to confirm from",
                language=language,
                details=details,
            )
        return Decision(
            action=Action.INVITE,
            reason=f"{ex.writer_coming.source}; {len(ex.guests)} invited to confirm, the writer is not registered",
            language=language,
            details=details,
            guests=ex.guests,
        )
    if ex.intent.confidence < threshold:
        return Decision(
            action=Action.REVIEW,
            reason=f"unsure what the writer wants ({ex.intent.source}; guessed {intent.value})",
            language=language,
        )

    if intent is Intent.ERASE:
        return Decision(
            action=Action.ERASE_REQUEST, reason=f"asks to be erased ({ex.intent.source})", language=language
        )
    if intent is Intent.DATA_REQUEST:
        return Decision(
            action=Action.DATA_EXPORT, reason=f"asks for their data ({ex.intent.source})", language=language
        )
    if intent is Intent.QUESTION:
        return Decision(action=Action.REVIEW, reason=f"question or other mail ({ex.intent.source})", language=language)
    if intent is Intent.CANCEL:
        if active or pending:
            # "I can't come, but my colleague Per (per@x.se) will take my place": Per is invited.
            return Decision(action=Action.CANCEL, reason=ex.intent.source, language=language, guests=ex.guests)
        if existing is not None:
            return Decision(action=Action.CANCEL, reason="already cancelled; no second receipt", language=language)
        return Decision(
            action=Action.REVIEW, reason="cancellation from someone who is not registered", language=language
        )

    details = _details(mail, ex)
    unsure = [
        f"{field} ({getattr(ex, field).source}, guessed {getattr(ex, field).value!r})"
        for field in ex.low_confidence(threshold)
    ]
    if unsure:
        return Decision(
            action=Action.REVIEW,
            reason="unsure of " + "; ".join(unsure),
            language=language,
            details=details,
            guests=ex.guests,
        )
    if active:
        return Decision(
            action=Action.UPDATE,
            reason=f"already registered: {ex.intent.source}",
            language=language,
            details=details,
            guests=ex.guests,
        )
    if closed and not active:
        return Decision(
            action=Action.CLOSED, reason="registration has closed; told so", language=language, details=details
        )
    if pending:
        return Decision(
            action=Action.REGISTER,
            reason=f"confirmed a sign-up made for them: {ex.intent.source}",
            language=language,
            details=details,
            guests=ex.guests,
        )
    if intent is Intent.UPDATE and existing is None:
        return Decision(
            action=Action.REVIEW,
            reason="a change of details from someone who is not registered",
            language=language,
            details=details,
            guests=ex.guests,
        )
    reason = ex.intent.source if existing is None else f"registered again after cancelling: {ex.intent.source}"
    return Decision(action=Action.REGISTER, reason=reason, language=language, details=details, guests=ex.guests)
