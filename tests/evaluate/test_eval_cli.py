"""`crossfoot eval` end to end: reports, gate, baseline, check detection."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from crossfoot.evaluate.corrupt import corruptions, detection_eval
from crossfoot.evaluate.gold import load_gold
from crossfoot.model import Record


def crossfoot(root: Path, *args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "crossfoot", *map(str, args)], capture_output=True, text=True, cwd=root, timeout=1200
    )


def test_rules_eval_writes_three_reports_and_passes_gate(root: Path, tmp_path: Path) -> None:
    done = crossfoot(root, "eval", "--backend", "rules", "--report", tmp_path, "--gate")
    assert done.returncode == 0, done.stdout + done.stderr
    run = json.loads((tmp_path / "run.json").read_text(encoding="utf-8"))
    metrics = run["runs"][0]["metrics"]
    assert metrics["forms"] == 22
    assert run["git_revision"]
    assert "| rules | text |" in (tmp_path / "summary.md").read_text(encoding="utf-8")
    assert "<table>" in (tmp_path / "report.html").read_text(encoding="utf-8")


def test_gate_fails_when_a_fixture_disagrees(root: Path, tmp_path: Path) -> None:
    fixtures = tmp_path / "fixtures"
    shutil.copytree(root / "eval" / "fixtures", fixtures)
    target = fixtures / "001_1b2e574df5a7d62c__00.json"
    data = json.loads(target.read_text(encoding="utf-8"))
    data["indicators"][0]["score"] = "27.00"  # gold now disagrees with the document
    target.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    done = crossfoot(root, "eval", "--fixtures", fixtures, "--report", tmp_path / "r", "--gate")
    assert done.returncode == 1
    assert "gate:" in done.stderr
    html = (tmp_path / "r" / "report.html").read_text(encoding="utf-8")
    assert "indicators.0.score" in html and "27.00" in html
    # the miss shows the printed source line beside it
    assert "服务报告交付" in html


def test_baseline_deltas_are_printed(root: Path, tmp_path: Path) -> None:
    crossfoot(root, "eval", "--report", tmp_path / "base")
    done = crossfoot(root, "eval", "--report", tmp_path / "now", "--baseline", tmp_path / "base" / "run.json")
    assert done.returncode == 0
    assert "against baseline" in done.stdout
    assert "micro" in done.stdout


def test_checks_eval_prints_detection_and_false_alarms(root: Path, tmp_path: Path) -> None:
    done = crossfoot(root, "eval", "--checks", "--report", tmp_path)
    assert done.returncode == 0, done.stderr
    assert "lost_decimal_point" in done.stdout
    assert "false alarms" in done.stdout


def test_detection_meets_target_on_gold(root: Path) -> None:
    gold = load_gold(root / "eval" / "fixtures")
    report = detection_eval({g.name: Record.model_validate(g.record) for g in gold})
    assert report.false_alarms == 0
    assert report.detection >= 0.99
    assert set(report.excluded_records) >= {"002_dd147dae2c6ae523__03"}  # its 总分 does not add up


def test_corruptions_change_exactly_one_thing(root: Path) -> None:
    gold = load_gold(root / "eval" / "fixtures")
    record = Record.model_validate(gold[0].record)
    kinds = set()
    for corruption, corrupted in corruptions(record):
        kinds.add(corruption.kind)
        if corruption.kind == "dropped_row":
            assert len(corrupted.indicators) == len(record.indicators) - 1
        else:
            assert corrupted != record
            assert corruption.before != corruption.after
    assert {"indicator_score", "dropped_row", "lost_decimal_point"} <= kinds


def test_rules_hold_on_the_synthetic_family_corpus(root: Path, tmp_path: Path) -> None:
    """Forms the rules were not written against: gold re-printed with defects."""
    done = crossfoot(root, "eval", "--fixtures", "eval/family", "--report", tmp_path, "--gate")
    assert done.returncode == 0, done.stdout + done.stderr
    metrics = json.loads((tmp_path / "run.json").read_text(encoding="utf-8"))["runs"][0]["metrics"]
    assert metrics["forms"] == 66


def test_family_generator_is_deterministic_and_defective(root: Path, tmp_path: Path) -> None:
    from crossfoot.evaluate.family import generate

    generate(root / "eval" / "fixtures", tmp_path / "a", per_form=1, seed=11)
    generate(root / "eval" / "fixtures", tmp_path / "b", per_form=1, seed=11)
    texts_a = sorted(p.read_bytes() for p in (tmp_path / "a").glob("*.txt"))
    assert texts_a == sorted(p.read_bytes() for p in (tmp_path / "b").glob("*.txt"))
    originals = {p.read_bytes() for p in (root / "samples").glob("*.txt")}
    assert not originals & set(texts_a)
    assert any(b"\n\n" in t or b"\r\n\r\n" in t for t in texts_a)  # page breaks were printed


@pytest.mark.slow
@pytest.mark.ocr
def test_gate_per_input_kind_on_the_generated_corpus(root: Path, tmp_path: Path) -> None:
    """The same gold through text, a text-layer PDF and a scan (real OCR)."""
    done = crossfoot(
        root, "eval", "--fixtures", "eval/corpus/pdf", "--fixtures", "eval/corpus/scan",
        "--report", tmp_path, "--gate",
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    kinds = {r["metrics"]["input_kind"]: r["metrics"] for r in json.loads((tmp_path / "run.json").read_text())["runs"]}
    assert set(kinds) == {"pdf", "scan"}
    assert kinds["scan"]["numeric"] >= 0.98


def test_hybrid_eval_replays_from_cassette_and_reports_llm_cost(root: Path, tmp_path: Path) -> None:
    """CI runs hybrid from a recording: forms sent to the LLM, their tokens,
    and a replay banner; never an LLM accuracy figure."""
    env = {
        **os.environ,
        "CROSSFOOT_LLM_CASSETTE": str(root / "cassettes" / "eval" / "hybrid_samples.yaml"),
        "CROSSFOOT_LLM_MODEL": "gemma3-270m-q4_k_m",
        "CROSSFOOT_LLM_MAX_OUTPUT_TOKENS": "512",
        "CROSSFOOT_LLM_MAX_RETRIES": "1",
        "CROSSFOOT_LLM_API_KEY": "replay",
        "CROSSFOOT_CACHE_DIR": str(tmp_path / "cache"),
    }
    done = subprocess.run(
        [sys.executable, "-m", "crossfoot", "eval", "--backend", "hybrid", "--report", str(tmp_path / "r"), "--gate"],
        capture_output=True, text=True, cwd=root, timeout=600, env=env,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    metrics = json.loads((tmp_path / "r" / "run.json").read_text(encoding="utf-8"))["runs"][0]["metrics"]
    assert metrics["llm_source"] == ["replay"]
    assert metrics["llm_forms"] >= 1 and metrics["llm_calls"] >= metrics["llm_forms"]
    assert metrics["prompt_tokens"] > 0
    assert "REPLAYED" in done.stdout or "replay" in done.stdout
    assert "not an LLM accuracy" in (tmp_path / "r" / "summary.md").read_text(encoding="utf-8")
