"""`run` (extract + check + the review store) against `extract` alone, with
STORE forms already in the store, on SQLite and PostgreSQL (issue 12, items 1, 6).

Makes distinct text dumps from samples/ (each copy gets a last blank line of
its own length, so its own sha256 and its own document row). The store is
filled quickly: the samples are extracted once here and their documents and
forms loaded again and again under new sha256s (``load_into``, the code a
`run` loads with), so 60,000 forms take a minute, not an extraction of
60,000 forms. Then it times, in fresh processes on a new batch of BATCH
forms, `extract -o` and `run` into the filled store. Prints forms/s from wall
time and the speed ratio (run over extract; issue 12 wants >= 0.5), the same
ratio from the children's CPU time (steadier on a shared machine; for
PostgreSQL the server's CPU is not in it), and run's peak RSS. Asserts nothing.

    PYTHONPATH=src:. python benchmarks/bench_run_store.py --store 0 600 6000 60000
    PYTHONPATH=src:. python benchmarks/bench_run_store.py --store 600 --pg postgresql://postgres@127.0.0.1:5432/postgres
"""

from __future__ import annotations

import argparse
import os
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


def fill(db_url: str, forms: int) -> None:
    """About ``forms`` forms in the store, as copies of the samples' documents."""
    from tests.review.helpers import rules_run

    from crossfoot.review.store import RunLoader, Store

    documents, envelopes = rules_run(sorted((ROOT / "samples").glob("*.txt")))
    made = copy = 0
    with Store(db_url) as store:
        loader = RunLoader(store, "rules")
        while made < forms:
            copy += 1
            tag = f"{copy:08d}"
            for document in documents:
                sha256 = document.sha256[:-8] + tag
                envs = [
                    e.model_copy(update={"source": e.source.model_copy(update={"sha256": sha256})})
                    for e in envelopes
                    if e.source.sha256 == document.sha256
                ]
                loader.add(document.model_copy(update={"sha256": sha256}), envs)
                made += len(envs)
        loader.finish()


def timed(args: list[str]) -> tuple[float, float, float]:
    """(wall seconds, CPU seconds, peak RSS MB) of one crossfoot command in a fresh process."""
    started = time.perf_counter()
    child = subprocess.Popen(
        [sys.executable, "-m", "crossfoot", *args], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    _, _, usage = os.wait4(child.pid, 0)
    return time.perf_counter() - started, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024


def pg_database(admin_url: str, name: str) -> str:
    """A new, empty database on the server at ``admin_url``; its URL."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    from crossfoot.review.store import normalize_db_url

    url = normalize_db_url(admin_url)
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    engine.dispose()
    return make_url(url).set(database=name).render_as_string(hide_password=False)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--store", type=int, nargs="+", default=[600, 6000])
    parser.add_argument("--batch", type=int, default=600)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--pg", help="also measure on this PostgreSQL server (a database per size is made)")
    parser.add_argument("--no-sqlite", action="store_true")
    args = parser.parse_args()
    workers = ["--workers", str(args.workers)]
    print(
        f"{'db':>8} {'in store':>8} {'batch':>6} {'fill s':>7} {'extract f/s':>11} {'run f/s':>8} "
        f"{'ratio':>6} {'CPU ratio':>9} {'run RSS MB':>10}",
        flush=True,
    )
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        batch_forms = make_files(base / "batch", args.batch, offset=0)
        kinds = ([] if args.no_sqlite else ["sqlite"]) + (["postgres"] if args.pg else [])
        for kind in kinds:
            for size in args.store:
                if kind == "sqlite":
                    db = f"sqlite:///{base / f'store{size}.db'}"
                else:
                    db = pg_database(args.pg, f"crossfoot_bench_{size}")
                began = time.perf_counter()
                if size:
                    fill(db, size)
                fill_s = time.perf_counter() - began
                ext_s, ext_cpu, _ = timed(["extract", str(base / "batch"), "-o", str(base / "e.jsonl"), *workers])
                run_s, run_cpu, run_rss = timed(
                    ["run", str(base / "batch"), "-o", str(base / "r.jsonl"), "--db", db, *workers]
                )
                (base / "e.jsonl").unlink(missing_ok=True)
                (base / "r.jsonl").unlink(missing_ok=True)
                print(
                    f"{kind:>8} {size:>8} {batch_forms:>6} {fill_s:>7.1f} {batch_forms / ext_s:>11.0f} "
                    f"{batch_forms / run_s:>8.0f} {ext_s / run_s:>6.2f} {ext_cpu / run_cpu:>9.2f} {run_rss:>10.0f}",
                    flush=True,
                )


if __name__ == "__main__":
    main()
