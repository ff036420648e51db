"""What the form page shows: the source lines beside the record, the
findings with their numbers, and which fields and lines to highlight.

Highlights come from the record's provenance (field path -> source line
numbers): the first field a finding names (the printed number that does not
add up) is *flagged*, the others (the terms of the equation) are *terms*.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select

from crossfoot.model import FUNDING_COLUMNS, FUNDING_ROWS, Finding, Severity
from crossfoot.review.edits import last_undoable, not_as_printed, pick_undoable, value_at
from crossfoot.review.items import load_findings
from crossfoot.review.queue import QueueFilters, neighbours
from crossfoot.review.store import Store, current_version, get_form
from crossfoot.review.tables import DocumentRow, EditRow, FormRow, ReviewItemRow

__all__ = [
    "FUNDING_COLUMN_LABELS",
    "FUNDING_ROW_LABELS",
    "HEADER_FIELDS",
    "INDICATOR_COLUMNS",
    "Banner",
    "ConflictView",
    "FindingView",
    "FormView",
    "SourceLine",
    "banner",
    "conflict_view",
    "editable_values",
    "field_label",
    "form_view",
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
    mark: str = ""  # "", "flag" or "term"
    fields: list[str] = field(default_factory=list)


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


def _marks(findings: list[Finding]) -> dict[str, str]:
    marks: dict[str, str] = {}
    for finding in findings:
        if finding.severity is Severity.info:
            continue
        for position, path in enumerate(finding.fields):
            if position == 0 or (finding.repair and finding.repair.field == path):
                marks[path] = "flag"
            else:
                marks.setdefault(path, "term")
    return marks


def form_view(store: Store, form_id: int, filters: QueueFilters | None = None) -> FormView:
    """Load one form for its page. Raises StoreError when it does not exist."""
    with store.read() as session:
        form = get_form(session, form_id)
        document = session.get(DocumentRow, form.document_id)
        assert document is not None
        version_row = current_version(session, form)
        findings = load_findings(session, version_row.id)
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
    line_marks: dict[int, str] = {}
    line_fields: dict[int, list[str]] = {}
    for path, numbers in field_lines.items():
        for number in numbers:
            line_fields.setdefault(number, []).append(path)
            if path in marks and line_marks.get(number) != "flag":
                line_marks[number] = marks[path]
    lines = [
        SourceLine(number, page, cells, line_marks.get(number, ""), line_fields.get(number, []))
        for number, page, cells in document.lines
        if form.first_line <= number <= form.last_line
    ]
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
