"""`run` (extract + check + the SQLite review store) against `extract` alone,
with STORE forms already in the store (issue 12, items 1 and 6).

Makes distinct text dumps from samples/ (each copy gets a last blank line of
its own length, so its own sha256 and its own document row), fills a
store with a `run` over STORE forms' worth of them, then times, in fresh
processes on a new batch of BATCH forms: `extract -o`, and `run` into a copy
of that store. Prints forms/s, peak RSS and the speed ratio (run forms/s over
extract forms/s; issue 12 wants >= 0.5). Asserts nothing.

    PYTHONPATH=src python benchmarks/bench_run_store.py                  # store 600, 6000; batch 600
    PYTHONPATH=src python benchmarks/bench_run_store.py --store 0 600 --batch 300 --workers 1
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def make_files(folder: Path, forms: int, offset: int) -> int:
    """Copies of the samples holding about ``forms`` forms; returns the forms made."""
    samples = [(p.read_text(encoding="utf-8"), p) for p in sorted((ROOT / "samples").glob("*.txt"))]
    counts = {p: p.read_text(encoding="utf-8").count("自评表") or 1 for _, p in samples}
    folder.mkdir(parents=True)
    made = n = 0
    while made < forms:
        text, path = samples[n % len(samples)]
        # a last line of spaces, its own length per copy: a blank line, a new sha256
        (folder / f"{n:05d}_{path.name}").write_text(text + "\n" + " " * (offset + n + 1) + "\n", encoding="utf-8")
        made += counts[path]
        n += 1
    return made


def timed(args: list[str]) -> tuple[float, float]:
    """(seconds, peak RSS MB) of one crossfoot command in a fresh process."""
    started = time.perf_counter()
    child = subprocess.Popen(
        [sys.executable, "-m", "crossfoot", *args], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    _, _, usage = os.wait4(child.pid, 0)
    return time.perf_counter() - started, usage.ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--store", type=int, nargs="+", default=[600, 6000])
    parser.add_argument("--batch", type=int, default=600)
    parser.add_argument("--workers", type=int, default=1)
    args = parser.parse_args()
    workers = ["--workers", str(args.workers)]
    print(f"{'in store':>8} {'batch':>6} {'extract f/s':>11} {'run f/s':>8} {'speed ratio':>11} {'run RSS MB':>10}")
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        batch_forms = make_files(base / "batch", args.batch, offset=0)
        for size in args.store:
            store = base / f"store{size}.db"
            if size:
                make_files(base / f"fill{size}", size, offset=1000)
                timed(["run", str(base / f"fill{size}"), "-o", str(base / f"fill{size}.jsonl"), "--db", str(store)])
            db = base / "work.db"
            if store.exists():
                shutil.copy(store, db)
            else:
                db.unlink(missing_ok=True)
            ext_s, _ = timed(["extract", str(base / "batch"), "-o", str(base / "e.jsonl"), *workers])
            run_s, run_rss = timed(["run", str(base / "batch"), "-o", str(base / "r.jsonl"), "--db", str(db), *workers])
            (base / "e.jsonl").unlink(missing_ok=True)
            (base / "r.jsonl").unlink(missing_ok=True)
            print(
                f"{size:>8} {batch_forms:>6} {batch_forms / ext_s:>11.0f} {batch_forms / run_s:>8.0f} "
                f"{ext_s / run_s:>11.2f} {run_rss:>10.0f}"
            )


if __name__ == "__main__":
    main()
