"""Page images of a stored source file, for the form page (issue 11, item 4).

A scan or PDF keeps only its lines in the store; the page a reviewer wants
to compare against is rendered on demand from the source file and cached as
PNG under ``Settings.review_image_cache``, keyed by the document's sha256,
the page and the resolution (the bytes, not the path: a moved copy of the
same file hits the same cache).

The stored path is never trusted blindly. Before anything is shown, the file
must lie under one of the folders this review serves (``roots``; symlinks
resolved), must exist, and must still hash to the sha256 the store recorded
when it was loaded. Each failure is a ``SourceUnavailable`` with a one-line
message the page shows in place of the image. Verifying re-hashes a file only
when its size or modification time changed.

Boxes in provenance are in PDF points (PDF pages) or image pixels (image
scans); ``page_sizes`` gives each page's size in those same units, so an
overlay scaled to the image needs no other conversion. OCR read a tilted
scan *straightened* (``ocr_grid.analyse_page``: rotated about its centre,
same size), so its boxes sit on the straightened page: a page is shown
straightened the same way, with the same skew estimate, or a 1° tilt would
put the boxes at the bottom of an A4 page twenty pixels off their values.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from crossfoot.errors import CrossfootError
from crossfoot.files import file_sha256, write_atomically
from crossfoot.review.store import Store, get_form, sqlite_path
from crossfoot.review.tables import DocumentRow

__all__ = ["PageSize", "SourceImages", "SourceUnavailable", "is_pdf", "served_roots", "source_of"]

#: resolution a PDF page is rendered at (crisp at 2x zoom of a ~600 px pane)
PDF_DPI = 144
#: an image scan is shown at most this wide (its boxes stay in its own pixels)
IMAGE_MAX_WIDTH = 1800
_HASH_CHUNK = 1 << 20


class SourceUnavailable(CrossfootError):
    """The source file cannot be shown: outside the served folders, missing,
    changed since it was loaded, or unreadable."""


@dataclass(frozen=True)
class PageSize:
    """One page's size in the units of its provenance boxes."""

    number: int
    width: float
    height: float


def is_pdf(path: Path) -> bool:
    with path.open("rb") as handle:
        return handle.read(5) == b"%PDF-"


class SourceImages:
    """Verified page images of the store's source files."""

    def __init__(self, cache_dir: Path, roots: Sequence[Path], *, max_pixels: int = 60_000_000) -> None:
        self.cache_dir = cache_dir
        self.roots = tuple(root.resolve() for root in roots)
        self.max_pixels = max_pixels
        # resolved path -> (size, mtime_ns, sha256): re-hash only a file that changed
        self._verified: dict[str, tuple[int, int, str]] = {}
        self._lock = threading.Lock()

    # ------------------------------------------------------------ verifying
    def locate(self, stored: str, sha256: str) -> Path:
        """The file behind a stored path, checked; SourceUnavailable if it cannot be trusted."""
        path = Path(stored)
        candidates = [path] if path.is_absolute() else [root / path for root in self.roots]
        inside = [c.resolve() for c in candidates if self._inside(c.resolve())]
        if not inside:
            served = ", ".join(str(r) for r in self.roots) or "none"
            raise SourceUnavailable(
                f"the source file is outside the folders this review serves ({served}); "
                "start `crossfoot review` in the folder `crossfoot run` was run in",
                path=stored,
            )
        found = next((c for c in inside if c.is_file()), None)
        if found is None:
            raise SourceUnavailable(
                "the source file is not there any more (moved or deleted?); its lines are still shown",
                path=stored,
            )
        if self._hash_of(found) != sha256:
            raise SourceUnavailable(
                "the source file changed since it was loaded (its sha256 differs); "
                "re-run `crossfoot run` on it, or put the original back",
                path=stored,
            )
        return found

    def _inside(self, resolved: Path) -> bool:
        return any(resolved.is_relative_to(root) for root in self.roots)

    def _hash_of(self, path: Path) -> str:
        stat = path.stat()
        key = str(path)
        with self._lock:
            known = self._verified.get(key)
        if known is not None and known[:2] == (stat.st_size, stat.st_mtime_ns):
            return known[2]
        digest = file_sha256(path)
        with self._lock:
            self._verified[key] = (stat.st_size, stat.st_mtime_ns, digest)
        return digest

    # ------------------------------------------------------------ pages
    def page_sizes(self, stored: str, sha256: str) -> list[PageSize]:
        """Every page's size in its boxes' units (cached beside the PNGs)."""
        source = self.locate(stored, sha256)
        cached = self.cache_dir / f"{sha256}.pages.json"
        if cached.is_file():
            try:
                return [PageSize(*row) for row in json.loads(cached.read_text(encoding="utf-8"))]
            except (ValueError, TypeError):
                pass  # a damaged cache entry is measured again
        sizes = self._measure(source)
        rows = [[s.number, s.width, s.height] for s in sizes]
        write_atomically(cached, json.dumps(rows).encode())
        return sizes

    def render(self, stored: str, sha256: str, page: int) -> Path:
        """The cached PNG of ``page`` (1-based), rendered on first use."""
        source = self.locate(stored, sha256)
        pdf = is_pdf(source)
        variant = f"{PDF_DPI}dpi-s" if pdf else f"w{IMAGE_MAX_WIDTH}-s"  # -s: straightened as OCR read it
        target = self.cache_dir / f"{sha256}-p{page}-{variant}.png"
        if target.is_file():
            return target
        data = self._render_pdf(source, page) if pdf else self._render_image(source, page)
        write_atomically(target, data)  # a reader never sees half a PNG
        return target

    def _measure(self, source: Path) -> list[PageSize]:
        if is_pdf(source):
            pdfium = _pdfium(source)
            document = pdfium.PdfDocument(str(source))
            try:
                return [PageSize(n, *map(float, document[n - 1].get_size())) for n in range(1, len(document) + 1)]
            finally:
                document.close()
        sizes: list[PageSize] = []
        with self._open_image(source) as image:
            for number in range(1, getattr(image, "n_frames", 1) + 1):
                image.seek(number - 1)
                sizes.append(PageSize(number, float(image.width), float(image.height)))
        return sizes

    def _render_pdf(self, source: Path, page: int) -> bytes:
        pdfium = _pdfium(source)
        document = pdfium.PdfDocument(str(source))
        try:
            if not 1 <= page <= len(document):
                raise SourceUnavailable(f"no page {page} (the PDF has {len(document)})", path=str(source), page=page)
            width, height = document[page - 1].get_size()
            scale = PDF_DPI / 72
            if width * height * scale * scale > self.max_pixels:
                scale = (self.max_pixels / (width * height)) ** 0.5
            image = document[page - 1].render(scale=scale).to_pil()
        finally:
            document.close()
        return _png(_straightened(image))

    def _render_image(self, source: Path, page: int) -> bytes:
        with self._open_image(source) as image:
            frames = getattr(image, "n_frames", 1)
            if not 1 <= page <= frames:
                raise SourceUnavailable(f"no page {page} (the image has {frames})", path=str(source), page=page)
            image.seek(page - 1)
            frame = _straightened(image.convert("L" if image.mode in ("1", "L", "I;16") else "RGB"))
        if frame.width > IMAGE_MAX_WIDTH:
            height = round(frame.height * IMAGE_MAX_WIDTH / frame.width)
            frame = frame.resize((IMAGE_MAX_WIDTH, height))
        return _png(frame)

    def _open_image(self, source: Path) -> Any:  # PIL.Image.Image
        try:
            from PIL import Image
        except ImportError as exc:
            hint = "showing scans needs Pillow: pip install 'crossfoot[ocr]'"
            raise SourceUnavailable(hint, path=str(source)) from exc

        try:
            image = Image.open(source)  # lazy: the size is known before any pixel is decoded
        except (OSError, Image.DecompressionBombError) as exc:
            raise SourceUnavailable(f"cannot open the image ({exc})", path=str(source)) from exc
        if image.width * image.height > self.max_pixels:
            image.close()
            raise SourceUnavailable(
                f"image is {image.width}×{image.height} pixels, over max_image_pixels ({self.max_pixels:,})",
                path=str(source),
            )
        return image


def _pdfium(source: Path) -> Any:  # the pypdfium2 module
    try:
        import pypdfium2 as pdfium  # type: ignore[import-untyped]
    except ImportError as exc:
        raise SourceUnavailable(
            "showing PDF pages needs pypdfium2: pip install 'crossfoot[pdf]'", path=str(source)
        ) from exc
    return pdfium


def _straightened(image: Any) -> Any:  # PIL.Image.Image -> PIL.Image.Image
    """The page turned as OCR turned it before reading (a text-layer PDF page
    measures no tilt and is left alone). Without OpenCV (the ocr extra) the
    page is shown as it is."""
    try:
        import cv2
        import numpy as np

        from crossfoot.ingest.ocr_grid import MIN_SKEW_DEG, estimate_skew
    except ImportError:
        return image
    from PIL import Image

    pixels = np.asarray(image)
    # the same grey page and the same estimate OCR used (ingest/ocr.py _frames,
    # analyse_page), so the boxes it reported sit on the turned page exactly
    skew = estimate_skew(np.asarray(image.convert("L")))
    if abs(skew) < MIN_SKEW_DEG:
        return image
    height, width = pixels.shape[:2]
    matrix = cv2.getRotationMatrix2D((width / 2, height / 2), skew, 1.0)
    white = 255 if pixels.ndim == 2 else (255,) * pixels.shape[2]
    turned = cv2.warpAffine(pixels, matrix, (width, height), flags=cv2.INTER_CUBIC, borderValue=white)
    return Image.fromarray(turned)


def _png(image: Any) -> bytes:  # PIL.Image.Image
    import io

    out = io.BytesIO()
    image.save(out, format="PNG", optimize=False, compress_level=6)
    return out.getvalue()


def served_roots(store: Store) -> list[Path]:
    """The folders whose files the review may show: the working folder (where
    `crossfoot run` resolved relative paths) and a SQLite store's own folder."""
    roots = [Path.cwd()]
    database = sqlite_path(store.url)
    if database is not None:
        roots.append(database.resolve().parent)
    return roots


def source_of(store: Store, form_id: int) -> tuple[str, str]:
    """The stored path and sha256 of a form's document (StoreError if no such form)."""
    with store.read() as session:
        form = get_form(session, form_id)
        document = session.get(DocumentRow, form.document_id)
        assert document is not None
        return document.path, document.sha256
