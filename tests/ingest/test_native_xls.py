"""XLS workbooks (Excel 97-2003) read with xlrd.

native_form.xls beside this test is the form of native_forms.py, converted
by LibreOffice 7.4 (``soffice --headless --convert-to xls``); make_native_files.py
rebuilds it and says how. It adds a formula in J6 (=E6/D6 as 0.0%) and a
hidden sheet 底稿.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from crossfoot.errors import CorruptFileError, UnsupportedFormatError
from crossfoot.ingest import load_document
from tests.ingest.native_forms import (
    GRID,
    OUTPUT_LABEL,
    assert_merges,
    assert_reads_the_form,
    refused,
)

XLS = Path(__file__).with_name("native_form.xls")


def test_merged_ranges_keep_their_extent() -> None:
    document = load_document(XLS)
    assert document.kind == "xls" and document.grid
    assert len(document.lines) == len(GRID)
    assert_merges(document.lines)


def test_addresses_and_displayed_numbers() -> None:
    document = load_document(XLS)
    row, column = OUTPUT_LABEL
    assert document.lines[row].cells[column].address == f"自评表!B{row + 1}"
    total = document.lines[5].cells
    assert [c.text for c in total[2:8]] == ["100,000.00", "80000.00", "80,000", "10", "100.00%", "10"]
    # the formula's value as LibreOffice calculated it, in its 0.0% format
    assert (total[9].text, total[9].address) == ("100.0%", "自评表!J6")


def test_a_hidden_sheet_is_skipped_with_a_note() -> None:
    document = load_document(XLS)
    assert "不公开" not in "".join(line.text for line in document.lines)
    assert document.notes == ["sheet '底稿' is hidden: skipped"]


def test_a_truncated_xls_is_refused_by_name(tmp_path: Path) -> None:
    path = tmp_path / "cut.xls"
    path.write_bytes(XLS.read_bytes()[:2048])
    refused(path, CorruptFileError, "cannot read as an XLS")


def test_an_ole_file_without_a_workbook_is_not_taken_for_one(tmp_path: Path) -> None:
    path = tmp_path / "other.bin"
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504 + "Contents".encode("utf-16-le") + b"\x00\x00")
    with pytest.raises(UnsupportedFormatError, match=r"save it as \.xlsx"):
        load_document(path)


def test_extract_reads_the_form_from_an_xls() -> None:
    assert_reads_the_form(XLS, "xls")
