"""Issue 10: no form of any template comes out as an empty record without an
error finding, whatever the layout or the input kind."""

from __future__ import annotations

from pathlib import Path

import pytest

from crossfoot.errors import NoFormError
from crossfoot.extract.tables import TemplateExtractor
from crossfoot.ingest import load_document
from crossfoot.ingest.text import document_from_text
from crossfoot.model import Envelope, Severity
from crossfoot.pipeline import process_document

ROOT = Path(__file__).resolve().parents[2]
ZOO = sorted((ROOT / "eval" / "zoo").glob("*/*/*"))
NATIVE_AND_TEXT = [
    p for p in ZOO if p.suffix in {".html", ".txt", ".csv"}
]  # the other kinds: tests/evaluate/test_zoo.py


def _empty(envelope: Envelope) -> bool:
    record = envelope.record
    return record is None or (not record.indicators and record.funding.total is None)


def _silent(envelope: Envelope) -> bool:
    return _empty(envelope) and not any(f.severity is Severity.error for f in envelope.findings)


@pytest.mark.parametrize("path", NATIVE_AND_TEXT, ids=lambda p: f"{p.parent.parent.name}/{p.name}")
def test_every_zoo_form_is_read_or_flagged(path: Path) -> None:
    envelopes = process_document(load_document(path), TemplateExtractor())
    assert envelopes
    assert not [e.source.form_index for e in envelopes if _silent(e)]
    assert all(e.source.template for e in envelopes)


@pytest.mark.parametrize(
    "text",
    [
        "项目支出绩效自评表\n项目名称\t某项目\n",  # the title block and nothing else
        "项目自评表\n项目名称\t某项目\n一级指标\t二级指标\t三级指标\n",  # a header with no rows
        "绩效目标自评表\n项目名称\t某项目\n年度资金总额\t1\t1\n总分\t\t100\n",  # rows without headers
        "项目名称\t某项目\n主管部门\t某局\n" + "\t".join(["说明"] * 9) + "\n",
    ],
)
def test_a_form_cut_short_or_drawn_unlike_any_template_is_flagged(text: str) -> None:
    document = document_from_text(text, path="odd.txt", sha256="0", encoding="utf-8")
    try:
        envelopes = process_document(document, TemplateExtractor())
    except NoFormError:
        return  # not a form at all: an input error the batch reports (exit 2)
    for envelope in envelopes:
        assert not _silent(envelope)
        assert {"layout_unrecognized", "funding_missing", "indicator_table_missing"} & {
            f.code for f in envelope.findings
        }
