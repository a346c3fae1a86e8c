"""Header values and the sender, decoded the way a careful reader would.

Encoded words and stray 8-bit bytes are decoded (declared charset, then UTF-8,
then windows-1252), and every value is collapsed to one clean line: a CR LF
inside an encoded word never becomes a header line (CVE-2024-6923).
Addresses come from the standard library's ``getaddresses`` and are then
checked strictly: one From header, one address, and no display name that is
itself a different address (``From: a@x <b@y>``, CVE-2023-27043).
"""

from __future__ import annotations

import codecs
import email.errors
import re
from email.header import decode_header, make_header
from email.message import Message
from email.utils import getaddresses

from .textutil import one_line

_ADDRESS = re.compile(r"^[^@\s<>()\[\],;:\"\\]+@[^@\s<>()\[\],;:\"\\.][^@\s<>()\[\],;:\"\\]*$")
_UNQUOTED_ADDRESS_NAME = re.compile(r'^\s*(?P<name>[^<>"(),]*@[^<>"(),]*?)\s*<(?P<addr>[^<>\s]+@[^<>\s]+)>\s*$')


# Charset labels real mail uses that Python's codec registry does not know.
_CHARSET_ALIASES = {
    "iso-8859-8-i": "iso-8859-8",
    "iso-8859-8-e": "iso-8859-8",
    "iso-8859-6-i": "iso-8859-6",
    "iso-8859-6-e": "iso-8859-6",
    "ks_c_5601-1987": "cp949",
    "x-mac-roman": "mac_roman",
    "windows-874": "cp874",
    "gb2312": "gb18030",
    "x-gbk": "gbk",
    "x-sjis": "shift_jis",
    "ansi_x3.4-1968": "ascii",
    "x-user-defined": "cp1252",
    "unknown-8bit": "",
}


def decode_bytes(data: bytes, charset: str | None) -> str:
    """Decode with the declared charset, then UTF-8, then windows-1252."""
    if charset:
        name = charset.strip().strip('"').lower()
        name = _CHARSET_ALIASES.get(name, name)
        try:
            info = codecs.lookup(name)
            if getattr(info, "_is_text_encoding", True) and info.name not in ("utf-7", "undefined"):
                return data.decode(info.name)
        except (LookupError, UnicodeError, ValueError):
            pass
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


MAX_HEADER_CHARS = 8192  # decode_header is quadratic in encoded words; no honest header is longer


def decode_header_value(value: object) -> str:
    """Decode encoded words and stray 8-bit bytes; return one clean line."""
    text = str(value)[:MAX_HEADER_CHARS]
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        # compat32 carries raw 8-bit header bytes as surrogate escapes.
        text = decode_bytes(text.encode("ascii", "surrogateescape"), None)
    try:
        text = str(make_header(decode_header(text)))
    except (LookupError, UnicodeError, ValueError, email.errors.HeaderParseError):
        try:
            text = "".join(
                decode_bytes(chunk, charset) if isinstance(chunk, bytes) else chunk
                for chunk, charset in decode_header(text)
            )
        except (ValueError, email.errors.HeaderParseError):
            pass
    return one_line(text, 2000)


def _raw_header(message: Message, name: str) -> list[str]:
    """Header values as sent, 8-bit bytes decoded; ``raw_items`` avoids compat32's lossy Header objects."""
    values = []
    for key, value in message.raw_items():
        if key.lower() != name.lower():
            continue
        text = str(value)
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:
            text = decode_bytes(text.encode("ascii", "surrogateescape"), None)
        values.append(text.replace("\r", " ").replace("\n", " "))
    return values


def _one_address(values: list[str]) -> tuple[str, str, str | None]:
    """``(address, raw display name, problem)`` from one address header."""
    if not values:
        return "", "", "no From header"
    # "alice@example.com <bob@example.com>": the angle address is where mail
    # would go, but the reader sees alice; never answer such a message.
    bare = _UNQUOTED_ADDRESS_NAME.match(values[0])
    if bare and len(values) == 1:
        addr, name = one_line(bare.group("addr"), 320), bare.group("name").strip(" '")
        if name.lower() == addr.lower():  # Outlook's "anna@x.se <anna@x.se>"
            return addr, "", None
        return addr, name, "ambiguous From: the display name is a different address"
    pairs = [(n, a) for n, a in getaddresses(values[:1]) if n or a]
    if not pairs:
        return "", "", "no address in From"
    raw_name, address = pairs[0]
    problem = None
    if len(values) > 1:
        problem = "several From headers"
    elif len(pairs) > 1:
        problem = "several addresses in From"
    return one_line(address, 320), raw_name, problem


def ascii_address(address: str) -> tuple[str, str | None]:
    """The address as SMTP without SMTPUTF8 can carry it: an IDNA domain, an ASCII local part.

    ``anna@exempel-åäö.se`` becomes ``anna@xn--exempel--...``; ``åsa@x.se``
    cannot be written without SMTPUTF8, so it gets a problem (and no reply).
    """
    local, _, domain = address.rpartition("@")
    if not local.isascii():
        return address, "the address has non-ASCII letters before the @ (SMTPUTF8 is not used)"
    try:
        domain = domain.encode("idna").decode("ascii")
    except UnicodeError:
        return address, "the address's domain cannot be encoded (IDNA)"
    return f"{local}@{domain}", None


def parse_sender(message: Message) -> tuple[str, str, str | None]:
    """``(address, display name, problem)``: a message with a problem is never answered.

    Google Groups and Mailman rewrite ``From`` to ``"Anna via List" <list@...>``
    for DMARC and keep the person in ``X-Original-From`` and ``Reply-To``;
    when the two agree, the person is the sender (Discourse's rule).
    """
    froms = _raw_header(message, "From")
    if froms and re.search(r"\bvia\b", froms[0], re.I):
        original = _one_address(_raw_header(message, "X-Original-From"))
        reply_to = _one_address(_raw_header(message, "Reply-To"))
        if original[0] and original[2] is None and original[0].lower() == reply_to[0].lower():
            froms = _raw_header(message, "Reply-To")
    address, raw_name, problem = _one_address(froms)
    name = decode_header_value(raw_name) if raw_name else ""
    if problem is None and address and not address.isascii():
        address, problem = ascii_address(address)
    if problem is None and not _ADDRESS.match(address):
        problem = "From is not a valid address"
    if problem is None and "@" in name:
        embedded = re.findall(r"[^\s<>\"']+@[^\s<>\"']+", name)
        if any(e.lower().strip(".,;") != address.lower() for e in embedded):
            problem = "ambiguous From: the display name is a different address"
    return address, name, problem
