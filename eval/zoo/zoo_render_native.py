"""Native renderers: blocks -> HTML (two ways), XLSX, DOCX, CSV, text dump.

Each takes the blocks of one document (zoo_layout) and writes one file. They
are independent of each other: HTML A is a clean rowspan/colspan table, HTML B a
"saved government page" (GBK, layout tables around the form, <p>/<span> in
every cell, &nbsp; in empty ones), XLSX typed numbers with number formats,
DOCX real gridSpan/vMerge merges, CSV merged cells written once, the text dump
emulates the converter behind ../shared/seeds.
"""

from __future__ import annotations

import csv
import html
import io
import random
import re
from decimal import Decimal
from pathlib import Path

from zoo_layout import Block, PageBreak, Para, Table

NUMBER = re.compile(r"^-?(\d{1,3}(,\d{3})+|\d+)(\.\d+)?%?$")


def _tables_width(blocks: list[Block]) -> int:
    return max((b.n_cols for b in blocks if isinstance(b, Table)), default=1)


# ---------------------------------------------------------------- HTML A


def html_clean(blocks: list[Block], title: str, css: str = "") -> str:
    out = [
        "<!DOCTYPE html>",
        '<html lang="zh-CN"><head><meta charset="utf-8">',
        f"<title>{html.escape(title)}</title>",
        f"<style>table{{border-collapse:collapse}} td{{border:1px solid #000;padding:2px 4px}}{css}</style>",
        "</head><body>",
    ]
    for block in blocks:
        if isinstance(block, PageBreak):
            out.append('<div style="page-break-after:always"></div>')
        elif isinstance(block, Para):
            tag = "h3" if block.style == "title" else "p"
            align = {"title": "center", "sub": "center", "right": "right"}.get(block.style, "left")
            out.append(f'<{tag} style="text-align:{align}">{html.escape(block.text)}</{tag}>')
        else:
            out.append('<table class="form">')
            for row in block.grid():
                cells = []
                for span in row:
                    if span is None:
                        continue
                    attrs = ""
                    if span.rows > 1:
                        attrs += f' rowspan="{span.rows}"'
                    if span.cols > 1:
                        attrs += f' colspan="{span.cols}"'
                    if span.align == "l":
                        attrs += ' style="text-align:left"'
                    text = "<br>".join(html.escape(x) for x in span.text.split("\n"))
                    cells.append(f"<td{attrs}>{text}</td>")
                out.append(f"<tr>{''.join(cells)}</tr>")
            out.append("</table>")
    out.append("</body></html>")
    return "\n".join(out) + "\n"


# ---------------------------------------------------------------- HTML B


def html_site(blocks: list[Block], title: str, site: str, rng: random.Random) -> bytes:
    """A government site's article page holding the form, saved as GBK."""
    nav = "".join(
        f'<td class="nav"><a href="/col{i}/">{n}</a></td>'
        for i, n in enumerate(["首页", "政务公开", "政务服务", "互动交流", "走进" + site[:2]])
    )
    side = "".join(
        f'<li><a href="/zfxxgk/fdzdgknr/{i}/">{n}</a></li>'
        for i, n in enumerate(["财政预决算", "部门预算", "部门决算", "绩效管理", "政府采购"])
    )
    out = [
        "<html>",
        '<head><meta http-equiv="Content-Type" content="text/html; charset=gb2312">',
        f"<title>{html.escape(title)}_{site}</title>",
        '<style type="text/css">.MsoNormal{margin:0;font-size:10.5pt} .nav{padding:0 12px}</style>',
        '<script type="text/javascript">var _hmt = _hmt || [];</script>',
        "</head>",
        '<body topmargin="0">',
        f'<table width="1000" align="center" id="top"><tr><td><img src="/images/logo.png" alt="{site}"></td></tr>'
        f"<tr><td><table><tr>{nav}</tr></table></td></tr></table>",
        '<table width="1000" align="center" class="main"><tr>',
        f'<td width="200" valign="top" class="left"><ul>{side}</ul></td>',
        '<td valign="top" class="content">',
        '<div class="position">当前位置：<a href="/">首页</a> &gt; 政务公开 &gt; 绩效管理</div>',
        f'<div class="article_title">{html.escape(title)}</div>',
        f'<div class="article_info">发布时间：2023-0{rng.randint(4, 9)}-{rng.randint(10, 28)}　'
        f"来源：{site}　浏览次数：{rng.randint(20, 900)}</div>",
        '<div class="TRS_Editor">',
    ]
    for block in blocks:
        if isinstance(block, PageBreak):
            out.append('<p class="MsoNormal"><br style="page-break-before:always" clear="all"></p>')
        elif isinstance(block, Para):
            align = {"title": "center", "sub": "center", "right": "right"}.get(block.style, "left")
            text = html.escape(block.text).replace(" ", "&nbsp;")
            if block.style == "title":
                text = f"<b><span style='font-size:16.0pt;font-family:方正小标宋简体'>{text}</span></b>"
            out.append(f'<p class="MsoNormal" align="{align}" style="text-align:{align}">{text}</p>')
        else:
            out.append(
                '<table class="MsoNormalTable" border="1" cellspacing="0" cellpadding="0" '
                'style="border-collapse:collapse;border:none">'
            )
            for row in block.grid():
                cells = []
                for span in row:
                    if span is None:
                        continue
                    attrs = ""
                    if span.rows > 1:
                        attrs += f" rowspan={span.rows}"
                    if span.cols > 1:
                        attrs += f" colspan={span.cols}"
                    align = "left" if span.align == "l" else "center"
                    if not span.text:
                        body = '<p class="MsoNormal"><span>&nbsp;</span></p>'
                    else:
                        body = "".join(
                            f'<p class="MsoNormal" align={align}><span style="font-size:9.0pt;'
                            f'font-family:宋体">{html.escape(part)}</span></p>'
                            for part in span.text.split("\n")
                        )
                    cells.append(
                        f"<td valign=middle style='border:solid windowtext 1.0pt;padding:0cm 1.4pt'{attrs}>{body}</td>"
                    )
                out.append(f"<tr style='height:20.0pt'>{''.join(cells)}</tr>")
            out.append("</table>")
    out += [
        "</div>",
        '<div class="attach">附件：<a href="/u/cms/www/xls/zp.xls">自评表.xls</a></div>',
        "</td></tr></table>",
        f'<div id="footer">主办：{site}　网站标识码：5134{rng.randint(100000, 999999)}　'
        '<a href="https://beian.miit.gov.cn">蜀ICP备05000000号</a></div>',
        "</body></html>",
    ]
    return "\n".join(out).encode("gbk", errors="xmlcharrefreplace")


# ---------------------------------------------------------------- XLSX


def freeze_zip(path: Path) -> None:
    """Fixed dates in an Office file (zip entry times, docProps/core.xml), so that a
    re-run writes the same bytes."""
    import zipfile

    with zipfile.ZipFile(path) as z:
        entries = [(i, z.read(i.filename)) for i in z.infolist()]
    stamp = b"2023-04-01T00:00:00Z"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for info, data in entries:
            if info.filename == "docProps/core.xml":
                data = re.sub(rb"(<dcterms:(created|modified)[^>]*>)[^<]*", rb"\g<1>" + stamp, data)
            fixed = zipfile.ZipInfo(info.filename, date_time=(2023, 4, 1, 0, 0, 0))
            fixed.compress_type = zipfile.ZIP_DEFLATED
            fixed.external_attr = info.external_attr
            z.writestr(fixed, data)


def _typed(text: str) -> tuple[float | str, str | None]:
    """A number cell as Excel holds it: the value and the format that prints ``text``."""
    if not NUMBER.match(text):
        return text, None
    percent = text.endswith("%")
    body = text.rstrip("%")
    places = len(body.split(".")[1]) if "." in body else 0
    sep = "," in body
    value = Decimal(body.replace(",", ""))
    frac = "." + "0" * places if places else ""
    if percent:
        return float(value / 100), f"0{frac}%"
    if sep:
        return float(value), f"#,##0{frac}"
    return float(value), f"0{frac}"


def xlsx(blocks: list[Block], path: Path, sheet_per_form: bool, sheet_names: list[str]) -> None:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Border, Font, Side
    from openpyxl.utils import get_column_letter

    wb = Workbook()
    ws = wb.active
    ws.title = sheet_names[0]
    thin = Side(style="thin")
    border = Border(left=thin, right=thin, top=thin, bottom=thin)
    width = _tables_width(blocks)
    row = 1
    sheet = 0
    for block in blocks:
        if isinstance(block, PageBreak):
            if sheet_per_form:
                sheet += 1
                ws = wb.create_sheet(sheet_names[sheet])
                row = 1
            else:
                row += 1  # one blank row between forms
            continue
        if isinstance(block, Para):
            cell = ws.cell(row=row, column=1, value=block.text)
            ws.merge_cells(start_row=row, start_column=1, end_row=row, end_column=width)
            horizontal = {"title": "center", "sub": "center", "right": "right"}.get(block.style, "left")
            cell.alignment = Alignment(horizontal=horizontal, wrap_text=block.style == "note")
            if block.style == "title":
                cell.font = Font(size=16, bold=True)
            row += 1
            continue
        for i, w in enumerate(block.widths):
            ws.column_dimensions[get_column_letter(i + 1)].width = w * 9
        for span in block.spans:
            r, c = row + span.row, 1 + span.col
            value, number_format = _typed(span.text) if span.text else ("", None)
            cell = ws.cell(row=r, column=c, value=value if span.text else None)
            if isinstance(value, str) and value.startswith("="):
                cell.data_type = "s"  # printed text such as =100%, never a formula
            if number_format:
                cell.number_format = number_format
            cell.alignment = Alignment(
                horizontal="left" if span.align == "l" else "center", vertical="center", wrap_text=True
            )
            if span.rows > 1 or span.cols > 1:
                ws.merge_cells(start_row=r, start_column=c, end_row=r + span.rows - 1, end_column=c + span.cols - 1)
        for r in range(row, row + block.n_rows):
            for c in range(1, block.n_cols + 1):
                ws.cell(row=r, column=c).border = border
        row += block.n_rows
    wb.save(path)
    freeze_zip(path)


# ---------------------------------------------------------------- DOCX


def docx(blocks: list[Block], path: Path) -> None:
    from docx import Document
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Pt

    doc = Document()
    style = doc.styles["Normal"]
    style.font.size = Pt(9)
    for block in blocks:
        if isinstance(block, PageBreak):
            doc.add_page_break()
        elif isinstance(block, Para):
            p = doc.add_paragraph(block.text)
            p.alignment = {
                "title": WD_ALIGN_PARAGRAPH.CENTER,
                "sub": WD_ALIGN_PARAGRAPH.CENTER,
                "right": WD_ALIGN_PARAGRAPH.RIGHT,
            }.get(block.style, WD_ALIGN_PARAGRAPH.LEFT)
        else:
            table = doc.add_table(rows=block.n_rows, cols=block.n_cols)
            table.style = "Table Grid"
            for span in block.spans:
                cell = table.cell(span.row, span.col)
                if span.rows > 1 or span.cols > 1:
                    cell = cell.merge(table.cell(span.row + span.rows - 1, span.col + span.cols - 1))
                cell.text = span.text
                if span.align != "l":
                    for p in cell.paragraphs:
                        p.alignment = WD_ALIGN_PARAGRAPH.CENTER
    doc.save(str(path))
    freeze_zip(path)


# ---------------------------------------------------------------- CSV


def csv_bytes(blocks: list[Block], encoding: str) -> bytes:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    width = _tables_width(blocks)
    for block in blocks:
        if isinstance(block, PageBreak):
            writer.writerow([])
        elif isinstance(block, Para):
            writer.writerow([block.text] + [""] * (width - 1))
        else:
            for row in block.grid():
                writer.writerow([span.text if span is not None else "" for span in row] + [""] * (width - block.n_cols))
    return buf.getvalue().encode(encoding)


# ---------------------------------------------------------------- text dump


def text_dump(blocks: list[Block], rng: random.Random, long_rows: int = 10) -> str:
    """Tab-separated like ../shared/seeds: merged cells once, labels in narrow cells
    joined, a page break (blank line, sometimes a page footer line) inside a long
    indicator table with the labels repeated below it, a long name wrapped onto a
    line of its own, stray <p> tags."""
    width = _tables_width(blocks)
    lines: list[str] = []
    for block in blocks:
        if isinstance(block, PageBreak):
            lines += ["", ""]
            continue
        if isinstance(block, Para):
            lines.append(block.text + "\t" * (width - 1))
            continue
        grid = block.grid()
        header = _indicator_header(block)
        body = list(range(header + 1, block.n_rows)) if header is not None else []
        break_at = body[len(body) // 2] if len(body) >= long_rows else None
        wrapped = rng.choice(body[:-2]) if len(body) > 4 and rng.random() < 0.7 else None
        for r, row in enumerate(grid):
            cells = []
            for c, span in enumerate(row):
                text = "" if span is None else span.text.replace("\n", "")
                if r == break_at and span is None and header is not None:
                    text = _label_over(block, r, c)  # the converter repeats the labels after a break
                cells.append(text)
            cells += [""] * (width - block.n_cols)
            if r == break_at:
                lines.append("")
                if rng.random() < 0.4:
                    # a converter that keeps the page footer prints it at the break
                    lines.append(f"第 {rng.randint(1, 3)} 页" + "\t" * (width - 1))
            tail = None
            if r == wrapped:
                name_col = 3
                name = cells[name_col]
                if len(name) > 8:
                    cut = len(name) // 2
                    cells[name_col], tail = name[:cut], name[cut:]
            if any(len(x) > 30 for x in cells) and rng.random() < 0.4:
                cells = [f"<p>{x}</p>" if len(x) > 30 else x for x in cells]
            lines.append("\t".join(cells))
            if tail is not None:
                lines.append("\t".join(tail if c == 3 else "" for c in range(width)))
    return "\n".join(lines) + "\n"


def _indicator_header(t: Table) -> int | None:
    for span in t.spans:
        if span.text.replace("\n", "") == "一级指标":
            return span.row
    return None


def _label_over(t: Table, row: int, col: int) -> str:
    """The text of the merged label that covers (row, col), for 一级/二级 columns only."""
    for span in t.spans:
        if span.rows > 1 and span.col == col and span.row < row < span.row + span.rows and col in (1, 2):
            return span.text.replace("\n", "")
    return ""
