"""A Shanghai-layout form as a real table with merged cells, written out as
HTML, XLSX, DOCX and CSV at test time.

The grid is the text-dump form of tests/forms.py (so today's rules extractor
reads it), and MERGES says which cells the printed form merges: the 一级指标
labels over their rows, 绩效指标 down the indicator table, 总分 across six
columns, the title across the width.
"""

from __future__ import annotations

import csv
import html
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from crossfoot.errors import CrossfootError
from crossfoot.ingest import Line, load_document
from tests.forms import form_text

#: the form's grid: rows of cell texts, every row as wide as the widest
GRID: list[list[str]] = [line.split("\t") for line in form_text().splitlines()]
WIDTH = max(len(row) for row in GRID)
GRID = [row + [""] * (WIDTH - len(row)) for row in GRID]

FIRST_INDICATOR = next(i for i, row in enumerate(GRID) if row[0] == "绩效指标")
TOTAL_ROW = next(i for i, row in enumerate(GRID) if row[0] == "总分")

#: (row, column, rowspan, colspan), 0-based
MERGES: list[tuple[int, int, int, int]] = [
    (0, 0, 1, WIDTH),  # title
    (1, 0, 1, WIDTH),  # (2022 年度)
    (2, 1, 1, WIDTH - 1),  # project name
    (4, 0, 5, 1),  # 项目资金 (元) down the funding block
    (FIRST_INDICATOR, 0, TOTAL_ROW - FIRST_INDICATOR, 1),  # 绩效指标
    (FIRST_INDICATOR + 1, 1, 3, 1),  # 产出指标 over its three rows
    (FIRST_INDICATOR + 4, 1, 2, 1),  # 效益指标 over two
    (TOTAL_ROW, 0, 1, 6),  # 总分
]

#: where the 产出指标 label sits (0-based row, column) and what it covers
OUTPUT_LABEL = (FIRST_INDICATOR + 1, 1)


def covered() -> set[tuple[int, int]]:
    out: set[tuple[int, int]] = set()
    for r, c, rs, cs in MERGES:
        out.update((r + i, c + j) for i in range(rs) for j in range(cs) if (i, j) != (0, 0))
    return out


def assert_merges(lines: list[Line], first_row: int = 0) -> None:
    """``lines[r]`` holds grid row r: each merge of MERGES from ``first_row``
    on sits at its top-left position with its extent, covering empty cells,
    and every line has one cell per grid column."""
    row, column = OUTPUT_LABEL
    label = lines[row].cells[column]
    assert (label.text, label.rows, label.cols) == ("产出指标", 3, 1)
    assert [lines[row + k].cells[column].text for k in (1, 2)] == ["", ""]
    assert [(lines[row + k].cells[column].rows, lines[row + k].cells[column].cols) for k in (1, 2)] == [(1, 1)] * 2
    assert lines[row + 3].cells[column].text == "效益指标"
    total = lines[TOTAL_ROW].cells
    assert (total[0].text, total[0].rows, total[0].cols) == ("总分", 1, 6)
    assert total[6].text == "100"
    for r, c in covered():
        if r >= first_row:
            assert lines[r].cells[c].text == ""
    for line in lines[first_row : TOTAL_ROW + 1]:
        assert [c.column for c in line.cells] == list(range(len(line.cells)))
        assert len(line.cells) >= WIDTH


def refused(path: Path, error: type[CrossfootError], says: str) -> str:
    """load_document refuses the file with this error type, naming the file."""
    with pytest.raises(error) as caught:
        load_document(path)
    assert caught.value.path == str(path)
    message = str(caught.value)
    assert str(path) in message and says in message
    return message


def _origins() -> dict[tuple[int, int], tuple[int, int]]:
    return {(r, c): (rs, cs) for r, c, rs, cs in MERGES}


def write_html(path: Path, *, charset: str = "utf-8", wrap: bool = True) -> Path:
    """The form inside a saved government page: a menu, a layout table, the
    title as a paragraph above the form table, a footer."""
    hidden = covered()
    origins = _origins()
    rows = []
    for i, row in enumerate(GRID):
        tds = []
        for j, text in enumerate(row):
            if (i, j) in hidden:
                continue
            rs, cs = origins.get((i, j), (1, 1))
            span = (f' rowspan="{rs}"' if rs > 1 else "") + (f' colspan="{cs}"' if cs > 1 else "")
            tds.append(f"<td{span}>{html.escape(text) or '&nbsp;'}</td>")
        rows.append("<tr>" + "".join(tds) + "</tr>")
    table = '<table border="1" class="MsoTableGrid">\n' + "\n".join(rows) + "\n</table>"
    if wrap:
        table = (
            '<div class="nav">首页 &gt; 信息公开 &gt; 财政预决算</div>\n'
            '<table width="100%"><tr><td class="content">\n' + table + "\n</td></tr></table>\n"
            "<p>主办单位：某区财政局&nbsp;&nbsp;联系电话：021-00000000</p>"
        )
    page = (
        f'<!DOCTYPE html>\n<html><head><meta http-equiv="Content-Type" content="text/html; charset={charset}">'
        f"<title>绩效自评</title><style>td {{ border: 1px solid }}</style></head>\n<body>\n{table}\n</body></html>\n"
    )
    path.write_bytes(page.encode("gb18030" if charset.lower() in {"gbk", "gb2312"} else charset))
    return path


def write_xlsx(path: Path) -> Path:
    """The form as a workbook: merged ranges, numbers typed as numbers with
    the formats an office uses (#,##0.00, 0.00%, General)."""
    import openpyxl

    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "自评表"
    for i, row in enumerate(GRID):
        for j, text in enumerate(row):
            if not text:
                continue
            cell = sheet.cell(row=i + 1, column=j + 1)
            cell.value = text
            cell.data_type = "s"  # a target such as "=30个" is text, not a formula
    funding_total = 6  # row 6: 年度资金总额
    sheet.cell(row=funding_total, column=3).value = 100000
    sheet.cell(row=funding_total, column=3).number_format = "#,##0.00"
    sheet.cell(row=funding_total, column=4).value = 80000
    sheet.cell(row=funding_total, column=4).number_format = "0.00"
    sheet.cell(row=funding_total, column=5).value = 80000
    sheet.cell(row=funding_total, column=5).number_format = "#,##0"
    sheet.cell(row=funding_total, column=7).value = 1
    sheet.cell(row=funding_total, column=7).number_format = "0.00%"
    for r, c, rs, cs in MERGES:
        sheet.merge_cells(start_row=r + 1, start_column=c + 1, end_row=r + rs, end_column=c + cs)
    workbook.save(path)
    return path


def write_docx(path: Path) -> Path:
    """The form as a Word table, merged with Word's own merge (gridSpan and
    vMerge in the file); the title as a paragraph above it."""
    import docx

    document = docx.Document()
    document.add_paragraph(GRID[0][0])  # the title and the year as paragraphs above the table
    document.add_paragraph(GRID[1][0])
    table = document.add_table(rows=len(GRID) - 2, cols=WIDTH)
    table.style = "Table Grid"
    for i, row in enumerate(GRID[2:]):
        for j, text in enumerate(row):
            if text:
                table.cell(i, j).text = text
    for r, c, rs, cs in MERGES:
        if r < 2:
            continue
        origin = table.cell(r - 2, c)
        text = origin.text
        merged = origin.merge(table.cell(r - 2 + rs - 1, c + cs - 1))
        merged.text = text  # merge() joins the texts of every merged cell
    document.add_paragraph("说明：本表金额单位为元。")
    document.save(str(path))
    return path


def write_csv(path: Path, *, encoding: str = "utf-8") -> Path:
    """The form as a CSV export: no merges, the merged text in its first cell."""
    with path.open("w", newline="", encoding=encoding) as handle:
        csv.writer(handle).writerows(GRID)
    return path


def extract_cli(path: Path) -> dict[str, Any]:
    """``crossfoot extract PATH`` as a user runs it: the one envelope it prints."""
    done = subprocess.run(
        [sys.executable, "-m", "crossfoot", "extract", str(path)], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    (envelope,) = [json.loads(line) for line in done.stdout.splitlines()]
    assert isinstance(envelope, dict)
    return envelope


def assert_reads_the_form(path: Path, kind: str) -> dict[str, Any]:
    """``crossfoot extract`` on a native file of the form above reads what a
    text dump of it reads; returns the record."""
    envelope = extract_cli(path)
    assert envelope["source"]["kind"] == kind
    record = envelope["record"]
    assert isinstance(record, dict)
    assert (record["project_name"], record["year"]) == ("测试项目", 2022)
    assert record["funding"]["total"]["annual_budget"] == "80000.00"
    names = [(i["level1"], i["name"], i["target"], i["actual"]) for i in record["indicators"]]
    assert names[:2] == [("产出指标", "完成数量", "=30个", "58"), ("产出指标", "合格率", "=100%", "100%")]
    # the merged 一级指标 labels apply to every row they cover
    assert [i["level1"] for i in record["indicators"]] == ["产出指标"] * 3 + ["效益指标"] * 2 + ["满意度指标"]
    assert (record["total_weight"], record["total_score"]) == ("100", "100")
    return record
