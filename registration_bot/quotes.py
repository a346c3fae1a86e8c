"""Separate what a person wrote from what they quoted, forwarded or signed.

Intent and details are judged on the writer's own words only, never on the
invitation quoted below them. The rules cover the quote forms of the clients
people really use, in Swedish and English:

* Gmail: ``Den tors 26 nov. 2026 kl 09:12 skrev Anna <a@x.se>:`` / ``On Thu, ... wrote:``
* Apple Mail: ``26 nov. 2026 kl. 09:12 skrev Anna <a@x.se>:`` followed by ``>`` lines
* Outlook: a ``Från:/Skickat:/Till:/Ämne:`` (``From:/Sent:/To:/Subject:``) block,
  often after a line of underscores or ``-----Original Message-----``
* forwards: ``---------- Vidarebefordrat meddelande ---------`` and friends
* signatures: ``-- ``, "Mvh", "Med vänlig hälsning", "Best regards", "/Kalle",
  and phone footers such as "Skickat från min iPhone" (dropped entirely).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .lexicon import either, en_mail, sv_mail

# Mail clients' words in other languages: Norwegian and German forward markers, German and
# Norwegian header names, attribution openers and verbs (French, German, Spanish, Dutch, Finnish),
# and the French phone footer.
_OTHER_FORWARD_MARKERS = ("videresendt melding", "weitergeleitete nachricht")
_OTHER_HEADER_FROM = ("von", "fra")
_OTHER_HEADER_OTHER = ("gesendet", "an", "betreff")
_FR_DE_OPENERS = ("le", "am")
_ES_NL_OPENERS = ("el", "op")
_DE_VERB = ("schrieb",)
_OTHER_VERBS = ("a écrit", "escribió", "schreef", "kirjoitti")
_OTHER_PHONE_FOOTER_STARTS = ("envoyé de", "von meinem", "gesendet von", "enviado desde", "verzonden met", "lähetetty")

_FORWARD = re.compile(
    rf"^\s*(?:-{{2,}}|_{{2,}})?\s*{either(sv_mail.FORWARD_MARKERS, en_mail.FORWARD_MARKERS, _OTHER_FORWARD_MARKERS)}"
    r"\s*:?\s*(?:-{2,})?\s*$",
    re.I,
)
_ORIGINAL = re.compile(
    rf"^\s*-{{2,}}\s*{either(sv_mail.ORIGINAL_MARKERS, en_mail.ORIGINAL_MARKERS)}\s*-{{2,}}\s*$",
    re.I,
)
_UNDERSCORES = re.compile(r"^\s*_{10,}\s*$")
_HEADER_FROM = re.compile(
    rf"^\s*\*?{either(sv_mail.HEADER_FROM, en_mail.HEADER_FROM, _OTHER_HEADER_FROM)}\s*:\*?\s*\S", re.I
)
_HEADER_OTHER = re.compile(
    rf"^\s*\*?{either(sv_mail.HEADER_OTHER, en_mail.HEADER_OTHER, _OTHER_HEADER_OTHER)}\s*:\*?", re.I
)
_OPENER = either(sv_mail.ATTRIBUTION_OPENERS, en_mail.ATTRIBUTION_OPENERS)
_VERB = either(sv_mail.ATTRIBUTION_VERBS, en_mail.ATTRIBUTION_VERBS)
# "On Thu, 26 Nov 2026 at 09:12, Anna <a@x.se> wrote:", "Den tors 26 nov. 2026 kl 09:12 skrev Anna:",
# "26 nov. 2026 kl. 09:12 skrev Anna <a@x.se>:", "Anna <a@x.se> skrev: (26 nov 2026)".
_ATTRIBUTION = re.compile(
    rf"^\s*(?:>\s*)?(?:{either(sv_mail.ATTRIBUTION_OPENERS, en_mail.ATTRIBUTION_OPENERS, _FR_DE_OPENERS, _ES_NL_OPENERS)}\b"
    r".{0,200}|.{0,200}\d.{0,200})\b"
    rf"{either(sv_mail.ATTRIBUTION_VERBS, en_mail.ATTRIBUTION_VERBS, _DE_VERB, _OTHER_VERBS, sv_mail.ATTRIBUTION_LONG, en_mail.ATTRIBUTION_LONG)}"
    r"\s*.{0,120}:\s*$",
    re.I,
)
_ATTRIBUTION_LIKE = re.compile(
    rf"^\s*{either(sv_mail.ATTRIBUTION_OPENERS, en_mail.ATTRIBUTION_OPENERS, _FR_DE_OPENERS)}\b"
    rf"|.*\d.*\b{either(sv_mail.ATTRIBUTION_VERBS, en_mail.ATTRIBUTION_VERBS, _DE_VERB)}\b",
    re.I,
)
_ATTRIBUTION_START = re.compile(rf"^\s*{_OPENER}\s+\S.*\d", re.I)
_ATTRIBUTION_END = re.compile(rf"\b{_VERB}\b.{{0,120}}:\s*$", re.I)
_PHONE_FOOTER = re.compile(
    rf"^\s*{either(sv_mail.PHONE_FOOTER_STARTS, en_mail.PHONE_FOOTER_STARTS, _OTHER_PHONE_FOOTER_STARTS)}\s+"
    rf"(?:{either(sv_mail.PHONE_FOOTER_NEXT, en_mail.PHONE_FOOTER_NEXT)} )?"
    r".{0,60}$",
    re.I,
)
_PHONE_WORDS = re.compile(
    either(sv_mail.APP_NAMES, en_mail.APP_NAMES, sv_mail.PHONE_WORDS, en_mail.PHONE_WORDS),
    re.I,
)
# Colleagues abroad close in their own language: French, German, Dutch, Spanish, Finnish, Danish, Norwegian.
_OTHER_CLOSINGS = (
    "merci",
    "cordialement",
    "bien à vous",
    "mit freundlichen grüßen",
    "viele grüße",
    "liebe grüße",
    "met vriendelijke groet",
    "groetjes",
    "saludos",
    "ystävällisin terveisin",
    "terveisin",
    "med venlig hilsen",
    "venlig hilsen",
    "vennlig hilsen",
    "hilsen",
)
CLOSINGS = (*sv_mail.CLOSINGS, *en_mail.CLOSINGS, *_OTHER_CLOSINGS, "/")
_CLOSING_WORDS = "|".join(re.escape(c) for c in sorted(CLOSINGS, key=len, reverse=True))
# A closing is the phrase alone ("Mvh", "Tack!") or followed by a name and maybe
# an organisation ("Hälsningar Hussein Ali, Borlänge kommun", "/Kalle"); not
# "Tack, jag kommer!", which is a sentence.
_CLOSING = re.compile(
    r"^\s*(?:"
    + _CLOSING_WORDS
    + r")(?:[\s,.!:;-]*$|[\s,.!:;/-]+(?P<rest>[A-ZÅÄÖÉÜ][^\n]{0,60})$|(?<=/)\s*(?P<slash>\w.{0,40})$)",
    re.I,
)
_CLOSING_PREFIX = re.compile(r"^\s*(?:" + _CLOSING_WORDS + r")(?=$|[\s,.!:;/-])[\s,.!:;/-]*", re.I)
_NAME_START = re.compile(
    r"^/?[A-ZÅÄÖÉÜ][\w'’.-]*(?:\s+(?:von |af |de |van )?[A-ZÅÄÖÉÜ][\w'’.-]*){0,3}\s*(?:[,|–-].{0,60})?$"
)


_GREETING = re.compile(rf"^{either(sv_mail.GREETINGS, en_mail.GREETINGS)}\b", re.I)


def strip_closing(line: str) -> str:
    """ "Mvh Anna" becomes "Anna"; "Best regards," becomes ""."""
    return _CLOSING_PREFIX.sub("", line, count=1).strip()


def _is_closing(line: str) -> bool:
    match = _CLOSING.match(line)
    if not match:
        return False
    rest = match.group("rest")
    return rest is None or bool(_NAME_START.match(rest.strip()))


@dataclass(frozen=True)
class Split:
    """A body split into the writer's own text, signature and quoted rest."""

    own: str
    signature: str
    quoted: str
    forwarded: bool


def _is_header_block(lines: list[str], i: int) -> bool:
    """An Outlook reply header: ``Från:`` then ``Skickat:``/``Till:`` within a few lines."""
    if not _HEADER_FROM.match(lines[i]):
        return False
    following = [line for line in lines[i + 1 : i + 6] if line.strip()]
    return sum(1 for line in following[:4] if _HEADER_OTHER.match(line)) >= 2


def _quote_start(lines: list[str]) -> tuple[int, bool]:
    """Index where top-posted quoted or forwarded text begins, and whether it is a forward."""
    for i, line in enumerate(lines):
        if _FORWARD.match(line):
            return i, True
        if _ORIGINAL.match(line) or _is_header_block(lines, i):
            return i, False
        if _UNDERSCORES.match(line) and any(_HEADER_FROM.match(x) for x in lines[i + 1 : i + 4]):
            return i, False
        if _ATTRIBUTION.match(line) and len(line) < 300:
            return i, False
        # Gmail wraps a long attribution over two or three lines.
        if _ATTRIBUTION_START.match(line) and not line.rstrip().endswith(":"):
            for n in (2, 3):
                candidate = " ".join(x.strip() for x in lines[i : i + n])
                if _ATTRIBUTION_END.search(candidate) and len(candidate) < 400:
                    return i, False
    return len(lines), False


def _bottom_posted(tail: list[str]) -> tuple[list[str], list[str]]:
    """After an attribution line and its ``>`` block, text that follows is the writer's own."""
    j = 1
    while j < min(len(tail), 4) and not tail[j].lstrip().startswith(">") and not tail[j - 1].rstrip().endswith(":"):
        j += 1  # the attribution wrapped over a few lines
    k = j
    while k < len(tail) and not tail[k].strip():
        k += 1
    if k >= len(tail) or not tail[k].lstrip().startswith(">"):
        return [], tail  # no ">" block: everything below the attribution is quoted
    while k < len(tail) and (tail[k].lstrip().startswith(">") or not tail[k].strip()):
        k += 1
    after = tail[k:]
    if _quote_start(after)[0] < len(after):
        after = after[: _quote_start(after)[0]]
    return after, tail[: len(tail) - len(after)] if after else tail


def _drop_quoted_lines(lines: list[str]) -> tuple[list[str], list[str]]:
    """Remove ``>``-quoted lines (bottom-posted or inline replies keep their own text)."""
    own, quoted = [], []
    for line in lines:
        (quoted if line.lstrip().startswith(">") else own).append(line)
    return own, quoted


def _signature_start(lines: list[str]) -> int:
    """Index of the signature block in the writer's own lines, or ``len(lines)``."""
    for i, line in enumerate(lines):
        if line.rstrip() in ("--", "-- ", "---", "—"):
            return i
    content = [i for i, line in enumerate(lines) if line.strip()]
    # Only a closing near the end starts a signature: "Tack!" in the middle of
    # a message is just thanks. "Near" allows for a long signature with an
    # address block and a legal footer after it.
    for i in content[-14:]:
        if len(lines[i].strip()) <= 70 and _is_closing(lines[i]) and _signature_follows(lines, content, i):
            return i
    return _trailing_block(lines, content)


def _signature_follows(lines: list[str], content: list[int], i: int) -> bool:
    """After a closing come a name and short lines, maybe a footer; not another paragraph of text."""
    after = [lines[j].strip() for j in content if j > i]
    if not after:
        return True
    return len(after[0]) <= 70 and not after[0].endswith("?")


def _trailing_block(lines: list[str], content: list[int]) -> int:
    """A signature without a closing: a last paragraph of short lines that starts with a name.

    "Ingrid Karlsson / (blank) / Transportstyrelsen" and "Nora Lindberg /
    Doktorand, Institutionen för ... / Uppsala universitet" sign many mails.
    """
    if len(content) < 2:
        return len(lines)
    # Walk back over the last lines while they look like a signature (short,
    # not sentences); the earliest name among them starts the signature.
    start = None
    previous = None
    for index in reversed(content[-6:]):
        line = lines[index].strip()
        sentence = line.endswith((".", "!", "?", ":")) or len(line.split()) > 8 or len(line) > 70
        if sentence or (previous is not None and index < previous - 2):
            break
        previous = index
        first = line.lstrip("/").split(",")[0].strip()
        if (
            _NAME_START.match(line)
            and not _GREETING.match(first)
            and re.match(r"^[A-ZÅÄÖÉÜ][\w'’.-]+(?:\s+[A-ZÅÄÖÉÜ][\w'’.-]+){0,3}$", first)
        ):
            start = index
    if start is None or start == content[0]:
        return len(lines)
    return start


def split_body(text: str) -> Split:
    """Split a plain-text body (LF line ends) into own words, signature and quote."""
    lines = text.split("\n")
    lines = [line for line in lines if not (_PHONE_FOOTER.match(line) and _PHONE_WORDS.search(line))]
    start, forwarded = _quote_start(lines)
    head, tail = lines[:start], lines[start:]
    if tail and not forwarded and _ATTRIBUTION_LIKE.match(tail[0]):
        after, tail = _bottom_posted(tail)
        head = head + after
    head, inline_quoted = _drop_quoted_lines(head)
    sig = _signature_start(head)
    own = "\n".join(head[:sig]).strip()
    signature = "\n".join(head[sig:]).strip()
    quoted = "\n".join(inline_quoted + tail).strip()
    return Split(own=own, signature=signature, quoted=quoted, forwarded=forwarded)
