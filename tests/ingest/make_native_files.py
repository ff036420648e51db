"""Rebuild the committed native test files that Python cannot write.

- native_form.xls: xlrd only reads XLS and nothing in Python writes one with
  merges and number formats.
- native_form_writer.docx: a DOCX written by a word processor (not by
  python-docx), with that program's own way of storing merges.
- native_form_calc.xlsx: an XLSX saved by a spreadsheet program, so its
  formula holds a calculated value (openpyxl writes none).

Both were made on Debian 12 with LibreOffice 7.4 (apt libreoffice-calc-nogui
and libreoffice-writer-nogui):

    PYTHONPATH=src:. python tests/ingest/make_native_files.py

It writes the form of tests/ingest/native_forms.py as XLSX (with a hidden
second sheet and a formula, whose value LibreOffice calculates on load) and
as a saved web page, and converts them with
``soffice --headless --convert-to xls`` (and ``xlsx``, ``docx``).
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

import openpyxl

from tests.ingest.native_forms import write_html, write_xlsx

HERE = Path(__file__).resolve().parent


def _convert(source: Path, target: str) -> Path:
    out = source.parent / "converted"
    subprocess.run(
        ["soffice", "--headless", "--convert-to", target, "--outdir", str(out), str(source)],
        check=True,
        capture_output=True,
        timeout=300,
    )
    return out / (source.stem + "." + target.split(":")[0])


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        source = write_xlsx(Path(tmp) / "native_form.xlsx")
        workbook = openpyxl.load_workbook(source)
        sheet = workbook["自评表"]
        sheet["J6"] = "=E6/D6"  # 执行率 recomputed: LibreOffice stores the value
        sheet["J6"].number_format = "0.0%"
        hidden = workbook.create_sheet("底稿")
        hidden["A1"] = "不公开的底稿"
        hidden.sheet_state = "hidden"
        workbook.save(source)
        shutil.copy(_convert(source, "xls"), HERE / "native_form.xls")
        shutil.copy(_convert(source, "xlsx"), HERE / "native_form_calc.xlsx")
        page = write_html(Path(tmp) / "native_form_writer.html")
        shutil.copy(_convert(page, "docx:MS Word 2007 XML"), HERE / "native_form_writer.docx")


if __name__ == "__main__":
    main()
