"""Scan geometry and the drawings the generated corpus does not make often:
open table sides, labels printed down a narrow column. Small images drawn
here; the stacked label goes through the real OCR engine."""

from __future__ import annotations

import unicodedata
from typing import Any

import pytest

from crossfoot.settings import Settings
from tests.conftest import need
from tests.ingest.conftest import WQY, has_module


@pytest.fixture(autouse=True)
def _opencv() -> None:
    need(has_module("cv2") and has_module("PIL"), "pip install 'crossfoot[ocr]'")


def _draw(size: tuple[int, int], lines: list[tuple[int, int, int, int]], texts: list[tuple[int, int, str]]) -> Any:
    import numpy as np
    from PIL import Image, ImageDraw, ImageFont

    image = Image.new("L", size, 255)
    draw = ImageDraw.Draw(image)
    for x0, y0, x1, y1 in lines:
        draw.line((x0, y0, x1, y1), fill=0, width=2)
    if texts:
        font = ImageFont.truetype(str(WQY), 26, index=0)
        for x, y, text in texts:
            draw.text((x, y), text, fill=0, font=font)
    return np.asarray(image)


def test_a_table_printed_without_side_borders_still_has_its_outer_cells() -> None:
    from crossfoot.ingest.ocr_grid import analyse_page

    # four rows, three columns: the inner rulings only, no left or right border
    xs, tops = (100, 400, 700, 1000), (100, 160, 220, 280, 340)
    lines = [(xs[0], y, xs[-1], y) for y in tops] + [(x, tops[0], x, tops[-1]) for x in xs[1:-1]]
    geometry = analyse_page(_draw((1100, 460), lines, []), straighten=False)
    columns = sorted({round(c.x0 / 50) for c in geometry.cells})
    assert len(geometry.cells) == 12  # the first and last columns are cells too
    assert len(columns) == 3
    assert all(abs(c.width - 300) < 12 and abs(c.height - 60) < 12 for c in geometry.cells)


def test_a_label_printed_down_a_narrow_column_is_read_as_one_line() -> None:
    need(has_module("rapidocr_onnxruntime"), "pip install 'crossfoot[ocr]'")
    need(WQY.exists(), "apt-get install fonts-wqy-zenhei")
    from crossfoot.ingest.ocr import ocr_page

    # a narrow first column (40 px) over four rows holds 项目资金（元） one
    # character a line; the rows beside it hold the funding labels
    left, narrow, right = 60, 102, 700
    tops = [60 + 70 * i for i in range(5)]
    lines = [(narrow, y, right, y) for y in tops] + [(left, tops[0], right, tops[0]), (left, tops[-1], right, tops[-1])]
    lines += [(x, tops[0], x, tops[-1]) for x in (left, narrow, 400, right)]
    stacked = [(left + 8, 68 + 37 * i, ch) for i, ch in enumerate("项目资金（元）")]
    texts = stacked + [
        (120, 80 + 70 * i, label) for i, label in enumerate(("年度资金总额", "当年财政拨款", "上年结转", "其他资金"))
    ]
    texts += [(420, 80, "375000.00")]
    image = _draw((760, 400), lines, texts)
    page = ocr_page(image, Settings(workers=1))
    first = [row.cells[0].text for row in page.rows if row.cells]
    # labels are matched NFKC-folded (crossfoot.lexicon), and the recogniser
    # may give a bracket either width: the test is that the column is one line
    assert unicodedata.normalize("NFKC", first[0]) == "项目资金(元)"
    assert all(text == "" for text in first[1:])  # no character of it left on another row
    assert page.rows[0].cells[1].text == "年度资金总额"


def _ruled_page(angle: float) -> Any:
    """An A4 page at 150 dpi with a 14-row, 3-column table, turned by ``angle``
    degrees (counter-clockwise) the way a scanner glass turns it."""
    import cv2
    import numpy as np

    page = np.full((1750, 1240), 255, dtype=np.uint8)
    for y in range(150, 1650, 100):
        cv2.line(page, (100, y), (1140, y), 0, 2)
    for x in (100, 400, 800, 1140):
        cv2.line(page, (x, 150), (x, 1550), 0, 2)
    matrix = cv2.getRotationMatrix2D((620, 875), angle, 1.0)
    return cv2.warpAffine(page, matrix, (1240, 1750), flags=cv2.INTER_CUBIC, borderValue=255)


@pytest.mark.parametrize("angle", [1.3, -0.7, 0.4, -2.2, 0.15])
def test_the_tilt_of_a_ruled_page_is_measured_to_a_few_hundredths_of_a_degree(angle: float) -> None:
    from crossfoot.ingest.ocr_grid import estimate_skew

    # the page is straightened by turning it back: the estimate is minus the turn
    assert abs(estimate_skew(_ruled_page(angle)) + angle) < 0.03


def test_a_page_without_rulings_is_not_turned() -> None:
    from crossfoot.ingest.ocr_grid import estimate_skew

    texts = [(60, 40 + 60 * i, "项目名称 普陀区块数据建设") for i in range(5)]
    assert estimate_skew(_draw((900, 400), [], texts)) == 0.0


def test_a_number_set_flush_against_a_ruling_is_print_and_a_ruling_stub_is_not() -> None:
    import cv2
    import numpy as np

    from crossfoot.ingest.layout import Rect
    from crossfoot.ingest.ocr_grid import ink_box

    cell = Rect(20.0, 20.0, 140.0, 58.0)
    page = np.full((80, 160), 235, dtype=np.uint8)
    # what painting a ruling out can leave: a thin line along the cell's left side
    cv2.line(page, (24, 22), (24, 56), 40, 2)
    assert ink_box(page, cell, min_height=10) is None
    # a "0" right-aligned so closely that it runs into the cell's inset
    cv2.ellipse(page, (130, 39), (6, 9), 0, 0, 360, 40, 2)
    found = ink_box(page, cell, min_height=10)
    assert found is not None and 120 <= found.x0 <= 126 and found.x1 >= 134
