"""Segment: a Document -> one FormSlice per 自评表."""

from __future__ import annotations

from functools import lru_cache

from pydantic import BaseModel, ConfigDict

from crossfoot.errors import NoFormError
from crossfoot.ingest.document import Document, Line

__all__ = ["FormSlice", "compact", "split_forms"]

_TITLE_MARK = "自评表"
_NAME_LABEL = "项目名称"


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


def _starts(document: Document) -> list[int]:
    titles = [i for i, line in enumerate(document.lines) if _TITLE_MARK in compact(line.text)]
    if titles:
        return titles
    # A dump that lost its titles still has one 项目名称 row per form.
    return [i for i, line in enumerate(document.lines) if line.filled and compact(line.filled[0].text) == _NAME_LABEL]


def split_forms(document: Document) -> list[FormSlice]:
    """Cut a document into forms at each title line.

    Raises NoFormError when nothing in the document looks like a form.
    """
    starts = _starts(document)
    if not starts:
        raise NoFormError("no 财政项目支出绩效自评表 found", path=document.path)
    ends = [*starts[1:], len(document.lines)]
    forms: list[FormSlice] = []
    for index, (start, end) in enumerate(zip(starts, ends, strict=True)):
        lines = document.lines[start:end]
        while len(lines) > 1 and lines[-1].is_blank:
            lines = lines[:-1]
        forms.append(FormSlice(document=document, index=index, lines=lines))
    return forms
