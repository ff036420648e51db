"""The record contract (``shared/SCHEMA.md``) and what travels with a record.

``Record`` and its parts are the contract: ``Record.model_dump(mode="json")``
validates against ``schema/record.schema.json``. Everything else here
(provenance, findings, the envelope) is crossfoot's own and sits beside the
record, never inside it.
"""

from __future__ import annotations

from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, PlainSerializer

__all__ = [
    "FUNDING_COLUMNS",
    "FUNDING_ROWS",
    "HIERARCHY",
    "LEVEL1_LABELS",
    "LEVEL2_LABELS",
    "Dec",
    "Envelope",
    "Finding",
    "FormSource",
    "Funding",
    "FundingRow",
    "Indicator",
    "Provenance",
    "Record",
    "Repair",
    "Severity",
    "SourceSpan",
]

#: level1 -> its level2 children, fixed by the form (SCHEMA.md).
HIERARCHY: dict[str, tuple[str, ...]] = {
    "产出指标": ("数量指标", "质量指标", "时效指标", "成本指标"),
    "效益指标": ("经济效益指标", "社会效益指标", "生态效益指标", "可持续影响指标"),
    "满意度指标": ("服务对象满意度指标",),
}
LEVEL1_LABELS: tuple[str, ...] = tuple(HIERARCHY)
LEVEL2_LABELS: tuple[str, ...] = tuple(c for cs in HIERARCHY.values() for c in cs)
PARENT: dict[str, str] = {c: p for p, cs in HIERARCHY.items() for c in cs}

FUNDING_ROWS: tuple[str, ...] = ("total", "current_year", "carryover", "other")
FUNDING_COLUMNS: tuple[str, ...] = (
    "initial_budget",
    "annual_budget",
    "executed",
    "weight",
    "execution_rate",
    "score",
)

Level1 = Literal["产出指标", "效益指标", "满意度指标"]
Level2 = Literal[
    "数量指标",
    "质量指标",
    "时效指标",
    "成本指标",
    "经济效益指标",
    "社会效益指标",
    "生态效益指标",
    "可持续影响指标",
    "服务对象满意度指标",
]


def _decimal_to_json(value: Decimal | None) -> str | None:
    # The contract keeps the number as printed: "10.00" stays "10.00".
    return None if value is None else format(value, "f")


#: A printed number. Serialised as a plain decimal string, precision kept.
Dec = Annotated[
    Decimal | None,
    PlainSerializer(_decimal_to_json, return_type=str | None, when_used="json"),
]


class _Contract(BaseModel):
    model_config = ConfigDict(extra="forbid")


class FundingRow(_Contract):
    """One row of the 项目资金 block."""

    initial_budget: Dec = Field(None, description="年初预算数 (as printed)")
    annual_budget: Dec = Field(None, description="全年预算数")
    executed: Dec = Field(None, description="全年执行数")
    weight: Dec = Field(None, description="分值 / 分数 column")
    execution_rate: Dec = Field(None, description="执行率, percent, without the % sign")
    score: Dec = Field(None, description="得分")


class Funding(_Contract):
    """The 项目资金 block; a row never printed is null."""

    total: FundingRow | None = Field(None, description="年度资金总额")
    current_year: FundingRow | None = Field(None, description="其中：当年财政拨款")
    carryover: FundingRow | None = Field(None, description="上年结转资金")
    other: FundingRow | None = Field(None, description="其他资金")


class Indicator(_Contract):
    """One 三级指标 row of the 绩效指标 table."""

    level1: Level1 = Field(description="一级指标, carried down from merged cells")
    level2: Level2 = Field(description="二级指标, carried down from merged cells")
    name: str = Field(description="三级指标 name, wrapped or page-split pieces joined")
    target: str | None = Field(None, description="年度指标值 as printed, e.g. ≥95.00(%)")
    actual: str | None = Field(None, description="实际完成值 as printed")
    weight: Dec = Field(None, description="分值")
    score: Dec = Field(None, description="得分")
    deviation: str | None = Field(None, description="偏差原因分析及改进措施")


class Record(_Contract):
    """One 财政项目支出绩效自评表, as printed."""

    year: int | None = Field(None, description="report year, from (20xx 年度)")
    project_name: str = Field(description="项目名称")
    department: str | None = Field(None, description="主管部门")
    implementing_unit: str | None = Field(None, description="实施单位")
    amount_unit: Literal["元", "万元"] | None = Field(None, description="项目资金 unit")
    funding: Funding = Field(default_factory=Funding)
    goal_expected: str | None = Field(None, description="预期目标 / 预算目标 text")
    goal_actual: str | None = Field(None, description="实际完成情况 text")
    indicators: list[Indicator] = Field(default_factory=list)
    total_weight: Dec = Field(None, description="总分 row, 分值 column")
    total_score: Dec = Field(None, description="总分 row, 得分 column")
    grade: str | None = Field(None, description="评分等级: 优 / 良 / 中 / 差 where printed")


class SourceSpan(BaseModel):
    """Where one printed value came from."""

    line: int = Field(description="1-based line number in the source document")
    column: int | None = Field(None, description="0-based cell index on that line")
    raw: str = Field(description="the cell text exactly as printed")
    page: int | None = Field(None, description="1-based page, for PDF and scans")
    bbox: tuple[float, float, float, float] | None = Field(
        None, description="x0, top, x1, bottom in PDF points or image pixels"
    )
    confidence: float | None = Field(None, description="OCR confidence, 0..1")
    address: str | None = Field(
        None, description="the place in a native file: Sheet1!C12 (XLSX/XLS), table 1 row 3 col 2 (HTML/DOCX/CSV)"
    )


#: field path ("funding.total.executed", "indicators.3.name") -> spans.
Provenance = dict[str, list[SourceSpan]]


class Severity(StrEnum):
    """How urgently a finding needs a reviewer."""

    error = "error"
    warning = "warning"
    info = "info"


class Repair(BaseModel):
    """The one printed number whose change makes every check pass."""

    field: str
    printed: str | None
    value: str


class Finding(BaseModel):
    """One check result, or one thing an extractor could not read."""

    code: str = Field(description="stable identifier, e.g. total_score_mismatch")
    severity: Severity
    message: str
    fields: list[str] = Field(default_factory=list, description="field paths involved")
    printed: str | None = None
    expected: str | None = None
    repair: Repair | None = None


InputKind = Literal["text", "pdf", "scan", "html", "xlsx", "xls", "docx", "csv"]


class FormSource(BaseModel):
    """The form's place in its source document."""

    path: str
    form_index: int = Field(description="0-based index of the form in its document")
    first_line: int = Field(description="1-based line of the form's title")
    last_line: int
    encoding: str | None = None
    sha256: str = Field(description="hash of the document's bytes")
    kind: InputKind = "text"
    form_count: int = Field(1, description="how many forms the document holds")
    template: str | None = Field(None, description="the template the form was read as, e.g. shanghai, hubei")


class Envelope(BaseModel):
    """One JSONL line of `crossfoot extract`: record, provenance, findings."""

    source: FormSource
    backend: str = "rules"
    record: Record | None
    provenance: Provenance = Field(default_factory=dict)
    findings: list[Finding] = Field(default_factory=list)
    error: str | None = Field(None, description="set when extraction failed for this form")
    meta: dict[str, Any] = Field(default_factory=dict, description="backend details")


def _walk(record: BaseModel, parts: list[str]) -> tuple[Any, str]:
    node: Any = record
    for part in parts[:-1]:
        node = node[int(part)] if isinstance(node, list) else getattr(node, part)
        if node is None:
            raise KeyError(".".join(parts))
    return node, parts[-1]


def get_field(record: BaseModel, path: str) -> Any:
    """Value at a dotted field path such as ``indicators.3.score``."""
    node, last = _walk(record, path.split("."))
    return node[int(last)] if isinstance(node, list) else getattr(node, last)


def set_field(record: BaseModel, path: str, value: Any) -> None:
    """Set the value at a dotted field path, in place."""
    node, last = _walk(record, path.split("."))
    if isinstance(node, list):
        node[int(last)] = value
    else:
        setattr(node, last, value)


def with_field(record: Record, path: str, value: Any) -> Record:
    """A copy of ``record`` with one field changed; only the objects on the
    path are copied (copy-on-write), the rest is shared. Far cheaper than a
    deep copy when many single changes are tried."""
    parts = path.split(".")
    root = record.model_copy()
    node: Any = root
    for part in parts[:-1]:
        if isinstance(node, list):
            child = node[int(part)]
            child = child.model_copy() if isinstance(child, BaseModel) else list(child)
            node[int(part)] = child
        else:
            child = getattr(node, part)
            if child is None:
                raise KeyError(path)
            child = child.model_copy() if isinstance(child, BaseModel) else list(child)
            setattr(node, part, child)
        node = child
    if isinstance(node, list):
        node[int(parts[-1])] = value
    else:
        setattr(node, parts[-1], value)
    return root


#: the record's own scalar fields, in contract order (funding and indicators apart)
RECORD_SCALARS: tuple[str, ...] = tuple(k for k in Record.model_fields if k not in ("funding", "indicators"))
#: an indicator row's fields, in contract order
INDICATOR_FIELDS: tuple[str, ...] = tuple(Indicator.model_fields)

__all__ += ["INDICATOR_FIELDS", "PARENT", "RECORD_SCALARS", "get_field", "set_field", "with_field"]
