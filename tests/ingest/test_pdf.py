"""Text-layer PDFs: the generated corpus reads back exactly as the gold.

The corpus (eval/corpus/pdf) draws each gold form as a ruled table with a
CJK font; reading it back through load_document + split_forms + the rules
backend must give every numeric cell of the gold, Decimal-equal.
"""

from __future__ import annotations

from pathlib import Path
from types import ModuleType

import pytest

from crossfoot.extract.rules import RulesExtractor
from crossfoot.ingest import load_document
from crossfoot.segment import split_forms
from crossfoot.settings import Settings
from tests.conftest import ROOT, need
from tests.ingest.conftest import CORPUS, WQY, PdfMaker, gold, has_module

PDF_NAMES = sorted(p.stem for p in (CORPUS / "pdf").glob("*.json"))


@pytest.fixture(autouse=True)
def _pdf_stack() -> None:
    need(has_module("pdfplumber") and has_module("pypdfium2"), "pip install 'crossfoot[pdf]'")


def test_the_corpus_has_a_pdf_and_a_scan_of_every_gold_form() -> None:
    labels = sorted(p.stem for p in (ROOT / "eval" / "labels_a").glob("*.json"))
    assert labels == PDF_NAMES
    for name in labels:
        for kind in ("pdf", "scan"):
            fixture = gold(kind, name)
            assert fixture["_source"]["form_index"] == 0
            assert (ROOT / fixture["_source"]["file"]).is_file()
    scans = {Path(gold("scan", name)["_source"]["file"]).suffix for name in labels}
    assert scans == {".jpg", ".pdf"}  # one-page scans as images, longer ones as image-only PDFs


@pytest.mark.parametrize("name", PDF_NAMES)
def test_every_numeric_cell_reads_back_from_the_pdf(name: str, corpus_scorer: ModuleType) -> None:
    fixture = gold("pdf", name)
    records, _ = corpus_scorer.read_records(ROOT / fixture["_source"]["file"], Settings(workers=1))
    score = corpus_scorer.Score()
    score.add(name, fixture, records[fixture["_source"]["form_index"]])
    assert score.numeric_ok == score.numeric, score.mismatches


def test_rows_are_numbered_across_pages_with_a_page_break_between() -> None:
    path = ROOT / gold("pdf", "002_dd147dae2c6ae523__04")["_source"]["file"]
    document = load_document(path, Settings(workers=1))
    assert [line.number for line in document.lines] == list(range(1, len(document.lines) + 1))
    pages = [line.page for line in document.lines]
    assert pages[0] == 1 and pages[-1] == 2
    first_of_two = pages.index(2)
    assert document.lines[first_of_two - 1].is_blank  # the break, as a text dump prints it
    assert document.page_break_between(document.lines[first_of_two - 2], document.lines[first_of_two])


def test_a_table_continued_on_the_next_page_keeps_its_groups() -> None:
    # 满意度指标 is cut by the page break; its label prints only on page 1
    fixture = gold("pdf", "002_dd147dae2c6ae523__04")
    document = load_document(ROOT / fixture["_source"]["file"], Settings(workers=1))
    forms = split_forms(document)
    record = RulesExtractor().extract(forms[0], forms).record
    assert record is not None
    assert [(i.level1, i.level2, i.name) for i in record.indicators] == [
        (i["level1"], i["level2"], i["name"]) for i in fixture["indicators"]
    ]


def test_provenance_carries_page_and_box_in_points() -> None:
    fixture = gold("pdf", "001_1b2e574df5a7d62c__07")
    document = load_document(ROOT / fixture["_source"]["file"], Settings(workers=1))
    forms = split_forms(document)
    result = RulesExtractor().extract(forms[0], forms)
    (span,) = result.provenance["funding.total.executed"]
    assert span.raw == fixture["funding"]["total"]["executed"]
    assert span.page == 1 and span.confidence is None
    assert span.bbox is not None
    x0, top, x1, bottom = span.bbox
    assert 0 < x0 < x1 < 595.3 and 0 < top < bottom < 841.9  # inside an A4 page
    (grade,) = result.provenance["grade"]
    assert grade.page == 2  # 评分等级 runs over to the second page


def test_the_title_and_year_lines_survive_for_segmentation(make_pdf: PdfMaker) -> None:
    path = make_pdf(
        "two-forms.pdf",
        [
            ["财政项目支出绩效自评表", "(2023年度)", "项目名称  甲"],
            ["财政项目支出绩效自评表", "(2023年度)", "项目名称  乙"],
        ],
    )
    document = load_document(path, Settings(workers=1))
    texts = [line.text for line in document.lines if not line.is_blank]
    assert texts[:2] == ["财政项目支出绩效自评表", "(2023年度)"]
    assert len(split_forms(document)) == 2


def test_pages_read_in_parallel_give_the_same_document(make_pdf: PdfMaker) -> None:
    from crossfoot.ingest.pdf import PARALLEL_TEXT_PAGES, _worker_count

    pages = [[f"第{n}页", f"项目名称  {n}", f"总分  100  {90 + n % 10}"] for n in range(PARALLEL_TEXT_PAGES + 1)]
    path = make_pdf("long.pdf", pages)
    assert _worker_count(path, len(pages), Settings(workers=2)) == 2
    serial = load_document(path, Settings(workers=1))
    parallel = load_document(path, Settings(workers=2))
    assert parallel.lines == serial.lines
    assert [line.page for line in parallel.lines if not line.is_blank][-1] == len(pages)


def test_a_short_text_pdf_is_not_worth_a_worker_process() -> None:
    from crossfoot.ingest.pdf import _worker_count

    path = ROOT / gold("pdf", "001_1b2e574df5a7d62c__08")["_source"]["file"]
    assert _worker_count(path, 2, Settings(workers=2)) == 1
    scan = ROOT / gold("scan", "001_1b2e574df5a7d62c__08")["_source"]["file"]
    assert _worker_count(scan, 2, Settings(workers=2)) == 2


def test_the_generator_is_deterministic(corpus_generator: ModuleType, tmp_path: Path) -> None:
    need(WQY.exists(), "apt-get install fonts-wqy-zenhei")
    need(has_module("cv2") and has_module("PIL"), "pip install 'crossfoot[ocr]'")
    name = "002_dd147dae2c6ae523__01"
    labels = tmp_path / "gold"
    labels.mkdir()
    source = ROOT / "eval" / "labels_a" / f"{name}.json"
    (labels / source.name).write_bytes(source.read_bytes())
    corpus_generator.generate(labels, tmp_path / "one")
    corpus_generator.generate(labels, tmp_path / "two")
    for kind in ("pdf", "scan"):
        first = sorted((tmp_path / "one" / kind).iterdir())
        second = sorted((tmp_path / "two" / kind).iterdir())
        assert [p.name for p in first] == [p.name for p in second]
        for a, b in zip(first, second, strict=True):
            if a.suffix == ".json":  # names its own folder; the rest must match
                assert a.read_text().replace(str(tmp_path / "one"), "") == b.read_text().replace(
                    str(tmp_path / "two"), ""
                )
            else:
                assert a.read_bytes() == b.read_bytes(), a.name


def test_an_unruled_table_is_read_into_aligned_columns(tmp_path: Path) -> None:
    """No rulings: words are clustered into columns by where they stand."""
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont
    from reportlab.pdfgen import canvas

    need(WQY.exists(), "apt-get install fonts-wqy-zenhei")
    if "WQY" not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(TTFont("WQY", str(WQY), subfontIndex=0))
    rows = [
        ["", "年初预算数", "全年预算数", "全年执行数"],
        ["年度资金总额", "457000.00", "375000.00", "375,000"],
        ["上年结转资金", "0", "0", ""],
        ["其他资金", "", "12.5", "3"],
    ]
    path = tmp_path / "unruled.pdf"
    pdf = canvas.Canvas(str(path), invariant=1)
    pdf.setFont("WQY", 10)
    for n, row in enumerate(rows):
        for col, text in enumerate(row):
            if not text:
                continue
            if col:  # numbers centred in their column, labels set left
                pdf.drawCentredString(110 + 110 * col, 700 - 22 * n, text)
            else:
                pdf.drawString(60, 700 - 22 * n, text)
    pdf.showPage()
    pdf.save()
    document = load_document(path, Settings(workers=1))
    read = [{c.column: c.text for c in line.filled} for line in document.lines]
    assert read == [{col: text for col, text in enumerate(row) if text} for row in rows]
