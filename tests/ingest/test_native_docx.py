"""DOCX documents: gridSpan and vMerge extents, gridBefore, paragraphs between
tables, nested tables, check-box symbols, and documents without a form."""

from __future__ import annotations

import copy
import zipfile
from pathlib import Path

import docx
from docx.oxml.ns import qn
from docx.oxml.parser import OxmlElement

from crossfoot.errors import CorruptFileError, NoTableError
from crossfoot.ingest import load_document
from tests.ingest.native_forms import (
    GRID,
    OUTPUT_LABEL,
    TOTAL_ROW,
    WIDTH,
    assert_merges,
    assert_reads_the_form,
    refused,
    write_docx,
)

# write_docx puts GRID's first two rows (title, year) above the table as
# paragraphs, so grid row r is document line r + 1 (0-based r, 1-based line)
# and table row r - 1.


def test_word_merges_become_extents(tmp_path: Path) -> None:
    document = load_document(write_docx(tmp_path / "form.docx"))
    assert document.kind == "docx" and document.grid
    lines = document.lines
    assert [line.text for line in lines[:2]] == [GRID[0][0], GRID[1][0]]
    assert_merges(lines, first_row=2)
    assert (lines[2].cells[1].text, lines[2].cells[1].cols) == ("测试项目", WIDTH - 1)
    assert lines[TOTAL_ROW + 1].text == "说明：本表金额单位为元。"


def test_addresses_name_table_row_and_column(tmp_path: Path) -> None:
    document = load_document(write_docx(tmp_path / "form.docx"))
    row, column = OUTPUT_LABEL
    assert document.lines[row].cells[column].address == f"table 1 row {row - 1} col {column + 1}"
    assert document.lines[0].cells[0].address is None  # a paragraph, not a table cell
    # numbers are the text Word shows, separators and all
    assert [c.text for c in document.lines[5].cells[2:7]] == ["100000.00", "80000.00", "80,000", "10", "100.00%"]
    assert document.lines[5].cells[4].address == "table 1 row 4 col 5"


def _table_document(path: Path, rows: list[list[str]]) -> tuple[docx.document.Document, docx.table.Table]:
    document = docx.Document()
    table = document.add_table(rows=len(rows), cols=len(rows[0]))
    for i, row in enumerate(rows):
        for j, text in enumerate(row):
            table.cell(i, j).text = text
    return document, table


def test_grid_before_shifts_a_row_right(tmp_path: Path) -> None:
    document, table = _table_document(tmp_path / "x.docx", [["一级指标", "二级指标", "分值"], ["", "数量指标", "20"]])
    second = table.rows[1]._tr
    second.remove(second.tc_lst[0])  # the row starts one grid column in
    properties = second.get_or_add_trPr()
    gap = OxmlElement("w:gridBefore")
    gap.set(qn("w:val"), "1")
    properties.insert(0, gap)
    path = tmp_path / "before.docx"
    document.save(str(path))
    lines = load_document(path).lines
    assert [c.text for c in lines[1].cells] == ["", "数量指标", "20"]
    assert lines[1].cells[2].address == "table 1 row 2 col 3"


def test_cell_paragraphs_breaks_and_check_boxes(tmp_path: Path) -> None:
    document, table = _table_document(tmp_path / "x.docx", [["项目属性", ""]])
    cell = table.cell(0, 1)
    cell.text = "第一段"
    cell.add_paragraph("第二段")
    run = cell.add_paragraph().add_run()
    symbol = OxmlElement("w:sym")
    symbol.set(qn("w:font"), "Wingdings")
    symbol.set(qn("w:char"), "F0FE")
    run._r.append(symbol)
    run.add_text(" 经常性项目")
    path = tmp_path / "cells.docx"
    document.save(str(path))
    (line,) = load_document(path).lines
    assert line.cells[1].text == "第一段\n第二段\n☑ 经常性项目"


def test_a_layout_frame_is_read_through_and_a_small_inner_table_stays_in_its_cell(tmp_path: Path) -> None:
    document = docx.Document()
    frame = document.add_table(rows=1, cols=1)
    frame.cell(0, 0).paragraphs[0].text = "项目支出绩效自评表"
    form = frame.cell(0, 0).add_table(rows=2, cols=2)
    for i, row in enumerate([["项目名称", "甲项目"], ["主管部门", "某区财政局"]]):
        for j, text in enumerate(row):
            form.cell(i, j).text = text
    # a grid table whose one cell holds a small table of check boxes
    grid = document.add_table(rows=2, cols=2)
    grid.cell(0, 0).text = "项目类别"
    grid.cell(0, 1).text = "其他说明很长的一段文字，比内嵌小表格的文字多得多"
    grid.cell(1, 0).text = "项目属性"
    boxes = grid.cell(1, 1).add_table(rows=1, cols=2)
    boxes.cell(0, 0).text = "☑新增"
    boxes.cell(0, 1).text = "☐延续"
    path = tmp_path / "nested.docx"
    document.save(str(path))
    lines = load_document(path).lines
    assert [line.text for line in lines] == [
        "项目支出绩效自评表",
        "项目名称\t甲项目",
        "主管部门\t某区财政局",
        "",
        "项目类别\t其他说明很长的一段文字，比内嵌小表格的文字多得多",
        "项目属性\t☑新增 ☐延续",
    ]
    assert lines[1].cells[0].address == "table 1 row 1 col 1"
    assert lines[4].cells[0].address == "table 2 row 1 col 1"


def test_a_docx_without_tables_is_refused_by_name(tmp_path: Path) -> None:
    document = docx.Document()
    document.add_paragraph("2023年度项目支出绩效自评表")
    document.add_paragraph("项目名称：某项目")
    path = tmp_path / "prose.docx"
    document.save(str(path))
    refused(path, NoTableError, "no table")


def test_a_docx_that_is_not_a_zip_or_lacks_its_document_is_refused(tmp_path: Path) -> None:
    fake = tmp_path / "fake.docx"
    fake.write_text("财政项目支出绩效自评表", encoding="utf-8")
    refused(fake, CorruptFileError, "not a zip archive")
    hollow = tmp_path / "hollow.docx"
    with zipfile.ZipFile(hollow, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
    refused(hollow, CorruptFileError, "without its workbook/document")


def test_a_damaged_document_xml_is_refused(tmp_path: Path) -> None:
    whole = write_docx(tmp_path / "form.docx")
    broken = tmp_path / "broken.docx"
    with zipfile.ZipFile(whole) as source, zipfile.ZipFile(broken, "w") as target:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename == "word/document.xml":
                data = data[: len(data) // 2]
            target.writestr(copy.copy(item), data)
    refused(broken, CorruptFileError, "cannot read as a DOCX")


def test_extract_reads_the_form_from_a_word_document(tmp_path: Path) -> None:
    assert_reads_the_form(write_docx(tmp_path / "form.docx"), "docx")


def test_a_text_box_is_read_once_not_with_its_fallback_copy(tmp_path: Path) -> None:
    from lxml import etree

    document, table = _table_document(tmp_path / "x.docx", [["得分", ""]])
    paragraph = table.cell(0, 1).paragraphs[0]._p
    w = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
    mc = "http://schemas.openxmlformats.org/markup-compatibility/2006"
    box = etree.fromstring(
        f'<w:r xmlns:w="{w}" xmlns:mc="{mc}"><mc:AlternateContent>'
        f"<mc:Choice Requires='wps'><w:drawing><w:txbxContent><w:p><w:r><w:t>98.5</w:t></w:r></w:p></w:txbxContent></w:drawing></mc:Choice>"
        f"<mc:Fallback><w:pict><w:txbxContent><w:p><w:r><w:t>98.5</w:t></w:r></w:p></w:txbxContent></w:pict></mc:Fallback>"
        f"</mc:AlternateContent></w:r>"
    )
    paragraph.append(box)
    path = tmp_path / "box.docx"
    document.save(str(path))
    (line,) = load_document(path).lines
    assert [c.text for c in line.cells] == ["得分", "98.5"]


def test_a_block_merged_over_two_rows_and_two_columns(tmp_path: Path) -> None:
    document, table = _table_document(
        tmp_path / "x.docx", [["年度总体目标", "", "实际完成情况"], ["", "", "已完成"], ["说明", "甲", "乙"]]
    )
    table.cell(0, 0).merge(table.cell(1, 1)).text = "年度总体目标"
    path = tmp_path / "block.docx"
    document.save(str(path))
    lines = load_document(path).lines
    origin = lines[0].cells[0]
    assert (origin.text, origin.rows, origin.cols) == ("年度总体目标", 2, 2)
    assert [line.text for line in lines] == ["年度总体目标\t\t实际完成情况", "\t\t已完成", "说明\t甲\t乙"]
    assert lines[1].cells[2].address == "table 1 row 2 col 3"


WRITER_DOCX = Path(__file__).with_name("native_form_writer.docx")  # see make_native_files.py


def test_a_docx_written_by_a_word_processor() -> None:
    # LibreOffice stores merges its own way (and drops the page's layout frame)
    document = load_document(WRITER_DOCX)
    assert document.lines[0].text == "首页 > 信息公开 > 财政预决算"
    assert_merges(document.lines[1:])
    assert_reads_the_form(WRITER_DOCX, "docx")
