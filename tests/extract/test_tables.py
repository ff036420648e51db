"""The tables reader: other provinces' templates, read by their header words.

The forms here are written for these tests after the layouts of real
published forms (eval/zoo/README.md lists the pages); none is taken from the
zoo, so the reader is held to the templates, not to one generator.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from crossfoot.check import run_checks
from crossfoot.extract.tables import TablesReader, TemplateExtractor
from crossfoot.extract.tables.indicators import normalise_level
from crossfoot.ingest.document import Cell, Document, Line
from crossfoot.ingest.text import document_from_text
from crossfoot.lexicon import label_key, load_lexicon
from crossfoot.model import Record, Severity
from crossfoot.pipeline import process_document
from crossfoot.segment import split_forms

SICHUAN_BUDGET = """报表编号:510000_0013zp
部门预算项目支出绩效自评表(2023年度)
项目名称\t51092324T000010264401-2023年乡镇污水处理运维经费
主管部门\t蓬溪县住房和城乡建设局\t\t\t实施单位\t蓬溪县污水处理站
项目基本情况\t1.项目年度目标完成情况
\t项目年度目标\t\t\t年度目标完成情况
\t保障12座乡镇污水处理站正常运行\t\t\t已全部正常运行
\t2.项目实施内容及过程概述\t全年完成运维服务采购并支付
预算执行情况(10分)\t年度预算数(万元)\t年初预算\t调整后预算数\t预算执行数\t预算执行率\t权重\t得分\t原因
\t总额\t120.00\t150.00\t142.50\t95.00%\t10\t9.5\t年中追加污泥处置费用
\t其中:财政资金\t120.00\t150.00\t142.50\t95.00%\t/\t/
\t财政专户管理资金\t0.00\t0.00\t0.00\t0.00%\t/\t/
\t单位资金\t0.00\t0.00\t0.00\t0.00%\t/\t/
\t其他资金\t\t\t\t\t/\t/
绩效指标(90分)\t一级指标\t二级指标\t三级指标\t指标性质\t指标值\t度量单位\t完成值\t权重\t得分\t未完成原因分析
\t产出指标\t数量指标\t运维站点数量\t≥\t12\t座\t12\t30\t30
\t\t质量指标\t出水达标率\t≥\t90\t%\t93\t30\t30
\t效益指标\t生态效益指标\t化学需氧量削减量\t≥\t300\t吨\t286\t20\t18\t进水浓度低于设计值
\t满意度指标\t服务对象满意度指标\t周边群众满意度\t≥\t90\t%\t95\t10\t10
合计\t\t\t\t\t\t\t\t100\t97.5
评价结论\t项目完成年度目标
"""

HUBEI = """2023年度乡镇卫生院能力建设项目自评表
单位名称:某县卫生健康局  填报日期:2024年3月18日
项目名称\t乡镇卫生院能力建设项目
主管部门\t某县卫生健康局\t\t项目实施单位\t某县卫生健康局
项目类别\t1、部门预算项目☑ 2、省直专项□ 3、省对下转移支付项目□
预算执行情况(万元)(20分)\t预算数(A)\t执行数(B)\t执行率(B/A)\t得分(20分*执行率)
\t年度财政资金总额\t80.00\t76.00\t95%\t19
年度绩效目标(80分)\t一级指标\t二级指标\t三级指标\t年初目标值(A)\t实际完成值(B)\t得分
\t产出指标(50分)\t数量指标\t购置设备台数\t10台\t10台\t25
\t\t时效指标\t设备到位时间\t6月底前\t7月中旬\t20
\t效益指标(30分)\t社会效益指标\t基层首诊率\t≥65%\t66%\t30
总分\t\t\t\t\t\t94
"""

HUNAN = """2022年度县级专项资金绩效目标自评表
专项资金名称\t县级储备粮管理费用\t负责人及电话\t王某 0734-5555555
县级主管部门\t县发展和改革局\t实施单位\t县粮食储备库
项目资金(万元)\t全年预算数(A)\t全年执行数(B)\t执行率(B/A)
年度资金总额\t52.00\t52.00\t100%
其中:中央、省、市补助县级资金\t0.00\t0.00\t
其他资金\t52.00\t52.00\t100%
年度总体目标\t年初设定目标\t\t全年实际完成情况
\t保证县级储备粮数量真实、质量良好\t\t储备粮账实相符,质量达标
绩效指标\t一级指标\t二级指标\t三级指标\t年度指标值\t全年完成值\t未完成原因和改进措施
\t产出指标\t数量指标\t储备粮规模\t3000吨\t3000吨
\t\t质量指标\t储备粮宜存率\t100%\t100%
\t效益指标\t社会效益指标\t保障粮食应急供应\t有效保障\t有效保障
说明\t无
注:1、其他资金包括与中央、省、市补助资金共同投入到同一项目的自有资金、社会资金。
"""


def _read(text: str, name: str = "form.txt") -> tuple[Record, list[str], str]:
    document = document_from_text(text, path=name, sha256="0", encoding="utf-8")
    forms = split_forms(document)
    assert len(forms) == 1
    result = TemplateExtractor().extract(forms[0], forms)
    assert result.record is not None
    return result.record, [f.code for f in result.findings], result.meta["template"]


def test_sichuan_budget_form_by_header_words() -> None:
    record, _, template = _read(SICHUAN_BUDGET)
    assert template == "sichuan_budget"
    assert record.year == 2023
    assert record.project_name == "51092324T000010264401-2023年乡镇污水处理运维经费"
    assert record.amount_unit == "万元"
    total = record.funding.total
    assert total is not None
    assert (total.initial_budget, total.annual_budget, total.executed) == (
        Decimal("120.00"),
        Decimal(150),
        Decimal("142.50"),
    )
    assert (total.execution_rate, total.weight, total.score) == (Decimal(95), Decimal(10), Decimal("9.5"))
    assert record.funding.current_year is not None and record.funding.current_year.weight is None
    assert record.funding.other is not None and record.funding.other.annual_budget == 0
    assert record.goal_expected == "保障12座乡镇污水处理站正常运行"
    assert record.goal_actual == "已全部正常运行"
    assert [i.target for i in record.indicators] == ["≥12座", "≥90%", "≥300吨", "≥90%"]
    assert record.indicators[2].deviation == "进水浓度低于设计值"
    assert record.indicators[2].level2 == "生态效益指标"
    assert (record.total_weight, record.total_score) == (Decimal(100), Decimal("97.5"))


def test_hubei_form_funding_weight_from_block_label_and_score_only_total() -> None:
    record, codes, template = _read(HUBEI)
    assert template == "hubei"
    assert record.year == 2023  # from the title, never from the 填报日期 date
    assert record.implementing_unit == "某县卫生健康局"
    total = record.funding.total
    assert total is not None
    assert (total.annual_budget, total.executed, total.execution_rate, total.score) == (80, 76, 95, 19)
    assert total.weight == 20  # 预算执行情况(20分)
    assert [i.level1 for i in record.indicators] == ["产出指标", "产出指标", "效益指标"]
    assert all(i.weight is None for i in record.indicators)
    assert record.total_weight is None and record.total_score == 94
    assert "layout_unrecognized" not in codes


def test_hunan_unscored_form_has_no_false_alarm() -> None:
    document = document_from_text(HUNAN, path="hunan.txt", sha256="0", encoding="utf-8")
    envelope = process_document(document, TemplateExtractor())[0]
    assert envelope.source.template == "hunan_county"
    record = envelope.record
    assert record is not None
    assert record.project_name == "县级储备粮管理费用"
    assert record.department == "县发展和改革局"
    assert record.funding.current_year is not None and record.funding.current_year.executed == 0
    assert record.goal_actual == "储备粮账实相符,质量达标"
    assert [i.name for i in record.indicators] == ["储备粮规模", "储备粮宜存率", "保障粮食应急供应"]
    assert all(i.weight is None and i.score is None for i in record.indicators)
    errors = [f.code for f in envelope.findings if f.severity is Severity.error]
    assert errors == []  # no weights, scores or 总分 to miss on an unscored template


def test_the_same_record_under_the_strict_shanghai_checks_is_flagged() -> None:
    """The template decides what is missing: Shanghai prints every column."""
    record, _, _ = _read(HUNAN)
    codes = {f.code for f in run_checks(record)}
    assert {"total_row_missing", "indicator_value_missing"} <= codes


def test_a_form_whose_layout_cannot_be_read_says_so() -> None:
    text = "项目支出绩效自评表\n项目名称\t某项目\n说明\t本表内容另附\n"
    document = document_from_text(text, path="odd.txt", sha256="0", encoding="utf-8")
    envelope = process_document(document, TemplateExtractor())[0]
    layout = [f for f in envelope.findings if f.code == "layout_unrecognized"]
    assert layout and layout[0].severity is Severity.error
    assert "funding" in layout[0].message and "indicator" in layout[0].message


def _grid(rows: list[list[tuple[str, int, int]]]) -> Document:
    """A grid document: each cell (text, rows, cols); covered positions empty."""
    lines: list[Line] = []
    covered: set[tuple[int, int]] = set()
    for r, row in enumerate(rows):
        cells: list[Cell] = []
        column = 0
        queue = list(row)
        while queue or (r, column) in covered:
            if (r, column) in covered:
                cells.append(Cell(column=column, text=""))
                column += 1
                continue
            text, rs, cs = queue.pop(0)
            cells.append(
                Cell(column=column, text=text, rows=rs, cols=cs, address=f"table 1 row {r + 1} col {column + 1}")
            )
            for dr in range(rs):
                for dc in range(cs):
                    if dr or dc:
                        covered.add((r + dr, column + dc))
            column += 1
        lines.append(Line(number=r + 1, cells=cells))
    return Document(path="g.html", sha256="0", kind="html", grid=True, lines=lines)


def test_grid_hierarchy_comes_from_merged_extents() -> None:
    one = ("", 1, 1)
    rows = [
        [("项目支出绩效自评表", 1, 8)],
        [("项目名称", 1, 1), ("网格测试项目", 1, 7)],
        [
            ("项目资金(万元)", 1, 2),
            ("年初预算数", 1, 1),
            ("全年预算数", 1, 1),
            ("全年执行数", 1, 1),
            ("分值", 1, 1),
            ("执行率", 1, 1),
            ("得分", 1, 1),
        ],
        [("年度资金总额", 1, 2), ("10", 1, 1), ("10", 1, 1), ("10", 1, 1), ("10", 1, 1), ("100%", 1, 1), ("10", 1, 1)],
        [
            ("一级指标", 1, 1),
            ("二级指标", 1, 1),
            ("三级指标", 1, 1),
            ("年度指标值", 1, 1),
            ("实际完成值", 1, 1),
            ("分值", 1, 1),
            ("得分", 1, 1),
            ("偏差原因分析及改进措施", 1, 1),
        ],
        [
            ("产出指标", 3, 1),
            ("数量指标", 2, 1),
            ("甲", 1, 1),
            ("1", 1, 1),
            ("1", 1, 1),
            ("30", 1, 1),
            ("30", 1, 1),
            one,
        ],
        [("乙", 1, 1), ("2", 1, 1), ("2", 1, 1), ("20", 1, 1), ("20", 1, 1), one],
        [("时效指标", 1, 1), ("丙", 1, 1), ("及时", 1, 1), ("及时", 1, 1), ("20", 1, 1), ("20", 1, 1), one],
        [
            ("满意度指标", 1, 1),
            ("服务对象满意度", 1, 1),
            ("丁", 1, 1),
            ("≥90%", 1, 1),
            ("95%", 1, 1),
            ("20", 1, 1),
            ("20", 1, 1),
            one,
        ],
        [("总分", 1, 5), ("100", 1, 1), ("100", 1, 1), one],
    ]
    document = _grid(rows)
    form = split_forms(document)[0]
    result = TablesReader().extract(form)
    record = result.record
    assert record is not None
    assert [(i.level1, i.level2, i.name) for i in record.indicators] == [
        ("产出指标", "数量指标", "甲"),
        ("产出指标", "数量指标", "乙"),
        ("产出指标", "时效指标", "丙"),
        ("满意度指标", "服务对象满意度指标", "丁"),
    ]
    assert (record.total_weight, record.total_score) == (100, 100)
    # provenance names the place in the file, and a merged label the cell it sits in
    assert result.provenance["indicators.1.level1"][0].address == "table 1 row 6 col 1"
    assert result.provenance["total_score"][0].address == "table 1 row 10 col 7"
    assert run_checks(record) == []


def test_an_unknown_column_is_kept_and_named() -> None:
    text = SICHUAN_BUDGET.replace("未完成原因分析", "未完成原因分析\t佐证材料").replace(
        "\t30\t30\n\t\t质量", "\t30\t30\t\t见附件1\n\t\t质量"
    )
    record, codes, _ = _read(text)
    assert "column_unknown" in codes
    assert record.indicators[0].deviation is None  # never put in the wrong field


def test_a_users_lexicon_adds_a_templates_words(tmp_path: Path) -> None:
    extra = tmp_path / "mine.toml"
    extra.write_text('[indicators.columns]\nactual = ["本年实绩"]\n', encoding="utf-8")
    lexicon = load_lexicon(extra)
    assert lexicon.match("indicator_columns", "本年实绩") == "actual"
    assert lexicon.match("indicator_columns", "实际完成值") == "actual"  # the bundled words stay
    assert load_lexicon().match("indicator_columns", "本年实绩") is None


@pytest.mark.parametrize(
    ("printed", "expected"),
    [
        ("产出指标(50分)", ("产出指标", None)),
        ("产 出 指 标", ("产出指标", None)),
        ("服务对象满意度", (None, "服务对象满意度指标")),
        ("社会效益", (None, "社会效益指标")),
        ("经济成本指标", (None, "成本指标")),
        ("设备运行率", (None, None)),
    ],
)
def test_level_labels_map_into_the_fixed_hierarchy(printed: str, expected: tuple[str | None, str | None]) -> None:
    assert normalise_level(printed)[:2] == expected


def test_label_keys_fold_brackets_colons_and_score_notes() -> None:
    assert label_key("预算执行情况（20分）") == "预算执行情况"
    assert label_key("年度资金总额：") == "年度资金总额"
    assert label_key(" 项目资金 (万元)") == "项目资金"


def test_header_words_wrapped_onto_the_next_line_are_completed() -> None:
    text = (
        SICHUAN_BUDGET.replace("未完成原因分析\n", "未完成原\n\t\t\t\t\t\t\t\t\t\t因分析\n")
        .replace("\t度量单位\t", "\t度量\t")
        .replace("\t\t\t\t\t\t\t\t\t\t因分析\n", "\t\t\t\t\t\t单位\t\t\t\t因分析\n")
    )
    record, codes, _ = _read(text)
    assert "column_unknown" not in codes
    assert [i.target for i in record.indicators] == ["≥12座", "≥90%", "≥300吨", "≥90%"]
    assert record.indicators[2].deviation == "进水浓度低于设计值"


def test_on_a_scan_a_header_one_ocr_slip_away_still_names_its_column() -> None:
    from crossfoot.lexicon import OCR_TOLERANT

    lexicon = load_lexicon()
    assert lexicon.match("indicator_columns", "年初目示值(A)") is None  # a typed file means what it prints
    token = OCR_TOLERANT.set(True)
    try:
        assert lexicon.match("indicator_columns", "年初目示值(A)") == "target"
        assert normalise_level("质量指示")[1] == "质量指标"
        assert normalise_level("效益：指标（20分")[0] == "效益指标"
        assert lexicon.match("indicator_columns", "指标") is None  # short words are never guessed
    finally:
        OCR_TOLERANT.reset(token)


def test_a_scanned_header_with_slipped_tier_words_keeps_the_tiers_in_order() -> None:
    """OCR read 一级指标 as 级指标 and 二级指标 as 一级指标: the three 级指标 columns
    still print in the order 一级, 二级, 三级."""
    text = SICHUAN_BUDGET.replace("\t一级指标\t二级指标\t三级指标\t", "\t级指标\t一级指标\t三级指标\t")
    record, codes, _ = _read(text)
    first = record.indicators[0]
    assert (first.level1, first.level2, first.name) == ("产出指标", "数量指标", "运维站点数量")
    assert "indicator_name_unread" not in codes
