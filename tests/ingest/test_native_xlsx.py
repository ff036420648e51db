"""XLSX workbooks: merged ranges, displayed numbers, sheets, formulas and
workbooks that cannot be read."""

from __future__ import annotations

from pathlib import Path

import openpyxl

from crossfoot.errors import CorruptFileError, EmptyInputError, UnsupportedFormatError
from crossfoot.ingest import load_document
from tests.ingest.native_forms import (
    GRID,
    OUTPUT_LABEL,
    WIDTH,
    assert_merges,
    assert_reads_the_form,
    refused,
    write_xlsx,
)


def test_a_merged_range_over_three_rows_keeps_its_extent(tmp_path: Path) -> None:
    document = load_document(write_xlsx(tmp_path / "form.xlsx"))
    assert document.kind == "xlsx" and document.grid
    assert len(document.lines) == len(GRID)
    assert all(len(line.cells) == WIDTH for line in document.lines)
    assert_merges(document.lines)


def test_addresses_are_sheet_and_cell(tmp_path: Path) -> None:
    document = load_document(write_xlsx(tmp_path / "form.xlsx"))
    row, column = OUTPUT_LABEL
    assert document.lines[row].cells[column].address == f"自评表!B{row + 1}"
    assert document.lines[0].cells[0].address == "自评表!A1"
    assert document.lines[5].cells[2].address == "自评表!C6"


def test_numbers_show_as_their_format_displays_them(tmp_path: Path) -> None:
    document = load_document(write_xlsx(tmp_path / "form.xlsx"))
    total = [c.text for c in document.lines[5].cells]
    assert total[1:8] == ["年度资金总额", "100,000.00", "80000.00", "80,000", "10", "100.00%", "10"]


def test_sheet_margins_hidden_sheets_formulas_and_sheet_order(tmp_path: Path) -> None:
    workbook = openpyxl.Workbook()
    first = workbook.active
    first.title = "Sheet1"
    first["C3"] = "项目名称"
    first["D3"] = "甲"
    first["D4"] = 403.7
    first["D4"].number_format = "0.00"
    first["E4"] = 0.9862
    first["E4"].number_format = "0.0%"
    first["F4"] = "=D4*2"  # saved by openpyxl: no calculated value in the file
    hidden = workbook.create_sheet("底稿")
    hidden["A1"] = "不公开"
    hidden.sheet_state = "hidden"
    second = workbook.create_sheet("My Sheet")
    second["A1"] = "第二张表"
    path = tmp_path / "book.xlsx"
    workbook.save(path)
    document = load_document(path)
    # the empty margin (rows 1-2, columns A-B) is not part of the grid; a
    # formula saved without its value reads as its text
    assert [c.text for c in document.lines[0].cells] == ["项目名称", "甲", "", ""]
    assert [c.text for c in document.lines[1].cells] == ["", "403.70", "98.6%", "=D4*2"]
    assert document.lines[1].cells[3].address == "Sheet1!F4"
    assert document.lines[2].text == ""  # one blank line between sheets
    assert document.lines[3].cells[0].text == "第二张表"
    assert document.lines[3].cells[0].address == "'My Sheet'!A1"
    assert "不公开" not in "".join(line.text for line in document.lines)
    assert any("'底稿' is hidden" in note for note in document.notes)
    assert any("Sheet1!F4" in note and "=D4*2" in note for note in document.notes)


def test_an_empty_workbook_is_refused_by_name(tmp_path: Path) -> None:
    path = tmp_path / "empty.xlsx"
    openpyxl.Workbook().save(path)
    refused(path, EmptyInputError, "no visible sheet with text")


def test_an_xlsx_that_is_not_a_zip_is_refused_by_name(tmp_path: Path) -> None:
    path = tmp_path / "fake.xlsx"
    path.write_bytes(b"\x01\x02 this is not a workbook \x00\x00")
    refused(path, CorruptFileError, "not a zip archive")


def test_a_truncated_xlsx_is_refused(tmp_path: Path) -> None:
    whole = write_xlsx(tmp_path / "whole.xlsx").read_bytes()
    path = tmp_path / "cut.xlsx"
    path.write_bytes(whole[: len(whole) // 2])
    refused(path, CorruptFileError, "damaged zip")


def test_a_zip_that_is_not_a_workbook_says_what_crossfoot_reads(tmp_path: Path) -> None:
    import zipfile

    path = tmp_path / "forms.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("a.txt", "财政项目支出绩效自评表")
    assert ".xlsx" in refused(path, UnsupportedFormatError, "unpack it")


def test_extract_reads_the_form_from_a_workbook(tmp_path: Path) -> None:
    record = assert_reads_the_form(write_xlsx(tmp_path / "form.xlsx"), "xlsx")
    # typed as the number 100000 under #,##0.00, displayed and read as 100,000.00
    assert record["funding"]["total"]["initial_budget"] == "100000.00"


def test_hidden_rows_and_columns_are_read_and_said(tmp_path: Path) -> None:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet["A1"], sheet["B2"], sheet["C3"] = "项目名称", "旧指标", "备注"
    sheet.row_dimensions[2].hidden = True
    sheet.column_dimensions["C"].hidden = True
    path = tmp_path / "hidden.xlsx"
    workbook.save(path)
    document = load_document(path)
    assert [line.text for line in document.lines] == ["项目名称\t\t", "\t旧指标\t", "\t\t备注"]
    assert document.notes == [
        "sheet 'Sheet': hidden rows 2 hold text; read anyway",
        "sheet 'Sheet': hidden columns C hold text; read anyway",
    ]


def test_numbers_their_format_rounds_are_read_as_shown_and_noted(tmp_path: Path) -> None:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet["A1"], sheet["B1"], sheet["C1"] = "执行率", 0.98765, 0.5
    sheet["B1"].number_format = sheet["C1"].number_format = "0.00%"
    sheet["A2"], sheet["B2"], sheet["C2"] = "全年执行数", 403.7, 0.1 + 0.2
    sheet["B2"].number_format = "0"
    sheet["C2"].number_format = "0.00"  # float noise is not a hidden digit
    path = tmp_path / "rounded.xlsx"
    workbook.save(path)
    document = load_document(path)
    assert [line.text for line in document.lines] == ["执行率\t98.77%\t50.00%", "全年执行数\t404\t0.30"]
    assert document.notes == [
        "sheet 'Sheet': 2 numbers are shown rounded by their format (Sheet!B1 holds 0.98765, shows 98.77%; "
        "Sheet!B2 holds 403.7, shows 404)"
    ]


CALC_XLSX = Path(__file__).with_name("native_form_calc.xlsx")  # saved by LibreOffice: see make_native_files.py


def test_a_workbook_saved_by_a_spreadsheet_program_shows_its_formula_values() -> None:
    document = load_document(CALC_XLSX)
    total = document.lines[5].cells
    # J6 holds =E6/D6 under 0.0%; the program stored its value, so no note
    assert (total[9].text, total[9].address) == ("100.0%", "自评表!J6")
    assert document.notes == ["sheet '底稿' is hidden: skipped"]
    assert_merges(document.lines)


def test_formula_errors_show_as_excel_shows_them_and_are_noted(tmp_path: Path) -> None:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet["A1"], sheet["B1"] = "执行率", "#DIV/0!"
    assert sheet["B1"].data_type == "e"  # openpyxl stores error codes as errors
    path = tmp_path / "errors.xlsx"
    workbook.save(path)
    document = load_document(path)
    assert document.lines[0].text == "执行率\t#DIV/0!"
    assert document.notes == ["sheet 'Sheet': formula errors show as Excel shows them (Sheet!B1 #DIV/0!)"]
