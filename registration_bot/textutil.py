"""Small, pure helpers for text that came from strangers' mail.

Anything copied from a message into a header, a log line or a workbook cell
passes through here first. Removing C0/C1 control characters and line breaks
is also the defence against header injection through encoded words
(CVE-2024-6923): a decoded ``=?utf-8?q?x=0D=0ABcc:...?=`` must never reach a
header as a real line break.
"""

from __future__ import annotations

import re
import unicodedata

# C0 controls except TAB and LF, DEL, C1 controls, and the bidirectional
# overrides that can make a name display differently from what it is.
_CONTROLS = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b\u200e\u200f\u202a-\u202e\u2066-\u2069\ufeff]")
_SPACES = re.compile(r"\s+")


def strip_controls(text: str) -> str:
    """Remove control characters but keep TAB and LF (CR LF becomes LF)."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return _CONTROLS.sub("", text)


def one_line(text: str, limit: int = 200) -> str:
    """Collapse text to one safe line of at most ``limit`` characters.

    Used for every value that reaches a header, a log line or a cell that
    should hold a single line: names, subjects, reasons.
    """
    text = _SPACES.sub(" ", strip_controls(unicodedata.normalize("NFC", text))).strip()
    if len(text) > limit:
        text = text[: limit - 1].rstrip() + "…"
    return text


def normalise(text: str) -> str:
    """NFC-normalise (Apple Mail sends å as a + combining ring) and strip controls."""
    return strip_controls(unicodedata.normalize("NFC", text))


def plain(text: str) -> str:
    """Lower case without accents, spaces or hyphens, as an address spells a name: "Åke" is "ake",
    "Arbetsförmedlingen" is "arbetsformedlingen", "Region Uppsala" is "regionuppsala"."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c) and c not in "- ")


def fold(text: str) -> str:
    """Lower-case, accent-keeping comparison form: for keyword matching."""
    return _SPACES.sub(" ", normalise(text).casefold()).strip()


_LINKISH = re.compile(
    r"\S*(?:://|www\.|@)\S*|\S+\.(?:com|net|org|se|io|ru|cn|info|biz|xyz|top|shop|click|link)\b\S*", re.I
)


def echo_name(name: str, limit: int = 60) -> str:
    """A name safe to repeat back to a stranger: no links, no addresses, at most five words.

    The bot must not become a relay for whatever a spammer puts in a display
    name ("Cheap pills at spam.example"), so only name-like words survive.
    """
    words = [w for w in _LINKISH.sub(" ", one_line(name, 200)).split() if not any(c.isdigit() for c in w)]
    return one_line(" ".join(words[:5]), limit)


def echo_subject(subject: str, limit: int = 60) -> str:
    """A subject shortened and stripped of links, for quoting in a reply."""
    return one_line(_LINKISH.sub("", subject), limit)


_ADDRESS = re.compile(r"<?[^\s<>@]+@[^\s<>]+>?")


def without_addresses(text: str) -> str:
    """Text for an info-level log line: e-mail addresses (an SMTP reply often names the recipient) left out."""
    return _ADDRESS.sub("<…>", text)
