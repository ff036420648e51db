"""CSV files: a grid without merges, decoded like text dumps."""

from __future__ import annotations

from pathlib import Path

from crossfoot.errors import EmptyInputError, EncodingError
from crossfoot.ingest import load_document
from tests.ingest.native_forms import (
    GRID,
    OUTPUT_LABEL,
    WIDTH,
    assert_reads_the_form,
    refused,
    write_csv,
)


def test_a_merged_label_stays_in_its_first_row_with_the_rows_below_empty(tmp_path: Path) -> None:
    document = load_document(write_csv(tmp_path / "form.csv"))
    assert document.kind == "csv" and document.grid
    assert len(document.lines) == len(GRID)
    row, column = OUTPUT_LABEL
    # a CSV cannot say a cell is merged: the extent is 1 and the rows below are empty
    label = document.lines[row].cells[column]
    assert (label.text, label.rows, label.cols) == ("产出指标", 1, 1)
    assert [document.lines[row + k].cells[column].text for k in (1, 2)] == ["", ""]
    for line in document.lines:
        assert [c.column for c in line.cells] == list(range(WIDTH))
    assert document.lines[row].cells[column].address == f"row {row + 1} col {column + 1}"


def test_an_excel_utf8_csv_with_a_byte_order_mark(tmp_path: Path) -> None:
    path = tmp_path / "excel.csv"
    path.write_bytes("项目名称,甲项目\r\n总分,100\r\n".encode("utf-8-sig"))
    document = load_document(path)
    assert document.encoding == "utf-8-sig"
    assert [line.text for line in document.lines] == ["项目名称\t甲项目", "总分\t100"]


def test_gbk_semicolons_and_quoted_line_breaks(tmp_path: Path) -> None:
    path = tmp_path / "export.csv"
    path.write_bytes('项目名称;"甲项目"\n一级指标;"产出\n指标";"1,234.50"\n'.encode("gb18030"))
    document = load_document(path)
    assert document.encoding == "gb18030"
    assert [c.text for c in document.lines[0].cells] == ["项目名称", "甲项目", ""]
    assert [c.text for c in document.lines[1].cells] == ["一级指标", "产出\n指标", "1,234.50"]
    assert document.lines[1].cells[2].address == "row 2 col 3"


def test_an_empty_or_comma_only_csv_is_refused(tmp_path: Path) -> None:
    blank = tmp_path / "blank.csv"
    blank.write_bytes(b"")
    refused(blank, EmptyInputError, "empty file")
    commas = tmp_path / "commas.csv"
    commas.write_text(",,,\n,,,\n", encoding="utf-8")
    refused(commas, EmptyInputError, "no cell with text")


def test_an_undecodable_csv_is_refused_by_name(tmp_path: Path) -> None:
    path = tmp_path / "latin.csv"
    path.write_bytes("名称,金额\n".encode()[:-3] + b"\xff\xfe\xfa,\xe9\xe8\n" * 40)
    refused(path, EncodingError, "cannot decode")


def test_extract_reads_the_form_from_a_csv(tmp_path: Path) -> None:
    assert_reads_the_form(write_csv(tmp_path / "form.csv", encoding="gb18030"), "csv")
