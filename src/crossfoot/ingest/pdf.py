"""PDF -> Document: the text layer through pdfplumber, scanned pages through OCR.

Each page is decided on its own: a page whose text layer holds readable
characters is read from it (characters and their boxes; ruled tables by
pdfplumber's table finder, which returns every cell, merged ones included);
a page without one (a scan) is rasterised with pypdfium2 and OCR'd. Either
way the page becomes rows of cells (``layout``) and the pages one Document,
boxes in PDF points.

Bad files fail with the file and, where it applies, the page: an encrypted
PDF, a corrupt one, one with no pages, one with no text on any page. A blank
page among pages with text is skipped with a note.
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from crossfoot.errors import ConfigError, CrossfootError, PdfError
from crossfoot.ingest.document import Document
from crossfoot.ingest.layout import Box, PageText, Rect, page_rows
from crossfoot.ingest.pages import PageResult, assemble, map_pages, threads_per_worker
from crossfoot.settings import Settings

__all__ = ["PDF_HINT", "read_pdf"]

PDF_HINT = "pip install 'crossfoot[pdf]'"
#: a page mostly covered by an image with fewer characters than this is a
#: scan with a stamp or page number on it, not a text page
SCAN_STAMP_CHARS = 40
#: text-layer pages read in parallel only from this many pages on
PARALLEL_TEXT_PAGES = 12
#: pdfminer prints "(cid:123)" for a glyph its font does not map to text
MAX_UNMAPPED_SHARE = 0.1


def _pdfplumber() -> Any:
    try:
        import pdfplumber
    except ImportError as exc:
        raise ConfigError(f"reading PDFs needs pdfplumber: {PDF_HINT}") from exc
    return pdfplumber


def _open(path: Path) -> Any:
    """pdfplumber's PDF, or a PdfError saying why it cannot be read."""
    pdfplumber = _pdfplumber()
    from pdfplumber.utils.exceptions import PdfminerException

    try:
        pdf = pdfplumber.open(path)
    except PdfminerException as exc:
        cause = exc.args[0] if exc.args else exc
        name = type(cause).__name__
        if "Password" in name or "Encrypt" in name:
            raise PdfError("the PDF is encrypted: save an unprotected copy and retry", path=path) from exc
        raise PdfError(f"corrupt or unreadable PDF ({name}: {cause})", path=path) from exc
    except Exception as exc:  # pdfminer raises bare errors on garbage
        raise PdfError(f"corrupt or unreadable PDF ({type(exc).__name__}: {exc})", path=path) from exc
    try:
        count = len(pdf.pages)
    except Exception as exc:
        pdf.close()
        raise PdfError(f"corrupt PDF: its page tree cannot be read ({exc})", path=path) from exc
    if count == 0:
        pdf.close()
        raise PdfError("the PDF has no pages", path=path)
    return pdf


# ---------------------------------------------------------------- one page


def _readable_chars(page: Any) -> list[dict[str, Any]]:
    return [c for c in page.chars if str(c.get("text", "")).strip()]


def has_text_layer(page: Any) -> bool:
    """True when the page's own text can be used instead of OCR."""
    chars = _readable_chars(page)
    if not chars:
        return False
    unmapped = sum(1 for c in chars if str(c["text"]).startswith("(cid:") or c["text"] == "\ufffd")
    if unmapped > MAX_UNMAPPED_SHARE * len(chars):
        return False
    if len(chars) < SCAN_STAMP_CHARS:
        area = float(page.width * page.height) or 1.0
        covered = sum(float(i["width"] * i["height"]) for i in page.images)
        return covered < 0.5 * area
    return True


def _text_page(page: Any, number: int) -> PageResult:
    started = time.perf_counter()
    boxes = [
        Box(str(c["text"]), Rect(float(c["x0"]), float(c["top"]), float(c["x1"]), float(c["bottom"])))
        for c in _readable_chars(page)
    ]
    cells = [Rect(*map(float, cell)) for table in page.find_tables() for cell in table.cells]
    rows = page_rows(PageText(boxes=boxes, cells=cells, tolerance=2.0))
    note = f"text layer: {len(boxes)} characters, {len(cells)} ruled cells"
    return PageResult(number=number, rows=rows, method="text", notes=[note], seconds=time.perf_counter() - started)


def _raster(path: Path, index: int, settings: Settings) -> tuple[Any, float]:
    """The page as a grey array at ``ocr_dpi`` (lowered to stay within
    ``max_image_pixels``), and the points-per-pixel scale."""
    try:
        import pypdfium2 as pdfium  # type: ignore[import-untyped]
    except ImportError as exc:
        raise ConfigError(f"OCR of scanned PDF pages needs pypdfium2: {PDF_HINT}", path=path, page=index + 1) from exc
    document = pdfium.PdfDocument(str(path))
    try:
        page = document[index]
        width, height = page.get_size()
        dpi = float(settings.ocr_dpi)
        pixels = width * height * (dpi / 72) ** 2
        if pixels > settings.max_image_pixels:
            dpi *= (settings.max_image_pixels / pixels) ** 0.5
        bitmap = page.render(scale=dpi / 72, grayscale=True)
        array = bitmap.to_numpy()
    finally:
        document.close()
    if array.ndim == 3:
        array = array[:, :, 0]
    return array.copy(), 72 / dpi


def _scan_page(path: Path, index: int, settings: Settings, threads: int) -> PageResult:
    from crossfoot.ingest.ocr import ocr_page

    image, scale = _raster(path, index, settings)
    try:
        return ocr_page(image, settings, number=index + 1, scale=scale, threads=threads)
    except CrossfootError:
        raise
    except Exception as exc:  # an engine failure must not sink the batch
        raise PdfError(f"OCR failed ({type(exc).__name__}: {exc})", path=path, page=index + 1) from exc


@dataclass
class _Chunk:
    """Consecutive pages for one worker, which opens the PDF once."""

    path: str
    indexes: list[int]
    settings: Settings
    threads: int


def _read_chunk(chunk: _Chunk) -> list[PageResult]:
    path = Path(chunk.path)
    pdf = _open(path)
    try:
        return _read_pages(pdf, chunk)
    finally:
        pdf.close()


def _read_pages(pdf: Any, chunk: _Chunk) -> list[PageResult]:
    """The chunk's pages from an open PDF."""
    path = Path(chunk.path)
    results: list[PageResult] = []
    for index in chunk.indexes:
        try:
            page = pdf.pages[index]
            text = has_text_layer(page)
            result = _text_page(page, index + 1) if text else None
        except Exception as exc:  # a page pdfminer cannot parse
            raise PdfError(f"cannot read the page ({type(exc).__name__}: {exc})", path=path, page=index + 1) from exc
        if result is None:
            result = _scan_page(path, index, chunk.settings, chunk.threads)
        results.append(result)
    return results


def _pages_without_text(path: Path) -> int:
    """Pages with no text at all (scans), counted cheaply with pdfium."""
    try:
        import pypdfium2 as pdfium
    except ImportError:
        return 0
    try:
        document = pdfium.PdfDocument(str(path))
    except Exception:  # pdfplumber opened it; pdfium's opinion is only a hint
        return 0
    try:
        return sum(1 for page in document if page.get_textpage().count_chars() == 0)
    finally:
        document.close()


def _worker_count(path: Path, count: int, settings: Settings) -> int:
    """Starting a worker costs about a second; it pays for OCR pages (seconds
    each), and for text pages (a tenth of a second each) only by the dozen."""
    if settings.workers <= 1 or count <= 1:
        return 1
    if count >= PARALLEL_TEXT_PAGES or _pages_without_text(path) >= 2:
        return min(settings.workers, count)
    return 1


def _chunks(path: Path, count: int, settings: Settings) -> list[_Chunk]:
    workers = _worker_count(path, count, settings)
    threads = threads_per_worker(workers, count)
    size = -(-count // workers)
    return [
        _Chunk(str(path), list(range(start, min(start + size, count))), settings, threads)
        for start in range(0, count, size)
    ]


def read_pdf(path: Path, settings: Settings) -> Document:
    """Read every page of a PDF into one Document (kind "pdf", or "scan"
    when any page had to be OCR'd)."""
    data = path.read_bytes()
    pdf = _open(path)
    try:
        count = len(pdf.pages)
        chunks = _chunks(path, count, settings)
        if len(chunks) == 1:  # read here from the PDF already open: opening parses it again
            pages = _read_pages(pdf, chunks[0])
    finally:
        pdf.close()
    if len(chunks) > 1:
        pages = [page for chunk in map_pages(_read_chunk, chunks, len(chunks)) for page in chunk]
    scanned = [p.number for p in pages if p.method != "text"]
    notes = [f"PDF, {count} page(s)" + (f"; OCR on page(s) {', '.join(map(str, scanned))}" if scanned else "")]
    return assemble(
        path=str(path),
        sha256=hashlib.sha256(data).hexdigest(),
        kind="scan" if scanned else "pdf",
        pages=pages,
        notes=notes,
    )
