"""A second, independent drawing of the corpus: HTML through headless Chromium.

``generate.py`` draws every form with reportlab, one font (WenQuanYi Zen Hei)
and one set of column widths. A reader tuned to that drawing can look perfect
and still fail on the next office's form. This renderer shares none of its
drawing code: each gold form becomes an HTML table — merged cells as real
``rowspan``/``colspan``, in a Ming (宋体-like) or Kai font, with column widths,
font size, padding and rule weight drawn per form from a seed — which Chromium
prints to a text-layer PDF, paginated by its own rules. The scan is made from
that PDF by a different degradation: 150–300 dpi, turned up to 2.5°, blurred,
ink and paper tone varied, sometimes thresholded like a fax, saved as JPEG,
PNG or a multi-page image PDF.

What the drawing varies on purpose (the ways real offices differ):

* the vertical labels (绩效指标, 年度总体目标, 项目资金) stand in a narrow
  first column and wrap one or two characters a line;
* the 总分 label spans the first four to six columns;
* 一级/二级 labels are merged over their rows; long names, 二级 labels and
  the 偏差原因分析及改进措施 header wrap;
* the funding row labels span one or two columns, the goals split at
  different columns.

Output (paths relative to the repository root)::

    eval/corpus/pdf_b/<name>.pdf  + <name>.json    text-layer PDF (Chromium)
    eval/corpus/scan_b/<name>.<jpg|png|pdf> + <name>.json

Usage::

    .venv/bin/python eval/corpus/render_b.py [--gold eval/fixtures] [--out eval/corpus] [--only NAME ...]

Needs Debian's ``chromium`` and ``fonts-arphic-uming fonts-arphic-ukai``,
and pypdfium2, pillow, numpy, opencv. Seeded by the form name; Chromium's
dates are fixed, so a re-run gives the same drawing.
"""

from __future__ import annotations

import argparse
import hashlib
import html
import io
import json
import random
import re
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
FONTS = ("AR PL UMing CN", "AR PL UMing CN", "AR PL UKai CN")
DPIS = (150, 200, 240, 300)
MAX_TURN_DEG = 2.5
#: the nine grid columns: label | 一级 | 二级 | 三级 | 指标值 | 完成值 | 分值 | 得分 | 偏差
BASE_WIDTHS = (0.0, 10.0, 11.0, 17.0, 12.0, 12.0, 7.0, 7.0, 12.0)


@dataclass
class Style:
    """Everything about one form's drawing, drawn from its seed."""

    font: str
    size_px: float
    label_em: float  # width of the first (vertical label) column, in characters
    widths: list[float]  # columns 1..8, relative
    pad_px: float
    rule_px: float
    margin_mm: float
    total_span: int  # columns the 总分 label covers
    fund_label_cols: int  # columns a funding row label covers
    goal_split: int  # first column of 实际完成情况
    numbers_right: bool
    grade_label_cols: int

    @classmethod
    def draw(cls, rng: random.Random) -> Style:
        widths = [w * rng.uniform(0.75, 1.3) for w in BASE_WIDTHS[1:]]
        return cls(
            font=rng.choice(FONTS),
            size_px=rng.choice((12.0, 12.5, 13.0, 14.0, 15.0)),
            label_em=rng.choice((1.2, 1.4, 2.2, 2.4)),
            widths=widths,
            pad_px=rng.uniform(1.5, 5.0),
            rule_px=rng.choice((0.75, 1.0, 1.0, 1.5)),
            margin_mm=rng.uniform(10, 22),
            total_span=rng.choice((4, 5, 6, 6)),
            fund_label_cols=rng.choice((1, 2)),
            goal_split=rng.choice((4, 5, 5)),
            numbers_right=rng.random() < 0.3,
            grade_label_cols=rng.choice((1, 2, 3)),
        )


@dataclass
class Td:
    text: str
    col: int
    cols: int = 1
    rows: int = 1
    kind: str = "text"  # text | number | label | head


def _dec(value: Any) -> str:
    return "" if value is None else str(value)


def _rate(value: str | None, unit: str | None) -> str:
    if value is None:
        return ""
    return value if unit == "万元" else f"{value}%"


def _rows(record: dict[str, Any], style: Style) -> list[list[Td]]:
    """The form as rows of merged cells on the nine-column grid."""
    rows: list[list[Td]] = []
    rows.append([Td("项目名称", 0, 2, kind="head"), Td(record.get("project_name") or "", 2, 7)])
    rows.append(
        [
            Td("主管部门", 0, 2, kind="head"),
            Td(record.get("department") or "", 2, 3),
            Td("实施单位", 5, 1, kind="head"),
            Td(record.get("implementing_unit") or "", 6, 3),
        ]
    )
    unit = record.get("amount_unit")
    wan = unit == "万元"
    lc = style.fund_label_cols
    money = 1 + lc  # first money column
    # funding columns: 年初预算数 全年预算数 全年执行数 分值 执行率 得分 over the columns left
    fund_cols = _spread(money, 9, 6)
    head = [Td("", 1, lc, kind="head")]
    names = (
        "年初预算数",
        "全年预算数",
        "全年执行数",
        "分数" if wan else "分值",
        "执行率(%)" if wan else "执行率",
        "得分",
    )
    head += [Td(n, c, w, kind="head") for n, (c, w) in zip(names, fund_cols, strict=True)]
    labels = {
        "total": "年度资金总额",
        "current_year": "其中：当年财政拨款",
        "carryover": "上年结转资金",
        "other": "其他资金",
    }
    funding = record.get("funding") or {}
    block = [head]
    for key, label in labels.items():
        row = funding.get(key) or {}
        weight = row.get("weight")
        values = (
            _dec(row.get("initial_budget")),
            _dec(row.get("annual_budget")),
            _dec(row.get("executed")),
            "—" if weight is None else str(weight),
            _rate(row.get("execution_rate"), unit),
            _dec(row.get("score")),
        )
        line = [Td(label, 1, lc)]
        line += [Td(v, c, w, kind="number") for v, (c, w) in zip(values, fund_cols, strict=True)]
        block.append(line)
    block[0].insert(0, Td(f"项目资金（{unit or '元'}）", 0, 1, rows=len(block), kind="label"))
    rows += block
    split = style.goal_split
    rows.append(
        [
            Td("年度总体目标", 0, 1, rows=2, kind="label"),
            Td("预期目标", 1, split - 1, kind="head"),
            Td("实际完成情况", split, 9 - split, kind="head"),
        ]
    )
    rows.append(
        [Td(record.get("goal_expected") or "", 1, split - 1), Td(record.get("goal_actual") or "", split, 9 - split)]
    )
    indicators = record.get("indicators") or []
    header = [
        Td(t, c, kind="head")
        for c, t in enumerate(
            ("一级指标", "二级指标", "三级指标", "年度指标值", "实际完成值", "分值", "得分", "偏差原因分析及改进措施"),
            start=1,
        )
    ]
    header.insert(0, Td("绩效指标", 0, 1, rows=len(indicators) + 1, kind="label"))
    rows.append(header)
    first = len(rows)
    for ind in indicators:
        rows.append(
            [
                Td(ind.get("name") or "", 3),
                Td(ind.get("target") or "", 4),
                Td(ind.get("actual") or "", 5),
                Td(_dec(ind.get("weight")), 6, kind="number"),
                Td(_dec(ind.get("score")), 7, kind="number"),
                Td(ind.get("deviation") or "", 8),
            ]
        )
    for level, col in ((lambda i: i["level1"], 1), (lambda i: (i["level1"], i["level2"]), 2)):
        keys = [level(i) for i in indicators]
        start = 0
        for n in range(1, len(keys) + 1):
            if n == len(keys) or keys[n] != keys[start]:
                text = indicators[start]["level1"] if col == 1 else indicators[start]["level2"]
                rows[first + start].insert(0, Td(text, col, rows=n - start, kind="head"))
                start = n
    if record.get("total_weight") is not None or record.get("total_score") is not None:
        span = style.total_span
        total = [Td("总分", 0, span, kind="head")]
        if span < 6:
            total.append(Td("", span, 6 - span))
        total += [
            Td(_dec(record.get("total_weight")), 6, kind="number"),
            Td(_dec(record.get("total_score")), 7, kind="number"),
            Td("", 8),
        ]
        rows.append(total)
    if record.get("grade"):
        g = style.grade_label_cols
        rows.append([Td("评分等级", 0, g, kind="head"), Td(record["grade"], g, 9 - g)])
    for row in rows:
        row.sort(key=lambda td: td.col)
    return rows


def _spread(start: int, end: int, count: int) -> list[tuple[int, int]]:
    """``count`` cells over columns [start, end): (column, span), extra
    columns given to the last cells."""
    width = end - start
    base, extra = divmod(width, count)
    out: list[tuple[int, int]] = []
    col = start
    for n in range(count):
        span = base + (1 if n >= count - extra else 0)
        out.append((col, span))
        col += span
    return out


def to_html(record: dict[str, Any], style: Style) -> str:
    s = style
    col_widths = [f"{s.label_em + 0.4:.2f}em"] + [f"{w:.2f}%" for w in _normalised(s.widths)]
    colgroup = "".join(f'<col style="width:{w}">' for w in col_widths)
    body = []
    for row in _rows(record, style):
        cells = []
        for td in row:
            attrs = []
            if td.rows > 1:
                attrs.append(f'rowspan="{td.rows}"')
            if td.cols > 1:
                attrs.append(f'colspan="{td.cols}"')
            cls = td.kind
            if td.kind == "number" and s.numbers_right:
                cls += " right"
            attrs.append(f'class="{cls}"')
            text = html.escape(td.text).replace("\n", "<br>")
            cells.append(f"<td {' '.join(attrs)}>{text}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    year = record.get("year")
    year_line = f"<p class=year>（{year}年度）</p>" if year else ""
    return f"""<!doctype html><html><head><meta charset="utf-8"><style>
@page {{ size: A4; margin: {s.margin_mm:.1f}mm; }}
body {{ font-family: "{s.font}"; font-size: {s.size_px}px; margin: 0; color: #000; }}
h1 {{ font-size: {s.size_px * 1.6:.1f}px; text-align: center; margin: 0 0 4px 0; font-weight: normal; }}
p.year {{ text-align: center; margin: 0 0 8px 0; }}
table {{ border-collapse: collapse; width: 100%; table-layout: fixed; }}
td {{ border: {s.rule_px}px solid #000; padding: {s.pad_px:.1f}px; vertical-align: middle;
     word-break: break-all; line-break: anywhere; line-height: 1.35; }}
td.number, td.head {{ text-align: center; }}
td.right {{ text-align: right; }}
td.label {{ text-align: center; }}
tr {{ break-inside: avoid; }}
</style></head><body>
<h1>财政项目支出绩效自评表</h1>{year_line}
<table><colgroup>{colgroup}</colgroup>
{chr(10).join(body)}
</table></body></html>
"""


def _normalised(widths: list[float]) -> list[float]:
    total = sum(widths)
    return [100.0 * w / total for w in widths]


# ---------------------------------------------------------------- printing


def _chromium() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    raise SystemExit("render_b needs Chromium: apt-get install chromium")


_DATES = re.compile(rb"/(CreationDate|ModDate) ?\(D:[0-9+\-Z']+\)")


def print_pdf(page: str, out: Path) -> None:
    """Chromium prints the HTML to ``out``; its time stamps are fixed so the
    bytes depend on the drawing only."""
    with tempfile.TemporaryDirectory() as tmp:
        source = Path(tmp) / "form.html"
        source.write_text(page, encoding="utf-8")
        command = [
            _chromium(),
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-pdf-header-footer",
            f"--user-data-dir={tmp}/profile",
            f"--print-to-pdf={out}",
            source.as_uri(),
        ]
        subprocess.run(command, check=True, capture_output=True, timeout=120)
    data = out.read_bytes()
    out.write_bytes(_DATES.sub(lambda m: b"/" + m.group(1) + b" (D:20250101000000Z)", data))


# ---------------------------------------------------------------- scanning


def _seed(name: str) -> int:
    return int.from_bytes(hashlib.sha256(("b:" + name).encode()).digest()[:4], "big")


def scan_page(page: Any, rng: random.Random, dpi: int) -> Any:
    """A clean grey page (PIL) -> a scanner's or fax's idea of it (PIL, mode L)."""
    import numpy as np
    from PIL import Image, ImageFilter

    angle = rng.uniform(0.2, MAX_TURN_DEG) * rng.choice((-1, 1))
    shift = (rng.randint(-12, 12), rng.randint(-12, 12))
    # the glass is larger than the sheet: a turned page keeps its corners
    turned = page.rotate(angle, resample=Image.BICUBIC, translate=shift, fillcolor=255, expand=True)
    radius = rng.uniform(0.3, 0.9) * dpi / 200
    blurred = turned.filter(ImageFilter.GaussianBlur(radius))
    gen = np.random.default_rng(rng.getrandbits(32))
    a = np.asarray(blurred, dtype=np.float32) / 255.0
    ink, paper = rng.uniform(15, 80), rng.uniform(222, 250)
    a = ink + a * (paper - ink)
    w = a.shape[1]
    # shading across the sheet: a lid not quite closed, a gradient of light
    ramp = np.linspace(0, rng.uniform(-18, 18), w, dtype=np.float32)[None, :]
    a = a + ramp + gen.normal(0.0, rng.uniform(2.0, 7.0), a.shape).astype(np.float32)
    dust = gen.random(a.shape) < rng.uniform(0.0001, 0.0008)
    a[dust] = gen.uniform(0, 140, int(dust.sum()))
    out = np.clip(a, 0, 255).astype(np.uint8)
    if rng.random() < 0.2:  # a fax or a "black and white" scanner setting
        # the threshold sits nearer the paper than the ink: a scanner set to
        # black and white keeps thin strokes, at the price of some speckle
        cut = ink + (paper - ink) * rng.uniform(0.6, 0.75)
        return Image.fromarray(np.where(out < cut, 0, 255).astype(np.uint8), mode="L").convert("1")
    return Image.fromarray(out, mode="L")


def render_scan(pdf: Path, out_stem: Path, name: str) -> Path:
    """Rasterise the PDF, degrade each page and save: one page as JPEG (or
    PNG), several as an image-only PDF written by Pillow."""
    import pypdfium2 as pdfium

    rng = random.Random(_seed(name))
    dpi = rng.choice(DPIS)
    quality = rng.randint(35, 75)
    document = pdfium.PdfDocument(str(pdf))
    pages = []
    try:
        for page in document:
            clean = page.render(scale=dpi / 72, grayscale=True).to_pil().convert("L")
            pages.append(scan_page(clean, rng, dpi))
    finally:
        document.close()
    for stale in out_stem.parent.glob(out_stem.name + ".*"):
        if stale.suffix != ".json":
            stale.unlink()
    if len(pages) == 1:
        if pages[0].mode == "1":  # black and white: lossless, as such scanners save it
            path = out_stem.with_suffix(".png")
            pages[0].save(path, format="PNG", dpi=(dpi, dpi), optimize=True)
        else:
            path = out_stem.with_suffix(".jpg")
            pages[0].save(path, format="JPEG", quality=quality, dpi=(dpi, dpi))
        return path
    path = out_stem.with_suffix(".pdf")
    jpegs = []
    for image in pages:  # JPEG-compressed pages, as scanners write them
        buf = io.BytesIO()
        image.convert("L").save(buf, format="JPEG", quality=quality)
        jpegs.append(_open_jpeg(buf.getvalue()))
    fixed = time.gmtime(1735689600)  # 2025-01-01; Pillow would stamp the time of the run
    jpegs[0].save(
        path,
        format="PDF",
        save_all=True,
        append_images=jpegs[1:],
        resolution=float(dpi),
        creationDate=fixed,
        modDate=fixed,
    )
    return path


def _open_jpeg(data: bytes) -> Any:
    from PIL import Image

    return Image.open(io.BytesIO(data))


# ---------------------------------------------------------------- fixtures


def _relative(path: Path) -> str:
    try:
        return path.relative_to(ROOT).as_posix()
    except ValueError:
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
        "renderer": "render_b (HTML, Chromium)",
    }
    return fixture


def generate(gold_dir: Path, out: Path, only: set[str] | None = None) -> list[str]:
    (out / "pdf_b").mkdir(parents=True, exist_ok=True)
    (out / "scan_b").mkdir(parents=True, exist_ok=True)
    summary: list[str] = []
    for gold_path in sorted(gold_dir.glob("*.json")):
        name = gold_path.stem
        if only and name not in only:
            continue
        gold = json.loads(gold_path.read_text(encoding="utf-8"))
        style = Style.draw(random.Random(_seed(name)))
        pdf = out / "pdf_b" / f"{name}.pdf"
        print_pdf(to_html(gold, style), pdf)
        scan = render_scan(pdf, out / "scan_b" / name, name)
        for folder, generated in (("pdf_b", pdf), ("scan_b", scan)):
            text = json.dumps(_fixture(gold, generated), ensure_ascii=False, indent=2) + "\n"
            (out / folder / f"{name}.json").write_text(text, encoding="utf-8")
        summary.append(
            f"{name}: {style.font} {style.size_px}px, label column {style.label_em}em, "
            f"总分 over {style.total_span} columns -> {scan.name}"
        )
    return summary


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--gold", type=Path, default=ROOT / "eval" / "fixtures")
    parser.add_argument("--out", type=Path, default=ROOT / "eval" / "corpus")
    parser.add_argument("--only", nargs="*", help="form names to (re)generate")
    args = parser.parse_args()
    for line in generate(args.gold.resolve(), args.out.resolve(), set(args.only or ()) or None):
        print(line)


if __name__ == "__main__":
    main()
