"""HTML pages (lxml): the form's ``<table>`` with its rowspans and colspans.

A page saved from a government site holds much more than the form: menus,
layout tables that wrap the content, several tables per form, ``<br>`` and
``<p>`` inside cells, ``&nbsp;``, a GBK/GB2312 charset declared in ``<meta>``.
Text outside the tables becomes one-cell lines, in document order, so titles
such as 2023年度项目支出绩效自评表 stay where segmentation looks for them.

A table that contains tables is read as layout when most of its text sits in
the inner tables (the usual page skeleton); otherwise it is a grid table and
an inner table's text is kept inside its cell, row by row.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from crossfoot.errors import CorruptFileError, EmptyInputError, NoTableError
from crossfoot.ingest.document import Document
from crossfoot.ingest.grid import Blocks, SpanCell, clean_text, document_from_blocks, frames_a_table, require
from crossfoot.ingest.text import decode_bytes

__all__ = ["decode_html", "looks_like_html", "looks_like_mhtml", "read_html"]

_SNIFF = re.compile(rb"<(!doctype\s+html|html|head|body|table|meta)[\s>/]", re.IGNORECASE)
_CHARSET = re.compile(rb"""<meta[^>]*?charset\s*=\s*["']?\s*([-\w.:]+)""", re.IGNORECASE)
_XML_ENCODING = re.compile(rb"""^\s*<\?xml[^>]*encoding\s*=\s*["']([-\w.:]+)""", re.IGNORECASE)
_XML_DECLARATION = re.compile(r"^\s*<\?xml[^>]*\?>", re.IGNORECASE)
# GB2312 pages routinely hold GBK characters; GB18030 is a superset of both.
_ENCODING_ALIASES = {
    "gb2312": "gb18030",
    "gbk": "gb18030",
    "x-gbk": "gb18030",
    "gb_2312-80": "gb18030",
    "cp936": "gb18030",
}

# <nav> is the site's menu and breadcrumb: a "2023年度项目支出绩效自评表"
# link there is not the form's title
_SKIP = frozenset(
    {"script", "style", "noscript", "template", "head", "title", "iframe", "object", "select", "svg", "nav"}
)
_BLOCK = frozenset(
    {
        "p", "div", "h1", "h2", "h3", "h4", "h5", "h6", "li", "ul", "ol", "center", "section", "article",
        "header", "footer", "main", "aside", "blockquote", "pre", "form", "dl", "dt", "dd",
        "address", "hr", "tr", "caption", "figure", "figcaption",
    }
)  # fmt: skip
_HIDDEN_STYLE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.IGNORECASE)
_SOURCE_SPACE = re.compile(r"[ \t\r\n\f]+")


def looks_like_html(head: bytes) -> bool:
    """True when the first bytes of a file are markup (also an .xls that a
    site exported as an HTML table, which is common)."""
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        head = head.decode("utf-16", errors="ignore").encode("utf-8")
    return bool(_SNIFF.search(head[:4096]))


def looks_like_mhtml(head: bytes) -> bool:
    """A "single file web page" (.mht/.mhtml, as IE and Word save one): a MIME
    message whose first HTML part is the page."""
    head = head[:4096].lower()
    return b"mime-version:" in head and b"multipart/related" in head


def _mhtml_page(data: bytes, path: Path) -> tuple[bytes, str | None]:
    """The HTML part of an MHTML file and the charset its MIME header names."""
    import email
    import email.policy

    message = email.message_from_bytes(data, policy=email.policy.compat32)
    for part in message.walk():
        if part.get_content_type() == "text/html":
            payload = part.get_payload(decode=True)
            if isinstance(payload, bytes):
                return payload, part.get_content_charset()
    raise CorruptFileError("a web archive (MHTML) without an HTML part", path=path)


def decode_html(data: bytes, path: str, charset: str | None = None) -> tuple[str, str, list[str]]:
    """(text, encoding, notes): by ``charset`` (an MHTML part's MIME charset)
    or the charset the page declares, when it decodes the bytes; else UTF-8,
    then GB18030, then the text-dump detection (which names the failure)."""
    notes: list[str] = []
    head = data[:8192]
    found = _XML_ENCODING.search(head) or _CHARSET.search(head)
    declared = charset or (found.group(1).decode("ascii", errors="ignore") if found else None)
    if declared and not data.isascii() and _ENCODING_ALIASES.get(declared.lower()) == "gb18030":
        # Valid UTF-8 with Chinese in it is never GBK text by accident, while
        # GB18030 decodes UTF-8 bytes into plausible nonsense: a page saved
        # as UTF-8 that still declares gb2312 must be read as UTF-8.
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            pass
        else:
            notes.append(f"the page declares charset {declared} but is UTF-8; read as UTF-8")
            return text, "utf-8", notes
    if declared and not data.startswith((b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff")):
        encoding = _ENCODING_ALIASES.get(declared.lower(), declared.lower())
        try:
            return data.decode(encoding), encoding, notes
        except (LookupError, UnicodeDecodeError):
            notes.append(f"the page declares charset {declared}, which does not decode it; detected instead")
    # Markup dilutes the share of Chinese that decode_bytes wants from a text
    # dump, so a page gets the two encodings government sites use first.
    for encoding in ("utf-8", "gb18030"):
        try:
            return data.decode(encoding), encoding, notes
        except UnicodeDecodeError:
            continue
    text, encoding = decode_bytes(data, path)
    return text, encoding, notes


def _tag(element: Any) -> str:
    tag = element.tag
    return tag.lower() if isinstance(tag, str) else ""  # comments and PIs have a callable tag


def _hidden(element: Any) -> bool:
    return (
        element.get("hidden") is not None
        or element.get("role") == "navigation"
        or bool(_HIDDEN_STYLE.search(element.get("style") or ""))
    )


def _pieces(element: Any) -> Iterator[Any]:
    """The flow of an element: text pieces, "\\n" for a line break, and
    nested ``<table>`` elements, in document order (its tail excluded).

    Iterative, not recursive: old pages nest unclosed ``<font>`` tags
    thousands deep, past Python's recursion limit."""
    stack: list[Any] = [(element, False)]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            yield item
            continue
        node, pre = item
        tag = _tag(node)
        if not tag or tag in _SKIP or _hidden(node):
            continue
        if tag == "table":
            yield node
            continue
        if tag == "br":
            yield "\n"
            continue
        if tag == "input" and (node.get("type") or "").lower() in {"checkbox", "radio"}:
            yield "☑" if node.get("checked") is not None else "☐"
            continue
        pre = pre or tag == "pre"
        block = tag in _BLOCK
        sequence: list[Any] = ["\n"] if block else []
        if node.text:
            sequence.append(_source_text(node.text, pre))
        for child in node:
            sequence.append((child, pre))
            if child.tail:
                sequence.append(_source_text(child.tail, pre))
        if block:
            sequence.append("\n")
        stack.extend(reversed(sequence))


def _source_text(text: str, pre: bool) -> str:
    # Outside <pre>, a newline in the HTML source is just a space on screen.
    return text if pre else _SOURCE_SPACE.sub(" ", text)


def _rows(table: Any) -> list[Any]:
    return [row for row in table.xpath("./tr|./thead/tr|./tbody/tr|./tfoot/tr") if not _hidden(row)]


def _cells(row: Any) -> list[Any]:
    return [cell for cell in row.xpath("./td|./th") if not _hidden(cell)]


def _span(cell: Any, name: str) -> int:
    match = re.match(r"\s*(\d+)", cell.get(name) or "")
    return int(match.group(1)) if match else 1  # rowspan="0" and junk count as 1


def _flat_text(element: Any) -> str:
    """Display text of a cell; an inner table contributes its rows as lines."""
    out: list[str] = []
    for piece in _pieces(element):
        if isinstance(piece, str):
            out.append(piece)
        else:
            for row in _rows(piece):
                out.append("\n" + " ".join(clean_text(_flat_text(c)).replace("\n", " ") for c in _cells(row)) + "\n")
    return clean_text("".join(out))


def _visible_chars(element: Any) -> int:
    text = "".join(element.xpath(".//text()[not(ancestor::script) and not(ancestor::style)]"))
    return len(_SOURCE_SPACE.sub("", text))


def _frames(row: Any) -> bool:
    """The row holds a nested table that is a table of its own."""
    owner = _parent_table(row)
    nested = [t for t in row.iterdescendants("table") if _parent_table(t) is owner]
    return frames_a_table(_visible_chars(row), [(_rows_weight(t), _visible_chars(t)) for t in nested])


def _rows_weight(table: Any) -> int:
    # a one-row layout table that itself frames the form weighs as a big table,
    # so frames inside frames (common on old portals) are all read through
    rows = _rows(table)
    return max(len(rows), 3 if any(_frames(row) for row in rows) else 0)


def _parent_table(table: Any) -> Any:
    return next(table.iterancestors("table"), None)


class _Reader(Blocks):
    def flow(self, element: Any) -> None:
        buffer: list[str] = []
        for piece in _pieces(element):
            if isinstance(piece, str):
                buffer.append(piece)
                continue
            self.paragraphs("".join(buffer))
            buffer = []
            self.read_table(piece)
        self.paragraphs("".join(buffer))

    def read_table(self, element: Any) -> None:
        for caption in element.xpath("./caption"):
            self.flow(caption)
        # Rows that frame a nested table are read as flow (their text as
        # lines, the nested table as a table); the rows between them are grid.
        segment: list[list[SpanCell]] = []
        for row in _rows(element):
            if _frames(row):
                self.table(segment)
                segment = []
                for cell in _cells(row):
                    self.flow(cell)
            else:
                segment.append([SpanCell(_flat_text(c), _span(c, "rowspan"), _span(c, "colspan")) for c in _cells(row)])
        self.table(segment)


def read_html(path: Path, data: bytes | None = None) -> Document:
    """Read an HTML page (or an HTML table saved as .xls) into a grid Document."""
    data = path.read_bytes() if data is None else data
    if not data.strip():
        raise EmptyInputError("empty file", path=path)
    page, charset = _mhtml_page(data, path) if looks_like_mhtml(data) else (data, None)
    html = require("lxml.html", "HTML", path)
    etree = require("lxml.etree", "HTML", path)
    text, encoding, notes = decode_html(page, str(path), charset)
    text = _XML_DECLARATION.sub("", text, count=1)
    try:
        # huge_tree: without it libxml2 silently drops whatever is nested
        # deeper than 256 elements, and unclosed tags on old pages get there
        root = html.document_fromstring(text, parser=html.HTMLParser(huge_tree=True))
    except (etree.ParserError, ValueError) as exc:
        raise CorruptFileError(f"cannot parse as HTML ({exc})", path=path) from exc
    reader = _Reader()
    body = root.find("body")
    try:
        reader.flow(body if body is not None else root)
    except RecursionError as exc:  # tables nested inside tables hundreds deep
        raise CorruptFileError("tables nested too deeply to read", path=path) from exc
    if not reader.has_table():
        raise NoTableError("the page holds no <table>: the form must be a table", path=path)
    return document_from_blocks(reader.blocks, path=path, data=data, kind="html", encoding=encoding, notes=notes)
