"""Raw message bytes to an :class:`~registration_bot.models.InboundMail`.

mail-parser parses the message and decodes its headers and date. The body
text is then taken from the tree mail-parser built, with our own charset
cascade: mail-parser decodes an undeclared or mis-declared 8-bit body as UTF-8
with replacement characters, which turns "Kåre" into "K�re" in Latin-1 mail
from old webmail. Declared charset first, then UTF-8, then windows-1252 gives
the right text on such mail (tests/test_reading.py compares both readers).
Header values and the sender are decoded and checked in :mod:`headers`.
"""

from __future__ import annotations

import email
import email.policy
import logging
import re
from datetime import UTC, datetime
from email.message import Message
from email.utils import parsedate_to_datetime

import mailparser

from .headers import decode_bytes, decode_header_value, parse_sender
from .htmltext import html_to_text
from .language import detect_language
from .models import InboundMail
from .names import split_display_name
from .quotes import split_body
from .textutil import normalise, one_line

log = logging.getLogger(__name__)

MAX_PARTS = 300  # more MIME parts than any person's mail has: stop walking
MAX_DEPTH = 20
MAX_HEADERS = 500
MAX_TEXT = 200_000  # characters of body text kept for reading

_FORWARD_SUBJECT = re.compile(r"^\s*(?:fwd?|vb|vs|wg|tr|fw)\s*:", re.I)


class ReadError(Exception):
    """The bytes could not be read as a message at all."""


def _parse(raw: bytes) -> tuple[Message, list[str]]:
    """The message tree and its defects, from mail-parser or, failing that, compat32."""
    try:
        parsed = mailparser.parse_from_bytes(raw)
        message = parsed.message
        defects = sorted(parsed.defects_categories)
    except Exception as exc:  # noqa: BLE001 - any parser failure is a defect, not a crash
        log.debug("mail-parser failed (%s); falling back to the standard library", type(exc).__name__)
        try:
            message = email.message_from_bytes(raw, policy=email.policy.compat32)
        except Exception as exc2:  # noqa: BLE001
            raise ReadError(f"unparseable message: {type(exc2).__name__}") from None
        defects = [f"mail-parser: {type(exc).__name__}"]
    if message is None:
        raise ReadError("empty message")
    return message, defects


def _headers(message: Message) -> dict[str, list[str]]:
    headers: dict[str, list[str]] = {}
    for name, value in message.raw_items():
        if len(headers) >= MAX_HEADERS:
            break
        key = one_line(str(name), 100).lower()
        headers.setdefault(key, []).append(decode_header_value(value))
    return headers


def unflow(text: str, delsp: bool = False) -> str:
    """Join the soft line breaks of ``format=flowed`` text (RFC 3676), as Thunderbird sends it."""
    out: list[str] = []
    current = ""
    current_depth = -1
    for line in text.replace("\r\n", "\n").split("\n"):
        depth = len(line) - len(line.lstrip(">"))
        content = line[depth:]
        if content.startswith(" "):
            content = content[1:]  # space-stuffing
        if current_depth == depth and current.endswith(" ") and current.rstrip() != "--":
            current = (current[:-1] if delsp else current) + content
        else:
            if current_depth >= 0:
                out.append(">" * current_depth + (" " if current_depth and current else "") + current)
            current, current_depth = content, depth
    if current_depth >= 0:
        out.append(">" * current_depth + (" " if current_depth and current else "") + current)
    return "\n".join(out)


def _decode_part(part: Message) -> str:
    try:
        payload = part.get_payload(decode=True)
    except Exception:  # noqa: BLE001 - broken transfer encodings
        payload = None
    if not isinstance(payload, bytes):
        return ""
    text = decode_bytes(payload[: MAX_TEXT * 4], part.get_content_charset())
    if str(part.get_param("format", "")).lower() == "flowed" and part.get_content_type() == "text/plain":
        text = unflow(text, str(part.get_param("delsp", "")).lower() == "yes")
    return text


def _body(message: Message) -> tuple[str, str, bool, list[str]]:
    """The main text/plain and text/html bodies, whether a message is attached, and defects."""
    plain = html = None
    attached = False
    defects: list[str] = []
    stack: list[tuple[Message, int]] = [(message, 0)]
    seen = 0
    while stack:
        part, depth = stack.pop()
        seen += 1
        if seen > MAX_PARTS:
            defects.append("too many MIME parts")
            break
        ctype = part.get_content_type()
        if ctype == "message/rfc822":
            attached = True
            continue
        if part.is_multipart():
            if depth >= MAX_DEPTH:
                defects.append("MIME nesting too deep")
                continue
            children = part.get_payload()
            if isinstance(children, list):
                stack.extend((child, depth + 1) for child in reversed(children) if isinstance(child, Message))
            continue
        if part.get_content_disposition() == "attachment" or part.get_filename():
            continue
        if ctype == "text/plain" and plain is None:
            plain = _decode_part(part)
        elif ctype == "text/html" and html is None:
            html = _decode_part(part)
    text = plain if plain and plain.strip() else html_to_text(html) if html else ""
    return normalise(text[:MAX_TEXT]), "html" if not (plain and plain.strip()) and html else "plain", attached, defects


def _date(headers: dict[str, list[str]]) -> datetime | None:
    value = (headers.get("date") or [""])[0]
    try:
        parsed = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    if not 1970 <= parsed.year <= 2200:
        return None  # "31 Dec 9999 -1200" overflows every later conversion
    return parsed


_HEADER_END = re.compile(rb"\r?\n\r?\n")
MAX_FIELD_BYTES = 16_384


def _trim_headers(raw: bytes) -> tuple[bytes, bool]:
    """Cut header fields longer than ``MAX_FIELD_BYTES`` before parsing.

    The standard library's header decoding (which mail-parser uses too) is
    quadratic in the number of encoded words: one hostile 2 MB Subject would
    hold the loop for half a minute. Nothing a person writes needs such a field.
    """
    end = _HEADER_END.search(raw)
    head, body = (raw[: end.start()], raw[end.start() :]) if end else (raw, b"")
    if len(head) <= MAX_FIELD_BYTES:
        return raw, False
    kept: list[bytes] = []
    field = 0
    trimmed = False
    for line in head.splitlines(keepends=True):
        continuation = line[:1] in (b" ", b"\t")
        field = field + len(line) if continuation else len(line)
        if field > MAX_FIELD_BYTES:
            trimmed = True
            if not continuation:
                kept.append(line[:MAX_FIELD_BYTES] + b"\r\n")
            continue
        kept.append(line)
    return b"".join(kept) + body, trimmed


def _message_id(value: str) -> str:
    """The first ``<id>`` of the header: comments and extra IDs would break threading."""
    match = re.search(r"<[^<>\s]{1,250}>", value)
    return match.group() if match else one_line(value, 250)


def read_message(raw: bytes) -> InboundMail:
    """Read raw bytes into an :class:`InboundMail`; raise :class:`ReadError` if hopeless."""
    if not raw.strip():
        raise ReadError("empty message")
    raw, trimmed = _trim_headers(raw)
    message, defects = _parse(raw)
    if trimmed:
        defects.append("header field too long, cut")
    headers = _headers(message)
    sender, raw_name, problem = parse_sender(message)
    name, org_hint = split_display_name(raw_name, sender or "")
    text, _kind, attached, body_defects = _body(message)
    split = split_body(text)
    subject = one_line(headers.get("subject", [""])[0], 300)
    language = detect_language(split.own) or detect_language(subject)
    if b"\x00" in raw:
        defects.append("NUL bytes")
    return InboundMail(
        message_id=_message_id(headers.get("message-id", [""])[0]),
        sender=sender.lower() or None,
        sender_problem=problem,
        display_name=name,
        display_org=org_hint,
        subject=subject,
        date=_date(headers),
        text=split.own,
        signature=split.signature,
        quoted=split.quoted,
        forwarded=split.forwarded or attached or bool(_FORWARD_SUBJECT.match(subject)),
        language=language,
        headers=headers,
        content_type=message.get_content_type(),
        size=len(raw),
        defects=defects + body_defects,
    )
