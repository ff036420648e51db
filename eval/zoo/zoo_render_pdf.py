"""Text-layer PDFs drawn two independent ways, and scans of them.

A: reportlab draws its own ruled grid from the blocks (WQY Zen Hei, widths per
template, landscape for the eleven-column templates, merged cells drawn merged,
a merged cell cut by a page break printed on its first part).
B: Chromium prints the clean HTML with its own table layout (AR PL UMing, auto
column widths, the browser's wrapping and page breaks).
Scans rasterise either PDF with pypdfium2 at 150-300 dpi and degrade it with the
corpus's scanner model (eval/corpus/generate.py: skew, blur, grain, JPEG).
"""

from __future__ import annotations

import importlib.util
import io
import random
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import zoo_render_native as native
from zoo_forms import Form
from zoo_layout import Block, PageBreak, Para, Span, Table

_spec = importlib.util.spec_from_file_location(
    "corpus_generate", Path(__file__).resolve().parents[1] / "corpus" / "generate.py"
)
assert _spec is not None and _spec.loader is not None
corpus = importlib.util.module_from_spec(_spec)
sys.modules["corpus_generate"] = corpus  # its dataclasses look their module up
_spec.loader.exec_module(corpus)

FONT = corpus.FONT
MARGIN = 36.0
SIZE = 7.5
LEADING = 1.25
PAD = 2.5
SCAN_DPIS = (150, 200, 300)


def _page_size(blocks: list[Block]) -> tuple[float, float]:
    wide = any(isinstance(b, Table) and b.n_cols >= 11 for b in blocks)
    w, h = corpus.PAGE_W, corpus.PAGE_H
    return (h, w) if wide else (w, h)


def _col_widths(t: Table, usable: float) -> list[float]:
    total = sum(t.widths)
    return [w / total * usable for w in t.widths]


def _row_heights(t: Table, widths: list[float], size: float, pad: float) -> list[float]:
    """Row heights; ``pad`` is the vertical padding of a cell."""
    line_h = size * LEADING
    heights = [line_h + 2 * pad] * t.n_rows
    for span in sorted(t.spans, key=lambda s: s.rows):
        width = sum(widths[span.col : span.col + span.cols]) - 2 * PAD
        need = len(corpus._wrap(span.text, width, size)) * line_h + 2 * pad
        have = sum(heights[span.row : span.row + span.rows])
        if need > have:
            heights[span.row + span.rows - 1] += need - have
    return heights


def _draw_span(c: Any, span: Span, x: float, top: float, width: float, height: float, size: float) -> None:
    line_h = size * LEADING
    lines = corpus._wrap(span.text, width - 2 * PAD, size)
    y = top - (height - len(lines) * line_h) / 2 - size * 1.02
    c.setFont(FONT, size)
    for line in lines:
        if span.align == "l":
            c.drawString(x + PAD, y, line)
        else:
            c.drawCentredString(x + width / 2, y, line)
        y -= line_h


def render_reportlab(
    blocks: list[Block], out: Path, title: str, size: float = SIZE, pad: float = PAD, running: bool = False
) -> int:
    """Renderer A; returns the page count. A larger ``size`` makes a long form run
    over a page break (rows are never split; a merged label cut by the break
    prints on its first part only). ``running`` prints the document title as a
    page header and ``- n -`` as a footer on every page, as many offices do."""
    from reportlab.pdfgen import canvas

    corpus._register_font()
    page_w, page_h = _page_size(blocks)
    usable = page_w - 2 * MARGIN
    c = canvas.Canvas(str(out), pagesize=(page_w, page_h), invariant=1)
    c.setTitle(title)
    pages = 1
    y = page_h - MARGIN

    def furniture() -> None:
        if running:
            c.setFont(FONT, 7.0)
            c.drawRightString(page_w - MARGIN, page_h - MARGIN / 2, title)
            c.drawCentredString(page_w / 2, MARGIN / 2, f"- {pages} -")

    def new_page() -> float:
        nonlocal pages
        c.showPage()
        pages += 1
        furniture()
        return page_h - MARGIN

    furniture()

    for block in blocks:
        if isinstance(block, PageBreak):
            y = new_page()
            continue
        if isinstance(block, Para):
            psize = {"title": 15.0, "sub": 10.5, "note": 7.5}.get(block.style, 9.0)
            for line in corpus._wrap(block.text, usable, psize):
                if y - psize * 1.6 < MARGIN:
                    y = new_page()
                c.setFont(FONT, psize)
                y -= psize * 1.5
                if block.style in ("title", "sub"):
                    c.drawCentredString(page_w / 2, y, line)
                elif block.style == "right":
                    c.drawRightString(page_w - MARGIN, y, line)
                else:
                    c.drawString(MARGIN, y, line)
            y -= 4
            continue
        widths = _col_widths(block, usable)
        xs = [MARGIN + sum(widths[:i]) for i in range(block.n_cols + 1)]
        heights = _row_heights(block, widths, size, pad)
        row_top: dict[int, tuple[int, float]] = {}
        page_rows: list[list[int]] = [[]]
        for r, h in enumerate(heights):
            if y - h < MARGIN and page_rows[-1]:
                page_rows.append([])
                y = page_h - MARGIN
            row_top[r] = (len(page_rows) - 1, y)
            page_rows[-1].append(r)
            y -= h
        for number, rows in enumerate(page_rows):
            if number:
                new_page()
            c.setLineWidth(0.7)
            for span in block.spans:
                covered = [r for r in range(span.row, span.row + span.rows) if row_top[r][0] == number]
                if not covered:
                    continue
                x, width = xs[span.col], xs[span.col + span.cols] - xs[span.col]
                top = row_top[covered[0]][1]
                height = sum(heights[r] for r in covered)
                c.rect(x, top - height, width, height, stroke=1, fill=0)
                if covered[0] == span.row and span.text:
                    _draw_span(c, span, x, top, width, height, size)
            # empty grid places are ruled too
            for r in rows:
                for col in range(block.n_cols):
                    if not any(s.row <= r < s.row + s.rows and s.col <= col < s.col + s.cols for s in block.spans):
                        c.rect(xs[col], row_top[r][1] - heights[r], xs[col + 1] - xs[col], heights[r])
        y -= 6
    c.showPage()
    c.save()
    return pages


CHROMIUM_CSS = (
    "body{font-family:'AR PL UMing CN',serif;font-size:10pt;margin:0}"
    "table{width:100%;border-collapse:collapse;page-break-inside:auto}"
    "tr{page-break-inside:avoid} td{border:0.8px solid #222;padding:3px 5px;font-size:9.5pt}"
    "h3{font-size:17pt;font-weight:normal;margin:6px 0}"
    "@page{size:A4;margin:14mm 12mm}"
)


def render_chromium(blocks: list[Block], out: Path, title: str) -> bool:
    """Renderer B; False when Chromium is not installed."""
    binary = shutil.which("chromium") or shutil.which("chromium-browser")
    if binary is None:
        return False
    with tempfile.TemporaryDirectory() as tmp:
        page = Path(tmp) / "form.html"
        page.write_text(native.html_clean(blocks, title, CHROMIUM_CSS), encoding="utf-8")
        subprocess.run(
            [
                binary,
                "--headless=new",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-dev-shm-usage",
                "--disable-background-networking",
                "--disable-component-update",
                "--no-first-run",
                f"--user-data-dir={tmp}/profile",
                "--no-pdf-header-footer",
                f"--print-to-pdf={out}",
                page.as_uri(),
            ],
            check=True,
            capture_output=True,
            timeout=120,
        )
    return out.exists()


def render_pdfs(
    template: str,
    stem: str,
    forms: list[Form],
    blocks: list[Block],
    out: Path,
    write_golds: Callable[..., None],
    title: str,
) -> list[Path]:
    folder = out / template / "pdf"
    folder.mkdir(parents=True, exist_ok=True)
    made: list[Path] = []
    a = folder / f"{stem}.pdf"
    # the long first document is drawn large so that its indicator table crosses a page break
    size, pad = (8.5, 10.0) if stem.endswith("_d1") else (SIZE, PAD)
    # the long and the multi-form documents carry a running header and page numbers
    pages = render_reportlab(blocks, a, title, size, pad, running=stem.endswith(("_d1", "_d3")))
    write_golds(forms, a, "pdf", [f"renderer A: reportlab ruled grid, {pages} page(s)"])
    made.append(a)
    b = folder / f"{stem}_chromium.pdf"
    if render_chromium(blocks, b, title):
        write_golds(forms, b, "pdf", ["renderer B: Chromium print of the HTML"])
        made.append(b)
    return made


def render_scan(pdf: Path, out_stem: Path, seed: int) -> Path:
    """Rasterise and degrade every page; one JPEG, or an image-only PDF for several pages."""
    import pypdfium2 as pdfium
    from PIL import Image

    out_stem.parent.mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed)
    dpi = rng.choice(SCAN_DPIS)
    quality = rng.randint(45, 70)
    doc = pdfium.PdfDocument(str(pdf))
    jpegs: list[bytes] = []
    try:
        for page in doc:
            bitmap = page.render(scale=dpi / 72, grayscale=True)
            jpegs.append(corpus._jpeg(corpus.degrade(bitmap.to_pil().convert("L"), rng), quality, dpi))
    finally:
        doc.close()
    for stale in out_stem.parent.glob(f"{out_stem.name}.*"):
        stale.unlink()
    if len(jpegs) == 1:
        path = out_stem.with_suffix(".jpg")
        path.write_bytes(jpegs[0])
        return path
    from reportlab.lib.utils import ImageReader
    from reportlab.pdfgen import canvas

    path = out_stem.with_suffix(".pdf")
    first = Image.open(io.BytesIO(jpegs[0]))
    size = (first.width * 72 / dpi, first.height * 72 / dpi)
    c = canvas.Canvas(str(path), pagesize=size, invariant=1)
    for data in jpegs:
        c.drawImage(ImageReader(io.BytesIO(data)), 0, 0, *size)
        c.showPage()
    c.save()
    return path
