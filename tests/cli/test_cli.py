"""The CLI as a user runs it: real files and exit codes. A few smoke tests
start real processes; the rest go through Typer's CliRunner in-process
(issue 9, item 26), which runs the same command code without an interpreter
start per test."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from crossfoot.cli import app


def crossfoot(*args: str | Path, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "crossfoot", *map(str, args)],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=120,
    )


def cli(*args: str | Path) -> subprocess.CompletedProcess[str]:
    """In-process, with the subprocess result's shape."""
    done = CliRunner().invoke(app, [str(a) for a in args])
    if done.exception is not None and not isinstance(done.exception, SystemExit):
        raise done.exception
    return subprocess.CompletedProcess(list(map(str, args)), done.exit_code, done.stdout, done.stderr)


def test_extract_samples_to_stdout(samples: Path) -> None:
    done = crossfoot("extract", samples)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert len(lines) == 22
    first = json.loads(lines[0])
    assert set(first) >= {"source", "record", "provenance", "findings"}
    assert first["source"]["form_index"] == 0
    assert first["source"]["encoding"] == "utf-8"


def test_extract_to_file_is_atomic(samples: Path, tmp_path: Path) -> None:
    out = tmp_path / "out.jsonl"
    done = cli("extract", samples, "-o", out)
    assert done.returncode == 0, done.stderr
    assert len(out.read_text(encoding="utf-8").splitlines()) == 22
    assert not (tmp_path / "out.jsonl.partial").exists()


def test_bad_inputs_are_named_and_the_batch_goes_on(samples: Path, tmp_path: Path) -> None:
    empty = tmp_path / "empty.txt"
    empty.write_bytes(b"")
    binary = tmp_path / "blob.tsv"
    binary.write_bytes(bytes(range(256)) * 8)
    noform = tmp_path / "minutes.txt"
    noform.write_text("会议纪要\n没有表格\n", encoding="utf-8")
    missing = tmp_path / "missing.txt"
    out = tmp_path / "out.jsonl"
    done = cli("extract", empty, binary, missing, noform, samples / "000_1c7597119af05248.txt", "-o", out)
    assert done.returncode == 2
    for path in (empty, binary, missing, noform):
        assert str(path) in done.stderr
    assert len(out.read_text(encoding="utf-8").splitlines()) == 4


def test_run_prints_summary_and_exits_1_on_error_findings(samples: Path, tmp_path: Path) -> None:
    done = crossfoot("run", samples, "-o", tmp_path / "run.jsonl")
    assert done.returncode == 1
    assert "total_score_mismatch" in done.stdout
    assert "22 forms" in done.stdout


def test_run_exits_0_when_clean(samples: Path, tmp_path: Path) -> None:
    done = cli("run", samples / "000_1c7597119af05248.txt", "-o", tmp_path / "run.jsonl")
    assert done.returncode == 0, done.stdout + done.stderr


def test_check_reads_envelopes_and_bare_records(samples: Path, tmp_path: Path) -> None:
    out = tmp_path / "all.jsonl"
    cli("extract", samples, "-o", out)
    done = cli("check", out)
    assert done.returncode == 1
    assert "total_score_mismatch" in done.stdout
    clean = [json.loads(ln) for ln in out.read_text(encoding="utf-8").splitlines()][:4]
    bare = tmp_path / "bare.jsonl"
    bare.write_text("".join(json.dumps(env["record"], ensure_ascii=False) + "\n" for env in clean), encoding="utf-8")
    done = cli("check", bare)
    assert done.returncode == 0, done.stdout


def test_check_names_the_bad_line(tmp_path: Path) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"project_name": "x"}\n{not json\n', encoding="utf-8")
    done = cli("check", bad)
    assert done.returncode == 2
    assert "bad.jsonl: line 2" in done.stderr.replace("\n", "")


def test_check_rejects_a_record_that_breaks_the_contract(tmp_path: Path) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"project_name": "x", "indicators": [{"level1": "不存在"}]}\n', encoding="utf-8")
    done = cli("check", bad)
    assert done.returncode == 2
    assert "line 1" in done.stderr


def test_interrupted_run_resumes_without_redoing_finished_documents(samples: Path, tmp_path: Path) -> None:
    inputs = tmp_path / "in"
    inputs.mkdir()
    for path in samples.glob("*.txt"):
        shutil.copy(path, inputs / path.name)
    out = tmp_path / "out.jsonl"
    cli("extract", inputs / "000_1c7597119af05248.txt", "-o", out)
    finished = out.read_text(encoding="utf-8")
    # as if killed mid-write: one complete document and a torn line
    (tmp_path / "out.jsonl.partial").write_text(finished + '{"source": {"sha256": "torn', encoding="utf-8")
    out.unlink()
    done = cli("run", inputs, "-o", out)
    assert "(4 resumed)" in done.stdout.replace("\n", " ")
    lines = out.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 22
    assert all(json.loads(line) for line in lines)
    assert lines[:4] == finished.splitlines()


@pytest.mark.parametrize("command", ["extract", "run", "check", "eval"])
def test_help_documents_exit_codes(command: str) -> None:
    done = cli(command, "--help")
    assert done.returncode == 0
    assert "Exit" in done.stdout


def test_llm_backend_without_key_fails_at_once_with_exit_3(samples: Path, tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("OPENAI_API_KEY", "CROSSFOOT_LLM_API_KEY")}
    done = subprocess.run(
        [sys.executable, "-m", "crossfoot", "extract", str(samples), "--backend", "llm"],
        capture_output=True, text=True, timeout=120, env=env,
    )  # fmt: skip
    assert done.returncode == 3
    assert "API key" in done.stderr
    assert done.stdout == ""  # nothing half-extracted


def test_check_reports_failed_extractions_and_goes_past_bad_lines(samples: Path, tmp_path: Path) -> None:
    out = tmp_path / "all.jsonl"
    cli("extract", samples / "000_1c7597119af05248.txt", "-o", out)
    lines = out.read_text(encoding="utf-8").splitlines()
    failed = json.loads(lines[1])
    failed["record"], failed["error"] = None, "simulated failure"
    mixed = tmp_path / "mixed.jsonl"
    mixed.write_text("\n".join([lines[0], json.dumps(failed), lines[2], "{broken", lines[3]]) + "\n", encoding="utf-8")
    done = cli("check", mixed)
    assert done.returncode == 2  # a bad line
    assert "mixed.jsonl: line 4" in done.stderr.replace("\n", "")
    assert "extraction failed" in done.stderr
    assert "3 records" in done.stdout  # the lines after the bad one were still checked
    mixed.write_text("\n".join([lines[0], json.dumps(failed)]) + "\n", encoding="utf-8")
    assert cli("check", mixed).returncode == 1  # a failed form needs review


def test_check_json_is_one_finding_per_line(samples: Path, tmp_path: Path) -> None:
    out = tmp_path / "all.jsonl"
    cli("extract", samples / "002_dd147dae2c6ae523.txt", "-o", out)
    done = cli("check", out, "--json")
    rows = [json.loads(line) for line in done.stdout.splitlines()]
    assert rows and all(row["severity"] != "info" for row in rows)
    assert any(row["code"] == "total_score_mismatch" for row in rows)


def test_check_on_a_folder_or_non_utf8_file_exits_2(tmp_path: Path) -> None:
    assert cli("check", tmp_path).returncode == 2
    bad = tmp_path / "x.jsonl"
    bad.write_bytes(b"\xff\xfe\x00bad\n")
    done = cli("check", bad)
    assert done.returncode == 2
    assert "x.jsonl" in done.stderr and "Traceback" not in done.stderr


def test_a_run_with_default_store_and_cache_writes_under_tmp_only(samples: Path, tmp_path: Path) -> None:
    """Issue 9, item 25: `run` without --db (and its cache) lands in the test's
    temporary folder, not in the working copy the suite runs from."""
    cwd_before = {p.name for p in Path.cwd().iterdir()}
    done = cli("run", samples / "000_1c7597119af05248.txt", "-o", tmp_path / "run.jsonl")
    assert done.returncode == 0, done.stdout + done.stderr
    store = Path(os.environ["CROSSFOOT_DB_URL"].removeprefix("sqlite:///"))
    assert store.is_file() and tmp_path.parent in store.parents
    assert Path(os.environ["CROSSFOOT_CACHE_DIR"]).parent == store.parent
    assert {p.name for p in Path.cwd().iterdir()} == cwd_before
