"""Build small synthetic forms as text dumps, for tests of single defects."""

from __future__ import annotations

from crossfoot.extract.rules import RulesExtractor
from crossfoot.ingest.text import document_from_text
from crossfoot.model import Record
from crossfoot.segment import split_forms

HEAD = """财政项目支出绩效自评表\t\t\t\t\t\t\t\t
(2022 年度)\t\t\t\t\t\t\t\t
项目名称\t测试项目\t\t\t\t\t\t\t
主管部门\t某区科学技术委员会\t\t\t实施单位\t某区信息服务中心\t\t\t
项目资金 (元)\t\t年初预算数\t全年预算数\t全年执行数\t分值\t执行率\t得分\t
\t年度资金总额\t100000.00\t80000.00\t80,000\t10\t100.00%\t10\t
\t其中：当年财政拨款\t0\t80000\t80000\t—\t\t\t
\t上年结转资金\t0\t0\t\t—\t\t\t
\t其他资金\t0\t0\t\t—\t\t\t
年度总体目标\t预期目标\t\t\t实际完成情况\t\t\t\t
\t完成目标\t\t\t已完成\t\t\t\t
绩效指标\t一级指标\t二级指标\t三级指标\t年度指标值\t实际完成值\t分值\t得分\t偏差原因分析及改进措施
"""

STANDARD_ROWS = """\t产出指标\t数量指标\t完成数量\t=30个\t58\t20\t20\t
\t\t质量指标\t合格率\t=100%\t100%\t20\t20\t
\t\t时效指标\t及时性\t及时\t及时\t10\t10\t
\t效益指标\t社会效益指标\t建设水平\t提高\t提高\t15\t15\t
\t\t可持续影响指标\t机制健全性\t健全\t健全\t15\t15\t
\t满意度指标\t服务对象满意度指标\t满意度\t>=90%\t>=90%\t10\t10\t
"""

TOTAL = "总分\t\t\t\t\t\t100\t100\t\n"


def form_text(rows: str = STANDARD_ROWS, *, head: str = HEAD, total: str = TOTAL) -> str:
    return head + rows + total


def extract_text(text: str, path: str = "test.txt") -> list[tuple[Record, list[str]]]:
    """(record, finding codes) for every form of a text dump."""
    document = document_from_text(text, path=path, sha256="0" * 64, encoding="utf-8")
    forms = split_forms(document)
    extractor = RulesExtractor()
    out = []
    for form in forms:
        result = extractor.extract(form, forms)
        assert result.record is not None
        out.append((result.record, [f.code for f in result.findings]))
    return out


def extract_one(text: str) -> tuple[Record, list[str]]:
    (only,) = extract_text(text)
    return only
