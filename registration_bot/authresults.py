"""Trust the receiving server's DMARC verdict, and no one else's (RFC 8601).

``Authentication-Results`` is an ordinary header: anyone can write one
claiming ``dmarc=pass``. Only a header whose authserv-id is our own receiving
server's (``[security] authserv_id``) counts, and only the topmost such
header, which that server added last. A ``dmarc=fail`` there means the From
address is probably forged, so the message goes to review and gets no reply.
"""

from __future__ import annotations

import re

from .models import InboundMail

_RESULT = re.compile(r"(?:^|;)\s*dmarc\s*=\s*([a-z]+)", re.I)
_COMMENT = re.compile(r"\([^()]*\)")


def dmarc_failure(mail: InboundMail, authserv_id: str) -> str | None:
    """A reason when our own server says DMARC failed; None when it passed, or nothing trusted says."""
    if not authserv_id:
        return None
    for value in mail.headers.get("authentication-results", []):
        text = _COMMENT.sub("", value)
        head, _, results = text.partition(";")
        words = head.split()
        if not words or words[0].lower() != authserv_id.lower():
            continue  # another server's claim, or a forgery: ignored
        match = _RESULT.search(";" + results)
        if match and match.group(1).lower() == "fail":
            return f"DMARC failed according to {authserv_id}: the sender address is probably forged"
        return None  # the topmost header from our server decides
    return None
