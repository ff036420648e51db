"""Rebuild tests/ingest/native_form.xls, the XLS the tests read.

xlrd only reads XLS, nothing in Python writes one with merges and number
formats, so the file is committed. It was made on Debian 12 with
LibreOffice 7.4 (apt libreoffice-calc-nogui):

    PYTHONPATH=src:. python tests/ingest/make_native_xls.py

which writes the form of tests/ingest/native_forms.py as XLSX (with a hidden
second sheet and a formula, whose value LibreOffice calculates on load) and
converts it with ``soffice --headless --convert-to xls``.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

import openpyxl

from tests.ingest.native_forms import write_xlsx

HERE = Path(__file__).resolve().parent


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
        subprocess.run(
            ["soffice", "--headless", "--convert-to", "xls", "--outdir", tmp, str(source)],
            check=True,
            capture_output=True,
            timeout=300,
        )
        shutil.copy(Path(tmp) / "native_form.xls", HERE / "native_form.xls")


if __name__ == "__main__":
    main()
