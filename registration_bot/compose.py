"""Build the outgoing mail from the organiser's templates.

A template is a text file ``<kind>.<language>.txt`` whose first line is
``Subject: ...``, then a blank line, then the body, with ``${placeholders}``.
The built-in set ships in the package; ``[templates] dir`` points at an
organiser's edited copies, and any file missing there falls back to the
built-in one. Templates are checked at start-up, so a misspelt placeholder is
a configuration error, not a failed confirmation at 3 a.m.

Every reply carries the loop-prevention headers of RFC 3834 and exactly one
recipient. Values from a stranger's mail (their name, their subject) are
collapsed to one short line before they reach a header or a body.
"""

from __future__ import annotations

import binascii
import functools
import mimetypes
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.charset import BASE64, Charset
from email.header import Header
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime, formataddr, make_msgid
from importlib.resources import files
from pathlib import Path
from string import Template

from .models import Language
from .settings import ConfigError, Settings
from .textutil import one_line

KINDS = (
    "confirmation",
    "cancellation",
    "guest_invitation",
    "invited",
    "waitlist",
    "promoted",
    "closed",
    "event_update",
    "reminder",
    "erase_confirm",
    "erased",
    "data_export",
)
# Parts of other templates, organiser-editable like them but without a Subject line.
FRAGMENTS = ("privacy_notice",)
LANGUAGES: tuple[Language, ...] = ("sv", "en")
PLACEHOLDERS = frozenset(
    {
        "privacy_notice",  # the privacy_notice fragment, rendered with the same values
        "retention",
        "stored_data",
        "name",
        "first_name",
        "event_name",
        "event_date",
        "event_location",
        "seats",
        "diet",
        "organisation",
        "registration_id",
        "organiser",
        "inviter",
        "invited",
        "original_subject",
        "waitlist_position",
    }
)
_MESSAGE_ID = re.compile(r"^<[^<>\s]{1,250}>$")
_TBA = {"sv": "meddelas senare", "en": "to be announced"}
_NO_DIET = {"sv": "ingen angiven", "en": "none given"}
DIET_NAMES = {
    "sv": {
        "vegetarian": "vegetarisk",
        "vegan": "vegansk",
        "gluten_free": "glutenfri",
        "lactose_free": "laktosfri",
        "nut_allergy": "nötallergi",
        "halal": "halal",
        "kosher": "kosher",
        "pescetarian": "pescetarian",
        "other": "annat",
    },
    "en": {
        "vegetarian": "vegetarian",
        "vegan": "vegan",
        "gluten_free": "gluten-free",
        "lactose_free": "lactose-free",
        "nut_allergy": "nut allergy",
        "halal": "halal",
        "kosher": "kosher",
        "pescetarian": "pescetarian",
        "other": "other",
    },
}


@dataclass(frozen=True)
class Rendered:
    subject: str
    body: str


def _builtin(kind: str, language: str) -> str:
    return files("registration_bot").joinpath("resources", "templates", f"{kind}.{language}.txt").read_text("utf-8")


class Templates:
    """The organiser's templates, loaded and checked once."""

    def __init__(self, directory: Path | None = None) -> None:
        self._parsed: dict[tuple[str, str], tuple[Template, Template]] = {}
        for kind in KINDS:
            for language in LANGUAGES:
                source = directory / f"{kind}.{language}.txt" if directory else None
                text = source.read_text("utf-8") if source and source.is_file() else _builtin(kind, language)
                self._parsed[(kind, language)] = self._parse(text, source or f"built-in {kind}.{language}.txt")
        self._fragments: dict[tuple[str, str], Template] = {}
        for fragment in FRAGMENTS:
            for language in LANGUAGES:
                source = directory / f"{fragment}.{language}.txt" if directory else None
                text = source.read_text("utf-8") if source and source.is_file() else _builtin(fragment, language)
                origin = source or f"built-in {fragment}.{language}.txt"
                _, template = self._parse(f"Subject: -\n\n{text}", origin, PLACEHOLDERS - {"privacy_notice"})
                self._fragments[(fragment, language)] = template

    @staticmethod
    def _parse(text: str, origin: object, known: frozenset[str] = PLACEHOLDERS) -> tuple[Template, Template]:
        head, _, body = text.replace("\r\n", "\n").partition("\n\n")
        if not head.lower().startswith("subject:"):
            raise ConfigError(f"templates.dir: {origin}: the first line must be 'Subject: ...'")
        subject, body_template = Template(head[len("subject:") :].strip()), Template(body)
        for template in (subject, body_template):
            if not template.is_valid():
                raise ConfigError(f"templates.dir: {origin}: a '$' that is not a ${{placeholder}} (write $$ for $)")
            unknown = set(template.get_identifiers()) - known
            if unknown:
                raise ConfigError(
                    f"templates.dir: {origin}: unknown placeholder(s) {', '.join(sorted(unknown))}; "
                    f"known: {', '.join(sorted(known))}"
                )
        return subject, body_template

    def render(self, kind: str, language: Language, values: dict[str, str]) -> Rendered:
        subject, body = self._parsed[(kind, language)]
        if "privacy_notice" not in values:
            defaults = dict.fromkeys(PLACEHOLDERS, "")
            notice = self._fragments[("privacy_notice", language)].substitute(defaults | values)
            values = values | {"privacy_notice": notice.strip("\n")}
        return Rendered(subject=one_line(subject.substitute(values), 200), body=body.substitute(values))


def event_values(settings: Settings, language: Language) -> dict[str, str]:
    """The placeholders that describe the event, in the reader's language."""
    event = settings.event
    if event.date is None:
        when = _TBA[language]
    else:
        local = event.date.astimezone(event.zone) if event.date.tzinfo else event.date
        when = local.strftime("%Y-%m-%d %H:%M") if (local.hour, local.minute) != (0, 0) else local.strftime("%Y-%m-%d")
    return {
        "event_name": one_line(event.name, 200),
        "event_date": when,
        "event_location": event.location or _TBA[language],
        "organiser": settings.smtp.from_name or settings.smtp.from_address,
        "retention": retention_words(settings, language),
    }


def retention_words(settings: Settings, language: Language) -> str:
    """How long personal data is kept, for ${retention} in the privacy notice."""
    days = settings.privacy.retention_days_after_event
    if days == 0:
        return "tills arrangören raderar dem" if language == "sv" else "until the organiser deletes it"
    after = f"{days} dagar efter evenemanget" if language == "sv" else f"{days} days after the event"
    date = settings.event.date
    if date is None:
        return after
    return f"{after} ({'till' if language == 'sv' else 'until'} {(date + timedelta(days=days)).date().isoformat()})"


def diet_words(categories: tuple[str, ...] | list[str], language: Language) -> str:
    names = DIET_NAMES[language]
    return ", ".join(names.get(c, c) for c in categories) or _NO_DIET[language]


class PlainMail:
    """A one-part text/plain mail as bytes: most of the bot's mail is exactly this.

    Built directly from headers the code controls (ASCII, or encoded words made
    by the standard library's ``Header``) and a quoted-printable body made by
    ``binascii.b2a_qp``; the email package's generator re-parses and refolds
    every header and costs more than everything else about a reply. Has the
    two things the outbox needs: ``msg["Message-ID"]`` and ``as_bytes()``
    with CRLF line ends (smtplib does not fix them in bytes).
    """

    def __init__(self, headers: list[tuple[str, str]], body: str) -> None:
        self._headers = headers
        self._body = body

    def __getitem__(self, name: str) -> str | None:
        return next((value for key, value in self._headers if key.lower() == name.lower()), None)

    def as_bytes(self) -> bytes:
        head = "".join(f"{key}: {value}\r\n" for key, value in self._headers)
        body = binascii.b2a_qp(self._body.replace("\r\n", "\n").encode("utf-8"), istext=True)
        return head.encode("ascii") + b"\r\n" + body.replace(b"\n", b"\r\n")


# Base64 encoded words: the standard library's "shortest" choice measures the
# quoted-printable length character by character, which costs more than the rest of a reply.
_UTF8_B = Charset("utf-8")
_UTF8_B.header_encoding = BASE64


@functools.lru_cache(maxsize=1024)
def _encoded(name: str, value: str) -> str:
    """An ASCII header value: non-ASCII text as folded RFC 2047 encoded words (subjects repeat: cached)."""
    if value.isascii():
        return value
    return Header(value, _UTF8_B, header_name=name).encode(linesep="\r\n")


def _address(name: str, address: str) -> str:
    return formataddr((name, address), charset="utf-8") if name else address


def build_message(
    settings: Settings,
    *,
    recipient: str,
    recipient_name: str,
    subject: str,
    body: str,
    language: Language,
    in_reply_to: str = "",
    auto_submitted: str = "auto-replied",
    attachments: tuple[tuple[str, bytes], ...] = (),
    rich: bool = False,
) -> PlainMail | EmailMessage:
    """One mail to one recipient, with the RFC 3834 headers and a Message-ID of our own.

    Replies are ``auto-replied``; alerts and digests, which answer nobody,
    are ``auto-generated``. Attachments are (file name, bytes) pairs. With
    attachments or ``rich`` the result is an ``EmailMessage`` that can be
    extended (an invitation added); otherwise a fast one-part message.
    """
    ours = settings.smtp.from_address
    headers = [
        ("From", _address(one_line(settings.smtp.from_name, 80), ours)),
        ("To", _address(one_line(recipient_name, 80), recipient)),
        ("Subject", one_line(subject, 200)),
        ("Date", format_datetime(datetime.now().astimezone())),
        ("Message-ID", make_msgid(domain=ours.rsplit("@", 1)[-1])),
    ]
    if _MESSAGE_ID.match(in_reply_to):
        headers += [("In-Reply-To", in_reply_to), ("References", in_reply_to)]
    headers += [("Auto-Submitted", auto_submitted), ("X-Auto-Response-Suppress", "All"), ("X-Loop", ours)]
    if not (attachments or rich):
        headers = [(key, _encoded(key, value)) for key, value in headers]
        headers += [
            ("MIME-Version", "1.0"),
            ("Content-Type", 'text/plain; charset="utf-8"'),
            ("Content-Transfer-Encoding", "quoted-printable"),
            ("Content-Language", language),
        ]
        return PlainMail(headers, body)
    msg = EmailMessage(policy=SMTP)
    for key, value in headers:
        msg[key] = value
    msg.set_content(body, charset="utf-8")
    for filename, data in attachments:
        maintype, _, subtype = (mimetypes.guess_type(filename)[0] or "application/octet-stream").partition("/")
        msg.add_attachment(data, maintype=maintype, subtype=subtype, filename=filename)
    msg["Content-Language"] = language  # after set_content, which drops every Content-* header
    return msg
