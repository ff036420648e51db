"""A form of another province's template goes to the LLM with the prompt that
describes every template (prompts/extract_form.v2.j2).

The cassette is hand-written (cassettes/README.md): the request is the one
crossfoot really sends, served by ``ScriptedEndpoint`` while recording; the
answer is the hand-labelled record of the form below. It tests the routing,
the prompt and the alignment, never accuracy. Re-record with

    pytest tests/extract/llm/test_llm_templates.py --record-mode=rewrite
"""

from __future__ import annotations

import json
from pathlib import Path

from tests.extract.llm.llm_support import (
    LLAMA_URL,
    SCRIPTED_MODEL,
    Recorded,
    ScriptedEndpoint,
    base_settings,
    completion,
)

from crossfoot.extract.base import ExtractionResult
from crossfoot.extract.hybrid import route_reasons
from crossfoot.extract.llm import LLMExtractor
from crossfoot.extract.llm.client import LLMClient
from crossfoot.extract.tables import TemplateExtractor
from crossfoot.ingest.text import document_from_text
from crossfoot.segment import FormSlice, split_forms

#: a Hubei 项目自评表 as a broken conversion printed it: the indicator table's
#: header row was lost, so the rules cannot find the table
HUBEI_BROKEN = """2023年度乡镇卫生院能力建设项目自评表
项目名称\t乡镇卫生院能力建设项目
主管部门\t某县卫生健康局\t\t项目实施单位\t某县卫生健康局
预算执行情况(万元)(20分)\t预算数(A)\t执行数(B)\t执行率(B/A)\t得分(20分*执行率)
\t年度财政资金总额\t80.00\t76.00\t95%\t19
年度绩效目标(80分)
\t产出指标(50分)\t数量指标\t购置设备台数\t10台\t10台\t25
\t\t时效指标\t设备到位时间\t6月底前\t7月中旬\t20
\t效益指标(30分)\t社会效益指标\t基层首诊率\t≥65%\t66%\t30
总分\t\t\t\t\t\t94
"""

#: the record a reader writes down from the form above (SCHEMA.md's Hubei row)
HAND_LABELLED = {
    "year": 2023,
    "project_name": "乡镇卫生院能力建设项目",
    "department": "某县卫生健康局",
    "implementing_unit": "某县卫生健康局",
    "amount_unit": "万元",
    "funding": {
        "total": {
            "initial_budget": None,
            "annual_budget": "80.00",
            "executed": "76.00",
            "weight": "20",
            "execution_rate": "95%",
            "score": "19",
        },
        "current_year": None,
        "carryover": None,
        "other": None,
    },
    "goal_expected": None,
    "goal_actual": None,
    "indicators": [
        {
            "level1": "产出指标",
            "level2": "数量指标",
            "name": "购置设备台数",
            "target": "10台",
            "actual": "10台",
            "weight": None,
            "score": "25",
            "deviation": None,
        },
        {
            "level1": "产出指标",
            "level2": "时效指标",
            "name": "设备到位时间",
            "target": "6月底前",
            "actual": "7月中旬",
            "weight": None,
            "score": "20",
            "deviation": None,
        },
        {
            "level1": "效益指标",
            "level2": "社会效益指标",
            "name": "基层首诊率",
            "target": "≥65%",
            "actual": "66%",
            "weight": None,
            "score": "30",
            "deviation": None,
        },
    ],
    "total_weight": None,
    "total_score": "94",
    "grade": None,
}


def _form() -> FormSlice:
    document = document_from_text(HUBEI_BROKEN, path="hubei_broken.txt", sha256="0", encoding="utf-8")
    return split_forms(document)[0]


def test_the_rules_say_the_layout_is_unrecognized_and_hybrid_routes_it() -> None:
    form = _form()
    rules = TemplateExtractor().extract(form, [form])
    assert "layout_unrecognized" in {f.code for f in rules.findings}
    assert rules.meta["template"] == "hubei"
    assert route_reasons(rules, "errors")


def test_a_hubei_form_is_asked_with_the_template_prompt(
    tmp_path: Path, cassette: Path, recording: bool, scripted: list[ScriptedEndpoint]
) -> None:
    url = LLAMA_URL  # replay matches method, path and body: the host does not matter
    if recording:
        scripted.append(ScriptedEndpoint([(200, {}, completion(json.dumps(HAND_LABELLED, ensure_ascii=False)), 0.0)]))
        url = scripted[-1].url
    settings = base_settings(
        tmp_path, llm_base_url=url, llm_model=SCRIPTED_MODEL, llm_cassette=cassette, llm_cassette_record=recording
    )
    form = _form()
    result = LLMExtractor(settings, client=LLMClient(settings)).extract(form, [form])
    assert isinstance(result, ExtractionResult)
    assert result.meta["prompt_version"] == "v2"
    assert result.meta["template"] == "hubei"
    request = Recorded.load(cassette).requests[0]
    system = json.dumps(request, ensure_ascii=False)
    assert "湖北 项目自评表" in system and "年初目标值(A)" in system  # the prompt describes the templates
    record = result.record
    assert record is not None
    assert record.funding.total is not None and record.funding.total.weight == 20
    assert [i.score for i in record.indicators] == [25, 20, 30]
    # every value the answer gives is aligned back to the cell that prints it
    assert result.provenance["indicators.2.name"][0].line == 9
    assert result.provenance["total_score"][0].raw == "94"
