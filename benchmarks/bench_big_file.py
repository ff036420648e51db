"""Time and peak memory of `crossfoot extract` on one file of many forms.

Builds one text dump of N forms by repeating the forms of samples/ (in
order, cut at their titles), runs ``crossfoot extract BIG -o OUT`` in a
child process for each N, and prints the child's CPU time (user + system,
from wait4: wall time on a shared machine measures the neighbours), wall time
and peak RSS. Time and memory should grow linearly with N (issue 9, item 9;
issue 12).

    PYTHONPATH=src python benchmarks/bench_big_file.py            # 1000 2000
    PYTHONPATH=src python benchmarks/bench_big_file.py 1000 2000 10000
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from crossfoot.ingest import load_document
from crossfoot.segment import split_forms

ROOT = Path(__file__).resolve().parent.parent


def form_texts() -> list[str]:
    """Every sample form's lines, as printed."""
    texts: list[str] = []
    for path in sorted((ROOT / "samples").glob("*.txt")):
        raw = path.read_text(encoding="utf-8").splitlines()
        for form in split_forms(load_document(path)):
            texts.append("\n".join(raw[form.first_line - 1 : form.last_line]) + "\n\n")
    return texts


def build(path: Path, n: int, texts: list[str]) -> None:
    with path.open("w", encoding="utf-8") as handle:
        for i in range(n):
            handle.write(texts[i % len(texts)])


def measure(big: Path, out: Path) -> tuple[float, float, float, int]:
    """(CPU seconds, wall seconds, peak RSS in MB, exit code) of one extract run."""
    started = time.perf_counter()
    child = subprocess.Popen(
        [sys.executable, "-m", "crossfoot", "extract", str(big), "-o", str(out)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    _, status, usage = os.wait4(child.pid, 0)
    seconds = time.perf_counter() - started
    cpu = usage.ru_utime + usage.ru_stime
    return cpu, seconds, usage.ru_maxrss / 1024, os.waitstatus_to_exitcode(status)


def main() -> None:
    sizes = [int(a) for a in sys.argv[1:]] or [1000, 2000]
    texts = form_texts()
    print(f"{'forms':>7} {'lines out':>9} {'CPU s':>8} {'forms/s':>8} {'wall s':>8} {'peak RSS MB':>11}")
    with tempfile.TemporaryDirectory() as tmp:
        for n in sizes:
            big, out = Path(tmp) / f"big{n}.txt", Path(tmp) / f"big{n}.jsonl"
            build(big, n, texts)
            cpu, wall, rss, code = measure(big, out)
            written = sum(1 for _ in out.open(encoding="utf-8")) if out.exists() else 0
            print(f"{n:>7} {written:>9} {cpu:>8.1f} {n / cpu:>8.0f} {wall:>8.1f} {rss:>11.0f}  (exit {code})")


if __name__ == "__main__":
    main()
