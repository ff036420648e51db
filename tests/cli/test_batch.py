"""Batch, resume and output safety (issue 9, items 1-4, 6-8): in-process with
Typer's CliRunner where only the CLI's logic is under test, real processes
where two runs or a kill are the point."""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from crossfoot.cli import app

SEVEN = "002_dd147dae2c6ae523.txt"  # a 7-form dump, some forms with error findings
FOUR = "000_1c7597119af05248.txt"  # a clean 4-form dump


def invoke(*args: str | Path) -> tuple[int, str, str]:
    done = CliRunner().invoke(app, [str(a) for a in args])
    if done.exception is not None and not isinstance(done.exception, SystemExit):
        raise done.exception
    return done.exit_code, done.stdout, done.stderr


def lines(path: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def interrupted_after(out: Path, first: Path) -> None:
    """Leave ``out.partial`` as a run killed right after finishing ``first`` would."""
    code, _, _ = invoke("extract", first, "-o", out)
    assert code == 0
    out.rename(out.with_name(out.name + ".partial"))


def test_identical_files_are_all_extracted_after_a_resume(samples: Path, tmp_path: Path) -> None:
    """Item 1: three copies of one dump, interrupted after the first: 21 lines, not 7."""
    inputs = tmp_path / "in"
    inputs.mkdir()
    for name in ("a.txt", "b.txt", "c.txt"):
        shutil.copy(samples / SEVEN, inputs / name)
    out = tmp_path / "out.jsonl"
    interrupted_after(out, inputs / "a.txt")
    code, _, stderr = invoke("extract", inputs, "-o", out)
    assert code == 0, stderr
    got = lines(out)
    assert len(got) == 21
    paths = sorted({str(Path(str(e["source"]["path"])).name) for e in got})  # type: ignore[index]
    assert paths == ["a.txt", "b.txt", "c.txt"]
    assert "resumed 7 forms of 1 documents" in stderr


def test_a_stale_partial_of_other_inputs_is_discarded_and_said(samples: Path, tmp_path: Path) -> None:
    """Item 2: a partial left by a run on other inputs is not merged into this one."""
    other = tmp_path / "other.txt"
    shutil.copy(samples / SEVEN, other)
    out = tmp_path / "c.jsonl"
    interrupted_after(out, other)
    code, _, stderr = invoke("extract", samples / FOUR, "-o", out)
    assert code == 0, stderr
    got = lines(out)
    assert len(got) == 4
    assert all(Path(str(e["source"]["path"])).name == FOUR for e in got)  # type: ignore[index]
    assert "discarded 7 lines (7 not of this run's inputs" in " ".join(stderr.split())


def test_a_file_changed_since_the_interruption_is_redone(samples: Path, tmp_path: Path) -> None:
    """Item 1: identity is path and content; same path, new bytes: extracted again."""
    source = tmp_path / "form.txt"
    shutil.copy(samples / SEVEN, source)
    out = tmp_path / "out.jsonl"
    interrupted_after(out, source)
    shutil.copy(samples / FOUR, source)
    code, _, _ = invoke("extract", source, "-o", out)
    assert code == 0
    assert len(lines(out)) == 4


def test_exit_code_and_summary_count_resumed_forms(samples: Path, tmp_path: Path) -> None:
    """Item 3: the forms needing review were all resumed; the run still exits 1 and says so."""
    out = tmp_path / "out.jsonl"
    interrupted_after(out, samples / SEVEN)
    flagged = sum(
        1
        for e in lines(out.with_name("out.jsonl.partial"))
        if any(f["severity"] == "error" for f in e["findings"])  # type: ignore[attr-defined]
    )
    assert flagged > 0
    code, stdout, _ = invoke("run", samples / SEVEN, "-o", out, "--no-store")
    assert code == 1
    caption = " ".join(stdout.split())
    assert f"7 forms (7 resumed), {flagged} need review" in caption


def test_recovery_replaces_the_partial_by_rename(samples: Path, tmp_path: Path) -> None:
    """Item 4: recovery writes a new file and renames it (the old file is never truncated)."""
    out = tmp_path / "out.jsonl"
    interrupted_after(out, samples / SEVEN)
    partial = out.with_name("out.jsonl.partial")
    with partial.open("a", encoding="utf-8") as handle:
        handle.write('{"source": {"path": "torn')
    held = partial.open("rb")  # a reader of the old file keeps the old bytes
    before = held.read()
    code, _, _ = invoke("extract", samples / SEVEN, samples / FOUR, "-o", out)
    assert code == 0
    held.seek(0)
    assert held.read() == before  # old code truncated this very inode in place
    held.close()
    assert len(lines(out)) == 11
    assert not list(tmp_path.glob(".*.tmp"))  # the new file was renamed, not left beside it


def test_no_key_leaves_an_existing_output_alone(samples: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Item 6: the endpoint is checked before any output is touched."""
    for name in ("OPENAI_API_KEY", "CROSSFOOT_LLM_API_KEY"):
        monkeypatch.delenv(name, raising=False)
    out = tmp_path / "prev.jsonl"
    assert invoke("extract", samples, "-o", out)[0] == 0
    before = out.read_bytes()
    code, _, stderr = invoke("extract", samples, "--backend", "llm", "-o", out)
    assert code == 3
    assert "API key" in stderr
    assert out.read_bytes() == before
    assert not out.with_name("prev.jsonl.partial").exists()


def test_an_endpoint_lost_mid_batch_leaves_the_partial_to_resume(
    samples: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Item 6: a batch stopped by the endpoint is not renamed to look complete."""
    monkeypatch.setenv("CROSSFOOT_LLM_API_KEY", "x")
    monkeypatch.setenv("CROSSFOOT_LLM_BASE_URL", "http://127.0.0.1:9/v1")
    out = tmp_path / "out.jsonl"
    code, _, stderr = invoke("run", samples, "--backend", "hybrid", "-o", out, "--no-store")
    assert code == 3
    assert not out.exists()
    partial = out.with_name("out.jsonl.partial")
    assert partial.exists()
    assert "cannot connect" in stderr
    assert "run the same command again to resume" in " ".join(stderr.split())
    done = {Path(str(e["source"]["path"])).name for e in lines(partial)}  # type: ignore[index]
    assert FOUR in done  # the clean document went through before the LLM was needed
    # the endpoint is back (here: the rules are enough): the resumed run completes
    code, _, stderr = invoke("run", samples, "-o", out, "--no-store")
    assert code == 1
    assert len(lines(out)) == 22
    assert "resumed" in stderr


def test_a_second_writer_is_refused(samples: Path, tmp_path: Path) -> None:
    """Item 7: the output is locked; a second run says so in one line, exit 2."""
    out = tmp_path / "out.jsonl"
    lock = os.open(tmp_path / "out.jsonl.lock", os.O_RDWR | os.O_CREAT)
    fcntl.flock(lock, fcntl.LOCK_EX)  # as a first run holds it
    try:
        code, _, stderr = invoke("extract", samples, "-o", out)
    finally:
        os.close(lock)
    assert code == 2
    assert "another crossfoot run is writing this output" in stderr
    assert not out.exists()


def test_two_concurrent_writers_never_duplicate(samples: Path, tmp_path: Path) -> None:
    """Item 7: two real processes on one output: one writes 22 lines, the other is refused."""
    inputs = tmp_path / "in"
    inputs.mkdir()
    for n in range(6):
        shutil.copy(samples / SEVEN, inputs / f"{n}.txt")
    out = tmp_path / "out.jsonl"
    command = [sys.executable, "-m", "crossfoot", "extract", str(inputs), "-o", str(out)]
    runs = [subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(2)]
    results = [(p.wait(timeout=120), p.stderr.read() if p.stderr else "") for p in runs]
    for run in runs:
        if run.stderr:
            run.stderr.close()
        if run.stdout:
            run.stdout.close()
    codes = sorted(code for code, _ in results)
    assert "Traceback" not in "".join(err for _, err in results)
    if codes == [0, 2]:  # they overlapped: one refused
        assert any("another crossfoot run" in err for _, err in results)
    else:  # the first finished before the second started
        assert codes == [0, 0]
    got = lines(out)
    assert len(got) == 42
    assert len({(e["source"]["path"], e["source"]["form_index"]) for e in got}) == 42  # type: ignore[index]


@pytest.mark.parametrize("where", ["folder", "under_a_file"])
def test_unusable_output_is_one_line_exit_2(samples: Path, tmp_path: Path, where: str) -> None:
    """Item 8: -o a folder, or under a file: one line, exit 2, no traceback."""
    (tmp_path / "file").write_text("x", encoding="utf-8")
    out = tmp_path if where == "folder" else tmp_path / "file" / "out.jsonl"
    for command in ("extract", "run"):
        code, _, stderr = invoke(command, samples / FOUR, "-o", out, *(["--no-store"] if command == "run" else []))
        assert code == 2, (command, stderr)
        assert len(stderr.strip().splitlines()) == 1
        assert str(out) in stderr


def test_a_bug_is_exit_4_and_one_line(tmp_path: Path) -> None:
    """Item 8: an unexpected exception is a bug (exit 4), never 1, and no traceback."""
    script = (
        "import crossfoot.cli.batch as b\n"
        "def boom(*a, **k):\n    raise RuntimeError('simulated bug')\n"
        "b.expand_inputs = boom\n"
        "from crossfoot.cli import main\nmain()\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script, "extract", str(tmp_path / "x.txt")],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 4
    assert "Traceback" not in done.stderr
    assert "internal error: RuntimeError: simulated bug" in " ".join(done.stderr.split())


def test_a_file_given_twice_is_read_once(samples: Path, tmp_path: Path) -> None:
    """A file named twice (and inside a named folder) gives its forms once."""
    code, stdout, _ = invoke("extract", samples / FOUR, samples / FOUR, samples)
    assert code == 0
    assert len(stdout.splitlines()) == 22


def test_an_unreachable_endpoint_is_found_before_the_output_is_touched(
    samples: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Item 6: with --backend llm the endpoint is probed first: exit 3, the old
    output intact and no partial started."""
    monkeypatch.setenv("CROSSFOOT_LLM_API_KEY", "x")
    monkeypatch.setenv("CROSSFOOT_LLM_BASE_URL", "http://127.0.0.1:9/v1")
    for name in ("http_proxy", "https_proxy", "all_proxy", "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY"):
        monkeypatch.delenv(name, raising=False)
    out = tmp_path / "prev.jsonl"
    out.write_text("earlier results\n", encoding="utf-8")
    code, _, stderr = invoke("extract", samples, "--backend", "llm", "-o", out)
    assert code == 3
    assert "cannot connect to http://127.0.0.1:9/v1" in stderr
    assert out.read_text(encoding="utf-8") == "earlier results\n"
    assert not out.with_name("prev.jsonl.partial").exists()
