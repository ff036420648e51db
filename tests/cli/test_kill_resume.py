"""Kills at random moments, then resume: nothing lost, nothing doubled
(issue 9, items 1 and 4, and the kill/resume "Done when"). Real processes,
real signals; slow."""

from __future__ import annotations

import json
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

SEVEN = "002_dd147dae2c6ae523.txt"


def test_random_kills_then_resume_match_an_uninterrupted_run(root: Path) -> None:
    """benchmarks/kill_resume.py at a small size: output and store identical."""
    done = subprocess.run(
        [sys.executable, str(root / "benchmarks" / "kill_resume.py"), "24", "3", "--seed", "5"],
        capture_output=True,
        text=True,
        timeout=900,
        env={
            **os.environ,
            "PYTHONPATH": os.pathsep.join(p for p in (str(root / "src"), os.environ.get("PYTHONPATH")) if p),
        },
    )
    assert done.returncode == 0, done.stdout + done.stderr
    result = json.loads(done.stdout)
    assert result["output_identical"] and result["store_identical"]
    assert result["lines"] == result["forms"] > 0


def test_a_kill_during_recovery_loses_no_finished_form(samples: Path, tmp_path: Path) -> None:
    """Item 4: recovery of a large partial, killed at random moments: the
    partial always keeps every finished form (it used to be left at 0 bytes)."""
    inputs = tmp_path / "in"
    inputs.mkdir()
    for n in range(400):
        shutil.copy(samples / SEVEN, inputs / f"{n:03d}.txt")
    out = tmp_path / "out.jsonl"
    partial = tmp_path / "out.jsonl.partial"
    command = [sys.executable, "-m", "crossfoot", "extract", str(inputs), "-o", str(out)]
    subprocess.run(command, capture_output=True, timeout=600, check=False)
    out.rename(partial)  # as if killed just before the rename: 2,800 finished forms
    finished = len(partial.read_text(encoding="utf-8").splitlines())
    rng = random.Random(4)
    for _ in range(5):
        child = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(rng.uniform(0.4, 1.5))  # start-up, then inside the recovery
        child.send_signal(signal.SIGKILL)
        child.wait()
        if not partial.exists():  # the run finished before the kill
            break
        kept = [json.loads(line) for line in partial.read_text(encoding="utf-8").splitlines()]
        assert len(kept) >= finished
        finished = len(kept)
