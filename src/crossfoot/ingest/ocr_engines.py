"""The OCR engines behind one small protocol: an image in, text boxes out.

* ``rapidocr`` (default): PP-OCRv4 Chinese models inside the
  ``rapidocr-onnxruntime`` wheel, run offline on ONNX Runtime. Gives a box,
  the text and a confidence for every character.
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


#: detection input, longest side in pixels (see RapidOcrEngine)
DETECTION_SIDE = 2000
#: a detected item whose recognition scores below this is dropped; weak
#: readings are kept: they become review findings, not silence. (Until
#: issue 12's second stop 0.5 ran, whatever was configured: see read().
#: On the corpus scans 0.3 kept one more right item, "20.00" for "20.0",
#: and changed no eval figure.)
TEXT_SCORE = 0.3
#: recognition pads every line crop to at least this width (at 48 px high)
RECOGNITION_WIDTH = 320


def _keep_memory(ocr: Any) -> None:
    """Sessions that keep their working memory between runs.

    rapidocr builds its sessions with onnxruntime's memory arena off, so
    every run asks the system for fresh memory and the kernel zeroes each
    page of it: on a 300 dpi page that was a fifth of the CPU, as system
    time. The recogniser's runs are small: its arena is kept (some 30 MiB).
    Detection's arena would hold the largest page's working set (about
    500 MiB) for the life of the process, so it is handed back after each
    run, which keeps about half of the saving.
    """
    import onnxruntime as ort  # type: ignore[import-untyped]

    for holder, shrink in ((ocr.text_det.infer, True), (ocr.text_rec.session, False)):
        old = holder.session
        options = old.get_session_options()
        options.enable_cpu_mem_arena = True
        session = ort.InferenceSession(
            old._model_path,  # the model rapidocr resolved inside its wheel
            sess_options=options,
            providers=[("CPUExecutionProvider", {"arena_extend_strategy": "kSameAsRequested"})],
        )
        holder.session = _Shrinking(session) if shrink else session


class _Shrinking:
    """An onnxruntime session whose arena gives its memory back after each run."""

    def __init__(self, session: Any) -> None:
        import onnxruntime as ort

        self._session = session
        self._options = ort.RunOptions()
        self._options.add_run_config_entry("memory.enable_memory_arena_shrinkage", "cpu:0")

    def run(self, names: Any, feed: Any, run_options: Any = None) -> Any:
        return self._session.run(names, feed, run_options or self._options)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._session, name)


class RapidOcrEngine:
    """RapidOCR (PP-OCRv4, ONNX Runtime), models shipped in the wheel."""

    name = "rapidocr"

    def __init__(self, threads: int = 0) -> None:
        try:
            from rapidocr_onnxruntime import RapidOCR  # type: ignore[import-untyped]
        except ImportError as exc:
            raise ConfigError(f"the rapidocr OCR engine is not installed: {OCR_HINT}") from exc
        options: dict[str, Any] = {
            # recognition sees the page at full size: the default 2000 px
            # would shrink an A4 page at 200 dpi, and small print with it
            "max_side_len": 4000,
            # Detection sees at most 2000 px a side. rapidocr 1.4.4 ignores
            # det_limit_side_len under the "max" rule (it takes 960, 1500 or
            # 2000 by the page's size, and shrinks only past 2000), so 2000
            # is what runs; 1600, measured in issue 12's second stop, was 12%
            # cheaper but ran text of neighbouring cells together and lost a
            # lone "0" on the corpus scans.
            "det_limit_type": "max",
            "det_limit_side_len": DETECTION_SIDE,
            "text_score": TEXT_SCORE,
            # one text line per run: batches pad every line to the widest one,
            # which cost a third more time on these pages
            "rec_batch_num": 1,
            "rec_img_shape": [3, 48, RECOGNITION_WIDTH],
        }
        # One thread per session unless the caller gives a page more cores:
        # onnxruntime's default (every core) cost 1.58x the CPU for 1.13x the
        # speed here; pages run in parallel in worker processes instead.
        options["intra_op_num_threads"] = max(1, threads)
        options["inter_op_num_threads"] = 1
        self._ocr = RapidOCR(**options)
        _keep_memory(self._ocr)

    def read(self, image: Image) -> list[Box]:
        import cv2

        colour = cv2.cvtColor(image, cv2.COLOR_GRAY2BGR) if image.ndim == 2 else image
        # The angle classifier turns a lone "9" or ">=90%" upside down ("6",
        # "%06=<"); a straightened form has no upside-down text to find.
        # rapidocr 1.4.4 resets text_score to 0.5 whenever a call passes any
        # option, so the configured threshold is passed again here
        result, _ = self._ocr(colour, use_cls=False, return_word_box=True, text_score=TEXT_SCORE)
        return [_rapid_box(item) for item in result or [] if str(item[1]).strip()]

    def read_line(self, image: Image) -> tuple[str, float] | None:
        import cv2

        colour = cv2.cvtColor(image, cv2.COLOR_GRAY2BGR) if image.ndim == 2 else image
        result, _ = self._ocr(colour, use_det=False, use_cls=False)
        if not result:
            return None
        text, score = str(result[0][0]).strip(), float(result[0][1])
        return (text, round(score, 4)) if text else None


def _quad_rect(points: Any) -> Rect:
    xs = [float(p[0]) for p in points]
    ys = [float(p[1]) for p in points]
    return Rect(min(xs), min(ys), max(xs), max(ys))


def _rapid_box(item: list[Any]) -> Box:
    """One RapidOCR result: [quad, text, score, char quads, chars, char scores]."""
    quad, text, score = item[0], str(item[1]), float(item[2])
    parts: tuple[Box, ...] = ()
    confidences: list[float] = []
    if len(item) >= 6:
        char_quads, chars, char_scores = item[3], item[4], [float(s) for s in item[5]]
        if len(char_scores) == len(text):  # scores include spaces, the chars do not
            char_scores = [s for ch, s in zip(text, char_scores, strict=True) if not ch.isspace()]
        confidences = char_scores
        if len(char_quads) == len(chars) == len(char_scores):
            parts = tuple(
                Box(str(ch), _quad_rect(q), round(s, 4))
                for q, ch, s in zip(char_quads, chars, char_scores, strict=True)
            )
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
