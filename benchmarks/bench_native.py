"""Reading speed of the native grid readers (HTML, XLSX, XLS, DOCX, CSV).

    PYTHONPATH=src .venv/bin/python benchmarks/bench_native.py [--forms 1 40] [--repeat 3]

Writes the Shanghai-layout test form of tests/ingest/native_forms.py with
merged cells, --forms times over in one file (HTML: one table per form;
XLSX: one sheet per form; DOCX: one table per form; CSV: forms stacked), and
times load_document on it: the best of --repeat runs, as milliseconds per
file and table rows per second. The XLS is the committed one-form test file.
Prints numbers; asserts nothing.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT))

from tests.ingest import native_forms  # noqa: E402

from crossfoot.ingest import load_document  # noqa: E402


def _many(kind: str, folder: Path, forms: int) -> Path:
    """One file holding ``forms`` copies of the form."""
    one = getattr(native_forms, f"write_{kind}")(folder / f"one.{kind}")
    if forms == 1:
        return Path(one)
    path = folder / f"many.{kind}"
    if kind == "html":
        page = one.read_text(encoding="utf-8")
        start, end = page.index('<table border="1"'), page.index("</table>") + len("</table>")
        path.write_text(page[:start] + page[start:end] * forms + page[end:], encoding="utf-8")
    elif kind == "csv":
        path.write_text(one.read_text(encoding="utf-8") * forms, encoding="utf-8")
    elif kind == "xlsx":
        import openpyxl

        workbook = openpyxl.load_workbook(one)
        for _ in range(forms - 1):
            workbook.copy_worksheet(workbook.worksheets[0])
        workbook.save(path)
    elif kind == "docx":
        import copy

        import docx

        document = docx.Document(str(one))
        body = document.element.body
        blocks = [child for child in body if child.tag.endswith(("}p", "}tbl"))]
        anchor = body[-1]  # sectPr stays last
        for _ in range(forms - 1):
            for block in blocks:
                anchor.addprevious(copy.deepcopy(block))
        document.save(str(path))
    return path


def _best(path: Path, repeat: int) -> tuple[float, int]:
    times, rows = [], 0
    for _ in range(repeat):
        started = time.perf_counter()
        document = load_document(path)
        times.append(time.perf_counter() - started)
        rows = len(document.lines)
    return min(times), rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--forms", type=int, nargs="+", default=[1, 40])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    print(f"{'format':<6} {'forms':>5} {'bytes':>9} {'lines':>6} {'ms/file':>9} {'lines/s':>9}")
    with tempfile.TemporaryDirectory() as tmp:
        for forms in args.forms:
            for kind in ("html", "xlsx", "docx", "csv"):
                folder = Path(tmp) / f"{kind}-{forms}"
                folder.mkdir()
                path = _many(kind, folder, forms)
                seconds, lines = _best(path, args.repeat)
                size = path.stat().st_size
                print(f"{kind:<6} {forms:>5} {size:>9} {lines:>6} {seconds * 1000:>9.1f} {lines / seconds:>9.0f}")
        xls = ROOT / "tests" / "ingest" / "native_form.xls"
        seconds, lines = _best(xls, args.repeat)
        print(f"{'xls':<6} {1:>5} {xls.stat().st_size:>9} {lines:>6} {seconds * 1000:>9.1f} {lines / seconds:>9.0f}")


if __name__ == "__main__":
    main()
