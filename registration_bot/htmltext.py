"""Turn an HTML mail body into plain text a person would read.

Outlook and many phones send HTML only. The converter keeps the visible text
and its line structure, drops what is never shown (head, style, script,
``display:none`` pre-headers), and prefixes blockquoted text with ``> `` so
that quoted replies are cut by the same rules as in plain-text mail.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

_BLOCK = {
    "address",
    "article",
    "aside",
    "blockquote",
    "center",
    "dd",
    "div",
    "dl",
    "dt",
    "fieldset",
    "figcaption",
    "figure",
    "footer",
    "form",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "header",
    "hr",
    "li",
    "main",
    "nav",
    "ol",
    "p",
    "pre",
    "section",
    "table",
    "tbody",
    "td",
    "tfoot",
    "th",
    "thead",
    "tr",
    "ul",
}
_SKIP = {"head", "style", "script", "title", "template", "xml", "noscript"}
_VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param", "source", "wbr"}
_HIDDEN = re.compile(r"display\s*:\s*none|mso-hide\s*:\s*all", re.I)


class _Converter(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.lines: list[str] = []
        self.current: list[str] = []
        self.quote_depth = 0
        self.skip_depth = 0
        self.stack: list[tuple[str, bool, bool]] = []  # (tag, skipping, quoting)
        self.pre = 0

    # Lines ---------------------------------------------------------------
    def _break(self) -> None:
        text = "".join(self.current)
        if not self.pre:
            text = re.sub(r"[ \t\u00a0]+", " ", text).strip()
        prefix = "> " * self.quote_depth
        self.lines.append(prefix + text if text or not prefix else prefix.rstrip())
        self.current = []

    # Parser callbacks ------------------------------------------------------
    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attr = {k: (v or "") for k, v in attrs}
        hidden = tag in _SKIP or bool(_HIDDEN.search(attr.get("style", "")))
        quoting = tag == "blockquote"
        if tag == "br":
            self._break()
            return
        if tag in _VOID:
            if tag == "hr":
                self._break()
            return
        if tag in _BLOCK and self.current:
            self._break()
        if tag == "pre":
            self.pre += 1
        if hidden:
            self.skip_depth += 1
        if quoting:
            self.quote_depth += 1
        self.stack.append((tag, hidden, quoting))

    def handle_endtag(self, tag: str) -> None:
        if tag in _VOID:
            return
        # Close up to the matching open tag; mail HTML is rarely well formed.
        for depth in range(len(self.stack) - 1, -1, -1):
            if self.stack[depth][0] == tag:
                break
        else:
            return
        while len(self.stack) > depth:
            open_tag, hidden, quoting = self.stack.pop()
            if open_tag in _BLOCK or quoting:
                if self.current:
                    self._break()
            if hidden:
                self.skip_depth -= 1
            if quoting:
                self.quote_depth -= 1
            if open_tag == "pre":
                self.pre -= 1
        if tag in ("p", "div", "tr", "table") and self.lines and self.lines[-1].strip("> "):
            self.lines.append("> " * self.quote_depth if self.quote_depth else "")

    def handle_data(self, data: str) -> None:
        if self.skip_depth:
            return
        if self.pre:
            parts = data.split("\n")
            for part in parts[:-1]:
                self.current.append(part)
                self._break()
            self.current.append(parts[-1])
        else:
            self.current.append(data.replace("\n", " ").replace("\r", " "))

    def result(self) -> str:
        if self.current:
            self._break()
        text = "\n".join(line.rstrip() for line in self.lines)
        return re.sub(r"\n{3,}", "\n\n", text).strip("\n")


def html_to_text(html: str) -> str:
    """Visible text of an HTML body, with blockquotes as ``> `` lines."""
    converter = _Converter()
    try:
        converter.feed(html)
        converter.close()
    except (AssertionError, ValueError):
        # html.parser is lenient, but hostile markup can still trip it; keep
        # what was read so far rather than lose the message.
        pass
    return converter.result()
