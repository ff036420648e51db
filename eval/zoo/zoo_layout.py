"""Layouts: a Form -> the blocks its template prints (paragraphs and grid tables).

A table is a list of spans on a grid, like the real form's merged cells; every
renderer (HTML, XLSX, DOCX, CSV, PDF, text dump) draws the same blocks, so the
gold is the same whichever kind a file is.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from zoo_forms import Form, Ind


@dataclass
class Span:
    row: int
    col: int
    text: str = ""
    rows: int = 1
    cols: int = 1
    align: str = "c"  # c centred, l left


@dataclass
class Table:
    n_cols: int
    widths: list[float]
    spans: list[Span] = field(default_factory=list)
    n_rows: int = 0

    def row(self, *cells: tuple[int, int, str, str] | tuple[int, int, str]) -> int:
        """Add one row of (col, cols, text[, align]) cells; returns its index."""
        index = self.n_rows
        for cell in cells:
            col, cols, text = cell[0], cell[1], cell[2]
            align = cell[3] if len(cell) > 3 else "c"  # type: ignore[misc]
            self.spans.append(Span(index, col, text, 1, cols, align))
        self.n_rows += 1
        return index

    def down(self, first: int, col: int, text: str, cols: int = 1) -> None:
        """A label merged down from row ``first`` to the last row so far."""
        self.spans.append(Span(first, col, text, self.n_rows - first, cols))

    def grid(self) -> list[list[Span | None]]:
        """Top-left spans at their place; covered places None; empty places a blank span."""
        cells: list[list[Span | None]] = [[Span(r, c) for c in range(self.n_cols)] for r in range(self.n_rows)]
        for s in self.spans:
            for r in range(s.row, s.row + s.rows):
                for c in range(s.col, s.col + s.cols):
                    cells[r][c] = None
            cells[s.row][s.col] = s
        return cells


@dataclass
class Para:
    text: str
    style: str = "p"  # title, sub, right, note, p


@dataclass
class PageBreak:
    pass


Block = Para | Table | PageBreak


def s(value: str | None) -> str:
    return value or ""


def runs(values: list[str]) -> Iterator[tuple[int, int]]:
    """(start, length) of runs of equal consecutive values."""
    start = 0
    for i in range(1, len(values) + 1):
        if i == len(values) or values[i] != values[start]:
            yield start, i - start
            start = i


def wrap_label(label: str, every: int) -> str:
    """A label printed in a narrow cell: a line break every ``every`` characters."""
    if every <= 0:
        return label
    return "\n".join(label[i : i + every] for i in range(0, len(label), every))


def indicator_rows(
    t: Table,
    inds: list[Ind],
    columns: list[tuple[int, int, str]],
    l1_col: int,
    l2_col: int,
    wrap1: int = 0,
    wrap2: int = 0,
) -> None:
    """One row per indicator: ``columns`` are (col, cols, attribute) for the row cells;
    the 一级 / 二级 labels are merged down over their runs."""
    first = t.n_rows
    for ind in inds:
        cells: list[tuple[int, int, str, str]] = []
        for col, cols, attr in columns:
            if attr.startswith("target."):
                part = int(attr.split(".")[1])
                value = ind.target[part] if isinstance(ind.target, tuple) else ""
            elif attr == "target":
                value = s(ind.target_text())
            else:
                value = s(getattr(ind, attr))
            cells.append((col, cols, value, "l" if attr in ("name", "dev") else "c"))
        t.row(*cells)
    level1 = [i.l1 for i in inds]
    level2 = [f"{i.l1}/{i.l2}" for i in inds]
    for start, length in runs(level1):
        t.spans.append(Span(first + start, l1_col, wrap_label(level1[start], wrap1), rows=length))
    for start, length in runs(level2):
        t.spans.append(Span(first + start, l2_col, wrap_label(inds[start].l2, wrap2), rows=length))


# ---------------------------------------------------------------- hubei


def hubei(form: Form) -> list[Block]:
    year = form.year
    name = form.project if form.project.endswith("项目") else form.project + "项目"
    if year and str(year) in form.project:
        title = f"{name}自评表"
    else:
        title = f"{year}年度{name}自评表" if year else "项目自评表"
    blocks: list[Block] = [
        Para(title, "title"),
        Para(f"单位名称:{form.unit}            填报日期:{form.extras['date']}", "p"),
    ]
    t = Table(7, [1.0, 1.1, 1.3, 2.4, 1.4, 1.4, 1.0])
    t.row((0, 1, "项目名称"), (1, 6, form.project, "l"))
    t.row((0, 1, "主管部门"), (1, 2, s(form.department), "l"), (3, 1, "项目实施单位"), (4, 3, s(form.unit), "l"))
    kinds = [
        ("项目类别", ["部门预算项目", "省直专项", "省对下转移支付项目"]),
        ("项目属性", ["持续性项目", "新增性项目"]),
        ("项目类型", ["常年性项目", "延续性项目", "一次性项目"]),
    ]
    for (label, options), checked in zip(kinds, form.extras["checks"], strict=True):
        boxes = "  ".join(f"{n}、{o}{'☑' if o == checked else '□'}" for n, o in enumerate(options, 1))
        t.row((0, 1, label), (1, 6, boxes, "l"))
    fund = form.funding["total"]
    head = t.row(
        (1, 2, ""), (3, 1, "预算数(A)"), (4, 1, "执行数(B)"), (5, 1, "执行率(B/A)"), (6, 1, "得分(20分*执行率)")
    )
    t.row(
        (1, 2, "年度财政资金总额"),
        (3, 1, s(fund.annual)),
        (4, 1, s(fund.executed)),
        (5, 1, s(fund.rate)),
        (6, 1, s(fund.score)),
    )
    t.down(head, 0, "预算执行情况(万元)(20分)")
    head = t.row(
        (1, 1, "一级指标"),
        (2, 1, "二级指标"),
        (3, 1, "三级指标"),
        (4, 1, "年初目标值(A)"),
        (5, 1, "实际完成值(B)"),
        (6, 1, "得分"),
    )
    indicator_rows(t, form.indicators, [(3, 1, "name"), (4, 1, "target"), (5, 1, "actual"), (6, 1, "score")], 1, 2)
    t.down(head, 0, "年度绩效目标(80分)")
    t.row((0, 6, "总分"), (6, 1, s(form.total_score)))
    t.row((0, 2, "偏差大或目标未完成原因分析"), (2, 5, form.extras["deviation"], "l"))
    t.row(
        (0, 2, "改进措施及结果应用方案"),
        (2, 5, "加强项目过程管理,及时拨付资金,将自评结果作为以后年度预算安排的重要依据。", "l"),
    )
    t.row((0, 2, "单位主要负责人签批意见"), (2, 5, "签名:            年    月    日", "l"))
    blocks.append(t)
    blocks.append(
        Para(
            "备注: 1.预算执行情况口径:预算数为调整后财政资金总额(包括上年结余结转),"
            "执行数为资金使用单位财政资金实际支出数。"
            "2.定量指标完成数汇总原则:绝对值直接累加计算,相对值按照资金额度加权平均计算。",
            "note",
        )
    )
    return blocks


# ---------------------------------------------------------------- sichuan_budget


def sichuan_budget(form: Form) -> list[Block]:
    blocks: list[Block] = [
        Para("报表编号:510000_0013zp", "right"),
        Para(f"部门预算项目支出绩效自评表({form.year}年度)", "title"),
    ]
    t = Table(11, [1.1, 1.0, 1.1, 1.6, 0.9, 0.9, 0.9, 1.0, 0.8, 0.8, 1.6])
    t.row((0, 1, "项目名称"), (1, 10, form.project, "l"))
    t.row((0, 1, "主管部门"), (1, 4, s(form.department), "l"), (5, 2, "实施单位(盖章)"), (7, 4, s(form.unit), "l"))
    first = t.row((1, 10, "1.项目年度目标完成情况", "l"))
    t.row((1, 5, "项目年度目标"), (6, 5, "年度目标完成情况"))
    t.row((1, 5, "".join(form.goals_expected), "l"), (6, 5, "".join(form.goals_actual), "l"))
    t.row((1, 3, "2.项目实施内容及过程概述", "l"), (4, 7, form.extras.get("content", ""), "l"))
    t.down(first, 0, "项目基本情况")
    head = t.row(
        (1, 2, "年度预算数(万元)"),
        (3, 1, "年初预算"),
        (4, 1, "调整后预算数"),
        (5, 1, "预算执行数"),
        (6, 1, "预算执行率"),
        (7, 1, "权重"),
        (8, 1, "得分"),
        (9, 2, "原因"),
    )
    zero = ("0.00", "0.00", "0.00", "/", "0.00%", "/")
    rows = [
        ("总额", form.funding["total"]),
        ("其中:财政资金", form.funding["current_year"]),
        ("财政专户管理资金", form.funding["other"]),
    ]
    first_money = t.n_rows
    for label, f in rows:
        t.row(
            (1, 2, label, "l"),
            (3, 1, s(f.initial)),
            (4, 1, s(f.annual)),
            (5, 1, s(f.executed)),
            (6, 1, s(f.rate)),
            (7, 1, s(f.weight)),
            (8, 1, s(f.score)),
        )
    t.row(
        (1, 2, "单位资金", "l"),
        (3, 1, zero[0]),
        (4, 1, zero[1]),
        (5, 1, zero[2]),
        (6, 1, zero[4]),
        (7, 1, "/"),
        (8, 1, "/"),
    )
    t.row((1, 2, "其他资金", "l"), (7, 1, "/"), (8, 1, "/"))
    t.spans.append(
        Span(
            first_money,
            9,
            "1.预算执行率=预算执行数/调整后预算数,预算执行率未达到90%的需说明原因(100字以内);"
            "2.年中发生预算调整的(追加或调减),应单独说明理由;3.其他资金包括:社会投入资金、银行贷款.",
            rows=5,
            cols=2,
            align="l",
        )
    )
    t.down(head, 0, "预算执行情况(10分)")
    head = t.row(
        (1, 1, "一级指标"),
        (2, 1, "二级指标"),
        (3, 1, "三级指标"),
        (4, 1, "指标性质"),
        (5, 1, "指标值"),
        (6, 1, "度量单位"),
        (7, 1, "完成值"),
        (8, 1, "权重"),
        (9, 1, "得分"),
        (10, 1, "未完成原因分析"),
    )
    indicator_rows(
        t,
        form.indicators,
        [
            (3, 1, "name"),
            (4, 1, "target.0"),
            (5, 1, "target.1"),
            (6, 1, "target.2"),
            (7, 1, "actual"),
            (8, 1, "weight"),
            (9, 1, "score"),
            (10, 1, "dev"),
        ],
        1,
        2,
    )
    t.down(head, 0, "绩效指标(90分)")
    t.row((0, 8, "合计"), (8, 1, s(form.total_weight)), (9, 1, s(form.total_score)), (10, 1, ""))
    scored = form.extras.get("scored")
    t.row(
        (0, 1, "评价结论"),
        (
            1,
            10,
            f"项目自评得分{form.total_score}分,完成年度绩效目标。"
            if scored
            else "结合自评情况,说明项目自评总分,说明项目实施取得的成效或成果。(200字以内)",
            "l",
        ),
    )
    t.row((0, 1, "存在问题"), (1, 10, "无" if scored else "结合自评情况,分析存在的问题及原因。(200字以内)", "l"))
    t.row(
        (0, 1, "改进措施"),
        (
            1,
            10,
            "无" if scored else "针对项目自评中发现的问题,提出下一步改进完善的意见及有关政策性建议。(200字以内)",
            "l",
        ),
    )
    t.row((0, 6, "项目负责人:", "l"), (6, 5, "财务负责人:", "l"))
    blocks.append(t)
    return blocks


# ---------------------------------------------------------------- yunnan_final


def yunnan_final(form: Form) -> list[Block]:
    blocks: list[Block] = [Para("公开14表", "right"), Para("项目支出绩效自评表", "title")]
    if form.year:
        blocks.append(Para(f"({form.year}年度)", "sub"))
    blocks.append(Para(f"单位名称：{form.unit}                                        金额单位：万元", "p"))
    t = Table(11, [0.9, 1.0, 1.1, 2.0, 0.8, 0.9, 0.9, 1.2, 0.7, 0.7, 1.5])
    t.row((0, 2, "项目名称"), (2, 9, form.project, "l"))
    t.row((0, 2, "主管部门"), (2, 4, s(form.department), "l"), (6, 2, "实施单位"), (8, 3, s(form.unit), "l"))
    head = t.row(
        (2, 2, ""),
        (4, 1, "年初预算数"),
        (5, 1, "全年预算数"),
        (6, 1, "全年执行数"),
        (7, 1, "分值"),
        (8, 1, "执行率"),
        (9, 2, "得分"),
    )
    labels = [
        ("total", "年度资金总额"),
        ("current_year", "其中：财政拨款"),
        ("carryover", "上年结转资金"),
        ("other", "其他资金"),
    ]
    for key, label in labels:
        f = form.funding.get(key)
        if f is None:
            continue
        t.row(
            (2, 2, label, "l"),
            (4, 1, s(f.initial)),
            (5, 1, s(f.annual)),
            (6, 1, s(f.executed)),
            (7, 1, s(f.weight)),
            (8, 1, s(f.rate)),
            (9, 2, s(f.score)),
        )
    t.down(head, 0, "项目资金\n(万元)", cols=2)
    head = t.row((2, 4, "预期目标"), (6, 5, "实际完成情况"))
    t.row((2, 4, "".join(form.goals_expected), "l"), (6, 5, "".join(form.goals_actual), "l"))
    t.down(head, 0, "年度总体目标", cols=2)
    head = t.row(
        (1, 1, "一级指标"),
        (2, 1, "二级指标"),
        (3, 1, "三级指标"),
        (4, 1, "指标性质"),
        (5, 1, "指标值"),
        (6, 1, "度量单位"),
        (7, 1, "实际完成值"),
        (8, 1, "分值"),
        (9, 1, "得分"),
        (10, 1, "偏差原因分析及改进措施"),
    )
    indicator_rows(
        t,
        form.indicators,
        [
            (3, 1, "name"),
            (4, 1, "target.0"),
            (5, 1, "target.1"),
            (6, 1, "target.2"),
            (7, 1, "actual"),
            (8, 1, "weight"),
            (9, 1, "score"),
            (10, 1, "dev"),
        ],
        1,
        2,
    )
    t.down(head, 0, "绩效指标")
    t.row((0, 8, "总分"), (8, 1, s(form.total_weight)), (9, 1, s(form.total_score)), (10, 1, s(form.grade)))
    blocks.append(t)
    return blocks


# ---------------------------------------------------------------- hunan_county


def hunan_county(form: Form) -> list[Block]:
    title = f"{form.year}年度县级专项资金绩效目标自评表" if form.year else "县级专项资金绩效目标自评表"
    blocks: list[Block] = [Para(title, "title")]
    t = Table(8, [0.7, 0.9, 0.9, 2.2, 0.6, 1.3, 1.3, 1.6])
    t.row((0, 2, "专项资金名称"), (2, 3, form.project, "l"), (5, 1, "负责人及电话"), (6, 2, form.extras["leader"], "l"))
    t.row((0, 2, "县级主管部门"), (2, 3, s(form.department), "l"), (5, 1, "实施单位"), (6, 2, s(form.unit), "l"))
    head = t.row((2, 3, ""), (5, 1, "全年预算数(A)"), (6, 1, "全年执行数(B)"), (7, 1, "执行率(B/A)"))
    for key, label in (
        ("total", "年度资金总额"),
        ("current_year", "其中:中央、省、市补助县级资金"),
        ("other", "其他资金"),
    ):
        f = form.funding[key]
        t.row((2, 3, label, "l"), (5, 1, s(f.annual)), (6, 1, s(f.executed)), (7, 1, s(f.rate)))
    t.down(head, 0, "项目资金\n(万元)", cols=2)
    head = t.row((1, 4, "年初设定目标"), (5, 3, "全年实际完成情况"))
    t.row((1, 4, "".join(form.goals_expected), "l"), (5, 3, "".join(form.goals_actual), "l"))
    t.down(head, 0, "年度\n总体\n目标")
    head = t.row(
        (1, 1, "一级\n指标"),
        (2, 1, "二级\n指标"),
        (3, 2, "三级指标"),
        (5, 1, "年度指标值"),
        (6, 1, "全年完成值"),
        (7, 1, "未完成原因和\n改进措施"),
    )
    indicator_rows(
        t, form.indicators, [(3, 2, "name"), (5, 1, "target"), (6, 1, "actual"), (7, 1, "dev")], 1, 2, wrap1=1, wrap2=2
    )
    t.down(head, 0, "绩\n效\n指\n标")
    t.row((0, 1, "说明"), (1, 7, "无", "l"))
    blocks.append(t)
    blocks.append(
        Para(
            "注:1、其他资金包括和中央、省、市补助、地方财政资金共同投入到同一项目的自有资金、社会资金,"
            "以及以前年度的结转结余资金等。2、年度指标值可以是数量、质量、时效或成本等指标。",
            "note",
        )
    )
    return blocks


# ---------------------------------------------------------------- the MOF family (shanghai, mof_central, shanxi_county)


def mof_family(form: Form) -> list[Block]:
    """The Ministry of Finance form and its district / county copies."""
    variant = form.extras.get("variant", form.template)
    putuo = variant == "putuo"
    blocks: list[Block] = []
    if form.template == "shanghai":
        blocks.append(Para("财政项目支出绩效自评表", "title"))
        blocks.append(Para(f"({form.year} 年度)" if form.year else "( 年度)", "sub"))
    elif form.template == "mof_central":
        blocks.append(Para("项目支出绩效自评表", "title"))
        if form.year:
            blocks.append(Para(f"( {form.year}年度)", "sub"))
    else:
        blocks.append(Para(f"{form.year}年度项目支出绩效自评表" if form.year else "项目支出绩效自评表", "title"))
        blocks.append(Para(f"填报单位:{form.unit}", "p"))
    t = Table(9, [1.0, 1.0, 1.2, 2.2, 1.3, 1.3, 0.7, 0.7, 1.6])
    t.row((0, 1, "项目名称"), (1, 8, form.project, "l"))
    t.row((0, 1, "主管部门"), (1, 3, s(form.department), "l"), (4, 1, "实施单位"), (5, 4, s(form.unit), "l"))
    head = t.row(
        (1, 1, ""),
        (2, 1, "年初预算数"),
        (3, 1, "全年预算数"),
        (4, 1, "全年执行数"),
        (5, 1, "分数" if putuo else "分值"),
        (6, 1, "执行率(%)" if putuo else "执行率"),
        (7, 2, "得分"),
    )
    labels = [
        ("total", "年度资金总额"),
        ("current_year", "其中：当年财政拨款"),
        ("carryover", "上年结转资金"),
        ("other", "其他资金"),
    ]
    if form.template == "mof_central":
        labels[1] = ("current_year", "当年财政拨款")
    for key, label in labels:
        f = form.funding.get(key)
        if f is None:
            continue
        t.row(
            (1, 1, label, "l"),
            (2, 1, s(f.initial)),
            (3, 1, s(f.annual)),
            (4, 1, s(f.executed)),
            (5, 1, s(f.weight)),
            (6, 1, s(f.rate)),
            (7, 2, s(f.score)),
        )
    t.down(head, 0, f"项目资金\n({form.amount_unit})")
    head = t.row((1, 4, "预算目标" if variant == "songjiang" else "预期目标"), (5, 4, "实际完成情况"))
    t.row((1, 4, "".join(form.goals_expected), "l"), (5, 4, "".join(form.goals_actual), "l"))
    t.down(head, 0, "年度总体目标")
    head = t.row(
        (1, 1, "一级指标"),
        (2, 1, "二级指标"),
        (3, 1, "三级指标"),
        (4, 1, "年度指标值"),
        (5, 1, "实际完成值"),
        (6, 1, "分值"),
        (7, 1, "得分"),
        (8, 1, "偏差原因分析及改进措施"),
    )
    indicator_rows(
        t,
        form.indicators,
        [(3, 1, "name"), (4, 1, "target"), (5, 1, "actual"), (6, 1, "weight"), (7, 1, "score"), (8, 1, "dev")],
        1,
        2,
    )
    t.down(head, 0, "绩效指标")
    t.row((0, 6, "总分"), (6, 1, s(form.total_weight)), (7, 1, s(form.total_score)), (8, 1, ""))
    if form.grade:
        t.row((0, 2, "评分等级"), (2, 7, form.grade, "l"))
    blocks.append(t)
    if form.template == "shanxi_county":
        blocks.append(Para("注:一级指标分值:产出指标50分、效益指标30分、满意度指标10分,预算执行率10分。", "note"))
    return blocks


# ---------------------------------------------------------------- sichuan_goal


def sichuan_goal(form: Form) -> list[Block]:
    blocks: list[Block] = [Para("绩效目标自评表", "title")]
    if form.year:
        blocks.append(Para(f"({form.year}年度)", "sub"))
    t = Table(9, [1.0, 1.0, 1.1, 2.2, 0.6, 1.3, 1.3, 0.6, 1.7])
    t.row((0, 1, "项目名称"), (1, 4, form.project, "l"), (5, 2, "项目负责人及电话"), (7, 2, form.extras["leader"], "l"))
    t.row((0, 1, "主管部门"), (1, 4, s(form.department), "l"), (5, 2, "实施单位"), (7, 2, s(form.unit), "l"))
    head = t.row(
        (1, 2, ""),
        (3, 1, "全年预算数(A)"),
        (4, 2, "全年执行数(B)"),
        (6, 1, "分值"),
        (7, 1, "执行率(B/A)"),
        (8, 1, "得分"),
    )
    for key, label in (("total", "年度资金总额:"), ("current_year", "其中:本年财政拨款"), ("other", "其他资金")):
        f = form.funding[key]
        t.row(
            (1, 2, label, "l"),
            (3, 1, s(f.annual)),
            (4, 2, s(f.executed)),
            (6, 1, s(f.weight)),
            (7, 1, s(f.rate)),
            (8, 1, s(f.score)),
        )
    t.down(head, 0, "资金情况\n(万元)")
    head = t.row((1, 4, "年初设定目标"), (5, 4, "年度总体目标完成情况综述"))
    t.row((1, 4, "".join(form.goals_expected), "l"), (5, 4, "".join(form.goals_actual), "l"))
    t.down(head, 0, "年度总体目标")
    head = t.row(
        (1, 1, "一级指标"),
        (2, 1, "二级指标"),
        (3, 1, "三级指标"),
        (4, 1, "分值"),
        (5, 1, "年度指标值"),
        (6, 1, "全年实际值"),
        (7, 1, "得分"),
        (8, 1, "未完成原因及拟采取的改进措施"),
    )
    indicator_rows(
        t,
        form.indicators,
        [(3, 1, "name"), (4, 1, "weight"), (5, 1, "target"), (6, 1, "actual"), (7, 1, "score"), (8, 1, "dev")],
        1,
        2,
    )
    t.down(head, 0, "绩效指标")
    t.row((0, 4, "总分"), (4, 1, s(form.total_weight)), (5, 2, ""), (7, 1, s(form.total_score)), (8, 1, ""))
    blocks.append(t)
    blocks.append(
        Para(
            "注:1.一级指标分值统一设置为:产出指标50分、效益指标30分、满意度指标10分、预算资金执行率10分,"
            "各部门根据各项指标重要程度确定三级指标的分值。",
            "note",
        )
    )
    return blocks


# ---------------------------------------------------------------- sichuan_special


def sichuan_special(form: Form) -> list[Block]:
    blocks: list[Block] = [Para("专项资金区域绩效目标自评表", "title"), Para(f"({form.year}年度)", "sub")]
    t = Table(9, [1.0, 1.0, 1.2, 2.2, 1.3, 1.3, 0.8, 0.7, 1.6])
    t.row((0, 1, "专项名称"), (1, 8, form.project, "l"))
    if form.unit:
        t.row((0, 1, "省级主管部门"), (1, 3, s(form.department), "l"), (4, 1, "项目实施单位"), (5, 4, form.unit, "l"))
    else:
        t.row((0, 1, "省级主管部门"), (1, 8, s(form.department), "l"))
    head = t.row(
        (1, 2, ""), (3, 1, "年度金额"), (4, 1, "资金使用情况"), (5, 1, "执行率"), (6, 1, "权重(%)"), (7, 2, "得分")
    )
    for key, label in (("total", "年度资金总额"), ("current_year", "其中：财政资金"), ("other", "其他资金")):
        f = form.funding[key]
        t.row(
            (1, 2, label, "l"),
            (3, 1, s(f.annual)),
            (4, 1, s(f.executed)),
            (5, 1, s(f.rate)),
            (6, 1, s(f.weight)),
            (7, 2, s(f.score)),
        )
    t.down(head, 0, "资金情况\n(万元)")
    head = t.n_rows
    for n, (goal, done) in enumerate(zip(form.goals_expected, form.goals_actual, strict=True), 1):
        t.row((1, 1, f"目标{n}"), (2, 3, goal, "l"), (5, 1, f"完成情况{n}"), (6, 3, done, "l"))
    t.down(head, 0, "年度\n总体\n目标")
    head = t.row(
        (1, 1, "一级指标"),
        (2, 1, "二级指标"),
        (3, 1, "三级指标"),
        (4, 1, "指标值"),
        (5, 1, "实际完成值"),
        (6, 1, "权重(%)"),
        (7, 1, "得分"),
        (8, 1, "未完成原因"),
    )
    indicator_rows(
        t,
        form.indicators,
        [(3, 1, "name"), (4, 1, "target"), (5, 1, "actual"), (6, 1, "weight"), (7, 1, "score"), (8, 1, "dev")],
        1,
        2,
    )
    t.down(head, 0, "绩效指标")
    t.row((0, 6, "得分合计"), (6, 1, s(form.total_weight)), (7, 1, s(form.total_score)), (8, 1, ""))
    blocks.append(t)
    return blocks


LAYOUTS = {
    "shanghai": mof_family,
    "mof_central": mof_family,
    "shanxi_county": mof_family,
    "sichuan_goal": sichuan_goal,
    "sichuan_special": sichuan_special,
    "hubei": hubei,
    "sichuan_budget": sichuan_budget,
    "yunnan_final": yunnan_final,
    "hunan_county": hunan_county,
}


def layout(forms: list[Form]) -> list[Block]:
    """A document of one or more forms; a page break between forms."""
    blocks: list[Block] = []
    for i, form in enumerate(forms):
        if i:
            blocks.append(PageBreak())
        blocks.extend(LAYOUTS[form.template](form))
    return blocks
