"""Segmentation: one FormSlice per 自评表 title."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest
from tests.forms import form_text

from crossfoot.errors import NoFormError
from crossfoot.ingest import load_document
from crossfoot.ingest.text import document_from_text
from crossfoot.segment import split_forms


@pytest.mark.parametrize(
    ("name", "count"),
    [("000_1c7597119af05248.txt", 4), ("001_1b2e574df5a7d62c.txt", 11), ("002_dd147dae2c6ae523.txt", 7)],
)
def test_seed_documents_split_into_their_forms(samples: Path, name: str, count: int) -> None:
    forms = split_forms(load_document(samples / name))
    assert len(forms) == count
    assert all("自评表" in f.lines[0].text for f in forms)
    # forms tile the document: each ends before the next starts
    assert all(a.last_line < b.first_line for a, b in itertools.pairwise(forms))


def test_no_form_in_document() -> None:
    document = document_from_text("会议纪要\n内容\n", path="minutes.txt", sha256="0", encoding="utf-8")
    with pytest.raises(NoFormError) as info:
        split_forms(document)
    assert "minutes.txt" in str(info.value)


def test_titles_lost_falls_back_to_project_name_rows() -> None:
    text = form_text().replace("财政项目支出绩效自评表", "") * 2
    document = document_from_text(text, path="x.txt", sha256="0", encoding="utf-8")
    assert len(split_forms(document)) == 2
