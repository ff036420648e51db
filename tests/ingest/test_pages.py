"""Pages in parallel and pages into one Document."""

from __future__ import annotations

import pytest

from crossfoot.errors import EmptyInputError, PdfError
from crossfoot.ingest.document import Cell
from crossfoot.ingest.layout import Row
from crossfoot.ingest.pages import PageResult, assemble, map_pages


def _square_or_fail(n: int) -> int:
    if n == 3:
        raise PdfError("cannot read the page", path="/data/report.pdf", page=n)
    return n * n


def test_results_come_back_in_order_from_worker_processes() -> None:
    assert map_pages(_square_or_fail, [1, 2, 4, 5], workers=2) == [1, 4, 16, 25]


def test_an_error_in_a_worker_keeps_its_file_and_page() -> None:
    with pytest.raises(PdfError) as caught:
        map_pages(_square_or_fail, [1, 2, 3, 4], workers=2)
    assert (caught.value.path, caught.value.page) == ("/data/report.pdf", 3)
    assert str(caught.value) == "/data/report.pdf: page 3: cannot read the page"


def _page(number: int, *texts: str) -> PageResult:
    rows = [Row(top=float(i), cells=[Cell(column=0, text=t)]) for i, t in enumerate(texts)]
    return PageResult(number=number, rows=rows, method="text")


def test_lines_are_numbered_across_pages_with_one_blank_line_between() -> None:
    document = assemble(path="a.pdf", sha256="x", kind="pdf", pages=[_page(1, "a", "b"), _page(2, "c")], notes=[])
    assert [(line.number, line.page, line.text) for line in document.lines] == [
        (1, 1, "a"),
        (2, 1, "b"),
        (3, None, ""),
        (4, 2, "c"),
    ]


def test_a_blank_page_is_skipped_but_a_document_of_blank_pages_is_refused() -> None:
    document = assemble(path="a.pdf", sha256="x", kind="scan", pages=[_page(1, "a"), _page(2), _page(3, "c")], notes=[])
    assert [line.text for line in document.lines] == ["a", "", "c"]
    assert any(note.startswith("page 2: ") for note in document.notes)
    with pytest.raises(EmptyInputError) as caught:
        assemble(path="b.pdf", sha256="x", kind="scan", pages=[_page(1), _page(2)], notes=[])
    assert (caught.value.path, caught.value.page) == ("b.pdf", 1)


def test_a_ruled_cell_is_addressed_by_its_page_and_grid_place() -> None:
    ruled = Row(top=0.0, cells=[Cell(column=0, text="总分", cols=6, address="r19c1")])
    loose = Row(top=9.0, cells=[Cell(column=0, text="说明")])  # text outside the table: no grid place
    pages = [_page(1, "a"), PageResult(number=2, rows=[ruled, loose], method="rapidocr")]
    document = assemble(path="a.pdf", sha256="x", kind="scan", pages=pages, notes=[])
    cells = [line.cells[0] for line in document.lines if line.page == 2]
    assert [(c.address, c.cols) for c in cells] == [("page 2 r19c1", 6), (None, 1)]
