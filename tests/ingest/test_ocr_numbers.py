"""OCR number hygiene and low-confidence findings."""

from __future__ import annotations

import pytest

from crossfoot.ingest.ocr_numbers import LOW_CONFIDENCE_CODE, low_confidence_findings, repair_number, repair_text
from crossfoot.model import Severity, SourceSpan


@pytest.mark.parametrize(
    ("read", "number"),
    [
        ("1O0", "100"),  # O for 0
        ("l0.5", "10.5"),  # l for 1
        ("S0", "50"),  # S for 5
        ("0.5O", "0.50"),
        ("O", "0"),  # a lone zero read as a letter
        ("。", "0"),  # ... or as a full stop
        ("１００", "100"),  # full-width digits
        ("100。00", "100.00"),  # an ideographic full stop for the point
        ("10,00", "10.00"),  # a decimal comma: two digits follow
        ("1.204.000.00", "1204000.00"),  # thousands points: the groups decide
        ("888.802.05", "888802.05"),
        ("10..00", "10.00"),  # a doubled point
        ("100 . 00", "100.00"),  # split around the point
        ("375,000", "375,000"),  # printed correctly: left exactly as it is
        ("100.00%", "100.00%"),
        ("-3", "-3"),
    ],
)
def test_unambiguous_confusions_are_repaired(read: str, number: str) -> None:
    repaired = repair_number(read)
    assert repaired is not None
    assert repaired.text == number
    assert not repaired.doubtful


@pytest.mark.parametrize(
    "read",
    [
        "375.000",  # one point before three digits: 375.000 is a valid reading as printed
        "10 10",  # may be two numbers run together
        "2-3",
        "—",
        "API",
        "5G",
        "完整",
    ],
)
def test_ambiguous_or_non_numbers_are_not_numbers_to_repair(read: str) -> None:
    repaired = repair_number(read)
    assert repaired is None or repaired.text == read


@pytest.mark.parametrize(("read", "number"), [(".5", "5"), ("5.", "5"), ("10.00.", "10.00")])
def test_a_stray_point_is_dropped_but_marked_doubtful(read: str, number: str) -> None:
    repaired = repair_number(read)
    assert repaired is not None
    assert (repaired.text, repaired.doubtful) == (number, True)


@pytest.mark.parametrize(
    ("read", "text"),
    [
        ("≥95.0O(%)", "≥95.00(%)"),
        (">=9O%", ">=90%"),
        ("5G网络", "5G网络"),  # a letter after a digit is not enough
        ("等保2.0三级", "等保2.0三级"),
        ("完成咨询评估", "完成咨询评估"),
    ],
)
def test_running_text_only_repairs_letters_between_digits(read: str, text: str) -> None:
    assert repair_text(read).text == text


def _span(raw: str, confidence: float | None, line: int = 7) -> SourceSpan:
    return SourceSpan(line=line, column=6, raw=raw, page=1, bbox=(1, 2, 3, 4), confidence=confidence)


def test_a_number_read_with_low_confidence_becomes_a_warning_for_that_field() -> None:
    provenance = {
        "indicators.0.weight": [_span("9", 0.55)],
        "indicators.0.score": [_span("9", 0.99)],
        "funding.total.executed": [_span("375000", None)],  # a text layer: no confidence at all
    }
    findings = low_confidence_findings(provenance, threshold=0.8)
    assert [(f.code, f.fields, f.printed, f.severity) for f in findings] == [
        (LOW_CONFIDENCE_CODE, ["indicators.0.weight"], "9", Severity.warning)
    ]
    assert "page 1, line 7" in findings[0].message and "0.55" in findings[0].message
    assert "digits" in findings[0].message


def test_a_text_value_read_with_low_confidence_is_a_warning_too() -> None:
    # an OCR-inserted character in a name: no check can catch it, a reviewer can
    provenance = {
        "indicators.0.name": [_span("女完整性", 0.40, line=12)],
        "indicators.0.target": [_span("完整", 0.97)],
        "goal_expected": [_span("甲" * 200, 0.95), _span("乙" * 200, 0.62, line=30)],
        "indicators.1.deviation": [_span("   ", 0.10)],  # nothing printed: nothing to check
    }
    findings = low_confidence_findings(provenance, threshold=0.8)
    assert [(f.fields, f.printed) for f in findings] == [
        (["indicators.0.name"], "女完整性"),
        (["goal_expected"], "乙" * 200),  # the field's weakest span
    ]
    name, goal = findings
    assert name.severity == Severity.warning and name.code == LOW_CONFIDENCE_CODE
    assert "page 1, line 12" in name.message and "0.40" in name.message and "text" in name.message
    assert "line 30" in goal.message and len(goal.message) < 200  # a long text is quoted by its ends


def test_the_threshold_is_the_callers() -> None:
    provenance = {"total_score": [_span("95.00", 0.85)]}
    assert low_confidence_findings(provenance, threshold=0.8) == []
    assert len(low_confidence_findings(provenance, threshold=0.9)) == 1


def test_a_colon_inside_a_number_is_its_point() -> None:
    repaired = repair_number("3832:25")
    assert repaired is not None and repaired.text == "3832.25"


@pytest.mark.parametrize(("read", "number"), [("5°", "5"), ("'10", "10"), ("95.00`", "95.00")])
def test_a_speck_at_the_edge_of_a_number_is_dropped_but_marked_doubtful(read: str, number: str) -> None:
    repaired = repair_number(read)
    assert repaired is not None
    assert (repaired.text, repaired.doubtful) == (number, True)


@pytest.mark.parametrize(
    ("read", "text"),
    [
        ("≤10.00(工作日", "≤10.00(工作日)"),  # the closing bracket lost at the cell's edge
        ("<30.00（工作日", "<30.00（工作日）"),
        ("项目资金（元", "项目资金（元）"),
        ("100.00%)", "100.00(%)"),  # closed after a number, never opened
        ("53.00万条)", "53.00(万条)"),
        ("97.00.(%)", "97.00(%)"),  # a second point before the unit
        ("咨询评估报告合格率：", "咨询评估报告合格率"),  # a ruling's stub read as a colon
        ("信息化项目建设单位满意度.", "信息化项目建设单位满意度"),
        ("主管部门 ，", "主管部门"),  # a speck standing apart from the label
        ("≥90.00(%) .", "≥90.00(%)"),
        ("实施丶落实", "实施、落实"),  # the radical 丶 is never written in prose
        ("项目．达到评审.评审结果", "项目，达到评审，评审结果"),  # a point between Chinese characters
        ("（普府办[2021]40号）", "（普府办〔2021〕40号）"),  # a document number's year
        ("沪松热线办【2019】1号", "沪松热线办〔2019〕1号"),
        ("评分等级“", "评分等级"),  # an opening quote cannot end a text
        ("：", ""),  # a mark alone in a cell: a speck
        (" ， ", ""),
    ],
)
def test_brackets_and_stray_marks_are_put_right_by_the_cells_own_text(read: str, text: str) -> None:
    assert repair_text(read).text == text


@pytest.mark.parametrize(
    "printed",
    [
        "其中：",  # a label that ends in a colon
        "(2024年度)",
        "完成(一期)建设",
        "及时，12月底前完成",  # marks inside the text are not guessed at
        "提高。",  # a full stop ends a sentence
        "1、提升；2、",  # a cut paragraph keeps its marks
        "预计可以实现以下管理目标：1、提升公共数据运营服务管理水平。根据管理办法如下：",  # a paragraph cut by a page break
        "≥50.00(万条)",
        "运行。2.加强安全监测",  # a numbered point after a digit
        "二期1.5版[2021]",  # brackets that are no document number
        "“一网通办”",  # a closing quote may end a name
        "—",  # a dash alone means "none"
    ],
)
def test_punctuation_the_text_accounts_for_is_left_alone(printed: str) -> None:
    assert repair_text(printed).text == printed
