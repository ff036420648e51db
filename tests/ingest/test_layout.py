"""Rows and cells from positioned text: the part PDF and OCR pages share."""

from __future__ import annotations

import random

import pytest

from crossfoot.ingest.layout import Box, CellIndex, PageText, Rect, _nearest, _owner, join_text, page_rows


def _chars(text: str, x: float, top: float, size: float = 10.0, confidence: float | None = None) -> list[Box]:
    """One box per character, as pdfplumber gives them."""
    return [
        Box(ch, Rect(x + i * size, top, x + (i + 1) * size, top + size), confidence)
        for i, ch in enumerate(text)
        if ch != " "
    ]


def _texts(rows: list) -> list[list[str]]:  # type: ignore[type-arg]
    return [[c.text for c in row.cells] for row in rows]


def test_a_ruled_grid_becomes_one_row_per_table_row_with_merged_cells_on_their_first_row() -> None:
    # columns at x = 0, 100, 200, 300; rows at top = 0, 20, 40
    cells = [
        Rect(0, 0, 100, 60),  # merged over three rows: 产出指标
        Rect(100, 0, 200, 20),
        Rect(200, 0, 300, 20),
        Rect(100, 20, 200, 40),
        Rect(200, 20, 300, 40),
        Rect(100, 40, 300, 60),  # merged over two columns
    ]
    boxes = (
        _chars("产出指标", 5, 25)  # printed in the middle of its merged cell
        + _chars("数量", 105, 5)
        + _chars("10", 205, 5)
        + _chars("质量", 105, 25)
        + _chars("9", 205, 25)
        + _chars("合计19", 105, 45)
    )
    rows = page_rows(PageText(boxes=boxes, cells=cells))
    assert _texts(rows) == [["产出指标", "数量", "10"], ["", "质量", "9"], ["", "合计19"]]
    assert all(c.column == i for row in rows for i, c in enumerate(row.cells))


def test_text_wrapped_inside_a_cell_is_joined_without_a_space_and_boxed() -> None:
    cells = [Rect(0, 0, 60, 40), Rect(60, 0, 120, 40), Rect(0, 40, 60, 60), Rect(60, 40, 120, 60)]
    boxes = _chars("年度资金", 2, 2) + _chars("总额", 2, 14) + _chars("375000", 62, 10, size=8, confidence=0.97)
    boxes += _chars("a", 2, 45) + _chars("b", 62, 45)
    rows = page_rows(PageText(boxes=boxes, cells=cells))
    label, number = rows[0].cells
    assert label.text == "年度资金总额"
    assert label.bbox == (2, 2, 42, 24)
    assert number.text == "375000"
    assert number.confidence == 0.97


def test_latin_words_wrapped_in_a_cell_keep_their_space() -> None:
    assert join_text(["data", "MAC", "校验"]) == "data MAC校验"
    assert join_text(["100.", "00"]) == "100.00"


def test_an_empty_table_row_is_dropped_because_a_blank_line_means_a_page_break() -> None:
    cells = [
        Rect(0, 0, 50, 20),
        Rect(50, 0, 100, 20),
        Rect(0, 20, 50, 40),
        Rect(50, 20, 100, 40),
        Rect(0, 40, 50, 60),
        Rect(50, 40, 100, 60),
    ]
    boxes = _chars("a", 5, 5) + _chars("b", 5, 45)
    assert _texts(page_rows(PageText(boxes=boxes, cells=cells))) == [["a", ""], ["b", ""]]


def test_text_outside_the_table_becomes_lines_in_page_order() -> None:
    cells = [Rect(0, 100, 50, 120), Rect(50, 100, 100, 120), Rect(0, 120, 50, 140), Rect(50, 120, 100, 140)]
    boxes = _chars("财政项目支出绩效自评表", 0, 10, size=16) + _chars("(2022年度)", 20, 40)
    boxes += _chars("项目", 2, 105) + _chars("x", 52, 105) + _chars("page1", 0, 200)
    rows = page_rows(PageText(boxes=boxes, cells=cells))
    assert [r.cells[0].text for r in rows] == ["财政项目支出绩效自评表", "(2022年度)", "项目", "page1"]


def test_an_ocr_item_straddling_a_ruling_is_cut_into_its_characters() -> None:
    cells = [Rect(0, 0, 40, 20), Rect(40, 0, 80, 20), Rect(0, 20, 40, 40), Rect(40, 20, 80, 40)]
    parts = (Box("8", Rect(28, 4, 36, 16), 0.99), Box("8", Rect(46, 4, 54, 16), 0.95))
    merged = Box("88", Rect(28, 4, 54, 16), 0.95, parts)
    rows = page_rows(PageText(boxes=[merged], cells=cells))
    assert _texts(rows) == [["8", "8"]]
    assert rows[0].cells[1].confidence == 0.95


def test_an_unruled_page_aligns_cells_into_common_columns() -> None:
    # a label column at x=0, numbers centred in columns at x~100 and x~200
    boxes = (
        _chars("年初预算数", 90, 0)
        + _chars("全年执行数", 190, 0)
        + _chars("年度资金总额", 0, 20)
        + _chars("457000.00", 95, 20)
        + _chars("375000", 210, 20)
        + _chars("其他资金", 0, 40)
        + _chars("0", 230, 40)  # only the second column printed
    )
    rows = page_rows(PageText(boxes=boxes))
    assert _texts(rows) == [
        ["", "年初预算数", "全年执行数"],
        ["年度资金总额", "457000.00", "375000"],
        ["其他资金", "", "0"],
    ]


def test_merged_ruled_cells_know_their_extent_and_grid_address() -> None:
    # columns at x = 0, 100, 200, 300; rows at top = 0, 20, 40; row 40..60 prints nothing
    cells = [
        Rect(0, 0, 100, 80),  # 产出指标 over four grid rows, one of them empty
        Rect(100, 0, 200, 20),
        Rect(200, 0, 300, 20),
        Rect(100, 20, 200, 40),
        Rect(200, 20, 300, 40),
        Rect(100, 40, 300, 60),  # empty: the row is dropped
        Rect(100, 60, 300, 80),  # merged over two columns
    ]
    boxes = _chars("产出指标", 5, 35) + _chars("数量", 105, 5) + _chars("10", 205, 5)
    boxes += _chars("质量", 105, 25) + _chars("9", 205, 25) + _chars("合计19", 105, 65)
    rows = page_rows(PageText(boxes=boxes, cells=cells))
    assert _texts(rows) == [["产出指标", "数量", "10"], ["", "质量", "9"], ["", "合计19"]]
    label, total = rows[0].cells[0], rows[2].cells[1]
    # the label covers the three lines the Document will have, not the dropped one
    assert (label.rows, label.cols, label.address) == (3, 1, "r1c1")
    assert (total.rows, total.cols, total.address) == (1, 2, "r4c2")
    assert (rows[1].cells[2].rows, rows[1].cells[2].cols, rows[1].cells[2].address) == (1, 1, "r2c3")
    # column indices are what they were: a text dump's columns
    assert all(c.column == i for row in rows for i, c in enumerate(row.cells))


def _item(text: str, x: float, top: float, size: float = 10.0) -> Box:
    """One OCR item with its character boxes, as RapidOCR returns them."""
    parts = tuple(_chars(text, x, top, size, confidence=0.99))
    return Box(text, Rect(x, top, x + size * len(text), top + size), 0.99, parts)


def test_an_item_read_across_a_ruling_is_cut_however_little_runs_over() -> None:
    # a narrow label column (0..20) beside a wide name cell (20..300): the
    # detector reads the label's last line 标 and the name as one item
    cells = [Rect(0, 0, 20, 40), Rect(20, 0, 300, 20), Rect(20, 20, 300, 40)]
    boxes = [_item("绩", 6, 4), _item("标党建活动次数年度考核指标完成情况", 6, 24)]
    rows = page_rows(PageText(boxes=boxes, cells=cells))
    # 绩/标 is one label merged over both rows: printed on its first
    assert _texts(rows) == [["绩标", ""], ["", "党建活动次数年度考核指标完成情况"]]


def test_an_item_a_little_wider_than_its_cell_stays_whole() -> None:
    # the detector's box runs a few pixels past the ruling: not another cell's text
    cells = [Rect(0, 0, 100, 20), Rect(100, 0, 200, 20), Rect(0, 20, 100, 40), Rect(100, 20, 200, 40)]
    boxes = [_item("完成情况", 62, 4), _item("10", 150, 24)]  # 完成情况 ends at x = 102
    rows = page_rows(PageText(boxes=boxes, cells=cells))
    assert _texts(rows) == [["完成情况", ""], ["", "10"]]


def test_a_total_label_read_together_with_its_numbers_is_cut_at_the_rulings() -> None:
    # 总分 centred in a cell merged over six columns (0..600), then 分值 and
    # 得分 cells; the detector reads "总分 100.00 94.00" as one item whose
    # centre lies in the wide label cell
    cells = [Rect(0, 0, 600, 20), Rect(600, 0, 660, 20), Rect(660, 0, 720, 20)]
    cells += [Rect(0, 20, 100, 40), Rect(100, 20, 600, 40), Rect(600, 20, 660, 40), Rect(660, 20, 720, 40)]
    total = _item("总分", 540, 4)
    numbers = [_item("100.00", 605, 4, size=8), _item("94.00", 665, 4, size=8)]
    parts = total.parts + numbers[0].parts + numbers[1].parts
    item = Box("总分100.0094.00", Rect(540, 4, 705, 14), 0.99, parts)
    rows = page_rows(PageText(boxes=[item, *_chars("评分等级", 5, 25), *_chars("优", 105, 25)], cells=cells))
    assert _texts(rows) == [["总分", "", "100.00", "94.00"], ["评分等级", "优", "", ""]]


def _ruled_page(seed: int) -> list[Rect]:
    """A ruled grid with merged cells, a nested noisy cell and shared edges."""
    rng = random.Random(seed)
    xs = [0.0]
    for _ in range(6):
        xs.append(xs[-1] + rng.uniform(20, 180))
    tops = [0.0]
    for _ in range(25):
        tops.append(tops[-1] + rng.uniform(12, 40))
    cells: list[Rect] = []
    for r in range(len(tops) - 1):
        c = 0
        while c < len(xs) - 1:
            width = rng.choice([1, 1, 1, 2])
            height = rng.choice([1, 1, 1, 1, 3]) if r + 3 < len(tops) else 1
            end = min(c + width, len(xs) - 1)
            cells.append(Rect(xs[c], tops[r], xs[end], tops[r + height]))
            c = end
    inner = cells[len(cells) // 2]
    cells.append(Rect(inner.x0 + 1, inner.top + 1, inner.x1 - 1, inner.bottom - 1))  # nested: the smaller wins
    cells.append(Rect(inner.x0, inner.top, inner.x1, inner.bottom))  # a duplicate: the first one wins
    return cells


@pytest.mark.parametrize("seed", range(5))
def test_the_cell_index_finds_the_same_owner_as_testing_every_cell(seed: int) -> None:
    cells = _ruled_page(seed)
    index = CellIndex(cells)
    rng = random.Random(100 + seed)
    right = max(c.x1 for c in cells)
    bottom = max(c.bottom for c in cells)
    points = [(rng.uniform(-10, right + 10), rng.uniform(-10, bottom + 10)) for _ in range(3000)]
    points += [(c.x0, c.top) for c in cells] + [(c.x1, c.bottom) for c in cells]  # on the rulings
    found = [index.owner(x, y) for x, y in points]
    assert found == [_owner(cells, x, y) for x, y in points]
    assert sum(f is not None for f in found) > len(points) // 2  # the points do land in cells


def test_nearest_picks_the_closest_position_and_the_first_on_a_tie() -> None:
    positions = [0.0, 10.0, 30.0, 31.5, 100.0]
    for value in [-5.0, 0.0, 4.9, 5.0, 5.1, 20.0, 30.7, 30.75, 31.0, 65.75, 66.0, 500.0]:
        expected = min(range(len(positions)), key=lambda i: abs(positions[i] - value))
        assert _nearest(positions, value) == expected, value
