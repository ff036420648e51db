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
