"""Rows and cells from positioned text: what PDF and OCR pages share.

A page reader (pdfplumber's characters, an OCR engine's text boxes) hands
over *boxes* of text with their positions and, where the page is ruled, the
*cells* of its tables. From those this module rebuilds what a text dump
prints: one row per table row, cells in column order, so the extractors read
a PDF or a scan exactly as they read a dump.

* Ruled tables: the grid is the table's distinct cell edges (as pdfplumber
  does it). A merged cell prints its text on the first row it covers, which is
  where a text dump puts it too.
* Text outside any table (title, year) becomes lines of its own; where a page
  has no rulings at all, columns are found from where the text stands.
"""

from __future__ import annotations

import bisect
import functools
import math
from collections.abc import Sequence
from dataclasses import dataclass, field

from crossfoot.ingest.document import Cell

__all__ = ["Box", "CellIndex", "PageText", "Rect", "Row", "join_text", "page_rows", "split_across"]


@dataclass(frozen=True)
class Rect:
    """x0, top, x1, bottom in the page's own units (PDF points or pixels)."""

    x0: float
    top: float
    x1: float
    bottom: float

    @property
    def width(self) -> float:
        return self.x1 - self.x0

    @property
    def height(self) -> float:
        return self.bottom - self.top

    def contains(self, x: float, y: float) -> bool:
        return self.x0 <= x <= self.x1 and self.top <= y <= self.bottom


@dataclass(frozen=True)
class Box:
    """A piece of positioned text: a PDF character or an OCR text item.

    ``parts`` are the item's own pieces (an OCR engine's character boxes),
    used when the item straddles a ruling and has to be cut.
    """

    text: str
    rect: Rect
    confidence: float | None = None
    parts: tuple[Box, ...] = ()

    @property
    def cx(self) -> float:
        return (self.rect.x0 + self.rect.x1) / 2

    @property
    def cy(self) -> float:
        return (self.rect.top + self.rect.bottom) / 2


@dataclass
class PageText:
    """What a page reader found on one page."""

    boxes: list[Box]
    cells: list[Rect] = field(default_factory=list)
    #: how close two edges may be and still be one grid line
    tolerance: float = 3.0


@dataclass
class Row:
    """One rebuilt row: its cells (column-indexed) and where it stands."""

    top: float
    cells: list[Cell]


def _cluster(values: Sequence[float], tolerance: float) -> list[float]:
    """Sorted representative positions, values within tolerance merged."""
    groups: list[list[float]] = []
    for value in sorted(values):
        if groups and value - groups[-1][-1] <= tolerance:
            groups[-1].append(value)
        else:
            groups.append([value])
    return [sum(g) / len(g) for g in groups]


def _nearest(positions: list[float], value: float) -> int:
    """Index of the position nearest to value, the first on a tie.

    ``positions`` ascend strictly (``_cluster``'s output, or column starts),
    so only the two neighbours of the insertion point can be nearest.
    """
    at = bisect.bisect_left(positions, value)
    if at == 0:
        return 0
    if at == len(positions):
        return at - 1
    return at - 1 if abs(positions[at - 1] - value) <= abs(positions[at] - value) else at


def _is_ascii_word(ch: str) -> bool:
    return ch.isascii() and ch.isalpha()


def join_text(pieces: Sequence[str]) -> str:
    """Join visual lines of one cell: a wrapped CJK line or number has no
    space at the break; two Latin words do."""
    text = ""
    for piece in pieces:
        piece = piece.strip()
        if not piece:
            continue
        if text and _is_ascii_word(text[-1]) and _is_ascii_word(piece[0]):
            text += " "
        text += piece
    return text


def _visual_lines(boxes: list[Box]) -> list[list[Box]]:
    """Boxes grouped into lines by vertical overlap, each line left to right."""
    lines: list[list[Box]] = []
    for box in sorted(boxes, key=lambda b: (b.cy, b.rect.x0)):
        if lines:
            last = lines[-1]
            top = min(b.rect.top for b in last)
            bottom = max(b.rect.bottom for b in last)
            overlap = min(bottom, box.rect.bottom) - max(top, box.rect.top)
            if overlap > 0.5 * min(box.rect.height, bottom - top):
                last.append(box)
                continue
        lines.append([box])
    return [sorted(line, key=lambda b: b.rect.x0) for line in lines]


def _line_text(line: list[Box]) -> str:
    text = ""
    previous: Box | None = None
    for box in line:
        if previous is not None:
            gap = box.rect.x0 - previous.rect.x1
            if gap > 0.35 * max(box.rect.height, previous.rect.height):
                text += " "
        text += box.text
        previous = box
    return text


def make_cell(column: int, boxes: list[Box]) -> Cell:
    """One cell from the boxes inside it: text, bbox, lowest confidence."""
    if not boxes:
        return Cell(column=column, text="")
    text = join_text([_line_text(line) for line in _visual_lines(boxes)])
    confidences = [b.confidence for b in boxes if b.confidence is not None]
    bbox = (
        round(min(b.rect.x0 for b in boxes), 2),
        round(min(b.rect.top for b in boxes), 2),
        round(max(b.rect.x1 for b in boxes), 2),
        round(max(b.rect.bottom for b in boxes), 2),
    )
    confidence = round(min(confidences), 4) if confidences else None
    return Cell(column=column, text=text, bbox=bbox, confidence=confidence)


def _dense(cells: dict[int, list[Box]]) -> list[Cell]:
    width = max(cells) + 1 if cells else 0
    return [make_cell(col, cells.get(col, [])) for col in range(width)]


# ---------------------------------------------------------------- ruled tables


def _owner(cells: Sequence[Rect], x: float, y: float) -> int | None:
    """The smallest cell holding a point (cells may nest when edges are noisy)."""
    holders = [i for i, c in enumerate(cells) if c.contains(x, y)]
    if not holders:
        return None
    return min(holders, key=lambda i: cells[i].width * cells[i].height)


class CellIndex:
    """A page's ruled cells bucketed on a square grid, so that finding the
    cell that holds a point tests the few cells of its bucket, not every cell
    of the page for every character (22% of a text-layer PDF's time, issue 12).

    ``owner`` answers exactly as ``_owner`` does: the smallest holder, the
    first in the list on a tie.
    """

    #: at most this many buckets across the page's extent, whatever the units
    MAX_BUCKETS = 256

    def __init__(self, cells: Sequence[Rect]) -> None:
        self.cells = list(cells)
        self._area = [c.width * c.height for c in self.cells]
        self._buckets: dict[tuple[int, int], list[int]] = {}
        finite = [c for c in self.cells if all(math.isfinite(v) for v in (c.x0, c.top, c.x1, c.bottom))]
        self._linear = len(finite) != len(self.cells)  # odd geometry: scan, as before
        if self._linear or not self.cells:
            self._size = 1.0
            return
        heights = sorted(c.height for c in self.cells)
        extent = max(max(c.x1 for c in self.cells) - min(c.x0 for c in self.cells), heights[-1], 1e-9)
        # about one row high: a ruled row's cells then share a bucket row
        self._size = max(heights[len(heights) // 2], extent / self.MAX_BUCKETS, 1e-9)
        for i, c in enumerate(self.cells):
            for bx in range(self._bucket(c.x0), self._bucket(c.x1) + 1):
                for by in range(self._bucket(c.top), self._bucket(c.bottom) + 1):
                    self._buckets.setdefault((bx, by), []).append(i)

    def _bucket(self, value: float) -> int:
        return math.floor(value / self._size)

    def owner(self, x: float, y: float) -> int | None:
        """The smallest cell holding the point, or None."""
        if self._linear or not (math.isfinite(x) and math.isfinite(y)):
            return _owner(self.cells, x, y)
        best: int | None = None
        for i in self._buckets.get((self._bucket(x), self._bucket(y)), ()):  # ascending: ties keep the first
            if self.cells[i].contains(x, y) and (best is None or self._area[i] < self._area[best]):
                best = i
        return best


def split_across(box: Box, cells: Sequence[Rect] | CellIndex) -> list[Box]:
    """An item that straddles a ruling is cut into its parts; others stay whole.

    With the rulings painted out, a detector often reads the text of two
    neighbouring cells as one item: the last line of a label wrapped in a
    narrow column and the name beside it ("标" + "党建活动次数"). One
    character outside the cell is enough to be another cell's text, however
    long the rest; half a character's width is allowed for the detector's
    loose box edges. The characters then say where each belongs.
    """
    if not box.parts:
        return [box]
    # a plain list is scanned (building an index for one item costs more)
    rects = cells.cells if isinstance(cells, CellIndex) else cells
    owner_of = cells.owner if isinstance(cells, CellIndex) else functools.partial(_owner, cells)
    owner = owner_of(box.cx, box.cy)
    if owner is None:
        inside = any(owner_of(part.cx, part.cy) is not None for part in box.parts)
        return list(box.parts) if inside else [box]
    cell = rects[owner]
    slack = 0.5 * min(part.rect.width for part in box.parts)
    if box.rect.x0 >= cell.x0 - slack and box.rect.x1 <= cell.x1 + slack:
        return [box]
    return list(box.parts)


def _table_rows(page: PageText, boxes: list[Box]) -> tuple[list[Row], list[Box]]:
    """Rows of the ruled cells, and the boxes that fell outside every cell."""
    cells = page.cells
    xs = _cluster([c.x0 for c in cells], page.tolerance)
    tops = _cluster([c.top for c in cells], page.tolerance)
    lookup = CellIndex(cells)
    held: dict[int, list[Box]] = {}
    loose: list[Box] = []
    for box in boxes:
        for piece in split_across(box, lookup):
            owner = lookup.owner(piece.cx, piece.cy)
            if owner is None:
                loose.append(piece)
            else:
                held.setdefault(owner, []).append(piece)
    grid: dict[int, dict[int, list[Box]]] = {}
    corner: dict[tuple[int, int], Rect] = {}
    for index, ruled in enumerate(cells):
        r, c = _nearest(tops, ruled.top), _nearest(xs, ruled.x0)
        grid.setdefault(r, {}).setdefault(c, []).extend(held.get(index, []))
        corner.setdefault((r, c), ruled)
    # A row of empty cells would read as a page break (a blank line) downstream.
    kept = [r for r, cols in sorted(grid.items()) if any(b.text.strip() for boxes in cols.values() for b in boxes)]
    rows: list[Row] = []
    for r in kept:
        dense = _dense(grid[r])
        for cell in dense:
            rect = corner.get((r, cell.column))
            if rect is not None:
                cell.rows, cell.cols = _cell_extent(rect, [tops[k] for k in kept], xs, page.tolerance)
            # where a reviewer finds it: the grid row and column on the page, 1-based
            cell.address = f"r{r + 1}c{cell.column + 1}"
        rows.append(Row(top=tops[r], cells=dense))
    return rows, loose


def _cell_extent(cell: Rect, row_tops: list[float], xs: list[float], tolerance: float) -> tuple[int, int]:
    """Rows and columns a ruled cell covers: the row starts and column starts
    that lie inside it. Rows are counted among the rows that are kept, so a
    merged label's extent is the lines it covers in the Document."""
    rows = sum(1 for top in row_tops if cell.top - tolerance <= top < cell.bottom - tolerance)
    cols = sum(1 for x in xs if cell.x0 - tolerance <= x < cell.x1 - tolerance)
    return max(1, rows), max(1, cols)


# ---------------------------------------------------------------- loose text


def _segments(line: list[Box]) -> list[list[Box]]:
    """A line cut where the gap is wider than a character: cells."""
    segments: list[list[Box]] = [[line[0]]]
    for box in line[1:]:
        previous = segments[-1][-1]
        height = max(box.rect.height, previous.rect.height)
        if box.rect.x0 - previous.rect.x1 > 1.0 * height:
            segments.append([box])
        else:
            segments[-1].append(box)
    return segments


def _extent(boxes: list[Box]) -> tuple[float, float]:
    return min(b.rect.x0 for b in boxes), max(b.rect.x1 for b in boxes)


def _column_edges(lines: list[list[list[Box]]]) -> list[tuple[float, float]]:
    """Columns of an unruled table: the union of where segments stand on the
    lines that look like table rows (three cells or more). A label: value
    line, or a paragraph, would bridge columns, so it defines none."""
    spans = sorted(_extent(s) for segments in lines if len(segments) >= 3 for s in segments)
    merged: list[tuple[float, float]] = []
    for x0, x1 in spans:
        if merged and x0 <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], x1))
        else:
            merged.append((x0, x1))
    return merged


def _column_of(edges: list[tuple[float, float]], x0: float, x1: float) -> int:
    def overlap(i: int) -> float:
        return min(x1, edges[i][1]) - max(x0, edges[i][0])

    best = max(range(len(edges)), key=overlap)
    if overlap(best) > 0:
        return best
    return _nearest([e[0] for e in edges], x0)


def _unruled_rows(boxes: list[Box]) -> list[Row]:
    """An unruled page: one row per visual line, columns from alignment.

    Without rulings nothing says which wrapped lines make one table row, so
    each visual line is a row, as a text dump of such a page prints it; the
    extractors already join the pieces of a wrapped cell.
    """
    lines = _visual_lines(boxes)
    cut = [_segments(line) for line in lines]
    edges = _column_edges(cut)
    rows: list[Row] = []
    for line, segments in zip(lines, cut, strict=True):
        placed: dict[int, list[Box]] = {}
        for n, segment in enumerate(segments):
            col = _column_of(edges, *_extent(segment)) if edges else n
            while col in placed:  # two cells in one column: keep both, in order
                col += 1
            placed[col] = segment
        rows.append(Row(top=min(b.rect.top for b in line), cells=_dense(placed)))
    return rows


def _loose_rows(boxes: list[Box]) -> list[Row]:
    """Lines of text outside a ruled table (title, year, notes): cells
    numbered in order along each line."""
    rows: list[Row] = []
    for line in _visual_lines(boxes):
        placed = dict(enumerate(_segments(line)))
        rows.append(Row(top=min(b.rect.top for b in line), cells=_dense(placed)))
    return rows


def page_rows(page: PageText) -> list[Row]:
    """The page's rows, top to bottom, as a text dump would print them."""
    boxes = [b for b in page.boxes if b.text.strip()]
    if not boxes:
        return []
    if not page.cells:
        return _unruled_rows(boxes)
    table, loose = _table_rows(page, boxes)
    rows = table + _loose_rows(loose)
    return sorted(rows, key=lambda r: r.top)
