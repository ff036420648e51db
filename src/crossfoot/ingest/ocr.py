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
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from crossfoot.errors import ConfigError, CrossfootError, EmptyInputError, ImageError
from crossfoot.ingest.document import Cell, Document
from crossfoot.ingest.layout import Box, PageText, Rect, Row, page_rows, split_across
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
    return replace(cell, bbox=box)


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
                cell = replace(cell, **update)  # type: ignore[arg-type]
            cells.append(_scaled(cell, scale))
        # a row that held only specks would read as a page break (a blank line)
        if any(c.text.strip() for c in cells):
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
        crop = geometry.image[top:bottom, left:right]
        if ink.height > _WRAPPED_LINES * typical:
            # a label wrapped inside its cell (项目名 / 称) is two lines, and
            # one line's recognition reads across both: the crop's own lines
            # are found by detection, top to bottom
            # (a detector can be erratic on a small image — PP-OCRv6's was,
            # in the trial of issue 12 — so the crop is tried as it is and
            # then on a wide margin)
            lines = engine.read(crop) or engine.read(_margined(crop, 2 * int(typical)))
            if lines:
                lines.sort(key=lambda b: (b.rect.top, b.rect.x0))
                text = "".join(line.text for line in lines)
                found.append(Box(text, ink, min(line.confidence or 0.0 for line in lines)))
                continue
        read = engine.read_line(crop)
        if read is not None:
            found.append(Box(read[0], ink, read[1]))
    return found


#: ink taller than this many detected-item heights, in a cell detection
#: passed over, is more than one line (an item's box is about 1.6 times the
#: height of its print: one line of ink is well under one item height)
_WRAPPED_LINES = 1.1


def _margined(crop: Any, margin: int) -> Any:
    """The crop on a paper-coloured margin: a detector finds nothing at the
    very edge of its image."""
    import numpy as np

    paper = int(np.median(crop))
    return np.pad(crop, margin, mode="constant", constant_values=paper)


def _shifted(box: Box, dx: float, dy: float) -> Box:
    rect = Rect(box.rect.x0 + dx, box.rect.top + dy, box.rect.x1 + dx, box.rect.bottom + dy)
    return Box(box.text, rect, box.confidence, tuple(_shifted(part, dx, dy) for part in box.parts))


def _read_page(image: Any, engine: OcrEngine) -> list[Box]:
    """The engine's text items on the page.

    A detector can pass over a lone short line on an otherwise blank page (a
    page number, a grade printed alone on a last page): PP-OCRv6, tried in
    issue 12, found 第1页 at the foot of an empty A4 page only once the page
    was cut down to the part that holds ink. So an empty reading is tried
    once more on that part; a page that has text pays nothing for this.
    """
    from crossfoot.ingest.ocr_grid import ink_box

    boxes = engine.read(image)
    if boxes:
        return boxes
    height, width = image.shape[:2]
    ink = ink_box(image, Rect(0.0, 0.0, float(width), float(height)), min_height=4)
    if ink is None:
        return []
    margin = max(16, int(ink.height))
    top, left = max(0, int(ink.top) - margin), max(0, int(ink.x0) - margin)
    crop = image[top : int(ink.bottom) + margin, left : int(ink.x1) + margin]
    if crop.shape[0] >= height and crop.shape[1] >= width:
        return []  # the ink fills the page: nothing smaller to try
    return [_shifted(box, left, top) for box in engine.read(crop)]


#: marks that never stand alone in these forms; a point and a colon may be
#: the middle of a number split in two ("100 . 00"), a 。 a lone zero
_SPECK_MARKS = frozenset("，,、·：;；'`\"")


def _speck(box: Box) -> bool:
    """A detected item that is one doubtful mark and nothing else: a speck
    of dust or a stub of ruling the detector took for a comma."""
    text = box.text.strip()
    doubtful = box.confidence is not None and box.confidence < 0.8
    return doubtful and bool(text) and all(ch in _SPECK_MARKS for ch in text)


#: a cell this narrow (in text heights) and this much taller than wide holds
#: a label printed down a column: 项/目/资/金, 绩效/指标
_NARROW_CELL = 3.2
_TALL_CELL = 2.5
#: lines a stacked label needs: fewer is a wrapped word, read as it is
_STACKED_LINES = 3


def _ink_lines(image: Any, cell: Rect, typical: float) -> list[Rect]:
    """The text lines inside a cell, top to bottom, each cropped to its ink.

    The whole cell is looked at, edges included: a label packed into a
    narrow column touches them. What is left of a painted-out ruling is a
    pixel row or column inked almost end to end, and is not print.
    """
    import numpy as np

    inset = 2
    top, left = int(cell.top) + inset, int(cell.x0) + inset
    crop = image[top : int(cell.bottom) - inset, left : int(cell.x1) - inset].astype(np.int16)
    if crop.size == 0 or int(crop.max()) - int(crop.min()) < 60:
        return []
    dark = crop < (int(crop.max()) + int(crop.min())) // 2
    dark[dark.mean(axis=1) > 0.8, :] = False
    dark[:, dark.mean(axis=0) > 0.8] = False
    inked = np.flatnonzero(dark.any(axis=1))
    if inked.size == 0:
        return []
    # runs of inked pixel rows; a gap narrower than a stroke's spacing is
    # inside a character (the parts of 二 or 三), not between lines
    runs: list[list[int]] = [[int(inked[0]), int(inked[0])]]
    for y in inked[1:].tolist():
        if y - runs[-1][1] <= max(2, int(0.2 * typical)):
            runs[-1][1] = y
        else:
            runs.append([y, y])
    lines: list[Rect] = []
    for first, last in runs:
        if last - first + 1 < 0.3 * typical:  # a speck or a stray dot
            continue
        cols = np.flatnonzero(dark[first : last + 1].any(axis=0))
        lines.append(Rect(left + float(cols[0]), top + float(first), left + float(cols[-1] + 1), top + float(last + 1)))
    return lines


def _stacked_labels(geometry: PageGeometry, boxes: list[Box], engine: OcrEngine) -> list[Box]:
    """Labels printed down a narrow column, read as the one line they are.

    A detector sees a column of one or two characters a line as a tall item,
    a few separate ones, or nothing (``（元`` under 项目资金 is often missed);
    a lone character loses the context the recogniser needs. The cell's own
    lines are cut out and laid side by side, and the strip is recognised as
    one line: 项目资金（元）, 绩效指标. What the detector had read inside the
    cell is replaced, pieces of items that ran into it from the next cell
    (the 标 of 绩效指标 beside an indicator name) included.
    """
    import statistics

    import numpy as np

    if not geometry.cells or not boxes:
        return boxes
    typical = statistics.median(min(b.rect.height, b.rect.width) for b in boxes)
    found: list[tuple[Rect, Box]] = []
    for cell in geometry.cells:
        if cell.width > _NARROW_CELL * typical or cell.height < _TALL_CELL * cell.width:
            continue
        lines = _ink_lines(geometry.image, cell, typical)
        if len(lines) < _STACKED_LINES:
            continue
        # the recogniser wants room around a line: a character at the very
        # edge of its image is often dropped
        margin = int(typical)
        height = int(max(line.height for line in lines)) + margin
        space = max(2, int(0.25 * typical))
        width = int(sum(line.width for line in lines)) + space * (len(lines) - 1) + 2 * margin
        paper = int(np.median(geometry.image[int(cell.top) : int(cell.bottom), int(cell.x0) : int(cell.x1)]))
        strip = np.full((height, width), paper, dtype=np.uint8)
        x = margin
        for line in lines:
            piece = geometry.image[int(line.top) : int(line.bottom), int(line.x0) : int(line.x1)]
            y = (height - piece.shape[0]) // 2
            strip[y : y + piece.shape[0], x : x + piece.shape[1]] = piece
            x += piece.shape[1] + space
        read = engine.read_line(strip)
        if read is None:
            continue
        ink = Rect(min(r.x0 for r in lines), lines[0].top, max(r.x1 for r in lines), lines[-1].bottom)
        found.append((cell, Box(read[0], ink, read[1])))
    if not found:
        return boxes
    kept: list[Box] = []
    for box in boxes:
        for piece in split_across(box, geometry.cells):
            if not any(cell.contains(piece.cx, piece.cy) for cell, _ in found):
                kept.append(piece)
    return kept + [box for _, box in found]


def _opencv_threads(threads: int) -> None:
    """OpenCV on as many threads as the OCR sessions (one unless a page is
    given more cores): its default, every core, spent more CPU on the ruling
    and cell search of a 300 dpi page (0.36-0.54 s against 0.32 s with one
    thread), and pages run in parallel in worker processes instead."""
    import cv2

    wanted = max(1, threads)
    if cv2.getNumThreads() != wanted:
        cv2.setNumThreads(wanted)


def ocr_page(image: Any, settings: Settings, *, number: int = 1, scale: float = 1.0, threads: int = 0) -> PageResult:
    """OCR one page image (numpy array, grey or colour).

    ``scale`` converts pixels to the units the caller reports boxes in
    (PDF points for a scanned PDF page: 72 / dpi).
    """
    from crossfoot.ingest.ocr_grid import analyse_page  # heavy: OpenCV

    started = time.perf_counter()
    engine = engine_for(settings, threads)
    _opencv_threads(threads)
    geometry = analyse_page(image)
    boxes = [box for box in _read_page(geometry.image, engine) if not _speck(box)]
    recovered = _recover_missed(geometry, boxes, engine)
    boxes = _stacked_labels(geometry, boxes + recovered, engine)
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
