"""Segment: a Document -> one FormSlice per 自评表."""

from __future__ import annotations

import bisect
import re
from functools import lru_cache

from pydantic import BaseModel, ConfigDict

from crossfoot.errors import NoFormError
from crossfoot.ingest.document import Document, Line
from crossfoot.lexicon import Lexicon, label_key, load_lexicon

__all__ = ["FormSlice", "compact", "is_name_row", "is_page_furniture", "split_forms", "without_page_furniture"]

_TITLE_MARK = "自评表"


@lru_cache(maxsize=8192)
def compact(text: str) -> str:
    """Text with every whitespace removed: how labels are compared."""
    return "".join(text.split())


class FormSlice(BaseModel):
    """The lines of one form within its document."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    document: Document
    index: int
    lines: list[Line]

    @property
    def first_line(self) -> int:
        return self.lines[0].number

    @property
    def last_line(self) -> int:
        return self.lines[-1].number


#: a preamble line above a form's 项目名称 row: titles, years, units, codes
_PREAMBLE = re.compile(
    r"自评表|绩效自评|公开\d+表|报表编号|表\s*\d+$|^[(（]?\s*20\d{2}\s*年度?\s*[)）]?$|单位名称|金额单位|单位[:：]|填报日期|填报单位"
)
_PREAMBLE_REACH = 8


#: a page number or a converter's / mirror site's page marker
_PAGE_MARK = re.compile(r"^[-—–\s]*\d{1,4}[-—–\s]*$|^第\d+页|^[-—=\s]*第?\s*\d+\s*页|chunk|^-{3,}|^={3,}", re.I)


def is_page_furniture(line: Line) -> bool:
    """A line a page prints around a table, not in it: the running title, the
    table number (公开14表, 报表编号), a page number, a chunk marker."""
    filled = line.filled
    if not filled or len(filled) > 2:
        return False
    return all(_PREAMBLE.search(compact(c.text)) or _PAGE_MARK.search(compact(c.text)) for c in filled)


def without_page_furniture(form: FormSlice, lexicon: Lexicon | None = None) -> FormSlice:
    """The form with the page furniture inside it (running titles, page
    numbers, chunk markers after its 项目名称 row) blanked: a reader then sees
    a page break there, as it is, and never a line of the table."""
    lexicon = lexicon or load_lexicon()
    name_at = next((i for i, line in enumerate(form.lines) if is_name_row(line, lexicon)), None)
    if name_at is None:
        return form
    lines = list(form.lines)
    changed = False
    for i in range(name_at + 1, len(lines)):
        if is_page_furniture(lines[i]):
            lines[i] = Line(number=lines[i].number, cells=[], page=lines[i].page)
            changed = True
    return FormSlice(document=form.document, index=form.index, lines=lines) if changed else form


def is_name_row(line: Line, lexicon: Lexicon) -> bool:
    """Whether a line prints a project-name label (项目名称, 专项名称, …, or
    ``项目名称：某某`` in one cell) among its first cells: a form's anchor."""
    return any(
        lexicon.match("header", cell.text) == "project_name" or _inline_name(cell.text, lexicon)
        for cell in line.filled[:3]
    )


def _name_rows(document: Document, lexicon: Lexicon) -> list[int]:
    """Lines that print a project-name label."""
    return [i for i, line in enumerate(document.lines) if is_name_row(line, lexicon)]


def _inline_name(text: str, lexicon: Lexicon) -> bool:
    """``项目名称：某某`` in one cell."""
    key = label_key(text)
    if ":" not in key:  # most cells: no need to gather the name words
        return False
    return key.split(":", 1)[0] in _name_words(tuple(lexicon.header.get("project_name", [])))


@lru_cache(maxsize=8)
def _name_words(words: tuple[str, ...]) -> frozenset[str]:
    return frozenset(label_key(w) for w in words)


def _has_blocks(lines: list[Line], lexicon: Lexicon, funding_only: bool = False) -> bool:
    """Whether lines hold a funding or indicator header: a form's body. A
    form's first block is its funding; an indicator header alone may be a
    table header repeated on a new page."""
    for line in lines:
        fields = {lexicon.match("funding_columns", c.text) for c in line.filled}
        if not funding_only:
            fields |= {lexicon.match("indicator_columns", c.text) for c in line.filled}
        fields.discard(None)
        fields.discard("ignored")
        if len(fields) >= 2 and (not funding_only or fields & _BUDGET_FIELDS):
            return True
    return False


_BUDGET_FIELDS = frozenset({"initial_budget", "annual_budget", "executed"})


def _is_preamble(line: Line) -> bool:
    return line.is_blank or any(_PREAMBLE.search(compact(c.text)) for c in line.filled)


def _structural_starts(document: Document, lexicon: Lexicon) -> list[int]:
    """One start per 项目名称 row that opens a form body, moved up over its
    title block. A 项目名称 row repeated before any body (a page header) opens
    nothing, and a title repeated inside a form never cuts it."""
    names = _name_rows(document, lexicon)
    opening: list[int] = []
    for k, at in enumerate(names):
        end = names[k + 1] if k + 1 < len(names) else len(document.lines)
        if opening and not _has_blocks(document.lines[opening[-1] : at], lexicon):
            continue
        if not _has_blocks(document.lines[at:end], lexicon) and opening:
            continue
        opening.append(at)
    starts: list[int] = []
    for at in opening:
        floor = starts[-1] + 1 if starts else 0
        start = at
        while start - 1 >= max(floor, at - _PREAMBLE_REACH) and _is_preamble(document.lines[start - 1]):
            start -= 1
        while start < at and document.lines[start].is_blank:
            start += 1
        starts.append(start)
    return starts


def _title_starts(document: Document) -> list[int]:
    return [i for i, line in enumerate(document.lines) if _TITLE_MARK in compact(line.text)]


def _untitled_bodies(document: Document, starts: list[int], lexicon: Lexicon) -> list[int]:
    """Titles that open a form whose 项目名称 row could not be read (a broken
    byte, an OCR slip): a 自评表 title after a complete form body, with a new
    body of its own under it. A running title repeated inside a form has no
    new body under it, so it cuts nothing."""
    extra: list[int] = []
    bounds = [*starts, len(document.lines)]
    titles = _title_starts(document)  # once: per start it made the split quadratic in the file
    for k, start in enumerate(starts):
        end = bounds[k + 1]
        # the starts ascend, so only titles cut in this body can lie between start and a title
        cut: list[int] = []
        for title in titles[bisect.bisect_right(titles, start) : bisect.bisect_left(titles, end)]:
            if any(e <= title for e in cut):
                continue
            new_body = _has_blocks(document.lines[title:end], lexicon, funding_only=True)
            if new_body and _has_blocks(document.lines[start:title], lexicon):
                cut.append(title)
        extra.extend(cut)
    return extra


def split_forms(document: Document, lexicon: Lexicon | None = None) -> list[FormSlice]:
    """Cut a document into forms by their structure: a project-name row with
    a funding block or an indicator table under it, whatever the title says
    (项目支出绩效自评表, 项目自评表, 绩效目标自评表, …) or if there is none.
    A document with no project-name row is cut at its 自评表 titles.

    Raises NoFormError when nothing in the document looks like a form.
    """
    lexicon = lexicon or load_lexicon()
    structural = _structural_starts(document, lexicon)
    starts = sorted(structural + _untitled_bodies(document, structural, lexicon)) or _title_starts(document)
    if not starts:
        raise NoFormError("no 财政项目支出绩效自评表 (no 项目名称 row, no 自评表 title) found", path=document.path)
    ends = [*starts[1:], len(document.lines)]
    forms: list[FormSlice] = []
    for index, (start, end) in enumerate(zip(starts, ends, strict=True)):
        lines = document.lines[start:end]
        while len(lines) > 1 and lines[-1].is_blank:
            lines = lines[:-1]
        forms.append(FormSlice(document=document, index=index, lines=lines))
    return forms
