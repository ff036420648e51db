"""pipeline: a doubtful OCR digit reaches review unless the arithmetic vouches for it."""

from __future__ import annotations

from pathlib import Path

from crossfoot.extract.rules import RulesExtractor
from crossfoot.ingest import load_document
from crossfoot.model import Severity
from crossfoot.pipeline import process_document
from crossfoot.review.items import open_items_for


def _with_confidence(samples: Path, name: str, raw: str, confidence: float):  # type: ignore[no-untyped-def]
    document = load_document(samples / name)
    for line in document.lines:
        for cell in line.cells:
            if cell.text == raw:
                cell.confidence = confidence
                return document
    raise AssertionError(f"{raw} not printed in {name}")


def test_doubtful_digit_that_the_arithmetic_vouches_for_is_info(samples: Path) -> None:
    # 94.36 is the 总分 of a form whose arithmetic holds
    document = _with_confidence(samples, "001_1b2e574df5a7d62c.txt", "94.36", 0.41)
    envelope = process_document(document, RulesExtractor())[1]
    doubtful = [f for f in envelope.findings if f.code == "ocr_low_confidence"]
    assert [f.severity for f in doubtful] == [Severity.info]
    assert not [s for s in open_items_for(envelope.findings, None) if s.kind == "doubtful"]


def test_doubtful_digit_in_a_broken_form_goes_to_review(samples: Path) -> None:
    document = _with_confidence(samples, "002_dd147dae2c6ae523.txt", "96.38", 0.41)
    envelope = process_document(document, RulesExtractor())[3]
    doubtful = [f for f in envelope.findings if f.code == "ocr_low_confidence"]
    assert [f.severity for f in doubtful] == [Severity.warning]
    assert doubtful[0].fields == ["total_score"]
    assert any(s.kind == "doubtful" for s in open_items_for(envelope.findings, None))


def test_text_dumps_carry_no_confidence_and_raise_nothing(samples: Path) -> None:
    envelopes = process_document(load_document(samples / "000_1c7597119af05248.txt"), RulesExtractor())
    assert not any(f.code == "ocr_low_confidence" for e in envelopes for f in e.findings)


def test_no_repair_is_suggested_while_the_extraction_is_in_doubt(samples: Path) -> None:
    text = (samples / "002_dd147dae2c6ae523.txt").read_text(encoding="utf-8")
    # garble one cell of 设备运行与维护 so the extractor reports an unreadable number
    garbled = text.replace("\t功能完整性\t=100%\t100%\t5\t4\t", "\t功能完整性\t=100%\t100%\t5\t4O\t", 1)
    assert garbled != text
    from crossfoot.ingest.text import document_from_text

    document = document_from_text(garbled, path="g.txt", sha256="1", encoding="utf-8")
    envelope = process_document(document, RulesExtractor())[3]
    assert any(f.code == "unreadable_number" for f in envelope.findings)
    assert all(f.repair is None for f in envelope.findings)
