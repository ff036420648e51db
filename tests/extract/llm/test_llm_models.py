"""The response models: what the model may answer and how it becomes a Record."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from pydantic import ValidationError
from tests.extract.llm.llm_support import gold, gold_dir

from crossfoot.extract.llm.models import SCHEMA_VERSION, LLMIndicator, LLMRecord, to_record
from crossfoot.model import HIERARCHY, Record


def test_numbers_are_parsed_as_printed() -> None:
    answer = LLMRecord.model_validate(
        {
            "project_name": "项目",
            "funding": {"total": {"annual_budget": "375,000", "execution_rate": "100.00%", "weight": 10}},
            "total_score": "—",
        }
    )
    record = to_record(answer)
    assert record.funding.total is not None
    assert record.funding.total.annual_budget == Decimal("375000")
    assert str(record.funding.total.execution_rate) == "100.00"  # precision kept
    assert record.funding.total.weight == 10
    assert record.total_score is None  # a dash is an empty cell


def test_a_word_for_a_number_is_rejected_with_a_usable_message() -> None:
    with pytest.raises(ValidationError) as caught:
        LLMRecord.model_validate({"project_name": "项目", "total_score": "九十八"})
    message = str(caught.value)
    assert "total_score" in message and "is not a number" in message and "null for an empty cell" in message


@pytest.mark.parametrize(("level1", "level2"), [(p, c) for p, cs in HIERARCHY.items() for c in cs])
def test_every_pair_of_the_hierarchy_is_accepted(level1: str, level2: str) -> None:
    LLMIndicator.model_validate({"level1": level1, "level2": level2, "name": "指标"})


def test_a_pair_outside_the_hierarchy_names_the_right_parent() -> None:
    with pytest.raises(ValidationError, match="质量指标 belongs under 一级指标 产出指标, not 效益指标"):
        LLMIndicator.model_validate({"level1": "效益指标", "level2": "质量指标", "name": "合格率"})


def test_every_gold_label_is_a_valid_answer_and_round_trips() -> None:
    # the response model must be able to say everything the contract can
    labels = sorted(gold_dir().glob("*.json"))
    assert labels
    for path in labels:
        data = gold(path.stem)
        assert to_record(LLMRecord.model_validate(data)) == Record.model_validate(data), path.name


def test_field_descriptions_reach_the_schema_and_its_version() -> None:
    schema = json.dumps(LLMRecord.model_json_schema(), ensure_ascii=False)
    for term in ("年初预算数", "全年执行数", "执行率", "三级指标", "偏差原因分析及改进措施", "评分等级"):
        assert term in schema
    assert SCHEMA_VERSION.startswith("llm-record-") and len(SCHEMA_VERSION) == len("llm-record-") + 12


def test_extra_keys_from_a_chatty_model_are_ignored() -> None:
    answer = LLMRecord.model_validate({"project_name": "项目", "notes": "I think...", "confidence": 0.9})
    assert to_record(answer).project_name == "项目"
