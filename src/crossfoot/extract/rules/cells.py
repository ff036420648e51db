"""Cell-level helpers the rules backend shares: labels, spans, readings."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from functools import lru_cache

from crossfoot.extract.values import clean_text, parse_decimal
from crossfoot.ingest.document import Cell, Line
from crossfoot.model import LEVEL1_LABELS, LEVEL2_LABELS, Finding, Provenance, Severity, SourceSpan
from crossfoot.segment import compact

__all__ = [
    "Located",
    "Reading",
    "find_cell",
    "is_level1",
    "is_level2",
    "is_vertical_header",
    "note_row_sources",
    "span",
]

#: (line, cell) — a printed cell and where it stands.
Located = tuple[Line, Cell]

_VERTICAL_HEADERS = ("绩效指标", "年度总体目标")
_HEADER_WORDS = frozenset({"一级指标", "二级指标", "三级指标", "绩效指标", "达成指标", "完成指标"})


def _is_subsequence(short: str, long_: str) -> bool:
    it = iter(long_)
    return all(ch in it for ch in short)


# The label tests below are pure functions of a cell's text, asked of the same
# few hundred texts on every form: memoised (issue 12).
@lru_cache(maxsize=16384)
def label_of(text: str) -> str | None:
    """The hierarchy label a cell prints, exactly (an indicator may well be
    named 满意度, so no suffix is guessed)."""
    key = compact(text)
    return key if key in LEVEL1_LABELS or key in LEVEL2_LABELS else None


def is_level1(text: str) -> bool:
    return label_of(text) in LEVEL1_LABELS


def is_level2(text: str) -> bool:
    return label_of(text) in LEVEL2_LABELS


@lru_cache(maxsize=16384)
def looks_like_label(text: str) -> bool:
    """An 一级/二级指标-style label crossfoot does not know (e.g. 经济成本指标 from
    a newer template): short and ending in 指标."""
    key = compact(text)
    return key.endswith("指标") and 3 <= len(key) <= 10 and key not in _HEADER_WORDS


@lru_cache(maxsize=16384)
def is_vertical_header(text: str) -> bool:
    """绩效 / 指标 / 年 总 目 标: a header printed vertically, split over lines."""
    key = compact(text)
    return len(key) >= 2 and any(_is_subsequence(key, h) for h in _VERTICAL_HEADERS)


def find_cell(line: Line, *keys: str, exact: bool = True) -> Cell | None:
    """The first filled cell whose compact text equals (or contains) a key."""
    for cell in line.filled:
        text = compact(cell.text)
        if exact:
            if text in keys:
                return cell
        elif any(k in text for k in keys):
            return cell
    return None


#: SourceSpan's validator called directly: the same validation as
#: ``SourceSpan(...)`` without BaseModel.__init__'s keyword packing, which was
#: half the cost of the ~100 spans a form makes (issue 12)
_validate_span = SourceSpan.__pydantic_validator__.validate_python


def span(located: Located) -> SourceSpan:
    line, cell = located
    made: SourceSpan = _validate_span(
        {
            "line": line.number,
            "column": cell.column,
            "raw": cell.text,
            "page": line.page,
            "bbox": cell.bbox,
            "confidence": cell.confidence,
            "address": cell.address,
        }
    )
    return made


class Reading:
    """Collects provenance and findings while one form is read."""

    def __init__(self) -> None:
        self.provenance: Provenance = {}
        self.findings: list[Finding] = []

    def note(self, code: str, message: str, fields: Iterable[str], severity: Severity = Severity.warning) -> None:
        self.findings.append(Finding(code=code, severity=severity, message=message, fields=list(fields)))

    def text(self, path: str, parts: list[Located], joined: str | None = None) -> str | None:
        """A text value from one or more cells, provenance recorded."""
        if not parts:
            return None
        self.provenance[path] = [span(p) for p in parts]
        raw = joined if joined is not None else "".join(c.text for _, c in parts)
        return clean_text(raw)

    def number(self, path: str, located: Located | None) -> Decimal | None:
        """A decimal from one cell; unreadable text is null with a finding."""
        if located is None:
            return None
        self.provenance[path] = [span(located)]
        line, cell = located
        try:
            return parse_decimal(cell.text)
        except ValueError:
            self.note(
                "unreadable_number",
                f"line {line.number}: {path} prints {cell.text!r}, which is not a number",
                [path],
                Severity.error,
            )
            return None


def note_row_sources(
    reading: Reading, path: str, line: int, level1: Located | None, level2: Located | None, name: str | None
) -> None:
    """Provenance of an indicator row's labels, and a finding when it has no
    name: what both readers record for every row."""
    if level1:
        reading.provenance[f"{path}.level1"] = [span(level1)]
    if level2:
        reading.provenance[f"{path}.level2"] = [span(level2)]
    if not name:
        reading.note(
            "indicator_name_unread",
            f"line {line}: indicator row without a 三级指标 name",
            [f"{path}.name"],
            Severity.error,
        )
