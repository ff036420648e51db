"""One test per layout defect the rules backend must survive (issue 2, point 5).

Each builds a small form that has the defect and one that does not."""

from __future__ import annotations

from decimal import Decimal

from tests.forms import HEAD, STANDARD_ROWS, extract_one, extract_text, form_text

from crossfoot.model import PARENT


def test_clean_form_reads_every_row() -> None:
    record, codes = extract_one(form_text())
    assert record.project_name == "测试项目"
    assert record.year == 2022
    assert [i.name for i in record.indicators] == [
        "完成数量",
        "合格率",
        "及时性",
        "建设水平",
        "机制健全性",
        "满意度",
    ]
    assert [i.level2 for i in record.indicators][:3] == ["数量指标", "质量指标", "时效指标"]
    assert record.indicators[0].actual == "58"
    assert record.total_score == Decimal("100")
    assert "indicator_level_unread" not in codes


def test_row_shifted_right_by_one_column() -> None:
    rows = STANDARD_ROWS.replace(
        "\t\t质量指标\t合格率\t=100%\t100%\t20\t20\t", "\t\t\t质量指标\t合格率\t=100%\t100%\t20\t20"
    )
    record, _ = extract_one(form_text(rows))
    row = record.indicators[1]
    assert (row.level2, row.name, row.target, row.actual, row.weight) == (
        "质量指标",
        "合格率",
        "=100%",
        "100%",
        20,
    )


def test_row_shifted_left_name_in_label_column() -> None:
    rows = STANDARD_ROWS.replace(
        "\t\t时效指标\t及时性\t及时\t及时\t10\t10\t", "\t\t时效指标\t\t及时性\t及时\t及时\t10\t10"
    )
    rows = rows.replace("\t\t可持续影响指标\t机制健全性", "机制健全性\t\t\t")  # name in column 0, label lost
    rows = rows.replace("健全\t健全\t15\t15\t\n\t满意度", "健全\t健全\t15\t15\t\n\t满意度", 1)
    record, _ = extract_one(form_text(rows))
    assert record.indicators[2].name == "及时性"
    names = [i.name for i in record.indicators]
    assert "机制健全性" in names
    # with its label lost, the row is carried down from 社会效益指标 (same 一级指标)
    assert record.indicators[names.index("机制健全性")].level1 == "效益指标"


def test_level2_label_printed_in_level1_column_follows_hierarchy() -> None:
    rows = STANDARD_ROWS.replace("\t\t可持续影响指标\t机制健全性", "可持续影响指标\t\t机制健全性")
    record, _ = extract_one(form_text(rows))
    row = record.indicators[4]
    assert (row.level1, row.level2) == ("效益指标", "可持续影响指标")


def test_vertical_header_text_is_not_a_label_or_value() -> None:
    rows = STANDARD_ROWS.replace("\t\t质量指标\t合格率", "绩效\t\t质量指标\t合格率").replace(
        "\t\t时效指标\t及时性", "指标\t\t时效指标\t及时性"
    )
    record, _ = extract_one(form_text(rows))
    assert [i.name for i in record.indicators][1:3] == ["合格率", "及时性"]
    assert all(i.target not in ("绩效", "指标") for i in record.indicators)


def test_vertical_level1_in_header_line_is_carried() -> None:
    head = HEAD.replace("绩效指标\t一级指标", "产 出 指 标\t一级指标")
    rows = "\t数量指标\t\t完成数量\t=30个\t58\t50\t50\t\n\t满意度指标\t服务对象满意度指标\t满意度\t>=90%\t>=90%\t40\t40\t\n"
    record, _ = extract_one(form_text(rows, head=head))
    assert (record.indicators[0].level1, record.indicators[0].level2) == ("产出指标", "数量指标")


def test_name_tail_after_page_break_joins_row_above_without_repeated_seam() -> None:
    rows = STANDARD_ROWS.replace(
        "\t效益指标\t社会效益指标\t建设水平\t提高\t提高\t15\t15\t\n",
        "\t效益指标\t社会效益指标\t信息化建设方案完善情况\t提高\t提高\t15\t15\t\n\n效益指标\t社会效益指标\t况\t\t\t\t\n",
    )
    record, _ = extract_one(form_text(rows))
    assert record.indicators[3].name == "信息化建设方案完善情况"
    assert len(record.indicators) == 6


def test_name_head_before_page_break_joins_row_below() -> None:
    rows = STANDARD_ROWS.replace(
        "\t满意度指标\t服务对象满意度指标\t满意度\t",
        "\t\t\t关键信息设施基\n\n满意度指标\t服务对象满意度指标\t基础的单位人员满意度\t",
    )
    record, _ = extract_one(form_text(rows))
    assert record.indicators[-1].name == "关键信息设施基础的单位人员满意度"
    assert record.indicators[-2].name == "机制健全性"


def test_name_tail_without_overlap_is_appended() -> None:
    rows = STANDARD_ROWS.replace(
        "\t\t质量指标\t合格率\t=100%\t100%\t20\t20\t\n",
        "\t\t质量指标\t报告合格\t=100%\t100%\t20\t20\t\n\n\t\t\t率\n",
    )
    record, _ = extract_one(form_text(rows))
    assert record.indicators[1].name == "报告合格率"


def test_wrapped_name_with_layout_space_is_joined() -> None:
    rows = STANDARD_ROWS.replace("\t建设水平\t", "\t城市网格化综合监督发 现实效\t")
    record, _ = extract_one(form_text(rows))
    assert record.indicators[3].name == "城市网格化综合监督发现实效"


def test_label_printed_below_first_rows_is_carried_up() -> None:
    rows = STANDARD_ROWS.replace(
        "\t效益指标\t社会效益指标\t建设水平\t提高\t提高\t15\t15\t\n",
        "\t效益指标\t建设水平\t提高\t提高\t8\t8\t\n\t\t方案完善\t完善\t完善\t7\t7\t\n\n效益指标\t社会效益指标\t况\t\t\t\t\n",
    )
    record, _ = extract_one(form_text(rows))
    assert [i.level2 for i in record.indicators[3:5]] == ["社会效益指标", "社会效益指标"]


_SIBLING_50_30_10 = (
    "\t产出指标\t数量指标\t完成数量\t=30个\t58\t50\t50\t\n"
    "\t效益指标\t社会效益指标\t建设水平\t提高\t提高\t30\t30\t\n"
    "\t满意度指标\t服务对象满意度指标\t满意度\t>=90%\t>=90%\t10\t10\t\n"
)


def test_rows_at_group_boundary_placed_by_weights_the_siblings_confirm() -> None:
    # 3 unlabelled rows sit between 效益 and a 满意度 label printed after a
    # page break; only moving them to 满意度 splits the weights 50/30/10,
    # which is how the sibling form splits them.
    rows = (
        "\t产出指标\t数量指标\t完成数量\t=30个\t58\t50\t50\t\n"
        "\t效益指标\t社会效益指标\t建设水平\t提高\t提高\t24\t24\t\n"
        "\t可持续影响指标\t机制健全性\t健全\t健全\t6\t6\t\n"
        "\t\t\t项目实施满意度\t>=90%\t>=90%\t2\t2\n"
        "\t\t\t制度明确性\t完备\t完备\t2\t2\n"
        "制度健全性\t\t\t健全\t健全\t2\t2\t\n\n"
        "满意度指标\t服务对象满意度指标\t公开制度健全性\t健全\t健全\t4\t4\t\n"
    )
    (_, _), (record, codes) = extract_text(form_text(_SIBLING_50_30_10) + form_text(rows))
    assert [i.level1 for i in record.indicators[3:6]] == ["满意度指标"] * 3
    assert record.indicators[2].level2 == "可持续影响指标"
    assert "indicator_level_inferred" in codes
    # alone, with no sibling to confirm the split, weights do not move a row
    alone, _ = extract_one(form_text(rows))
    assert [i.level1 for i in alone.indicators[3:6]] == ["效益指标"] * 3


def test_rows_at_group_boundary_stay_when_weights_are_round_already() -> None:
    rows = (
        "\t产出指标\t数量指标\t完成数量\t=30个\t58\t50\t50\t\n"
        "\t效益指标\t社会效益指标\t建设水平\t提高\t提高\t24\t24\t\n"
        "\t\t\t机制健全性\t健全\t健全\t6\t6\t\n\n"
        "满意度指标\t服务对象满意度指标\t满意度\t>=90%\t>=90%\t10\t10\t\n"
    )
    record, _ = extract_one(form_text(rows))
    assert record.indicators[2].level1 == "效益指标"


def test_unlabelled_row_placed_as_sibling_form_files_it() -> None:
    sibling = form_text(
        STANDARD_ROWS.replace("\t效益指标\t社会效益指标\t建设水平", "\t效益指标\t经济效益指标\t建设水平")
    )
    target = form_text(
        STANDARD_ROWS.replace("\t效益指标\t社会效益指标\t建设水平", "\t效益指标\t\t建设水平").replace(
            "\t\t可持续影响指标\t机制健全性", "\t效益指标\t可持续影响指标\t机制健全性"
        )
    )
    # the 效益指标 label repeats, so 建设水平 has no 二级指标 of its own
    results = extract_text(sibling + target)
    assert results[1][0].indicators[3].level2 == "经济效益指标"


def test_empty_actual_column_is_null_not_shifted() -> None:
    rows = STANDARD_ROWS.replace("\t完成数量\t=30个\t58\t20\t20\t", "\t完成数量\t=30个\t\t20\t20\t")
    record, _ = extract_one(form_text(rows))
    row = record.indicators[0]
    assert (row.target, row.actual, row.weight, row.score) == ("=30个", None, 20, 20)


def test_deviation_text_after_score() -> None:
    rows = STANDARD_ROWS.replace("\t完成数量\t=30个\t58\t20\t20\t", "\t完成数量\t70\t0\t20\t0\t项目核减未采购设备")
    record, _ = extract_one(form_text(rows))
    row = record.indicators[0]
    assert (row.target, row.actual, row.weight, row.score, row.deviation) == (
        "70",
        "0",
        20,
        0,
        "项目核减未采购设备",
    )


def test_html_tags_and_thousands_separators() -> None:
    head = HEAD.replace("\t完成目标\t", '\t<p>完成</p> <p style="x">目标</p>\t').replace("80,000", "1,080,000.50")
    record, _ = extract_one(form_text(head=head))
    assert record.goal_expected == "完成目标"
    assert record.funding.total is not None
    assert record.funding.total.executed == Decimal("1080000.50")
    assert record.funding.total.execution_rate == Decimal("100.00")


def test_wan_yuan_template_with_putuo_columns_and_grade() -> None:
    head = (
        "财政项目支出绩效自评表\n(2024年度)\n项目名称\t\t普陀区项目\t\t\t\n"
        "主管部门\t\t上海市普陀区大数据中心\t\t实施单位\t\t上海市普陀区大数据中心\t\n"
        "项目资金 (万元)\t\t\t年初预算数\t全年预算数\t全年执行数\t分数\t执行率(%)\t得分\n"
        "\t\t年度资金总额\t409.63\t409.63\t404.00\t10.00\t98.62\t9.86\n"
        "\t\t其中：当年财政拨款\t409.63\t409.63\t404.00\t-\t98.62\t-\n"
        "\t\t上年结转资金\t0.00\t0.00\t0.00\t-\t0.00\t-\n"
        "\t\t其他资金\t0.00\t0.00\t0.00\t-\t0.00\t-\n"
        "年度 总体 目标\t预期目标\t\t\t实际完成情况\t\t\t\n\t网络可用\t\t\t通过测评\t\t\t\n"
        "一级指标\t二级指标\t三级指标\t年度指标值\t实际完成值\t分值\t得分\t偏差原因分析及改进措施\n"
    )
    rows = (
        "产出指标\t数量指标\t覆盖数量\t≥43.00(个)\t45.00(个)\t45.00\t45.00\t\n"
        "效益指标\t社会效益指标\t效率\t提升\t达成指标\t25.00\t20.00\t\n"
        "满意度指标\t服务对象满意度指标\t满意度\t≥90.00(%)\t96.00(%)\t20.00\t19.50\t\n"
    )
    total = "总分\t\t\t\t\t100.00\t94.36\t\n评分等级\t\t优\t\t\t\n"
    record, _ = extract_one(head + rows + total)
    assert record.amount_unit == "万元"
    assert record.grade == "优"
    assert record.funding.current_year is not None
    assert record.funding.current_year.weight is None
    assert record.funding.current_year.execution_rate == Decimal("98.62")
    assert record.indicators[0].target == "≥43.00(个)"
    assert str(record.total_score) == "94.36"


def test_padded_funding_columns_follow_total_row_positions() -> None:
    head = HEAD.replace(
        "\t年度资金总额\t100000.00\t80000.00\t80,000\t10\t100.00%\t10\t",
        "\t年度资金总额\t\t7.90\t10.50\t10.50\t\t10.00\t100.00%\t10.00\t",
    ).replace("\t上年结转资金\t0\t0\t\t—\t\t\t", "\t上年结转资金\t\t0\t0\t\t\t—\t\t\t")
    record, _ = extract_one(form_text(head=head))
    total, carry = record.funding.total, record.funding.carryover
    assert total is not None and carry is not None
    assert (total.initial_budget, total.annual_budget, total.weight, total.score) == (
        Decimal("7.90"),
        Decimal("10.50"),
        Decimal("10.00"),
        Decimal("10.00"),
    )
    assert (carry.initial_budget, carry.annual_budget, carry.executed, carry.weight) == (0, 0, None, None)


def test_missing_executed_cell_in_breakdown_row_is_null() -> None:
    record, _ = extract_one(form_text())
    assert record.funding.carryover is not None
    assert record.funding.carryover.executed is None
    assert record.funding.carryover.annual_budget == 0


def test_every_level_pair_follows_hierarchy() -> None:
    record, _ = extract_one(form_text())
    assert all(PARENT[i.level2] == i.level1 for i in record.indicators)


def test_unreadable_number_is_null_with_finding() -> None:
    rows = STANDARD_ROWS.replace("\t完成数量\t=30个\t58\t20\t20\t", "\t完成数量\t=30个\t58\t20\t20\t")
    head = HEAD.replace("100000.00\t80000.00", "100000.00\t8OOOO.OO")
    record, codes = extract_one(form_text(rows, head=head))
    assert record.funding.total is not None
    assert record.funding.total.annual_budget is None or record.funding.total.annual_budget == 80000
    assert "unreadable_number" in codes or record.funding.total.annual_budget == 80000


def test_form_cut_short_is_returned_with_findings() -> None:
    text = HEAD + STANDARD_ROWS.splitlines()[0] + "\n"
    record, codes = extract_one(text)
    assert record.project_name == "测试项目"
    assert len(record.indicators) == 1
    assert "total_row_unread" in codes


def test_form_without_indicator_table() -> None:
    text = HEAD.split("绩效指标")[0]
    record, codes = extract_one(text)
    assert record.indicators == []
    assert "indicator_table_unread" in codes


def test_markdown_heading_title_and_several_forms() -> None:
    text = "### " + form_text() + "\n\n### " + form_text().replace("测试项目", "第二项目")
    results = extract_text(text)
    assert [r.project_name for r, _ in results] == ["测试项目", "第二项目"]


def test_total_row_and_total_tail() -> None:
    record, _ = extract_one(form_text(total="总分\t\t\t\t\t100\t96.38\n"))
    assert (record.total_weight, record.total_score) == (Decimal("100"), Decimal("96.38"))


def test_score_printed_as_dash_keeps_the_row_with_a_null_score() -> None:
    rows = STANDARD_ROWS.replace("\t合格率\t=100%\t100%\t20\t20\t", "\t合格率\t=100%\t100%\t20\t—\t")
    record, _ = extract_one(form_text(rows))
    assert [i.name for i in record.indicators][1] == "合格率"
    assert (record.indicators[1].weight, record.indicators[1].score) == (20, None)


def test_empty_score_cell_keeps_the_row() -> None:
    rows = STANDARD_ROWS.replace("\t合格率\t=100%\t100%\t20\t20\t", "\t合格率\t=100%\t100%\t20\t\t")
    record, _ = extract_one(form_text(rows))
    assert len(record.indicators) == 6
    assert record.indicators[1].name == "合格率"
    assert record.indicators[1].score is None
    assert record.indicators[0].name == "完成数量"  # nothing glued onto the row above


def test_ocr_garbled_weight_is_null_with_a_finding_never_a_guess() -> None:
    rows = STANDARD_ROWS.replace("\t合格率\t=100%\t100%\t20\t20\t", "\t合格率\t=100%\t100%\t2O\t20\t")
    record, codes = extract_one(form_text(rows))
    assert record.indicators[1].name == "合格率"
    assert record.indicators[1].weight is None
    assert record.indicators[1].score == 20
    assert "unreadable_number" in codes
