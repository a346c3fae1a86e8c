"""The typed values that flow between the steps of a cycle.

``InboundMail`` is what reading makes of raw bytes, ``Verdict`` is what the
robot check says, ``Extraction`` is what the reader understood of a person's
words, and ``Decision`` is what the worker will record. Everything here is a
plain value: no I/O, no database handles.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Generic, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field

Language = Literal["sv", "en"]
T = TypeVar("T")


class MessageState(StrEnum):
    """The one recorded outcome of every message the bot has seen."""

    REGISTERED = "registered"
    UPDATED = "updated"
    CANCELLED = "cancelled"
    IGNORED = "ignored"
    REVIEW = "review"
    FAILED = "failed"
    PRIVACY = "privacy"  # a request about one's own data (GDPR), answered or carried out


class RegistrationStatus(StrEnum):
    REGISTERED = "registered"
    CANCELLED = "cancelled"
    PENDING = "pending"  # named by someone else; counts once they confirm
    WAITLISTED = "waitlisted"  # the event was full; promoted in arrival order


class OutboxState(StrEnum):
    QUEUED = "queued"
    SENDING = "sending"  # claimed; DATA not yet started
    DATA = "data"  # DATA started: the server may or may not have accepted it
    SENT = "sent"
    RETRY = "retry"
    FAILED = "failed"
    UNKNOWN = "unknown"  # interrupted after DATA; never resent automatically
    HELD = "held"  # stopped by a cap or the circuit breaker; never sent automatically


class Intent(StrEnum):
    SIGNUP = "signup"
    CANCEL = "cancel"
    UPDATE = "update"
    QUESTION = "question"
    ERASE = "erase"  # "radera mina uppgifter", "delete my data"
    DATA_REQUEST = "data_request"  # "mina uppgifter", "what data do you have about me"


class Frozen(BaseModel):
    model_config = ConfigDict(frozen=True)


class InboundMail(Frozen):
    """A message as a careful reader sees it, decoded and cleaned."""

    message_id: str = ""
    sender: str | None = None  # the From address as best read, lower-cased
    sender_problem: str | None = None  # set when the sender must never be answered
    display_name: str = ""  # decoded, "Holm, Sara" turned into "Sara Holm"
    display_org: str = ""  # "Sara Holm (Trafikverket)" gives "Trafikverket"
    subject: str = ""
    date: datetime | None = None
    text: str = ""  # the writer's own words: quotes and signature cut
    signature: str = ""  # the closing and signature block, if any
    quoted: str = ""  # what was cut as quoted or forwarded text
    forwarded: bool = False
    language: Language | None = None
    headers: dict[str, list[str]] = Field(default_factory=dict)  # lower-case names, decoded values
    content_type: str = "text/plain"
    size: int = 0
    defects: list[str] = Field(default_factory=list)

    @property
    def reply_address(self) -> str | None:
        """Where a reply may go: the sender, unless the From header was unusable."""
        return None if self.sender_problem else self.sender

    def header(self, name: str) -> str:
        """The first value of a header, or ``""``."""
        values = self.headers.get(name.lower())
        return values[0] if values else ""


class Verdict(Frozen):
    """The robot check: ``automatic`` mail is recorded but never answered."""

    automatic: bool
    reason: str = ""


class Found(Frozen, Generic[T]):
    """One extracted field with how sure the reader is and where it came from."""

    value: T
    confidence: float = 1.0
    source: str = ""


class Guest(Frozen):
    name: str
    email: str


class Extraction(Frozen):
    """What the reader understood of the writer's own words."""

    intent: Found[Intent]
    language: Language
    name: Found[str]
    organisation: Found[str | None]
    organisation_suggested: bool = False  # guessed from the domain only
    seats: Found[int | None]
    diet: Found[tuple[str, ...]]
    diet_text: str = ""
    guests: tuple[Guest, ...] = ()
    # False when the writer only signs someone else up ("Jag anmäler min kollega ...").
    writer_coming: Found[bool] = Found(value=True, source="the writer signs up")

    def low_confidence(self, threshold: float) -> list[str]:
        """The names of the fields this extraction is unsure of."""
        fields = {"intent": self.intent, "name": self.name}
        if self.intent.value in (Intent.SIGNUP, Intent.UPDATE):
            fields |= {"seats": self.seats, "diet": self.diet}
        return [name for name, found in fields.items() if found.confidence < threshold]


class Details(Frozen):
    """A person's details as they will be stored on their registration."""

    email: str
    name: str
    organisation: str = ""
    organisation_suggested: bool = False
    seats: int = 1
    diet: tuple[str, ...] = ()
    diet_text: str = ""
    language: Language = "sv"
    stated: frozenset[str] = frozenset()  # fields the writer said explicitly; an update changes only these


class Action(StrEnum):
    REGISTER = "register"
    UPDATE = "update"
    CANCEL = "cancel"
    IGNORE = "ignore"
    REVIEW = "review"
    FAIL = "fail"
    CLOSED = "closed"  # a sign-up after registration closed: a polite reply, no registration
    ERASE_REQUEST = "erase_request"  # ask the writer to confirm the erasure by replying
    ERASE = "erase"  # a confirmed erasure: the person's data goes, a salted hash stays
    DATA_EXPORT = "data_export"  # send the writer what is stored about them
    INVITE = "invite"  # the writer signs only others up: they are invited to confirm, the writer gets a receipt


class Decision(Frozen):
    """What to record for one message: an action, its reason, and the details."""

    action: Action
    reason: str
    language: Language = "sv"
    details: Details | None = None
    guests: tuple[Guest, ...] = ()

    @property
    def state(self) -> MessageState:
        return {
            Action.REGISTER: MessageState.REGISTERED,
            Action.INVITE: MessageState.REGISTERED,
            Action.UPDATE: MessageState.UPDATED,
            Action.CANCEL: MessageState.CANCELLED,
            Action.IGNORE: MessageState.IGNORED,
            Action.REVIEW: MessageState.REVIEW,
            Action.FAIL: MessageState.FAILED,
            Action.CLOSED: MessageState.REVIEW,
            Action.ERASE_REQUEST: MessageState.PRIVACY,
            Action.ERASE: MessageState.PRIVACY,
            Action.DATA_EXPORT: MessageState.PRIVACY,
        }[self.action]
