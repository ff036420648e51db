"""Text dumps: encodings, BOM, line endings, and inputs that are not dumps."""

from __future__ import annotations

from pathlib import Path

import pytest

from crossfoot.errors import BinaryInputError, EmptyInputError, EncodingError, MissingInputError
from crossfoot.ingest import load_document
from tests.forms import form_text


@pytest.mark.parametrize(
    ("encoding", "prefix", "expected"),
    [
        ("utf-8", b"", "utf-8"),
        ("utf-8", b"\xef\xbb\xbf", "utf-8-sig"),
        ("gb18030", b"", "gb18030"),
        ("gbk", b"", "gb18030"),
        ("utf-16", b"", "utf-16"),
    ],
)
def test_encodings_are_detected_and_reported(tmp_path: Path, encoding: str, prefix: bytes, expected: str) -> None:
    path = tmp_path / "form.txt"
    path.write_bytes(prefix + form_text().encode(encoding))
    document = load_document(path)
    assert document.encoding == expected
    assert any("项目名称" in line.text for line in document.lines)


def test_crlf_and_lf_give_the_same_cells(tmp_path: Path) -> None:
    lf, crlf = tmp_path / "lf.txt", tmp_path / "crlf.txt"
    lf.write_text(form_text(), encoding="utf-8", newline="\n")
    crlf.write_text(form_text(), encoding="utf-8", newline="\r\n")
    a, b = load_document(lf), load_document(crlf)
    assert [ln.text for ln in a.lines] == [ln.text for ln in b.lines]


def test_lines_are_numbered_from_one_with_cell_columns(tmp_path: Path) -> None:
    path = tmp_path / "form.txt"
    path.write_text("a\tb\n\tc\n", encoding="utf-8")
    document = load_document(path)
    assert [ln.number for ln in document.lines] == [1, 2]
    assert [(c.column, c.text) for c in document.lines[1].cells] == [(0, ""), (1, "c")]


def test_empty_file(tmp_path: Path) -> None:
    path = tmp_path / "empty.txt"
    path.write_bytes(b"")
    with pytest.raises(EmptyInputError) as info:
        load_document(path)
    assert str(path) in str(info.value)


def test_whitespace_only_file(tmp_path: Path) -> None:
    path = tmp_path / "blank.txt"
    path.write_text(" \n\t\n", encoding="utf-8")
    with pytest.raises(EmptyInputError):
        load_document(path)


def test_binary_file(tmp_path: Path) -> None:
    path = tmp_path / "blob.txt"
    path.write_bytes(bytes(range(256)) * 4)
    with pytest.raises(BinaryInputError) as info:
        load_document(path)
    assert "blob.txt" in str(info.value)


def test_undecodable_text(tmp_path: Path) -> None:
    path = tmp_path / "latin.txt"
    path.write_bytes("café crème brûlée\n".encode("latin-1") * 20)
    with pytest.raises(EncodingError):
        load_document(path)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(MissingInputError):
        load_document(tmp_path / "nope.txt")


def test_the_error_names_the_first_bad_bytes_line(tmp_path: Path) -> None:
    """Issue 9, item 10: an undecodable file names its first bad byte's line."""
    path = tmp_path / "latin.txt"
    path.write_bytes("项目名称\t测试\n".encode() * 3 + "café crème brûlée\n".encode("latin-1") * 20)
    with pytest.raises(EncodingError) as info:
        load_document(path)
    assert "line 4" in str(info.value)
    assert "0xe9" in str(info.value)


def test_a_dump_cut_mid_character_is_read_with_a_note(tmp_path: Path) -> None:
    """Issue 9, item 10: a dump cut inside a character is read, not rejected whole."""
    data = form_text().encode("utf-8")
    cut = data.rstrip()
    while cut[-1] < 0x80:  # back to the last byte of a CJK character...
        cut = cut[:-1]
    cut = cut[:-1]  # ...and cut that character short
    path = tmp_path / "cut.txt"
    path.write_bytes(cut)
    document = load_document(path)
    assert document.encoding == "utf-8"
    last = document.lines[-1]
    assert "\ufffd" in last.text
    assert document.notes and f"line {last.number}" in document.notes[0]


def test_a_few_broken_bytes_become_a_finding_on_their_form(tmp_path: Path) -> None:
    """Issue 9, item 10: replacement characters are flagged on the form they sit in."""
    from crossfoot.extract.rules import RulesExtractor
    from crossfoot.pipeline import process_document

    first, second = form_text().encode("utf-8"), form_text().encode("utf-8")
    at = second.index("项目名称".encode()) + 1
    broken = second[:at] + b"\xff" + second[at + 1 :]
    path = tmp_path / "two.txt"
    path.write_bytes(first + b"\n" + broken)
    document = load_document(path)
    envelopes = process_document(document, RulesExtractor())
    codes = [[f.code for f in e.findings] for e in envelopes]
    assert "encoding_replaced" not in codes[0]
    assert "encoding_replaced" in codes[1]


def test_gbk_with_one_broken_byte_is_still_gbk(tmp_path: Path) -> None:
    """Issue 9, item 10: leniency picks the encoding that needs the fewest replacements."""
    data = form_text().encode("gb18030")
    at = data.index("项目名称".encode("gb18030"))
    path = tmp_path / "gbk.txt"
    path.write_bytes(data[:at] + b"\xff" + data[at + 1 :])
    document = load_document(path)
    assert document.encoding == "gb18030"
    assert any("\ufffd" in line.text for line in document.lines)
