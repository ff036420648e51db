"""The review store under size: how long a load holds the write lock, and
what an export of many forms costs (issue 9, items 16 and 23).

    PYTHONPATH=src .venv/bin/python benchmarks/bench_review_store.py load --forms 2000
    PYTHONPATH=src .venv/bin/python benchmarks/bench_review_store.py export --forms 2200
    ... --pg-url postgresql+psycopg://postgres@127.0.0.1:54331/postgres   (load on PostgreSQL)

``load`` loads one document of N forms (copies of the samples' forms) and
prints the load's wall time and its longest write transaction: the longest a
reviewer's save can wait behind it. ``export`` fills a SQLite store with N
forms over N/7 documents, then runs `crossfoot export` for each format in a
fresh process and prints its wall time and peak memory (ru_maxrss of that
process alone). Only numbers are printed; nothing is asserted.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from sqlalchemy import event

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.review.helpers import rules_run, throwaway_database  # noqa: E402

import crossfoot  # noqa: E402
from crossfoot.model import Envelope  # noqa: E402
from crossfoot.review.store import Store, load_into  # noqa: E402

CLI = "import sys; from crossfoot.cli import main; sys.argv[0] = 'crossfoot'; main()"


def copies(envelopes: list[Envelope], forms: int, per_document: int) -> list[Envelope]:
    """``forms`` envelopes, ``per_document`` to a made-up document each."""
    out: list[Envelope] = []
    for number in range(forms):
        base = envelopes[number % len(envelopes)]
        document, index = divmod(number, per_document)
        source = base.source.model_copy(
            update={"sha256": f"{document:064x}", "path": f"bench/{document:05d}.txt", "form_index": index}
        )
        out.append(base.model_copy(update={"source": source}))
    return out


def longest_transaction(store: Store) -> list[float]:
    """Record each write transaction's duration (begin to commit) on ``store``."""
    spans: list[float] = []
    started: dict[int, float] = {}

    def on_begin(conn: Any) -> None:
        started[id(conn)] = time.perf_counter()

    def on_end(conn: Any) -> None:
        begun = started.pop(id(conn), None)
        if begun is not None:
            spans.append(time.perf_counter() - begun)

    event.listen(store.engine, "begin", on_begin)
    event.listen(store.engine, "commit", on_end)
    event.listen(store.engine, "rollback", on_end)
    return spans


def bench_load(url: str, forms: int) -> None:
    _, envelopes = rules_run(sorted((ROOT / "samples").glob("*.txt")))
    one_document = copies(envelopes, forms, per_document=forms)
    with Store(url) as store:
        spans = longest_transaction(store)
        begun = time.perf_counter()
        load_into(store, [], one_document)
        took = time.perf_counter() - begun
    kind = url.split(":", 1)[0]
    longest, count = max(spans), len(spans)
    print(f"load {kind}: {forms} forms in one document: {took:.1f} s; {count} transactions, longest {longest:.2f} s")


def bench_export(forms: int, formats: list[str]) -> None:
    _, envelopes = rules_run(sorted((ROOT / "samples").glob("*.txt")))
    with tempfile.TemporaryDirectory() as folder:
        db = Path(folder) / "bench.db"
        begun = time.perf_counter()
        with Store(str(db)) as store:
            load_into(store, [], copies(envelopes, forms, per_document=7))
        print(f"store of {forms} forms built in {time.perf_counter() - begun:.1f} s")
        for fmt in formats:
            out = Path(folder) / f"out.{fmt}"
            command = [sys.executable, "-c", CLI, "export", "--db", str(db), "-f", fmt, "-o", str(out)]
            env = {**os.environ, "PYTHONPATH": str(Path(crossfoot.__file__).parents[1])}  # the code under test
            begun = time.perf_counter()
            child = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
            _, status, usage = os.wait4(child.pid, 0)
            took = time.perf_counter() - begun
            if status != 0:
                print(f"export {fmt} failed: {child.stderr.read().decode() if child.stderr else status}")
                continue
            size = out.stat().st_size
            peak = usage.ru_maxrss / 1024
            print(f"export {fmt}: {forms} forms in {took:.1f} s, peak {peak:.0f} MB, {size / 1e6:.1f} MB file")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("what", choices=["load", "export"])
    parser.add_argument("--forms", type=int, default=2000)
    parser.add_argument("--pg-url", help="an admin URL; the load runs in a throwaway database there")
    parser.add_argument("--formats", default="jsonl,csv,xlsx", help="export: which formats, comma-separated")
    args = parser.parse_args()
    if args.what == "export":
        bench_export(args.forms, args.formats.split(","))
    elif args.pg_url:
        with throwaway_database(args.pg_url, prefix="crossfoot_bench") as url:
            bench_load(url, args.forms)
    else:
        with tempfile.TemporaryDirectory() as folder:
            bench_load(f"sqlite:///{Path(folder) / 'bench.db'}", args.forms)


if __name__ == "__main__":
    main()
