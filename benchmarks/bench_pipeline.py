"""Forms per second for extract + check on the bundled samples, one core.

    python benchmarks/bench_pipeline.py [--rounds 50]

Prints numbers; asserts nothing. Ingest (decode + split) is timed apart from
extract + check so the figure for the stages is not hidden by file I/O. Times
are CPU seconds of this process (time.process_time): on a shared machine wall
time measures the neighbours.
"""

from __future__ import annotations

import argparse
import statistics
import time
import tracemalloc
from pathlib import Path

from crossfoot.check import run_checks
from crossfoot.extract.rules import RulesExtractor
from crossfoot.ingest import load_document
from crossfoot.segment import split_forms

SAMPLES = Path(__file__).resolve().parent.parent / "samples"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=50)
    args = parser.parse_args()
    paths = sorted(SAMPLES.glob("*.txt"))

    t0 = time.process_time()
    documents = [load_document(p) for p in paths]
    forms_by_doc = [split_forms(d) for d in documents]
    ingest_s = time.process_time() - t0
    n_forms = sum(len(f) for f in forms_by_doc)

    timings = []
    for _ in range(args.rounds):
        extractor = RulesExtractor()  # fresh: no sibling cache carried across rounds
        start = time.process_time()
        for forms in forms_by_doc:
            for form in forms:
                result = extractor.extract(form, forms)
                assert result.record is not None
                run_checks(result.record)
        timings.append(time.process_time() - start)

    tracemalloc.start()
    extractor = RulesExtractor()
    for forms in forms_by_doc:
        for form in forms:
            run_checks(extractor.extract(form, forms).record)  # type: ignore[arg-type]
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()

    best, median = min(timings), statistics.median(timings)
    print(f"forms: {n_forms} in {len(paths)} documents; rounds: {args.rounds}")
    print(f"ingest+segment: {ingest_s * 1000:.1f} ms total")
    print(
        f"extract+check: median {median / n_forms * 1000:.2f} ms/form -> {n_forms / median:.0f} forms/s "
        f"(best {n_forms / best:.0f} forms/s), CPU time, one core"
    )
    print(f"peak traced memory for one pass: {peak / 1e6:.1f} MB")


if __name__ == "__main__":
    main()
