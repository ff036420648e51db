"""Matcher and scorers: alternatives, missing forms and rows, precision."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from crossfoot.evaluate.match import align_rows, match_forms
from crossfoot.evaluate.metrics import aggregate
from crossfoot.evaluate.score import score_form, values_equal


@pytest.fixture
def gold(root: Path) -> dict[str, Any]:
    data = json.loads((root / "eval/fixtures/001_1b2e574df5a7d62c__01.json").read_text(encoding="utf-8"))
    return {k: v for k, v in data.items() if not k.startswith("_")}


def test_identical_record_scores_perfectly(gold: dict[str, Any]) -> None:
    score = score_form("g", gold, copy.deepcopy(gold))
    assert all(f.correct for f in score.fields)
    assert score.all_correct
    assert score.matched_rows == score.gold_rows == 14


@pytest.mark.parametrize(
    ("gold_value", "predicted", "numeric", "equal"),
    [
        ("10", "10.00", True, True),
        ("100.00", "100", True, True),
        ("9.86", "9.87", True, False),
        (None, "0", True, False),
        (None, None, True, True),
        ("（汇总）", "(汇总)", False, True),
        ("完成 目标", "完成目标", False, True),
        ("<p>完成</p>", "完成", False, True),
        ("完成", "未完成", False, False),
        (2024, 2024, False, True),
    ],
)
def test_values_equal(gold_value: Any, predicted: Any, numeric: bool, equal: bool) -> None:
    assert values_equal(gold_value, predicted, numeric=numeric) is equal


def test_numbers_in_other_precision_are_right(gold: dict[str, Any]) -> None:
    predicted = copy.deepcopy(gold)
    predicted["total_score"] = "94.360"
    predicted["indicators"][0]["weight"] = "5"
    assert all(f.correct for f in score_form("g", gold, predicted).fields)


def test_a_wrong_number_is_one_miss(gold: dict[str, Any]) -> None:
    predicted = copy.deepcopy(gold)
    predicted["indicators"][3]["score"] = "4.60"
    misses = [f.path for f in score_form("g", gold, predicted).fields if not f.correct]
    assert misses == ["indicators.3.score"]


def test_alternative_values_are_accepted(gold: dict[str, Any]) -> None:
    predicted = copy.deepcopy(gold)
    predicted["indicators"][9]["level2"] = "社会效益指标"
    assert not score_form("g", gold, predicted).all_correct
    with_alt = score_form("g", gold, predicted, {"indicators.9.level2": ["社会效益指标"]})
    assert with_alt.all_correct


def test_missed_form_is_wrong_in_every_field(gold: dict[str, Any]) -> None:
    score = score_form("g", gold, None)
    assert not score.found
    assert not any(f.correct for f in score.fields)


def test_missing_row_counts_its_fields_wrong_and_lowers_recall(gold: dict[str, Any]) -> None:
    predicted = copy.deepcopy(gold)
    del predicted["indicators"][5]
    score = score_form("g", gold, predicted)
    wrong = {f.path.rsplit(".", 1)[0] for f in score.fields if not f.correct}
    assert wrong == {"indicators.5"}
    metrics = aggregate([score], backend="x", fixtures="f", input_kind="text", routed=set())
    assert metrics.rows_recall == pytest.approx(13 / 14)
    assert metrics.rows_precision == 1.0


def test_extra_row_lowers_precision_only(gold: dict[str, Any]) -> None:
    predicted = copy.deepcopy(gold)
    predicted["indicators"].insert(2, {**predicted["indicators"][2], "name": "完全不同的指标名称"})
    score = score_form("g", gold, predicted)
    assert all(f.correct for f in score.fields)
    metrics = aggregate([score], backend="x", fixtures="f", input_kind="text", routed=set())
    assert metrics.rows_precision == pytest.approx(14 / 15)
    assert metrics.rows_recall == 1.0


def test_row_alignment_keeps_order_and_tolerates_small_name_errors() -> None:
    gold = [{"name": n} for n in ("网络可用率", "网络延时", "丢包率", "等保测评")]
    pred = [{"name": n} for n in ("网络可用率", "丢包率", "等保2.0测评", "额外")]
    assert align_rows(gold, pred) == [(0, 0), (2, 1), (3, 2)]


def test_forms_match_one_to_one_by_name() -> None:
    gold = ["普陀区公共数据运营服务项目-2023年度", "普陀区公共数据运营服务项目-2024年度", "设备购置"]
    pred = ["普陀区公共数据运营服务项目-2024年度", "设备购置", "普陀区公共数据运营服务项目-2023年度"]
    assert match_forms(gold, pred) == [(0, 2), (1, 0), (2, 1)]
    assert match_forms(["设备购置"], ["完全无关的项目名称"]) == []


def test_review_budget_counts_errors_inside_routed_forms(gold: dict[str, Any]) -> None:
    wrong = copy.deepcopy(gold)
    wrong["total_score"] = "1"
    scores = [score_form("a", gold, wrong), score_form("b", gold, copy.deepcopy(gold))]
    metrics = aggregate(scores, backend="x", fixtures="f", input_kind="text", routed={"a"})
    assert metrics.review_fraction == 0.5
    assert metrics.review_capture == 1.0
    metrics = aggregate(scores, backend="x", fixtures="f", input_kind="text", routed={"b"})
    assert metrics.review_capture == 0.0
