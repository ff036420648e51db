"""Kill a batch again and again, resume it, compare with an uninterrupted run.

Builds FILES input files by copying the samples round-robin (so many files
have identical contents), runs ``crossfoot run INPUTS -o OUT --db STORE``
once without interruption, then again in a fresh folder, killing it KILLS
times at random moments (SIGKILL, every third one SIGINT) and resuming each
time with the same command, until a run completes. The two output files must
be byte-identical and the two review stores must hold the same forms and
records (issue 9, "Done when").

With ``--workers N --kill-workers`` the run itself is never killed: KILLS of
its pool workers are (SIGKILL, at random moments), and the one run must end
with the reference's exit code and the same output and store (issue 12,
item 4: a killed worker's document runs again, nothing lost or duplicated).
A pool starts only when it pays (cli/workers.PoolChoice): on 2 workers that
takes about 400 files of the samples; below, there is no worker to kill.

    PYTHONPATH=src python benchmarks/kill_resume.py              # 300 files, 10 kills
    PYTHONPATH=src python benchmarks/kill_resume.py 60 3 --seed 1
    PYTHONPATH=src python benchmarks/kill_resume.py 600 3 --workers 2 --kill-workers
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def make_inputs(folder: Path, files: int) -> None:
    samples = sorted((ROOT / "samples").glob("*.txt"))
    folder.mkdir(parents=True)
    for n in range(files):
        shutil.copy(samples[n % len(samples)], folder / f"{n:04d}_{samples[n % len(samples)].name}")


def command(inputs: Path, out: Path, db: Path, workers: int = 1) -> list[str]:
    run = [sys.executable, "-m", "crossfoot", "run", str(inputs), "-o", str(out), "--db", f"sqlite:///{db}"]
    return [*run, "--workers", str(workers)]


def pool_workers(pid: int) -> list[int]:
    """The pool's worker processes of the run ``pid`` (spawned children, not the resource tracker)."""
    try:
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except OSError:
        return []
    found = []
    for child in children:
        try:
            cmdline = Path(f"/proc/{child}/cmdline").read_bytes()
        except OSError:
            continue
        if b"spawn_main" in cmdline and b"resource_tracker" not in cmdline:
            found.append(int(child))
    return found


def kill_workers(
    inputs: Path, out: Path, db: Path, workers: int, kills: int, rng: random.Random, env: dict[str, str]
) -> tuple[int, int]:
    """One run whose pool workers are killed KILLS times; (kills done, its exit code)."""
    child = subprocess.Popen(
        command(inputs, out, db, workers), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env
    )
    killed = 0
    while killed < kills and child.poll() is None:
        time.sleep(rng.uniform(0.5, 2.0))
        alive = pool_workers(child.pid)
        if alive:
            os.kill(rng.choice(alive), signal.SIGKILL)
            killed += 1
    return killed, child.wait()


_STORE_QUERY = """
SELECT d.sha256, f.form_index, f.backend, f.status, f.version, rv.number, rv.origin, rv.record, rv.error,
       rv.extraction_hash,
       (SELECT COUNT(*) FROM findings WHERE record_version_id = rv.id),
       (SELECT COUNT(*) FROM review_items WHERE form_id = f.id)
FROM forms f JOIN documents d ON d.id = f.document_id JOIN record_versions rv ON rv.form_id = f.id
"""


def store_contents(db: Path) -> list[tuple[object, ...]]:
    """Every form's identity, record, findings and review items; ids and times left out."""
    if not db.exists():
        return []
    with sqlite3.connect(db) as connection:
        rows = connection.execute(_STORE_QUERY).fetchall()
        counts = [
            connection.execute(f"SELECT COUNT(*) FROM {table}").fetchone()
            for table in ("documents", "forms", "record_versions", "findings", "review_items", "edits")
        ]
    return sorted(rows) + counts


def run(files: int, kills: int, seed: int, workers: int = 1, worker_kills: bool = False) -> dict[str, object]:
    rng = random.Random(seed)
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        inputs = base / "inputs"
        make_inputs(inputs, files)
        env = {**os.environ, "CROSSFOOT_CACHE_DIR": str(base / "cache")}
        # the reference: one uninterrupted run
        started = time.perf_counter()
        ref = subprocess.run(
            command(inputs, base / "ref.jsonl", base / "ref.db", workers), capture_output=True, env=env
        )
        full_s = time.perf_counter() - started
        # the same batch, killed KILLS times
        out, db = base / "killed.jsonl", base / "killed.db"
        killed = runs = 0
        if worker_kills:
            killed, code = kill_workers(inputs, out, db, workers, kills, rng, env)
            runs = 1
        # a run that ends before its kill does not count
        while not worker_kills and killed < kills and runs < 3 * kills:
            runs += 1
            child = subprocess.Popen(
                command(inputs, out, db, workers), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env
            )
            time.sleep(rng.uniform(0.3, max(1.0, full_s * 0.4)))
            if child.poll() is None:
                child.send_signal(signal.SIGINT if killed % 3 == 2 else signal.SIGKILL)
                killed += 1
            child.wait()
        if not worker_kills:
            runs += 1
            code = subprocess.run(command(inputs, out, db, workers), capture_output=True, env=env).returncode
        same_output = out.exists() and out.read_bytes() == (base / "ref.jsonl").read_bytes()
        ref_lines = len((base / "ref.jsonl").read_text(encoding="utf-8").splitlines())
        got_lines = len(out.read_text(encoding="utf-8").splitlines()) if out.exists() else 0
        same_store = store_contents(base / "ref.db") == store_contents(db)
        return {
            "files": files,
            "forms": ref_lines,
            "reference_exit": ref.returncode,
            "uninterrupted_s": round(full_s, 1),
            "kills": killed,
            "runs": runs,
            "final_exit": code,
            "same_exit": code == ref.returncode,
            "lines": got_lines,
            "output_identical": same_output,
            "store_identical": same_store,
            "store_rows": store_contents(db)[-6:],
        }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("files", type=int, nargs="?", default=300)
    parser.add_argument("kills", type=int, nargs="?", default=10)
    parser.add_argument("--seed", type=int, default=9)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--kill-workers", action="store_true", help="kill pool workers, not the run")
    args = parser.parse_args()
    result = run(args.files, args.kills, args.seed, args.workers, args.kill_workers)
    print(json.dumps(result, indent=2))
    sys.exit(0 if result["output_identical"] and result["store_identical"] else 1)


if __name__ == "__main__":
    main()
