"""HTML pages: rowspan/colspan extents, addresses, page markup around the form,
charsets, and pages that hold no form table."""

from __future__ import annotations

from pathlib import Path

import pytest

from crossfoot.errors import EmptyInputError, NoTableError
from crossfoot.ingest import Document, Line, load_document
from tests.ingest.native_forms import (
    FIRST_INDICATOR,
    GRID,
    OUTPUT_LABEL,
    WIDTH,
    assert_merges,
    assert_reads_the_form,
    refused,
    write_html,
)


def _table_lines(document: Document) -> list[Line]:
    return [line for line in document.lines if len(line.cells) == WIDTH]


def _read(tmp_path: Path, markup: str, name: str = "page.html") -> Document:
    path = tmp_path / name
    path.write_text(markup, encoding="utf-8")
    return load_document(path)


def test_a_label_merged_over_three_rows_covers_exactly_them(tmp_path: Path) -> None:
    document = load_document(write_html(tmp_path / "form.html"))
    assert document.kind == "html" and document.grid
    rows = _table_lines(document)
    assert len(rows) == len(GRID)
    assert_merges(rows)


def test_addresses_name_table_row_and_column(tmp_path: Path) -> None:
    document = load_document(write_html(tmp_path / "form.html"))
    rows = _table_lines(document)
    # the layout table wrapping the form is not counted: the form is table 1
    assert rows[0].cells[0].address == "table 1 row 1 col 1"
    row, column = OUTPUT_LABEL
    assert rows[row].cells[column].address == f"table 1 row {row + 1} col {column + 1}"
    assert rows[FIRST_INDICATOR].cells[8].text == "偏差原因分析及改进措施"
    assert rows[FIRST_INDICATOR].cells[8].address == f"table 1 row {FIRST_INDICATOR + 1} col 9"
    # numbers are the text the page shows, separators and all
    assert [c.text for c in rows[5].cells[2:7]] == ["100000.00", "80000.00", "80,000", "10", "100.00%"]


def test_text_around_the_form_is_kept_as_one_cell_lines_in_order(tmp_path: Path) -> None:
    document = load_document(write_html(tmp_path / "form.html"))
    first, last = document.lines[0], document.lines[-1]
    assert [c.text for c in first.cells] == ["首页 > 信息公开 > 财政预决算"]
    assert [c.text for c in last.cells] == ["主办单位：某区财政局 联系电话：021-00000000"]
    assert "td {" not in "".join(line.text for line in document.lines)  # <style> is not text
    assert [line.number for line in document.lines] == list(range(1, len(document.lines) + 1))


@pytest.mark.parametrize("charset", ["gbk", "gb2312"])
def test_a_gbk_page_decodes_by_its_declared_charset(tmp_path: Path, charset: str) -> None:
    path = write_html(tmp_path / "form.htm", charset=charset)
    page = path.read_bytes()
    with pytest.raises(UnicodeDecodeError):
        page.decode("utf-8")
    # 喆 is in GBK but not in GB2312, as on real pages that declare gb2312
    path.write_bytes(page.replace("测试项目".encode("gb18030"), "喆测试项目".encode("gb18030")))
    document = load_document(path)
    assert document.encoding == "gb18030"
    assert any(cell.text == "喆测试项目" for line in document.lines for cell in line.cells)


def test_breaks_spaces_and_inner_tables_inside_cells(tmp_path: Path) -> None:
    document = _read(
        tmp_path,
        "<table>"
        "<tr><th>一级<br/>指标</th><td><p>第一段</p><p>第二段</p></td><td>&nbsp;12,345&#8203;.60&nbsp;</td></tr>"
        "<tr><td>名称</td><td colspan='2'>A<table><tr><td>甲</td><td>乙</td></tr></table></td></tr>"
        "<tr style='display:none'><td>隐藏</td></tr>"
        "</table>",
        "cells.html",
    )
    assert [c.text for c in document.lines[0].cells] == ["一级\n指标", "第一段\n第二段", "12,345.60"]
    second = document.lines[1].cells
    assert (second[1].text, second[1].cols) == ("A\n甲 乙", 2)
    assert len(document.lines) == 2


def test_site_navigation_is_not_read_as_text(tmp_path: Path) -> None:
    path = tmp_path / "nav.html"
    path.write_text(
        "<html><body><nav>首页 &gt; 2023年度项目支出绩效自评表</nav>"
        "<div role='navigation'>上一篇：2022年度项目支出绩效自评表</div>"
        "<h2>2023年度项目支出绩效自评表</h2><table><tr><td>项目名称</td><td>甲</td></tr></table></body></html>",
        encoding="utf-8",
    )
    assert [line.text for line in load_document(path).lines] == ["2023年度项目支出绩效自评表", "项目名称\t甲"]


def test_consecutive_tables_are_separated_by_one_blank_line(tmp_path: Path) -> None:
    document = _read(
        tmp_path,
        "<html><body><table><tr><td>项目名称</td><td>甲</td></tr></table>"
        "<table><tr><td>绩效指标</td></tr></table><p>说明：无</p><table><tr><td>乙</td></tr></table></body></html>",
        "two.html",
    )
    assert [line.text for line in document.lines] == ["项目名称\t甲", "", "绩效指标", "说明：无", "乙"]
    assert document.lines[2].cells[0].address == "table 2 row 1 col 1"
    assert document.lines[4].cells[0].address == "table 3 row 1 col 1"


def test_rowspan_past_the_last_row_is_clipped(tmp_path: Path) -> None:
    path = tmp_path / "clip.html"
    path.write_text("<table><tr><td rowspan='9'>A</td><td>1</td></tr><tr><td>2</td></tr></table>", encoding="utf-8")
    document = load_document(path)
    assert document.lines[0].cells[0].rows == 2
    assert [c.text for c in document.lines[1].cells] == ["", "2"]


def test_an_xls_that_is_an_html_table_is_read_as_html(tmp_path: Path) -> None:
    path = write_html(tmp_path / "export.xls", wrap=False)
    document = load_document(path)
    assert document.kind == "html"
    assert document.lines[0].cells[0].text == "财政项目支出绩效自评表"


def test_a_page_without_a_table_is_refused_by_name(tmp_path: Path) -> None:
    path = tmp_path / "news.html"
    path.write_text("<html><body><h1>新闻</h1><p>项目支出绩效自评表见附件。</p></body></html>", encoding="utf-8")
    refused(path, NoTableError, "no <table>")


def test_an_empty_html_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "empty.html"
    path.write_bytes(b"  \n")
    refused(path, EmptyInputError, "empty file")


def test_extract_reads_the_form_from_a_saved_page(tmp_path: Path) -> None:
    assert_reads_the_form(write_html(tmp_path / "form.html", charset="gbk"), "html")


def test_a_word_saved_page_reads_as_the_table_word_shows(tmp_path: Path) -> None:
    # the markup Word's "save as web page" writes: o:p tags, conditional
    # comments, list markers, and a zero-height row that fixes column widths
    page = """<html xmlns:o="urn:schemas-microsoft-com:office:office">
<head><meta http-equiv=Content-Type content="text/html; charset=gb2312">
<!--[if gte mso 9]><xml><w:WordDocument><w:View>Print</w:View></w:WordDocument></xml><![endif]--></head>
<body><div class=WordSection1>
<p class=MsoNormal align=center><b><span style='font-size:16.0pt'>项目支出绩效自评表<o:p></o:p></span></b></p>
<table class=MsoNormalTable border=1 cellspacing=0 cellpadding=0>
 <tr><td rowspan=2><p class=MsoNormal><span>产出<br>指标</span></p></td>
 <td><p class=MsoNormal><![if !supportLists]><span>1.</span><![endif]><span>数量</span></p></td>
 <td x:num="403.7">403.70</td></tr>
 <tr><td><p class=MsoNormal><span lang=EN-US>&nbsp;<o:p></o:p></span></p></td><td>x</td></tr>
 <![if !supportMisalignedColumns]><tr height=0><td width=100></td><td width=50></td><td></td></tr><![endif]>
</table></div></body></html>"""
    path = tmp_path / "word.htm"
    path.write_bytes(page.encode("gb18030"))
    document = load_document(path)
    assert [line.text for line in document.lines] == ["项目支出绩效自评表", "产出\n指标\t1.数量\t403.70", "\t\tx"]
    assert document.lines[1].cells[0].rows == 2


def test_a_single_file_web_page_is_read_from_its_html_part(tmp_path: Path) -> None:
    from email.mime.image import MIMEImage
    from email.mime.multipart import MIMEMultipart
    from email.mime.text import MIMEText

    archive = MIMEMultipart("related")
    archive.attach(MIMEText(write_html(tmp_path / "page.html").read_text(encoding="utf-8"), "html", "gb18030"))
    archive.attach(MIMEImage(b"\x89PNG\r\n\x1a\n" + b"\x00" * 16, "png"))
    path = tmp_path / "saved.mht"
    path.write_bytes(archive.as_bytes())
    document = load_document(path)
    assert document.kind == "html"
    assert any(cell.text == "测试项目" for line in document.lines for cell in line.cells)


def test_a_utf8_page_that_declares_gb2312_is_read_as_utf8(tmp_path: Path) -> None:
    path = tmp_path / "mislabelled.html"
    page = write_html(tmp_path / "form.html").read_text(encoding="utf-8").replace("charset=utf-8", "charset=gb2312")
    path.write_text(page, encoding="utf-8")
    document = load_document(path)
    assert document.encoding == "utf-8"
    assert any(cell.text == "测试项目" for line in document.lines for cell in line.cells)
    assert document.notes == ["the page declares charset gb2312 but is UTF-8; read as UTF-8"]


def test_a_form_after_hundreds_of_unclosed_tags_is_not_lost(tmp_path: Path) -> None:
    # libxml2 drops, without a word, whatever is nested deeper than 256
    # elements unless told otherwise; unclosed <div>/<font> on old pages get there
    document = _read(
        tmp_path,
        "<html><body>" + "<div><font size=3>段落" * 400 + "<table><tr><td>项目名称</td><td>甲</td></tr></table>",
        "deep.html",
    )
    assert document.lines[-1].text == "项目名称\t甲"
    assert sum(line.text == "段落" for line in document.lines) == 400


def test_an_indicator_table_nested_in_a_cell_of_the_form_is_a_table_of_its_own(tmp_path: Path) -> None:
    document = _read(
        tmp_path,
        "<table border=1>"
        "<tr><td>项目名称</td><td colspan=2>甲项目</td></tr>"
        "<tr><td>年度资金总额</td><td>100</td><td>100</td></tr>"
        "<tr><td>绩效指标</td><td colspan=2><table border=1>"
        "<tr><td>一级指标</td><td>二级指标</td></tr>"
        "<tr><td rowspan=2>产出指标</td><td>数量指标</td></tr><tr><td>质量指标</td></tr>"
        "</table></td></tr>"
        "<tr><td>总分</td><td>100</td><td>98</td></tr>"
        "</table>",
        "nested.html",
    )
    assert [line.text for line in document.lines] == [
        "项目名称\t甲项目\t",
        "年度资金总额\t100\t100",
        "绩效指标",
        "一级指标\t二级指标",
        "产出指标\t数量指标",
        "\t质量指标",
        "",
        "总分\t100\t98",
    ]
    assert document.lines[4].cells[0].rows == 2
    assert document.lines[3].cells[0].address == "table 2 row 1 col 1"


def test_a_page_frame_with_banner_and_menu_rows_keeps_the_form_whole(tmp_path: Path) -> None:
    form = "".join(f"<tr><td>指标{i}</td><td>{i}</td></tr>" for i in range(1, 6))
    path = tmp_path / "frame.html"
    path.write_text(
        "<table><tr><td colspan=2>某区财政局门户网站</td></tr>"
        "<tr><td>首页</td><td>信息公开</td></tr>"
        f"<tr><td>导航</td><td><p>2023年度项目支出绩效自评表</p><table border=1>{form}</table></td></tr></table>",
        encoding="utf-8",
    )
    lines = [line.text for line in load_document(path).lines]
    assert lines == ["某区财政局门户网站\t", "首页\t信息公开", "导航", "2023年度项目支出绩效自评表"] + [
        f"指标{i}\t{i}" for i in range(1, 6)
    ]


def test_frames_inside_frames_are_all_read_through(tmp_path: Path) -> None:
    form = "<table border=1>" + "".join(f"<tr><td>指标{i}</td><td>{i}</td></tr>" for i in range(1, 4)) + "</table>"
    page = form
    for _ in range(3):  # three one-cell layout tables around the form
        page = f"<table><tr><td>{page}</td></tr></table>"
    path = tmp_path / "frames.html"
    path.write_text(f"<html><body>{page}</body></html>", encoding="utf-8")
    document = load_document(path)
    assert [line.text for line in document.lines] == [f"指标{i}\t{i}" for i in range(1, 4)]
    assert document.lines[0].cells[0].address == "table 1 row 1 col 1"


def test_a_title_spanning_too_many_columns_does_not_widen_the_grid(tmp_path: Path) -> None:
    lines = _read(
        tmp_path,
        "<table><tr><td colspan='20'>项目支出绩效自评表</td></tr>"
        "<tr><td>项目名称</td><td>甲</td><td>分值</td></tr></table>",
        "wide.html",
    ).lines
    assert [len(line.cells) for line in lines] == [3, 3]
    assert (lines[0].cells[0].text, lines[0].cells[0].cols) == ("项目支出绩效自评表", 3)


def test_a_block_merged_over_two_rows_and_two_columns(tmp_path: Path) -> None:
    lines = _read(
        tmp_path,
        "<table><tr><td rowspan=2 colspan=2>年度总体目标</td><td>实际完成情况</td></tr>"
        "<tr><td>已完成</td></tr><tr><td>说明</td><td>甲</td><td>乙</td></tr></table>",
        "block.html",
    ).lines
    assert (lines[0].cells[0].rows, lines[0].cells[0].cols) == (2, 2)
    assert [line.text for line in lines] == ["年度总体目标\t\t实际完成情况", "\t\t已完成", "说明\t甲\t乙"]
    assert lines[1].cells[2].address == "table 1 row 2 col 3"
