"""What the form page shows: the source lines beside the record, the
findings with their numbers, and which fields and lines to highlight.

Highlights come from the record's provenance (field path -> source line
and cell): the first field an error names (the printed number that does not
add up) is *flagged* (red), a value OCR was unsure of is *doubt* (its own
colour), the first field of another warning is *warn*, and the other numbers
of an equation are *terms*. The cell is marked, the line only faintly.

For scans and PDFs, ``image_pane`` gives the page images with every value's
box (issue 11, item 4); the pages themselves come from ``images.py``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from crossfoot.model import FUNDING_COLUMNS, FUNDING_ROWS, Finding, Severity
from crossfoot.review.edits import last_undoable, not_as_printed, pick_undoable, value_at
from crossfoot.review.images import PageSize, SourceImages, SourceUnavailable
from crossfoot.review.items import DOUBTFUL_CODE, load_findings
from crossfoot.review.queue import QueueFilters, neighbours
from crossfoot.review.store import Store, current_version, get_form
from crossfoot.review.tables import DocumentRow, EditRow, FormRow, RecordVersionRow, ReviewItemRow

__all__ = [
    "FUNDING_COLUMN_LABELS",
    "FUNDING_ROW_LABELS",
    "HEADER_FIELDS",
    "INDICATOR_COLUMNS",
    "Banner",
    "ConflictView",
    "FindingView",
    "FormView",
    "ImageBox",
    "ImagePage",
    "ImagePane",
    "SourceLine",
    "banner",
    "conflict_view",
    "editable_values",
    "field_label",
    "form_view",
    "image_pane",
]

HEADER_FIELDS: tuple[tuple[str, str], ...] = (
    ("project_name", "项目名称"),
    ("year", "年度"),
    ("department", "主管部门"),
    ("implementing_unit", "实施单位"),
    ("amount_unit", "金额单位"),
    ("total_weight", "总分 分值"),
    ("total_score", "总分 得分"),
    ("grade", "评分等级"),
    ("goal_expected", "预期目标"),
    ("goal_actual", "实际完成"),
)
FUNDING_ROW_LABELS = dict(zip(FUNDING_ROWS, ("年度资金总额", "当年财政拨款", "上年结转资金", "其他资金"), strict=True))
FUNDING_COLUMN_LABELS = dict(
    zip(FUNDING_COLUMNS, ("年初预算数", "全年预算数", "全年执行数", "分值", "执行率 %", "得分"), strict=True)
)
INDICATOR_COLUMNS: tuple[tuple[str, str], ...] = (
    ("level1", "一级"),
    ("level2", "二级"),
    ("name", "三级指标"),
    ("target", "指标值"),
    ("actual", "完成值"),
    ("weight", "分值"),
    ("score", "得分"),
    ("deviation", "偏差原因"),
)


def editable_values(record: dict[str, Any] | None) -> dict[str, str]:
    """Every editable field's value as the form page shows it ("" for null)."""
    if record is None:
        return {}
    paths = [key for key, _ in HEADER_FIELDS]
    paths += [f"funding.{row}.{col}" for row in FUNDING_ROWS for col in FUNDING_COLUMNS]
    paths += [f"indicators.{i}.{key}" for i in range(len(record["indicators"])) for key, _ in INDICATOR_COLUMNS]
    values = {path: value_at(record, path) for path in paths}
    return {path: "" if value is None else str(value) for path, value in values.items()}


_HEADER_LABELS = dict(HEADER_FIELDS)
_INDICATOR_LABELS = dict(INDICATOR_COLUMNS)


def field_label(record: dict[str, Any] | None, path: str) -> str:
    """What a reviewer calls a field: ``三级指标 设备运行率 得分``, not ``indicators.13.score``."""
    parts = path.split(".")
    if len(parts) == 1:
        return _HEADER_LABELS.get(path, path)
    if parts[0] == "funding" and len(parts) == 3:
        return f"{FUNDING_ROW_LABELS.get(parts[1], parts[1])} {FUNDING_COLUMN_LABELS.get(parts[2], parts[2])}"
    if parts[0] == "indicators" and len(parts) == 3 and parts[1].isdigit():
        name = value_at(record, f"indicators.{parts[1]}.name") or f"第{int(parts[1]) + 1}行"
        return f"三级指标 {name} {_INDICATOR_LABELS.get(parts[2], parts[2])}"
    return path


@dataclass
class SourceLine:
    """One printed line, its cells, and how it is highlighted."""

    number: int
    page: int | None
    cells: list[str]
    mark: str = ""  # "", "flag", "doubt", "warn" or "term"
    fields: list[str] = field(default_factory=list)
    #: cell index -> its mark; the cell a value came from is what is highlighted
    cell_marks: dict[int, str] = field(default_factory=dict)
    #: cell index -> the fields read from it
    cell_fields: dict[int, list[str]] = field(default_factory=dict)
    #: cell index -> where a native file has it (Sheet1!C12, table 1 row 3 col 2)
    cell_addresses: dict[int, str] = field(default_factory=dict)


@dataclass
class FindingView:
    """A finding with the numbers of its equation and the lines they sit on."""

    finding: Finding
    terms: list[tuple[str, Any]]
    lines: list[int]
    #: field path -> what a reviewer calls it
    labels: dict[str, str] = field(default_factory=dict)

    @property
    def is_open(self) -> bool:
        return self.finding.severity is not Severity.info


@dataclass
class FormView:
    """Everything the form page renders."""

    form: FormRow
    path: str
    lines: list[SourceLine]
    record: dict[str, Any] | None
    error: str | None
    findings: list[FindingView]
    open_items: list[ReviewItemRow]
    edits: list[EditRow]
    field_lines: dict[str, list[int]]
    marks: dict[str, str]
    #: field path -> "line:cell" keys of the cells it was read from
    field_cells: dict[str, list[str]]
    #: field path -> native-file cell addresses (Sheet1!C12), where provenance has them
    field_addresses: dict[str, list[str]]
    kind: str
    previous_id: int | None
    next_id: int | None
    record_number: int
    #: fields whose value the source does not print -> who changed it and why
    unprinted: dict[str, str] = field(default_factory=dict)
    #: the last change undo would take back ("edit", "approve", ...), if any
    undoable: str | None = None

    @property
    def state(self) -> dict[str, Any]:
        """What the page's script needs after a save: highlights and every value."""
        return {
            "version": self.form.version,
            "marks": self.marks,
            "unprinted": sorted(self.unprinted),
            "values": editable_values(self.record),
        }


def _field_lines(provenance: dict[str, Any]) -> dict[str, list[int]]:
    return {path: sorted({span["line"] for span in spans}) for path, spans in provenance.items()}


#: which mark wins when two findings name one field
_MARK_RANK = {"flag": 0, "doubt": 1, "warn": 2, "term": 3}


def _lead_mark(finding: Finding) -> str:
    """Red for broken arithmetic only; doubtful OCR has its own colour."""
    if finding.severity is Severity.error:
        return "flag"
    return "doubt" if finding.code == DOUBTFUL_CODE else "warn"


def _marks(findings: list[Finding]) -> dict[str, str]:
    marks: dict[str, str] = {}
    for finding in findings:
        if finding.severity is Severity.info:
            continue
        for position, path in enumerate(finding.fields):
            lead = position == 0 or (finding.repair is not None and finding.repair.field == path)
            mark = _lead_mark(finding) if lead else "term"
            if _MARK_RANK[mark] < _MARK_RANK.get(marks.get(path, ""), 99):
                marks[path] = mark
    return marks


def _stronger(old: str, new: str) -> str:
    return new if _MARK_RANK.get(new, 99) < _MARK_RANK.get(old, 99) else old


def _source_lines(
    document: DocumentRow, form: FormRow, provenance: dict[str, Any], marks: dict[str, str]
) -> list[SourceLine]:
    """The form's printed lines, each cell marked by the fields read from it."""
    lines = {
        number: SourceLine(number, page, cells)
        for number, page, cells in document.lines
        if form.first_line <= number <= form.last_line
    }
    for path, spans in provenance.items():
        mark = marks.get(path, "")
        for span in spans:
            line = lines.get(span["line"])
            if line is None:
                continue
            if path not in line.fields:
                line.fields.append(path)
            line.mark = _stronger(line.mark, mark)
            column = span.get("column")
            if column is None:
                continue
            line.cell_fields.setdefault(column, []).append(path)
            if mark:
                line.cell_marks[column] = _stronger(line.cell_marks.get(column, ""), mark)
            if span.get("address") and not span.get("bbox"):
                line.cell_addresses[column] = span["address"]
    return list(lines.values())


def _field_cells(provenance: dict[str, Any]) -> dict[str, list[str]]:
    return {
        path: [f"{span['line']}:{span['column']}" for span in spans if span.get("column") is not None]
        for path, spans in provenance.items()
    }


def _field_addresses(provenance: dict[str, Any]) -> dict[str, list[str]]:
    # an OCR'd page has addresses too ("page 1 r3c2"), but its box says more
    return {
        path: [span["address"] for span in spans if span.get("address") and not span.get("bbox")]
        for path, spans in provenance.items()
    }


def _form_rows(session: Session, form_id: int) -> tuple[FormRow, DocumentRow, RecordVersionRow, list[Finding]]:
    """A form with its document, its current version and that version's findings."""
    form = get_form(session, form_id)
    document = session.get(DocumentRow, form.document_id)
    assert document is not None
    version_row = current_version(session, form)
    return form, document, version_row, load_findings(session, version_row.id)


def form_view(store: Store, form_id: int, filters: QueueFilters | None = None) -> FormView:
    """Load one form for its page. Raises StoreError when it does not exist."""
    with store.read() as session:
        form, document, version_row, findings = _form_rows(session, form_id)
        open_items = list(
            session.scalars(
                select(ReviewItemRow)
                .where(ReviewItemRow.form_id == form.id, ReviewItemRow.closed_at.is_(None))
                .order_by(ReviewItemRow.rank, ReviewItemRow.id)
            )
        )
        edits = list(session.scalars(select(EditRow).where(EditRow.form_id == form.id).order_by(EditRow.id.desc())))
    field_lines = _field_lines(version_row.provenance)
    marks = _marks(findings)
    lines = _source_lines(document, form, version_row.provenance, marks)
    views = [
        FindingView(
            finding=f,
            terms=[(p, value_at(version_row.record, p)) for p in f.fields],
            lines=sorted({n for p in f.fields for n in field_lines.get(p, [])}),
            labels={p: field_label(version_row.record, p) for p in f.fields},
        )
        for f in findings
    ]
    previous_id, next_id = neighbours(store, form_id, filters)
    return FormView(
        form=form,
        path=document.path,
        lines=lines,
        record=version_row.record,
        error=version_row.error,
        findings=sorted(views, key=lambda v: ("error", "warning", "info").index(v.finding.severity.value)),
        open_items=open_items,
        edits=edits,
        field_lines=field_lines,
        marks=marks,
        field_cells=_field_cells(version_row.provenance),
        field_addresses=_field_addresses(version_row.provenance),
        kind=document.kind,
        previous_id=previous_id,
        next_id=next_id,
        record_number=form.record_number,
        unprinted=not_as_printed(reversed(edits)),
        undoable=_undo_label(pick_undoable(edits, form.version)),
    )


def _undo_label(row: EditRow | None) -> str | None:
    if row is None:
        return None
    return f"{row.action} {row.field}" if row.field else row.action


@dataclass(frozen=True)
class Banner:
    """What just happened, naming the form it happened to, with its undo."""

    text: str
    form_id: int
    title: str
    version: int
    undoable: bool


def banner(store: Store, text: str | None, form_id: int | None) -> Banner | None:
    """The banner after an action on ``form_id`` (often shown on the next form's page)."""
    if not text or form_id is None:
        return None
    with store.read() as session:
        form = session.get(FormRow, form_id)
        if form is None:
            return None
        return Banner(text, form.id, form.title, form.version, last_undoable(session, form) is not None)


@dataclass
class ConflictView:
    """A save that lost the race: both values, and what happened meanwhile."""

    form_id: int
    title: str
    seen_version: int
    current_version: int
    field: str | None
    mine: str | None
    theirs: Any
    edits_since: list[EditRow]
    label: str | None = None


def conflict_view(store: Store, form_id: int, seen_version: int, path: str | None, mine: str | None) -> ConflictView:
    with store.read() as session:
        form = get_form(session, form_id)
        record = current_version(session, form).record
        edits = list(
            session.scalars(
                select(EditRow)
                .where(EditRow.form_id == form.id, EditRow.to_version > seen_version, EditRow.action != "skip")
                .order_by(EditRow.id)
            )
        )
    return ConflictView(
        form_id=form.id,
        title=form.title,
        seen_version=seen_version,
        current_version=form.version,
        field=path,
        mine=mine,
        theirs=value_at(record, path) if path else None,
        edits_since=edits,
        label=field_label(record, path) if path else None,
    )


@dataclass(frozen=True)
class ImageBox:
    """One value's box on its page, in the page's own units."""

    field: str
    label: str
    mark: str
    x: float
    y: float
    width: float
    height: float


@dataclass
class ImagePage:
    """A page of the source with the boxes of the form's values on it."""

    number: int
    width: float
    height: float
    boxes: list[ImageBox]


@dataclass
class ImagePane:
    """The image pane of a form page: its pages, or why there are none."""

    form_id: int
    path: str
    pages: list[ImagePage]
    #: a source file that cannot be shown, said in one line
    message: str | None = None


#: kinds of source whose pages can be shown as images
IMAGE_KINDS = ("pdf", "scan")


def image_pane(store: Store, form_id: int, images: SourceImages) -> ImagePane:
    """The form's pages with every value's box, or a message saying why not.

    Raises StoreError when the form does not exist; a source that cannot be
    shown (moved, changed, outside the served folders) is a message, not an error.
    """
    with store.read() as session:
        form, document, version_row, findings = _form_rows(session, form_id)
        path, sha256, kind, record = document.path, document.sha256, document.kind, version_row.record
        pages_of_form = sorted(
            {
                page
                for number, page, _ in document.lines
                if page is not None and form.first_line <= number <= form.last_line
            }
        )
    if kind not in IMAGE_KINDS or not pages_of_form:
        return ImagePane(form_id, path, [])
    try:
        sizes: dict[int, PageSize] = {s.number: s for s in images.page_sizes(path, sha256)}
    except SourceUnavailable as exc:
        return ImagePane(form_id, path, [], message=str(exc))
    marks = _marks(findings)
    boxes: dict[int, list[ImageBox]] = {}
    for field_path, spans in version_row.provenance.items():
        for span in spans:
            if span.get("bbox") is None or span.get("page") is None:
                continue
            x0, top, x1, bottom = span["bbox"]
            box = ImageBox(
                field_path, field_label(record, field_path), marks.get(field_path, ""), x0, top, x1 - x0, bottom - top
            )
            boxes.setdefault(span["page"], []).append(box)
    pages = [ImagePage(n, sizes[n].width, sizes[n].height, boxes.get(n, [])) for n in pages_of_form if n in sizes]
    return ImagePane(form_id, path, pages)
