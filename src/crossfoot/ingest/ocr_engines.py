"""The OCR engines behind one small protocol: an image in, text boxes out.

* ``rapidocr`` (default): RapidOCR 3 with the PP-OCRv6 small Chinese models
  inside the ``rapidocr`` wheel, run offline on ONNX Runtime (no download:
  the wheel's own model files are found first). Gives a box, the text and a
  confidence for every character.
* ``tesseract``: Debian's ``tesseract-ocr`` with ``chi_sim``, run as a
  command. Weaker on degraded scans; kept as the second opinion and for
  machines where ONNX Runtime is not wanted.

Engines see a straightened grey page with its rulings painted out (see
``ocr_grid``); they never place text in cells themselves.
"""

from __future__ import annotations

import shutil
import subprocess
from typing import Any, Protocol, runtime_checkable

from crossfoot.errors import ConfigError, ImageError
from crossfoot.ingest.layout import Box, Rect

__all__ = ["OCR_HINT", "OcrEngine", "RapidOcrEngine", "TesseractEngine", "make_engine"]

OCR_HINT = "pip install 'crossfoot[ocr]'"
TESSERACT_HINT = "apt-get install tesseract-ocr tesseract-ocr-chi-sim"

Image = Any  # numpy.ndarray (grey, uint8)

#: the narrowest input the recogniser gets (pixels at 48 px high); see
#: benchmarks/bench_ocr.py and the note of issue 12 for what it was chosen by
REC_MIN_WIDTH = 160


@runtime_checkable
class OcrEngine(Protocol):
    """Reads the text on one page image."""

    name: str

    def read(self, image: Image) -> list[Box]:
        """Text items with boxes in image pixels and confidences in 0..1."""
        ...

    def read_line(self, image: Image) -> tuple[str, float] | None:
        """The text of a crop known to hold one line (no detection step)."""
        ...


class RapidOcrEngine:
    """RapidOCR 3 (PP-OCRv6 small, ONNX Runtime), models shipped in the wheel.

    Measured against rapidocr-onnxruntime 1.4.4 (PP-OCRv4) through this same
    page pipeline on both corpus renderers: 12-23% less CPU per page and
    fewer misread characters, numbers as exact as before.
    """

    name = "rapidocr"

    def __init__(self, threads: int = 0) -> None:
        try:
            from rapidocr import RapidOCR
        except ImportError as exc:
            raise ConfigError(f"the rapidocr OCR engine is not installed: {OCR_HINT}") from exc
        params: dict[str, Any] = {
            # the library logs at INFO to stderr; crossfoot's library code is quiet
            "Global.log_level": "error",
            # recognition sees the page at full size: the default 2000 px
            # would shrink an A4 page at 200 dpi, and small print with it
            "Global.max_side_len": 4000,
            # keep weak readings: they become review findings, not silence
            "Global.text_score": 0.3,
            # detection needs less: at most 1600 px a side, about twice as fast
            # as full size on a 200 dpi page and finds the same text here
            "Det.limit_type": "max",
            "Det.limit_side_len": 1600,
            # one text line per run: batches pad every line to the widest one,
            # which cost a third more time on these pages
            "Rec.rec_batch_num": 1,
            # The recogniser pads every crop to at least this width (the
            # library's default is 320 px at 48 px high); most crops here are a
            # short number, so the padding was half of all recognition work.
            "Rec.rec_img_shape": [3, 48, REC_MIN_WIDTH],
            # One thread per session unless the caller gives a page more cores:
            # onnxruntime's default (every core) cost 1.58x the CPU for 1.13x the
            # speed here; pages run in parallel in worker processes instead.
            "EngineConfig.onnxruntime.intra_op_num_threads": max(1, threads),
            "EngineConfig.onnxruntime.inter_op_num_threads": 1,
        }
        self._ocr = RapidOCR(params=params)

    def read(self, image: Image) -> list[Box]:
        import cv2

        colour = cv2.cvtColor(image, cv2.COLOR_GRAY2BGR) if image.ndim == 2 else image
        # Every switch is given on every call: the library keeps the last
        # call's switches (a read_line's use_det=False) for the next one.
        # The angle classifier turns a lone "9" or ">=90%" upside down ("6",
        # "%06=<"); a straightened form has no upside-down text to find.
        result: Any = self._ocr(
            colour, use_det=True, use_cls=False, use_rec=True, return_word_box=True, return_single_char_box=True
        )
        texts = getattr(result, "txts", None)
        if not texts:
            return []
        words = list(getattr(result, "word_results", ()) or ())
        boxes: list[Box] = []
        for quad, text, score in zip(result.boxes, texts, result.scores, strict=True):
            if not str(text).strip():
                continue
            # the word lists skip a line that got no character boxes, so they
            # are matched to their line by text, not by position
            chars = words[0] if words and _spells(words[0], str(text)) else None
            if chars is not None:
                words.pop(0)
            boxes.append(_rapid_box(quad, str(text), float(score), chars))
        return boxes

    def read_line(self, image: Image) -> tuple[str, float] | None:
        import cv2

        colour = cv2.cvtColor(image, cv2.COLOR_GRAY2BGR) if image.ndim == 2 else image
        result: Any = self._ocr(colour, use_det=False, use_cls=False, use_rec=True, return_word_box=False)
        texts = getattr(result, "txts", None)
        if not texts:
            return None
        text, score = str(texts[0]).strip(), float(result.scores[0])
        return (text, round(score, 4)) if text else None


def _quad_rect(points: Any) -> Rect:
    xs = [float(p[0]) for p in points]
    ys = [float(p[1]) for p in points]
    return Rect(min(xs), min(ys), max(xs), max(ys))


def _spells(chars: Any, text: str) -> bool:
    """Whether RapidOCR's character list spells the line's text."""
    return "".join(str(c[0]) for c in chars).replace(" ", "") == text.replace(" ", "")


def _rapid_box(quad: Any, text: str, score: float, chars: Any | None) -> Box:
    """One RapidOCR line: its quad, text and score, and (char, score, quad) items."""
    parts: tuple[Box, ...] = ()
    confidences: list[float] = []
    if chars:
        items = [(str(ch), float(s), q) for ch, s, q in chars if str(ch).strip() and q is not None]
        confidences = [s for _, s, _ in items]
        parts = tuple(Box(ch, _quad_rect(q), round(s, 4)) for ch, s, q in items)
    # A doubtful digit hides in an average: the weakest character speaks for the item.
    confidence = min(confidences) if confidences else score
    return Box(text.strip(), _quad_rect(quad), round(confidence, 4), parts)


class TesseractEngine:
    """Tesseract 5 with Simplified Chinese, as a command (no Python binding)."""

    name = "tesseract"

    def __init__(self, language: str = "chi_sim", scale: float = 2.0) -> None:
        binary = shutil.which("tesseract")
        if binary is None:
            raise ConfigError(f"the tesseract OCR engine is not installed: {TESSERACT_HINT}")
        self._binary = binary
        self._language = language
        self._scale = scale

    def read(self, image: Image) -> list[Box]:
        return _tesseract_boxes(self._run(image, psm=11), self._scale)

    def read_line(self, image: Image) -> tuple[str, float] | None:
        boxes = _tesseract_boxes(self._run(image, psm=7), self._scale)
        if not boxes:
            return None
        text = "".join(b.text for b in boxes)
        return text, min(b.confidence or 0.0 for b in boxes)

    def _run(self, image: Image, psm: int) -> str:
        import cv2

        # Tesseract wants its print larger than a 150-200 dpi scan gives it.
        big = cv2.resize(image, None, fx=self._scale, fy=self._scale, interpolation=cv2.INTER_CUBIC)
        ok, png = cv2.imencode(".png", big)
        if not ok:
            raise ImageError("cannot encode the page for tesseract")
        command = [self._binary, "stdin", "stdout", "-l", self._language, "--psm", str(psm), "tsv"]
        done = subprocess.run(
            command,
            input=png.tobytes(),
            capture_output=True,
            check=False,
            timeout=300,
            # its own thread pool fights the page workers for the cores
            env={"OMP_THREAD_LIMIT": "1"},
        )
        if done.returncode != 0:
            detail = done.stderr.decode("utf-8", "replace").strip().splitlines()
            raise ImageError(f"tesseract failed: {detail[-1] if detail else done.returncode}")
        return done.stdout.decode("utf-8", "replace")


def _tesseract_boxes(tsv: str, scale: float) -> list[Box]:
    """Words of Tesseract's TSV (level 5 rows), scaled back to page pixels."""
    boxes: list[Box] = []
    for row in tsv.splitlines()[1:]:
        fields = row.split("\t")
        if len(fields) < 12 or fields[0] != "5":
            continue
        text = fields[11].strip()
        conf = float(fields[10])
        if not text or conf < 0:
            continue
        left, top, width, height = (int(v) / scale for v in fields[6:10])
        boxes.append(Box(text, Rect(left, top, left + width, top + height), round(conf / 100, 4)))
    return boxes


def make_engine(name: str, threads: int = 0) -> OcrEngine:
    """The engine called ``name`` ("rapidocr" or "tesseract")."""
    if name == "rapidocr":
        return RapidOcrEngine(threads=threads)
    if name == "tesseract":
        return TesseractEngine()
    raise ConfigError(f"unknown OCR engine {name!r}: use rapidocr or tesseract")
