"""Bad PDFs and images fail with the file and the page; the batch goes on."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from crossfoot.cli import app
from crossfoot.errors import ConfigError, EmptyInputError, ImageError, PdfError
from crossfoot.ingest import load_document
from crossfoot.settings import Settings
from tests.conftest import need
from tests.ingest.conftest import WQY, PdfMaker, has_module, zero_page_pdf


def test_an_encrypted_pdf_is_refused_by_name(make_pdf: PdfMaker) -> None:
    path = make_pdf("locked.pdf", [["财政项目支出绩效自评表"]], password="secret")
    with pytest.raises(PdfError) as caught:
        load_document(path, Settings(workers=1))
    assert caught.value.path == str(path)
    assert "encrypted" in str(caught.value)


def test_a_corrupt_pdf_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "corrupt.pdf"
    path.write_bytes(b"%PDF-1.7\n" + bytes(range(256)) * 8)
    with pytest.raises(PdfError) as caught:
        load_document(path, Settings(workers=1))
    assert caught.value.path == str(path)
    assert str(path) in str(caught.value)


def test_a_truncated_pdf_is_refused(make_pdf: PdfMaker, tmp_path: Path) -> None:
    whole = make_pdf("whole.pdf", [["财政项目支出绩效自评表", "项目名称 测试"]])
    cut = tmp_path / "cut.pdf"
    cut.write_bytes(whole.read_bytes()[:300])
    with pytest.raises(PdfError):
        load_document(cut, Settings(workers=1))


def test_a_pdf_without_pages_is_refused(tmp_path: Path) -> None:
    path = zero_page_pdf(tmp_path / "empty.pdf")
    with pytest.raises(PdfError, match="no pages"):
        load_document(path, Settings(workers=1))


@pytest.mark.ocr
def test_a_pdf_whose_only_page_has_no_text_names_the_page(make_pdf: PdfMaker) -> None:
    need(has_module("rapidocr_onnxruntime"), "pip install 'crossfoot[ocr]'")
    # no text layer, so the page goes to OCR, which finds nothing either
    path = make_pdf("blank.pdf", [[]])
    with pytest.raises(EmptyInputError) as caught:
        load_document(path, Settings(workers=1))
    assert (caught.value.path, caught.value.page) == (str(path), 1)
    assert f"{path}: page 1: " in str(caught.value)


@pytest.mark.ocr
def test_a_blank_page_between_pages_with_text_is_skipped_with_a_note(make_pdf: PdfMaker) -> None:
    need(has_module("rapidocr_onnxruntime"), "pip install 'crossfoot[ocr]'")
    path = make_pdf("gap.pdf", [["财政项目支出绩效自评表", "(2022年度)"], [], ["总分 100 100"]])
    document = load_document(path, Settings(workers=1))
    assert {line.page for line in document.lines if not line.is_blank} == {1, 3}
    assert any(note.startswith("page 2: ") and "no text" in note for note in document.notes)


def test_an_image_over_the_pixel_limit_is_refused_before_it_is_decoded(tmp_path: Path) -> None:
    from PIL import Image

    path = tmp_path / "huge.png"
    Image.new("L", (400, 300), 255).save(path)
    with pytest.raises(ImageError) as caught:
        load_document(path, Settings(max_image_pixels=100_000, workers=1))
    assert (caught.value.path, caught.value.page) == (str(path), 1)
    assert "120,000 pixels" in str(caught.value)


def test_a_file_named_png_that_is_not_an_image_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "scan.png"
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + b"not really a png" * 10)
    with pytest.raises(ImageError) as caught:
        load_document(path, Settings(workers=1))
    assert caught.value.path == str(path)


@pytest.mark.ocr
def test_an_image_with_no_text_names_the_page(tmp_path: Path) -> None:
    need(has_module("rapidocr_onnxruntime"), "pip install 'crossfoot[ocr]'")
    from PIL import Image

    path = tmp_path / "white.png"
    Image.new("L", (800, 600), 250).save(path)
    with pytest.raises(EmptyInputError) as caught:
        load_document(path, Settings(workers=1))
    assert (caught.value.path, caught.value.page) == (str(path), 1)


def test_without_pdfplumber_the_error_says_what_to_install(
    tmp_path: Path, make_pdf: PdfMaker, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = make_pdf("form.pdf", [["财政项目支出绩效自评表"]])
    monkeypatch.setitem(sys.modules, "pdfplumber", None)  # what an absent package looks like to import
    with pytest.raises(ConfigError, match=r"pip install 'crossfoot\[pdf\]'"):
        load_document(path, Settings(workers=1))


def test_without_the_ocr_engine_the_error_says_what_to_install(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    if not has_module("PIL"):
        pytest.skip("Pillow is needed to get as far as the engine")
    from PIL import Image

    from crossfoot.ingest import ocr

    path = tmp_path / "scan.png"
    Image.new("L", (200, 100), 255).save(path)
    monkeypatch.setitem(sys.modules, "rapidocr_onnxruntime", None)
    monkeypatch.setattr(ocr, "_ENGINES", {})
    with pytest.raises(ConfigError, match=r"pip install 'crossfoot\[ocr\]'"):
        load_document(path, Settings(workers=1))


def test_the_cli_reports_a_bad_pdf_and_still_extracts_the_good_file(
    make_pdf: PdfMaker, tmp_path: Path, samples: Path
) -> None:
    bad = make_pdf("locked.pdf", [["财政项目支出绩效自评表"]], password="secret")
    good = tmp_path / "good.txt"
    good.write_bytes((samples / "000_1c7597119af05248.txt").read_bytes())
    result = CliRunner().invoke(app, ["extract", str(bad), str(good)])
    assert result.exit_code == 2, result.output
    envelopes = [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]
    assert len(envelopes) == 4
    assert {e["source"]["path"] for e in envelopes} == {str(good)}
    assert "locked.pdf" in result.stderr and "encrypted" in result.stderr


@pytest.mark.ocr
def test_a_scan_with_a_printed_page_number_still_goes_to_ocr(tmp_path: Path) -> None:
    """A text layer of a few characters over a page-sized image is a stamp
    on a scan (第1页), not the page's text."""
    need(has_module("rapidocr_onnxruntime"), "pip install 'crossfoot[ocr]'")
    from PIL import Image
    from reportlab.lib.utils import ImageReader
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont
    from reportlab.pdfgen import canvas

    if "WQY" not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(TTFont("WQY", str(WQY), subfontIndex=0))
    scan = Image.new("L", (300, 420), 255)
    path = tmp_path / "stamped.pdf"
    pdf = canvas.Canvas(str(path), invariant=1)
    pdf.drawImage(ImageReader(scan), 0, 0, 595, 842)
    pdf.setFont("WQY", 14)
    pdf.drawString(280, 40, "第1页")
    pdf.showPage()
    pdf.save()
    document = load_document(path, Settings(workers=1))
    assert document.kind == "scan"
    assert any("OCR on page(s) 1" in note for note in document.notes)
