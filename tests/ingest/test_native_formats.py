"""Which reader a file gets: content first, name second; formats crossfoot
does not read are refused by name with what to save them as."""

from __future__ import annotations

import json
import random
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from crossfoot.errors import CrossfootError, UnsupportedFormatError
from crossfoot.ingest import SUPPORTED_SUFFIXES, load_document
from crossfoot.pipeline import expand_inputs
from tests.ingest.native_forms import refused, write_csv, write_docx, write_html, write_xlsx

OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


def _ole_with(stream: str) -> bytes:
    # the header, then a directory entry naming the stream (UTF-16LE, NUL-ended)
    return OLE + b"\x00" * 504 + stream.encode("utf-16-le") + b"\x00\x00" + b"\x00" * 64


@pytest.mark.parametrize(
    ("name", "content", "says"),
    [
        ("old.doc", _ole_with("WordDocument"), "save it as .docx"),
        ("renamed.xls", _ole_with("WordDocument"), "save it as .docx"),
        ("locked.xlsx", _ole_with("EncryptedPackage"), "password-protected"),
        ("letter.doc", b"{\\rtf1\\ansi ...}", "save it as .docx"),
        ("slides.ppt", _ole_with("PowerPoint Document"), "export the form as .pdf"),
    ],
)
def test_office_formats_crossfoot_does_not_read_are_named(tmp_path: Path, name: str, content: bytes, says: str) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    message = refused(path, UnsupportedFormatError, says)
    assert ".xlsx/.xls" in message and ".docx" in message and "HTML" in message


def test_an_ofd_is_refused_with_what_to_export(tmp_path: Path) -> None:
    # OFD (GB/T 33190) is a zip with OFD.xml at its root; no maintained
    # library reads its tables offline (see docs/native-formats.md)
    path = tmp_path / "form.ofd"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("OFD.xml", "<ofd:OFD/>")
        archive.writestr("Doc_0/Document.xml", "<ofd:Document/>")
    refused(path, UnsupportedFormatError, "export a .pdf")


def test_content_wins_over_a_misleading_name(tmp_path: Path) -> None:
    as_doc = write_docx(tmp_path / "form.docx").rename(tmp_path / "really-docx.doc")
    assert load_document(as_doc).kind == "docx"
    as_xls = write_xlsx(tmp_path / "form.xlsx").rename(tmp_path / "really-xlsx.xls")
    assert load_document(as_xls).kind == "xlsx"
    as_txt = write_html(tmp_path / "page.html").rename(tmp_path / "page.txt")
    assert load_document(as_txt).kind == "html"
    tab_xls = tmp_path / "tabs.xls"  # a site's "Excel export" that is tab-separated text
    tab_xls.write_text("项目名称\t甲项目\n", encoding="gb18030")
    assert load_document(tab_xls).kind == "text"


def test_a_folder_expands_to_every_native_format_and_names_what_it_refuses(tmp_path: Path) -> None:
    for suffix in (".html", ".htm", ".xlsx", ".xls", ".docx", ".csv"):
        assert suffix in SUPPORTED_SUFFIXES
    write_html(tmp_path / "a.html")
    write_xlsx(tmp_path / "b.xlsx")
    write_docx(tmp_path / "c.docx")
    write_csv(tmp_path / "d.csv")
    (tmp_path / "e.doc").write_bytes(_ole_with("WordDocument"))
    (tmp_path / "f.pptx").write_bytes(b"PK")  # not a form format: not listed
    assert [p.name for p in expand_inputs([tmp_path])] == ["a.html", "b.xlsx", "c.docx", "d.csv", "e.doc"]
    done = subprocess.run(
        [sys.executable, "-m", "crossfoot", "extract", str(tmp_path)], capture_output=True, text=True, timeout=180
    )
    # the .doc is reported, not skipped; the four forms are still extracted
    assert done.returncode == 2
    assert "e.doc" in done.stderr and "save it as .docx" in done.stderr
    assert len(done.stdout.splitlines()) == 4


def test_one_unreadable_file_is_named_and_the_batch_goes_on(tmp_path: Path) -> None:
    good = write_xlsx(tmp_path / "form.xlsx")
    bad = tmp_path / "old.doc"
    bad.write_bytes(_ole_with("WordDocument"))
    done = subprocess.run(
        [sys.executable, "-m", "crossfoot", "extract", str(bad), str(good)], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 2
    assert str(bad) in done.stderr and "save it as .docx" in done.stderr
    assert "Traceback" not in done.stderr
    assert len(done.stdout.splitlines()) == 1  # the workbook's form was still extracted


def test_extract_reads_every_native_format_in_one_run(tmp_path: Path) -> None:
    # the "done when": crossfoot extract form.html form.xlsx form.xls form.docx form.csv
    xls = tmp_path / "form.xls"
    xls.write_bytes(Path(__file__).with_name("native_form.xls").read_bytes())
    paths = [
        write_html(tmp_path / "form.html"),
        write_xlsx(tmp_path / "form.xlsx"),
        xls,
        write_docx(tmp_path / "form.docx"),
        write_csv(tmp_path / "form.csv"),
    ]
    done = subprocess.run(
        [sys.executable, "-m", "crossfoot", "extract", *map(str, paths)], capture_output=True, text=True, timeout=180
    )
    assert done.returncode == 0, done.stderr
    envelopes = [json.loads(line) for line in done.stdout.splitlines()]
    assert [e["source"]["kind"] for e in envelopes] == ["html", "xlsx", "xls", "docx", "csv"]
    records = [e["record"] for e in envelopes]
    # the same form in five formats reads the same, apart from how the file types 年初预算数
    for record in records:
        record["funding"]["total"]["initial_budget"] = None
    assert all(record == records[0] for record in records[1:])
    assert len(records[0]["indicators"]) == 6


def test_two_forms_in_one_workbook_or_page_are_two_forms(tmp_path: Path) -> None:
    import openpyxl

    book = write_xlsx(tmp_path / "two.xlsx")
    workbook = openpyxl.load_workbook(book)
    workbook.copy_worksheet(workbook.worksheets[0])  # a second sheet, a second form
    workbook.save(book)
    page = write_html(tmp_path / "two.html")
    text = page.read_text(encoding="utf-8")
    start, end = text.index('<table border="1"'), text.index("</table>") + len("</table>")
    page.write_text(text[:start] + text[start:end] + "<p>&nbsp;</p>" + text[start:end] + text[end:], encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "-m", "crossfoot", "extract", str(book), str(page)],
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert done.returncode == 0, done.stderr
    envelopes = [json.loads(line) for line in done.stdout.splitlines()]
    assert [(e["source"]["kind"], e["source"]["form_index"]) for e in envelopes] == [
        ("xlsx", 0),
        ("xlsx", 1),
        ("html", 0),
        ("html", 1),
    ]
    assert all(len(e["record"]["indicators"]) == 6 for e in envelopes)


@pytest.mark.parametrize("kind", ["html", "xlsx", "xls", "docx", "csv"])
def test_damaged_files_fail_as_input_errors_never_with_a_traceback(tmp_path: Path, kind: str) -> None:
    # cut, overwritten and spliced copies of a good file (fixed seed): each
    # either reads or raises a CrossfootError that names the file
    if kind == "xls":
        good = Path(__file__).with_name("native_form.xls").read_bytes()
    else:
        good = {"html": write_html, "xlsx": write_xlsx, "docx": write_docx, "csv": write_csv}[kind](
            tmp_path / f"good.{kind}"
        ).read_bytes()
    rng = random.Random(kind)
    failures = 0
    for k in range(30):
        data = bytearray(good)
        if k % 3 == 0:
            data = data[: rng.randrange(1, len(data))]
        elif k % 3 == 1:
            for _ in range(rng.randrange(1, 20)):
                data[rng.randrange(len(data))] = rng.randrange(256)
        else:
            at = rng.randrange(len(data))
            data = data[:at] + bytes(rng.randrange(256) for _ in range(50)) + data[at:]
        path = tmp_path / f"damaged{k}.{kind}"
        path.write_bytes(bytes(data))
        try:
            load_document(path)
        except CrossfootError as exc:
            failures += 1
            assert exc.path == str(path)
    if kind in {"xlsx", "docx"}:
        assert failures > 0  # a damaged zip container is noticed, not read as garbage
