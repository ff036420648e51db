"""Forms per second for extract + check on the bundled samples, one core.

    python benchmarks/bench_pipeline.py [--rounds 50]

Prints numbers; asserts nothing. Two figures:

* ``extract+check``: what ``crossfoot extract`` does per form with the
  ``rules`` backend (template detection, the reader, the checks, the
  envelope: ``pipeline.envelope_for``), and the envelope's JSON line;
* ``ingest+segment``: decoding and splitting the same files, apart, so the
  per-form figure is not hidden by file I/O.

Times are CPU seconds of this process (time.process_time): on a shared
machine wall time measures the neighbours. Each round uses a fresh extractor,
so the sibling index is rebuilt every round, as it is for every document.
"""

from __future__ import annotations

import argparse
import statistics
import time
import tracemalloc
from pathlib import Path

from crossfoot.extract import get_extractor
from crossfoot.ingest import load_document
from crossfoot.pipeline import envelope_for
from crossfoot.segment import FormSlice, split_forms
from crossfoot.settings import Settings

SAMPLES = Path(__file__).resolve().parent.parent / "samples"


def one_pass(forms_by_doc: list[list[FormSlice]], settings: Settings) -> int:
    """Extract, check and serialise every form once; the bytes written."""
    extractor = get_extractor("rules", settings)  # fresh: no sibling index carried across rounds
    written = 0
    for forms in forms_by_doc:
        for form in forms:
            written += len(envelope_for(form, forms, extractor).model_dump_json())
    return written


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=50)
    args = parser.parse_args()
    settings = Settings()
    paths = sorted(SAMPLES.glob("*.txt"))

    t0 = time.process_time()
    documents = [load_document(p) for p in paths]
    forms_by_doc = [split_forms(d) for d in documents]
    ingest_s = time.process_time() - t0
    n_forms = sum(len(f) for f in forms_by_doc)

    timings = []
    for _ in range(args.rounds):
        start = time.process_time()
        one_pass(forms_by_doc, settings)
        timings.append(time.process_time() - start)

    tracemalloc.start()
    one_pass(forms_by_doc, settings)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()

    best, median = min(timings), statistics.median(timings)
    print(f"forms: {n_forms} in {len(paths)} documents; rounds: {args.rounds}")
    print(f"ingest+segment: {ingest_s * 1000:.1f} ms CPU total")
    print(
        f"extract+check+JSON: median {median / n_forms * 1000:.2f} ms/form -> {n_forms / median:.0f} forms/s "
        f"(best {n_forms / best:.0f} forms/s), CPU time, one core"
    )
    print(f"peak traced memory for one pass: {peak / 1e6:.1f} MB")


if __name__ == "__main__":
    main()
