"""`crossfoot extract` over many files with 1 and N worker processes
(issue 12, item 4): forms/s, peak RSS of the coordinator, speed-up, and
whether the outputs are the same bytes. RSS is the largest single process
(ru_maxrss over the command and the workers it waited for).

A pool starts only when it pays (``cli/workers.PoolChoice``): on 2 workers
text dumps need a few thousand forms, so below about 600 files of the
samples ``--workers 2`` runs in one process and the speed-up is 1.

    PYTHONPATH=src python benchmarks/bench_workers.py              # 900 files, workers 1 and 2
    PYTHONPATH=src python benchmarks/bench_workers.py 300 1 2 4
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    files = int(sys.argv[1]) if len(sys.argv) > 1 else 900
    counts = [int(a) for a in sys.argv[2:]] or [1, 2]
    samples = sorted((ROOT / "samples").glob("*.txt"))
    with tempfile.TemporaryDirectory() as tmp:
        inputs = Path(tmp) / "in"
        inputs.mkdir()
        for n in range(files):
            shutil.copy(samples[n % len(samples)], inputs / f"{n:05d}.txt")
        print(f"{'workers':>7} {'forms':>6} {'seconds':>8} {'forms/s':>8} {'speed-up':>8} {'RSS MB':>7} same")
        first: tuple[float, bytes] | None = None
        for workers in counts:
            out = Path(tmp) / f"w{workers}.jsonl"
            started = time.perf_counter()
            child = subprocess.Popen(
                [sys.executable, "-m", "crossfoot", "extract", str(inputs), "-o", str(out), "--workers", str(workers)],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            _, _, usage = os.wait4(child.pid, 0)
            seconds = time.perf_counter() - started
            data = out.read_bytes()
            first = first or (seconds, data)
            forms = data.count(b"\n")
            print(
                f"{workers:>7} {forms:>6} {seconds:>8.1f} {forms / seconds:>8.0f} {first[0] / seconds:>8.2f} "
                f"{usage.ru_maxrss / 1024:>7.0f} {data == first[1]}"
            )


if __name__ == "__main__":
    main()
