"""Segmentation: one FormSlice per 自评表 title."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest
from tests.forms import form_text

from crossfoot.errors import NoFormError
from crossfoot.ingest import load_document
from crossfoot.ingest.text import document_from_text
from crossfoot.segment import split_forms


@pytest.mark.parametrize(
    ("name", "count"),
    [("000_1c7597119af05248.txt", 4), ("001_1b2e574df5a7d62c.txt", 11), ("002_dd147dae2c6ae523.txt", 7)],
)
def test_seed_documents_split_into_their_forms(samples: Path, name: str, count: int) -> None:
    forms = split_forms(load_document(samples / name))
    assert len(forms) == count
    assert all("自评表" in f.lines[0].text for f in forms)
    # forms tile the document: each ends before the next starts
    assert all(a.last_line < b.first_line for a, b in itertools.pairwise(forms))


def test_no_form_in_document() -> None:
    document = document_from_text("会议纪要\n内容\n", path="minutes.txt", sha256="0", encoding="utf-8")
    with pytest.raises(NoFormError) as info:
        split_forms(document)
    assert "minutes.txt" in str(info.value)


def test_titles_lost_falls_back_to_project_name_rows() -> None:
    text = form_text().replace("财政项目支出绩效自评表", "") * 2
    document = document_from_text(text, path="x.txt", sha256="0", encoding="utf-8")
    assert len(split_forms(document)) == 2


def _doc(text: str) -> list[tuple[int, int, str]]:
    document = document_from_text(text, path="x.txt", sha256="0", encoding="utf-8")
    return [(f.first_line, f.last_line, f.lines[0].text.strip()) for f in split_forms(document)]


BODY = """项目名称\t{name}
主管部门\t某局\t实施单位\t某中心
项目资金(万元)\t年初预算数\t全年预算数\t全年执行数\t分值\t执行率\t得分
年度资金总额\t1\t1\t1\t10\t100%\t10
一级指标\t二级指标\t三级指标\t年度指标值\t实际完成值\t分值\t得分
产出指标\t数量指标\t甲\t1\t1\t90\t90
总分\t\t\t\t\t100\t100
"""


@pytest.mark.parametrize(
    "title",
    [
        "项目支出绩效自评表",
        "2023年度项目自评表",
        "绩效目标自评表",
        "专项资金区域绩效目标自评表",
        "2022年度县级专项资金绩效目标自评表",
    ],
)
def test_forms_are_found_under_any_title(title: str) -> None:
    text = f"{title}\n(2023年度)\n" + BODY.format(name="甲项目") + f"{title}\n" + BODY.format(name="乙项目")
    forms = _doc(text)
    assert [f[2] for f in forms] == [title, title]
    assert forms[1][0] == 10  # the second form starts at its own title


def test_forms_without_any_title_are_found_by_their_structure() -> None:
    forms = _doc(BODY.format(name="甲项目") + BODY.format(name="乙项目") + BODY.format(name="丙项目"))
    assert [f[0] for f in forms] == [1, 8, 15]


def test_page_headers_repeated_titles_and_chunk_markers_never_cut_a_form() -> None:
    body = BODY.format(name="甲项目").splitlines()
    # a page break inside the indicator table, with the document's running
    # title and a mirror site's chunk marker at the top of the next page
    broken = [*body[:6], "", "2023年度部门决算公开 项目支出绩效自评表", "--- 第 2 页 / chunk 2 ---", *body[6:]]
    text = "项目支出绩效自评表\n" + "\n".join(broken) + "\n项目支出绩效自评表\n" + BODY.format(name="乙项目")
    forms = _doc(text)
    assert len(forms) == 2
    assert forms[0][1] >= 11  # the 总分 row after the break stays in the first form


def test_a_repeated_project_name_row_before_any_body_opens_no_form() -> None:
    text = "项目自评表\n项目名称\t甲项目\n项目名称\t甲项目\n" + BODY.format(name="甲项目").split("\n", 1)[1]
    assert len(_doc(text)) == 1


def test_a_table_header_repeated_under_a_running_title_cuts_nothing() -> None:
    body = BODY.format(name="甲项目").splitlines()
    repeated = [*body[:6], "", "项目支出绩效自评表", body[4], *body[5:]]
    assert len(_doc("项目支出绩效自评表\n" + "\n".join(repeated) + "\n")) == 1


def test_a_form_whose_name_row_is_unreadable_still_starts_at_its_title() -> None:
    second = BODY.format(name="乙项目").replace("项目名称", "项\ufffd名称")
    forms = _doc("项目支出绩效自评表\n" + BODY.format(name="甲项目") + "项目支出绩效自评表\n" + second)
    assert [f[2] for f in forms] == ["项目支出绩效自评表", "项目支出绩效自评表"]
