"""Inputs for the PDF and OCR tests: the generated corpus, and small files
built here, at test time, for the cases the corpus does not cover."""

from __future__ import annotations

import importlib.util
import json
import shutil
import sys
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from tests.conftest import ROOT

CORPUS = ROOT / "eval" / "corpus"
WQY = Path("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc")


def _script(name: str) -> ModuleType:
    """eval/corpus/<name>.py, imported as a module."""
    path = CORPUS / f"{name}.py"
    spec = importlib.util.spec_from_file_location(f"corpus_{name}", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="session")
def corpus_generator() -> ModuleType:
    return _script("generate")


@pytest.fixture(scope="session")
def corpus_scorer() -> ModuleType:
    from tests.ingest import corpus_scoring

    return corpus_scoring


def gold(kind: str, name: str) -> dict[str, Any]:
    """A corpus fixture: the gold record, ``_source.file`` naming the input."""
    data: dict[str, Any] = json.loads((CORPUS / kind / f"{name}.json").read_text(encoding="utf-8"))
    return data


def has_tesseract() -> bool:
    return shutil.which("tesseract") is not None


def has_module(name: str) -> bool:
    return importlib.util.find_spec(name) is not None


PdfMaker = Callable[..., Path]


@pytest.fixture
def make_pdf(tmp_path: Path) -> PdfMaker:
    """A PDF with one page per list of text lines ([] is a blank page)."""
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont
    from reportlab.pdfgen import canvas

    if "WQY" not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(TTFont("WQY", str(WQY), subfontIndex=0))

    def make(name: str, pages: list[list[str]], *, password: str | None = None) -> Path:
        path = tmp_path / name
        pdf = canvas.Canvas(str(path), invariant=1, encrypt=password)
        for lines in pages:
            pdf.setFont("WQY", 12)
            for n, line in enumerate(lines):
                pdf.drawString(72, 760 - 20 * n, line)
            pdf.showPage()
        pdf.save()
        return path

    return make


def zero_page_pdf(path: Path) -> Path:
    """A well-formed PDF whose page tree is empty (what some exporters write)."""
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [] /Count 0 >>"]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for offset in offsets:
        out += b"%010d 00000 n \n" % offset
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    path.write_bytes(bytes(out))
    return path
