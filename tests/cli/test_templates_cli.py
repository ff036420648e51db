"""Issue 10 at the command line: forms of any template, native files, and
forms whose layout is not recognised, reported in the summaries."""

from __future__ import annotations

import json
from pathlib import Path

from tests.cli.test_cli import cli
from tests.extract.test_tables import HUNAN, SICHUAN_BUDGET

UNREADABLE = "项目支出绩效自评表\n项目名称\t某项目\n说明\t本表内容另附\n"


def test_run_and_extract_report_forms_whose_layout_is_not_recognised(tmp_path: Path) -> None:
    source = tmp_path / "odd.txt"
    source.write_text(UNREADABLE, encoding="utf-8")
    done = cli("run", source, "-o", tmp_path / "out.jsonl", "--no-store")
    assert done.returncode == 1  # the form needs review
    assert "1 layout not recognised" in " ".join(done.stdout.split())
    extracted = cli("extract", source, "-o", tmp_path / "x.jsonl")
    assert "layout was not recognised" in extracted.stderr
    envelope = json.loads((tmp_path / "x.jsonl").read_text(encoding="utf-8"))
    assert "layout_unrecognized" in {f["code"] for f in envelope["findings"]}


def test_forms_of_other_templates_carry_their_template(tmp_path: Path) -> None:
    (tmp_path / "sc.txt").write_text(SICHUAN_BUDGET, encoding="utf-8")
    (tmp_path / "hn.txt").write_text(HUNAN, encoding="utf-8")
    done = cli("extract", tmp_path / "sc.txt", tmp_path / "hn.txt", "-o", tmp_path / "all.jsonl")
    assert done.returncode == 0, done.stderr
    lines = [json.loads(x) for x in (tmp_path / "all.jsonl").read_text(encoding="utf-8").splitlines()]
    assert {e["source"]["template"] for e in lines} == {"sichuan_budget", "hunan_county"}
    # an unscored template's envelope passes check: nothing it does not print is missing
    hunan = [e for e in lines if e["source"]["template"] == "hunan_county"]
    (tmp_path / "hn.jsonl").write_text(json.dumps(hunan[0], ensure_ascii=False) + "\n", encoding="utf-8")
    assert cli("check", tmp_path / "hn.jsonl").returncode == 0
    # the bare record is checked strictly unless its template is named
    (tmp_path / "bare.jsonl").write_text(json.dumps(hunan[0]["record"], ensure_ascii=False) + "\n", encoding="utf-8")
    assert cli("check", tmp_path / "bare.jsonl").returncode == 1
    assert cli("check", tmp_path / "bare.jsonl", "--template", "hunan_county").returncode == 0
