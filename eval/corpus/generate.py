"""Generate the PDF and scan corpus from gold records.

Each gold form (a contract record plus ``_source``/``_alternatives``/``_notes``)
is drawn as a ruled A4 table laid out like the real 自评表 — title, year line,
项目名称 / 主管部门 / 实施单位 rows, the 项目资金 block, goals, the 绩效指标
table with merged 一级/二级 cells, 总分 and 评分等级 — and then "scanned":
rasterised at 150–200 dpi, turned by a slight angle, blurred, noised and saved
with JPEG artefacts. Everything is seeded by the form's name, so a re-run
writes the same bytes.

Output (paths relative to the repository root)::

    eval/corpus/pdf/<name>.pdf   + <name>.json   text-layer PDF
    eval/corpus/scan/<name>.jpg  + <name>.json   one-page scan
    eval/corpus/scan/<name>.pdf  + <name>.json   multi-page scan (image-only PDF)

Each ``.json`` is the gold record with ``_source.file`` pointing at the
generated file and ``_source.form_index`` 0, so the eval harness reads the
folder like any fixtures folder.

Usage::

    .venv/bin/python eval/corpus/generate.py [--gold eval/labels_a] [--out eval/corpus]

Needs reportlab, pypdfium2, pillow, numpy and opencv (``pip install -e '.[pdf,ocr,dev]'``)
and Debian's ``fonts-wqy-zenhei``.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import random
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
FONT_PATH = Path("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc")
FONT = "WQY"

PAGE_W, PAGE_H = 595.27, 841.89  # A4 in points
MARGIN_X, MARGIN_TOP, MARGIN_BOTTOM = 39.0, 48.0, 48.0
#: the nine columns of the real form: label | 一级 | 二级 | 三级 | 指标值 | 完成值 | 分值 | 得分 | 偏差
COLUMNS = (52.0, 52.0, 62.0, 96.0, 62.0, 62.0, 38.0, 38.0, 55.0)
BODY_SIZE = 8.5
LEADING = 1.3
PAD = 3.0
RULE_WIDTH = 0.8

SCAN_DPIS = (150, 150, 200)
MAX_SKEW_DEG = 1.2


@dataclass
class Span:
    """One drawn cell: it covers rows [row, row + rows) and columns [col, col + cols)."""

    row: int
    col: int
    text: str = ""
    rows: int = 1
    cols: int = 1
    align: str = "c"  # c: centred, l: left


@dataclass
class Table:
    spans: list[Span] = field(default_factory=list)
    n_rows: int = 0

    def row(self, *cells: tuple[int, int, str, str]) -> int:
        """Add one row of (col, cols, text, align) cells; returns its index."""
        index = self.n_rows
        for col, cols, text, align in cells:
            self.spans.append(Span(index, col, text, 1, cols, align))
        self.n_rows += 1
        return index


# ---------------------------------------------------------------- layout


def _dec(value: str | None) -> str:
    return "" if value is None else value


def _rate(value: str | None, unit: str | None) -> str:
    if value is None:
        return ""
    return value if unit == "万元" else f"{value}%"


def form_table(record: dict[str, Any]) -> Table:
    """The record laid out as the real form's grid (rows, merged cells)."""
    t = Table()
    t.row((0, 1, "项目名称", "c"), (1, 8, record.get("project_name") or "", "l"))
    t.row(
        (0, 1, "主管部门", "c"),
        (1, 3, record.get("department") or "", "l"),
        (4, 1, "实施单位", "c"),
        (5, 4, record.get("implementing_unit") or "", "l"),
    )
    unit = record.get("amount_unit")
    wan = unit == "万元"
    head = t.row(
        (1, 1, "", "c"),
        (2, 1, "年初预算数", "c"),
        (3, 1, "全年预算数", "c"),
        (4, 1, "全年执行数", "c"),
        (5, 1, "分数" if wan else "分值", "c"),
        (6, 1, "执行率(%)" if wan else "执行率", "c"),
        (7, 2, "得分", "c"),
    )
    labels = {
        "total": "年度资金总额",
        "current_year": "其中：当年财政拨款",
        "carryover": "上年结转资金",
        "other": "其他资金",
    }
    funding = record.get("funding") or {}
    for key, label in labels.items():
        row = funding.get(key) or {}
        weight = row.get("weight")
        t.row(
            (1, 1, label, "l"),
            (2, 1, _dec(row.get("initial_budget")), "c"),
            (3, 1, _dec(row.get("annual_budget")), "c"),
            (4, 1, _dec(row.get("executed")), "c"),
            (5, 1, "—" if weight is None else weight, "c"),
            (6, 1, _rate(row.get("execution_rate"), unit), "c"),
            (7, 2, _dec(row.get("score")), "c"),
        )
    t.spans.append(Span(head, 0, f"项目资金\n({unit or '元'})", rows=t.n_rows - head))
    goals = t.row((1, 4, "预期目标", "c"), (5, 4, "实际完成情况", "c"))
    t.row((1, 4, record.get("goal_expected") or "", "l"), (5, 4, record.get("goal_actual") or "", "l"))
    t.spans.append(Span(goals, 0, "年度总体目标", rows=2))
    header = t.row(
        (1, 1, "一级指标", "c"),
        (2, 1, "二级指标", "c"),
        (3, 1, "三级指标", "c"),
        (4, 1, "年度指标值", "c"),
        (5, 1, "实际完成值", "c"),
        (6, 1, "分值", "c"),
        (7, 1, "得分", "c"),
        (8, 1, "偏差原因分析及改进措施", "c"),
    )
    _indicator_rows(t, record.get("indicators") or [])
    t.spans.append(Span(header, 0, "绩效指标", rows=t.n_rows - header))
    if record.get("total_weight") is not None or record.get("total_score") is not None:
        t.row(
            (0, 6, "总分", "c"),
            (6, 1, _dec(record.get("total_weight")), "c"),
            (7, 1, _dec(record.get("total_score")), "c"),
            (8, 1, "", "c"),
        )
    if record.get("grade"):
        t.row((0, 2, "评分等级", "c"), (2, 7, record["grade"], "l"))
    return t


def _runs(values: list[str]) -> Iterator[tuple[int, int]]:
    """(start, length) of runs of equal consecutive values."""
    start = 0
    for i in range(1, len(values) + 1):
        if i == len(values) or values[i] != values[start]:
            yield start, i - start
            start = i


def _indicator_rows(t: Table, indicators: list[dict[str, Any]]) -> None:
    first = t.n_rows
    for ind in indicators:
        t.row(
            (3, 1, ind.get("name") or "", "l"),
            (4, 1, ind.get("target") or "", "c"),
            (5, 1, ind.get("actual") or "", "c"),
            (6, 1, _dec(ind.get("weight")), "c"),
            (7, 1, _dec(ind.get("score")), "c"),
            (8, 1, ind.get("deviation") or "", "l"),
        )
    level1 = [i["level1"] for i in indicators]
    level2 = [f"{i['level1']}/{i['level2']}" for i in indicators]
    for start, length in _runs(level1):
        t.spans.append(Span(first + start, 1, level1[start], rows=length))
    for start, length in _runs(level2):
        t.spans.append(Span(first + start, 2, level2[start].split("/")[1], rows=length))


# ---------------------------------------------------------------- drawing


def _wrap(text: str, width: float, size: float) -> list[str]:
    """Break text to fit a width: CJK anywhere, Latin/number runs kept whole."""
    from reportlab.pdfbase.pdfmetrics import stringWidth

    lines: list[str] = []
    for paragraph in text.split("\n"):
        line = ""
        tokens = _tokens(paragraph)
        for token in tokens:
            if stringWidth(line + token, FONT, size) <= width or not line:
                if stringWidth(token, FONT, size) > width and not line:
                    # a token wider than the cell: break it by characters
                    for ch in token:
                        if line and stringWidth(line + ch, FONT, size) > width:
                            lines.append(line)
                            line = ""
                        line += ch
                    continue
                line += token
            else:
                lines.append(line.rstrip())
                line = token.lstrip()
        lines.append(line)
    return lines


def _tokens(text: str) -> list[str]:
    tokens: list[str] = []
    for ch in text:
        if (
            tokens
            and ch.isascii()
            and (ch.isalnum() or ch in ".,%")
            and tokens[-1][-1].isascii()
            and (tokens[-1][-1].isalnum() or tokens[-1][-1] in ".,%")
        ):
            tokens[-1] += ch
        else:
            tokens.append(ch)
    return tokens


def _col_x(col: int) -> float:
    return MARGIN_X + sum(COLUMNS[:col])


def _span_width(span: Span) -> float:
    return sum(COLUMNS[span.col : span.col + span.cols])


def _row_heights(t: Table) -> list[float]:
    line_h = BODY_SIZE * LEADING
    heights = [line_h + 2 * PAD] * t.n_rows
    for span in sorted(t.spans, key=lambda s: s.rows):
        need = len(_wrap(span.text, _span_width(span) - 2 * PAD, BODY_SIZE)) * line_h + 2 * PAD
        have = sum(heights[span.row : span.row + span.rows])
        if need > have:
            heights[span.row + span.rows - 1] += need - have
    return heights


def _paginate(heights: list[float], first_top: float) -> list[list[int]]:
    pages: list[list[int]] = [[]]
    y = first_top
    for row, h in enumerate(heights):
        if y - h < MARGIN_BOTTOM and pages[-1]:
            pages.append([])
            y = PAGE_H - MARGIN_TOP
        pages[-1].append(row)
        y -= h
    return pages


def _draw_text(c: Any, span: Span, x: float, top: float, width: float, height: float) -> None:
    line_h = BODY_SIZE * LEADING
    lines = _wrap(span.text, width - 2 * PAD, BODY_SIZE)
    block = len(lines) * line_h
    y = top - (height - block) / 2 - BODY_SIZE * 1.02
    c.setFont(FONT, BODY_SIZE)
    for line in lines:
        if span.align == "l":
            c.drawString(x + PAD, y, line)
        else:
            c.drawCentredString(x + width / 2, y, line)
        y -= line_h


def render_pdf(record: dict[str, Any], out: Path, *, ruled: bool = True) -> int:
    """Draw one form as a text-layer PDF, ruled unless ``ruled`` is False
    (tests of the unruled path); returns the page count."""
    from reportlab.pdfgen import canvas

    _register_font()
    t = form_table(record)
    heights = _row_heights(t)
    title_top = PAGE_H - MARGIN_TOP
    table_top = title_top - 52
    pages = _paginate(heights, table_top)
    c = canvas.Canvas(str(out), pagesize=(PAGE_W, PAGE_H), invariant=1)
    c.setTitle("财政项目支出绩效自评表")
    for number, rows in enumerate(pages):
        top = table_top
        if number == 0:
            c.setFont(FONT, 16)
            c.drawCentredString(PAGE_W / 2, title_top - 16, "财政项目支出绩效自评表")
            c.setFont(FONT, 10.5)
            year = record.get("year")
            c.drawCentredString(PAGE_W / 2, title_top - 36, f"({year}年度)" if year else "")
        else:
            top = PAGE_H - MARGIN_TOP
        row_top = {}
        y = top
        for row in rows:
            row_top[row] = y
            y -= heights[row]
        c.setLineWidth(RULE_WIDTH)
        for span in t.spans:
            covered = [r for r in range(span.row, span.row + span.rows) if r in row_top]
            if not covered:
                continue
            x, width = _col_x(span.col), _span_width(span)
            part_top = row_top[covered[0]]
            part_h = sum(heights[r] for r in covered)
            if ruled:
                c.rect(x, part_top - part_h, width, part_h, stroke=1, fill=0)
            # a merged cell cut by the page break prints its text once, on its first part
            if covered[0] == span.row and span.text:
                _draw_text(c, span, x, part_top, width, part_h)
        c.showPage()
    c.save()
    return len(pages)


def _register_font() -> None:
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    if FONT not in pdfmetrics.getRegisteredFontNames():
        if not FONT_PATH.exists():
            sys.exit(f"missing {FONT_PATH}: apt-get install fonts-wqy-zenhei")
        pdfmetrics.registerFont(TTFont(FONT, str(FONT_PATH), subfontIndex=0))


# ---------------------------------------------------------------- scanning


def _seed(name: str) -> int:
    return int.from_bytes(hashlib.sha256(name.encode()).digest()[:4], "big")


def degrade(page: Any, rng: random.Random) -> Any:
    """A clean grey page -> what a desk scanner makes of it (numpy uint8)."""
    import cv2
    import numpy as np

    img = np.asarray(page, dtype=np.uint8)
    h, w = img.shape
    angle = rng.uniform(0.3, MAX_SKEW_DEG) * rng.choice((-1, 1))
    matrix = cv2.getRotationMatrix2D((w / 2, h / 2), angle, 1.0)
    matrix[:, 2] += (rng.uniform(-8, 8), rng.uniform(-8, 8))  # paper not quite centred
    img = cv2.warpAffine(img, matrix, (w, h), flags=cv2.INTER_LINEAR, borderValue=255)
    img = cv2.GaussianBlur(img, (3, 3), rng.uniform(0.4, 0.8))
    noise = np.random.default_rng(rng.getrandbits(32))
    grain = noise.normal(0.0, rng.uniform(2.5, 5.0), img.shape)
    paper = 235 + noise.normal(0.0, 3.0, (h // 64 + 1, w // 64 + 1))  # uneven paper tone
    tone = cv2.resize(paper, (w, h), interpolation=cv2.INTER_CUBIC)
    out = img.astype(np.float32) * (tone / 255.0) + grain
    specks = noise.random(img.shape) < 0.0006
    out[specks] = noise.integers(0, 120, int(specks.sum()))
    return np.clip(out, 0, 255).astype(np.uint8)


def _jpeg(img: Any, quality: int, dpi: int) -> bytes:
    from PIL import Image

    buf = io.BytesIO()
    Image.fromarray(img).save(buf, format="JPEG", quality=quality, optimize=True, dpi=(dpi, dpi))
    return buf.getvalue()


def render_scan(pdf: Path, out_stem: Path, name: str) -> Path:
    """Rasterise a PDF page by page and degrade it; returns the file written."""
    import pypdfium2 as pdfium
    from PIL import Image

    rng = random.Random(_seed(name))
    dpi = rng.choice(SCAN_DPIS)
    quality = rng.randint(40, 55)
    doc = pdfium.PdfDocument(str(pdf))
    jpegs: list[bytes] = []
    try:
        for page in doc:
            bitmap = page.render(scale=dpi / 72, grayscale=True)
            jpegs.append(_jpeg(degrade(bitmap.to_pil().convert("L"), rng), quality, dpi))
    finally:
        doc.close()
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


# ---------------------------------------------------------------- fixtures


def _relative(path: Path) -> str:
    try:
        return path.relative_to(ROOT).as_posix()
    except ValueError:  # a corpus written outside the repository
        return path.as_posix()


def _fixture(gold: dict[str, Any], generated: Path) -> dict[str, Any]:
    fixture = dict(gold)
    source = dict(gold.get("_source") or {})
    source.pop("title_line", None)
    fixture["_source"] = {
        **source,
        "file": _relative(generated),
        "form_index": 0,
        "generated_from": source.get("file"),
        "generated_form_index": source.get("form_index"),
    }
    return fixture


def generate(gold_dir: Path, out: Path, only: set[str] | None = None) -> list[str]:
    """Write the corpus; returns one summary line per form."""
    (out / "pdf").mkdir(parents=True, exist_ok=True)
    (out / "scan").mkdir(parents=True, exist_ok=True)
    summary: list[str] = []
    for gold_path in sorted(gold_dir.glob("*.json")):
        name = gold_path.stem
        if only and name not in only:
            continue
        gold = json.loads(gold_path.read_text(encoding="utf-8"))
        pdf = out / "pdf" / f"{name}.pdf"
        pages = render_pdf(gold, pdf)
        for stale in (out / "scan").glob(f"{name}.*"):
            stale.unlink()
        scan = render_scan(pdf, out / "scan" / name, name)
        for folder, generated in (("pdf", pdf), ("scan", scan)):
            text = json.dumps(_fixture(gold, generated), ensure_ascii=False, indent=2) + "\n"
            (out / folder / f"{name}.json").write_text(text, encoding="utf-8")
        summary.append(
            f"{name}: {pages} page(s), {pdf.stat().st_size // 1024} KB pdf, "
            f"{scan.name} {scan.stat().st_size // 1024} KB"
        )
    return summary


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--gold", type=Path, default=None, help="gold folder (default: fixtures, else labels_a)")
    parser.add_argument("--out", type=Path, default=ROOT / "eval" / "corpus")
    parser.add_argument("--only", nargs="*", help="form names to (re)generate")
    args = parser.parse_args()
    gold = args.gold
    if gold is None:
        fixtures = ROOT / "eval" / "fixtures"
        gold = fixtures if any(fixtures.glob("*.json")) else ROOT / "eval" / "labels_a"
    for line in generate(gold.resolve(), args.out.resolve(), set(args.only or ()) or None):
        print(line)


if __name__ == "__main__":
    main()
