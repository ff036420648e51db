"""Scanned pages and images -> Document, through OCR.

One page goes: straighten and find the ruled cells (``ocr_grid``), read the
text with the configured engine (``ocr_engines``), place the text in rows and
cells exactly as a PDF's characters are placed (``layout``), then repair the
digit confusions OCR is known for (``ocr_numbers``). Every cell keeps its box
and its OCR confidence, which provenance carries to review.

Images (PNG, JPEG, TIFF — every frame of a multi-page TIFF) are read here;
scanned PDF pages are rasterised by ``crossfoot.ingest.pdf`` and come through
:func:`ocr_page`.
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from crossfoot.errors import ConfigError, CrossfootError, EmptyInputError, ImageError
from crossfoot.ingest.document import Cell, Document
from crossfoot.ingest.layout import Box, PageText, Row, page_rows, split_across
from crossfoot.ingest.ocr_engines import OCR_HINT, OcrEngine, make_engine
from crossfoot.ingest.ocr_numbers import repair_text
from crossfoot.ingest.pages import PageResult, assemble, map_pages, threads_per_worker
from crossfoot.settings import Settings

if TYPE_CHECKING:
    from crossfoot.ingest.ocr_grid import PageGeometry

__all__ = ["OcrEngine", "engine_for", "ocr_page", "read_image"]

_ENGINES: dict[tuple[str, int], OcrEngine] = {}


def engine_for(settings: Settings, threads: int = 0) -> OcrEngine:
    """The configured engine, loaded once per process (models take a while)."""
    key = (settings.ocr_engine, threads)
    if key not in _ENGINES:
        _ENGINES[key] = make_engine(settings.ocr_engine, threads=threads)
    return _ENGINES[key]


def _scaled(cell: Cell, scale: float) -> Cell:
    if cell.bbox is None or scale == 1.0:
        return cell
    x0, top, x1, bottom = cell.bbox
    box = (round(x0 * scale, 2), round(top * scale, 2), round(x1 * scale, 2), round(bottom * scale, 2))
    return cell.model_copy(update={"bbox": box})


#: confidence given to a repaired number that is a likely reading, not a sure one
DOUBTFUL_CONFIDENCE = 0.5


def _repaired(rows: list[Row], scale: float) -> tuple[list[Row], list[str]]:
    """Rows with digit confusions repaired and boxes in the caller's units.

    A doubtful repair keeps the repaired text but a confidence low enough to
    send the cell to review.
    """
    notes: list[str] = []
    out: list[Row] = []
    for n, row in enumerate(rows, start=1):
        cells: list[Cell] = []
        for cell in row.cells:
            fixed = repair_text(cell.text)
            if fixed.text != cell.text:
                doubt = " (doubtful: sent to review)" if fixed.doubtful else ""
                notes.append(f"row {n}: OCR text {cell.text!r} read as {fixed.text!r}{doubt}")
                update: dict[str, object] = {"text": fixed.text}
                if fixed.doubtful:
                    known = cell.confidence if cell.confidence is not None else 1.0
                    update["confidence"] = min(known, DOUBTFUL_CONFIDENCE)
                cell = cell.model_copy(update=update)
            cells.append(_scaled(cell, scale))
        out.append(Row(top=row.top * scale, cells=cells))
    return out, notes


def _recover_missed(geometry: PageGeometry, boxes: list[Box], engine: OcrEngine) -> list[Box]:
    """Re-read ruled cells that hold print but got no text item.

    Text detection passes over a lone small mark — the "0" or "5" alone in a
    cell — more often than over anything else, and those are exactly the
    numbers that matter. Such a cell is cropped to its print and recognised
    as one line.
    """
    import statistics

    from crossfoot.ingest.ocr_grid import ink_box

    if not geometry.cells or not boxes:
        return []
    typical = statistics.median(b.rect.height for b in boxes)
    taken = [False] * len(geometry.cells)
    # placed as layout places them: an item read across two cells holds
    # text for both, and neither may be read a second time
    for box in boxes:
        for piece in split_across(box, geometry.cells):
            for i, cell in enumerate(geometry.cells):
                if cell.contains(piece.cx, piece.cy):
                    taken[i] = True
    found: list[Box] = []
    pad = max(2, int(typical * 0.25))
    for cell, used in zip(geometry.cells, taken, strict=True):
        if used:
            continue
        ink = ink_box(geometry.image, cell, min_height=0.4 * typical)
        if ink is None:
            continue
        top, bottom = max(0, int(ink.top) - pad), int(ink.bottom) + pad
        left, right = max(0, int(ink.x0) - pad), int(ink.x1) + pad
        read = engine.read_line(geometry.image[top:bottom, left:right])
        if read is not None:
            found.append(Box(read[0], ink, read[1]))
    return found


def ocr_page(image: Any, settings: Settings, *, number: int = 1, scale: float = 1.0, threads: int = 0) -> PageResult:
    """OCR one page image (numpy array, grey or colour).

    ``scale`` converts pixels to the units the caller reports boxes in
    (PDF points for a scanned PDF page: 72 / dpi).
    """
    from crossfoot.ingest.ocr_grid import analyse_page  # heavy: OpenCV

    started = time.perf_counter()
    engine = engine_for(settings, threads)
    geometry = analyse_page(image)
    boxes = engine.read(geometry.image)
    recovered = _recover_missed(geometry, boxes, engine)
    boxes += recovered
    rows = page_rows(PageText(boxes=boxes, cells=geometry.cells, tolerance=geometry.tolerance))
    rows, notes = _repaired(rows, scale)
    notes.insert(
        0,
        f"OCR ({engine.name}): straightened by {geometry.skew_deg:.2f}°, "
        f"{len(geometry.cells)} ruled cells, {len(boxes)} text items"
        + (f" ({len(recovered)} re-read in cells detection missed)" if recovered else ""),
    )
    return PageResult(number=number, rows=rows, method=engine.name, notes=notes, seconds=time.perf_counter() - started)


# ---------------------------------------------------------------- images


@dataclass
class _ImageJob:
    path: str
    number: int
    frame: Any  # grey numpy array
    settings: Settings
    threads: int


def _ocr_job(job: _ImageJob) -> PageResult:
    try:
        return ocr_page(job.frame, job.settings, number=job.number, threads=job.threads)
    except CrossfootError:
        raise
    except Exception as exc:  # an engine failure must not sink the batch
        raise ImageError(f"OCR failed ({type(exc).__name__}: {exc})", path=job.path, page=job.number) from exc


def _frames(path: Path, settings: Settings) -> list[Any]:
    """Every frame of the image as a grey array; size checked before decoding."""
    try:
        import numpy as np
        from PIL import Image, ImageSequence, UnidentifiedImageError
    except ImportError as exc:
        raise ConfigError(f"reading images needs Pillow and NumPy: {OCR_HINT}", path=path) from exc
    frames: list[Any] = []
    try:
        with Image.open(path) as image:
            for number, frame in enumerate(ImageSequence.Iterator(image), start=1):
                width, height = frame.size
                if width * height > settings.max_image_pixels:
                    raise ImageError(
                        f"image is {width}×{height} = {width * height:,} pixels, over the limit of "
                        f"{settings.max_image_pixels:,} (max_image_pixels); scan at 200-300 dpi",
                        path=path,
                        page=number,
                    )
                frames.append(np.asarray(frame.convert("L")))
    except Image.DecompressionBombError as exc:
        raise ImageError(f"image too large to open safely ({exc})", path=path, page=1) from exc
    except UnidentifiedImageError as exc:
        raise ImageError("not an image Pillow can read (corrupt or unsupported format)", path=path) from exc
    except (OSError, SyntaxError, ValueError) as exc:
        page = len(frames) + 1
        raise ImageError(f"cannot decode the image: {exc}", path=path, page=page) from exc
    if not frames:
        raise ImageError("the image has no frames", path=path)
    return frames


def read_image(path: Path, settings: Settings) -> Document:
    """OCR an image file (each TIFF frame is a page) into a Document."""
    data = path.read_bytes()
    if not data:
        raise EmptyInputError("empty file", path=path)
    frames = _frames(path, settings)
    threads = threads_per_worker(settings.workers, len(frames))
    jobs = [_ImageJob(str(path), n, frame, settings, threads) for n, frame in enumerate(frames, start=1)]
    pages = map_pages(_ocr_job, jobs, settings.workers)
    return assemble(
        path=str(path),
        sha256=hashlib.sha256(data).hexdigest(),
        kind="scan",
        pages=pages,
        notes=[f"image, {len(frames)} page(s), OCR engine {settings.ocr_engine}"],
    )
