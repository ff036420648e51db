"""The response models the LLM fills in, and their conversion to the contract.

These are not the contract (``crossfoot.model.Record``): the model copies
numbers as the form prints them ("375,000", "100.00%") and crossfoot parses
them with the same ``parse_decimal`` the rules backend uses, so both backends
agree on what a printed number means. Every ``Field(description=...)`` here
is sent to the model as part of the JSON schema: it is written for the model,
with the Chinese terms the form prints.

A validator that rejects an answer raises ``ValueError`` with a message the
model can act on; instructor sends it back as a re-ask.
"""

from __future__ import annotations

import hashlib
import json
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, model_validator

from crossfoot.extract.values import clean_text, parse_decimal
from crossfoot.model import HIERARCHY, PARENT, Funding, FundingRow, Indicator, Level1, Level2, Record

__all__ = ["SCHEMA_VERSION", "LLMFunding", "LLMFundingRow", "LLMIndicator", "LLMRecord", "to_record"]


def _as_printed(value: Any) -> Any:
    # Local models often answer 10 or 10.0 where the form prints "10"; accept
    # the number, keep it as text, and let parse_decimal judge it.
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        return str(value)
    return value


def _number_text(value: str | None) -> str | None:
    if value is None:
        return None
    try:
        parse_decimal(value)
    except ValueError:
        raise ValueError(
            f"{value!r} is not a number. Copy only the printed number (digits, one decimal point, "
            "thousands separators and a trailing % are fine); use null for an empty cell or a dash"
        ) from None
    return value


#: A number copied from one cell, as printed; parse_decimal must accept it.
Printed = Annotated[str | None, BeforeValidator(_as_printed), AfterValidator(_number_text)]


def _num(column: str, example: str) -> Any:
    return Field(
        None,
        description=(
            f"{column}: the number printed in this cell, copied exactly as printed (e.g. {example}); "
            "null when the cell is empty or holds only a dash (— or -)"
        ),
    )


class _Answer(BaseModel):
    # Extra keys are ignored, not fatal: small models add commentary fields.
    model_config = ConfigDict(extra="ignore")


class LLMFundingRow(_Answer):
    """项目资金 表中的一行：六列数字。"""

    initial_budget: Printed = _num("年初预算数 (initial budget)", '"457000.00"')
    annual_budget: Printed = _num("全年预算数 (full-year budget)", '"375,000"')
    executed: Printed = _num("全年执行数 (executed in the year)", '"375000"')
    weight: Printed = _num("分值 or 分数 (weight)", '"10"')
    execution_rate: Printed = _num("执行率 (execution rate, percent)", '"100.00%"')
    score: Printed = _num("得分 (score)", '"10"')


class LLMFunding(_Answer):
    """项目资金 block: up to four rows; a row the form does not print is null."""

    total: LLMFundingRow | None = Field(None, description="年度资金总额 row (annual total)")
    current_year: LLMFundingRow | None = Field(
        None, description="其中：当年财政拨款 row (this year's fiscal allocation)"
    )
    carryover: LLMFundingRow | None = Field(None, description="上年结转资金 row (carried over from last year)")
    other: LLMFundingRow | None = Field(None, description="其他资金 row (other funds)")


class LLMIndicator(_Answer):
    """绩效指标 表中的一个三级指标行。"""

    level1: Level1 = Field(
        description="一级指标 of this row. Merged cells print it once for several rows: carry it down"
    )
    level2: Level2 = Field(
        description="二级指标 of this row, carried down from merged cells like level1; it must belong "
        "to level1: " + "; ".join(f"{p} → {'、'.join(cs)}" for p, cs in HIERARCHY.items())
    )
    name: str = Field(
        description="三级指标 name. When it wraps over several lines or a page break splits it, join the "
        "pieces without spaces"
    )
    target: str | None = Field(None, description="年度指标值 exactly as printed, e.g. ≥95.00(%), =30个, 及时")
    actual: str | None = Field(None, description="实际完成值 exactly as printed")
    weight: Printed = _num("分值 (weight)", '"10"')
    score: Printed = _num("得分 (score)", '"9.5"')
    deviation: str | None = Field(None, description="偏差原因分析及改进措施 text, null when empty")

    @model_validator(mode="after")
    def _in_hierarchy(self) -> LLMIndicator:
        parent = PARENT[self.level2]
        if parent != self.level1:
            raise ValueError(
                f"indicator {self.name!r}: 二级指标 {self.level2} belongs under 一级指标 {parent}, not {self.level1}"
            )
        return self


class LLMRecord(_Answer):
    """One 财政项目支出绩效自评表, read exactly as printed."""

    year: int | None = Field(None, description="report year printed under the title, from (20xx 年度)")
    project_name: str = Field(description="项目名称 (project name)")
    department: str | None = Field(None, description="主管部门 (supervising department)")
    implementing_unit: str | None = Field(None, description="实施单位 (implementing unit)")
    amount_unit: Literal["元", "万元"] | None = Field(
        None, description="unit printed in the 项目资金 label, e.g. 项目资金 (元) → 元, (万元) → 万元"
    )
    funding: LLMFunding = Field(default_factory=LLMFunding, description="项目资金 block")
    goal_expected: str | None = Field(None, description="年度总体目标 → 预期目标 text")
    goal_actual: str | None = Field(None, description="年度总体目标 → 实际完成情况 text")
    indicators: list[LLMIndicator] = Field(
        default_factory=list, description="every 三级指标 row of the 绩效指标 table, in document order"
    )
    total_weight: Printed = _num("总分 row, 分值 column", '"100"')
    total_score: Printed = _num("总分 row, 得分 column", '"98.5"')
    grade: str | None = Field(None, description="评分等级 (优 / 良 / 中 / 差) where printed, else null")


def _schema_version() -> str:
    # The cache key and the run log carry this: any change to a field, a type
    # or a description (which the model reads) is a new schema.
    schema = json.dumps(LLMRecord.model_json_schema(), sort_keys=True, ensure_ascii=False)
    return "llm-record-" + hashlib.sha256(schema.encode()).hexdigest()[:12]


SCHEMA_VERSION = _schema_version()


def _dec(text: str | None) -> Decimal | None:
    return parse_decimal(text)  # validated above: never raises here


def _row(row: LLMFundingRow | None) -> FundingRow | None:
    if row is None:
        return None
    values = {name: _dec(getattr(row, name)) for name in LLMFundingRow.model_fields}
    return FundingRow(**values)


def to_record(answer: LLMRecord) -> Record:
    """The contract record for a validated answer: numbers parsed, text cleaned."""
    return Record(
        year=answer.year,
        project_name=clean_text(answer.project_name) or "",
        department=clean_text(answer.department),
        implementing_unit=clean_text(answer.implementing_unit),
        amount_unit=answer.amount_unit,
        funding=Funding(
            total=_row(answer.funding.total),
            current_year=_row(answer.funding.current_year),
            carryover=_row(answer.funding.carryover),
            other=_row(answer.funding.other),
        ),
        goal_expected=clean_text(answer.goal_expected),
        goal_actual=clean_text(answer.goal_actual),
        indicators=[
            Indicator(
                level1=i.level1,
                level2=i.level2,
                name=clean_text(i.name) or "",
                target=clean_text(i.target),
                actual=clean_text(i.actual),
                weight=_dec(i.weight),
                score=_dec(i.score),
                deviation=clean_text(i.deviation),
            )
            for i in answer.indicators
        ],
        total_weight=_dec(answer.total_weight),
        total_score=_dec(answer.total_score),
        grade=clean_text(answer.grade),
    )
