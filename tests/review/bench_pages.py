"""Server CPU of the review app's pages as the store grows: the queue page,
a form page and a field save, in process over a SQLite store of N forms
(copies of the samples' forms, 7 to a document). Prints numbers only.

    PYTHONPATH=src .venv/bin/python -m tests.review.bench_pages --forms 100,1000

CPU is ``time.process_time()`` around each request (the app, the store and
the template, not the network); the median of ``--repeat`` requests.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from benchmarks.bench_review_store import copies
from fastapi.testclient import TestClient

from crossfoot.review.app import create_app
from crossfoot.review.queue import queue
from crossfoot.review.store import Store, load_into
from crossfoot.settings import Settings
from tests.conftest import SAMPLES
from tests.review.helpers import rules_run


def cpu_ms(action: object, repeat: int) -> tuple[float, int]:
    spent: list[float] = []
    size = 0
    for _ in range(repeat):
        begun = time.process_time()
        answer = action()  # type: ignore[operator]
        spent.append((time.process_time() - begun) * 1000)
        size = len(answer.content)
    return statistics.median(spent), size


def bench(forms: int, repeat: int) -> None:
    _, envelopes = rules_run(sorted(SAMPLES.glob("*.txt")))
    with tempfile.TemporaryDirectory() as folder, Store(str(Path(folder) / "bench.db")) as store:
        load_into(store, [], copies(envelopes, forms, per_document=7))
        rows = queue(store)
        client = TestClient(create_app(store, Settings()), base_url="http://127.0.0.1:8000")
        target = rows[len(rows) // 2]
        version = target.version
        queue_ms, queue_size = cpu_ms(lambda: client.get("/"), repeat)
        form_ms, form_size = cpu_ms(lambda: client.get(f"/forms/{target.form_id}"), repeat)
        saves: list[float] = []
        for step in range(repeat):
            data = {"field": "department", "value": f"局{step}", "version": version, "reviewer": "bench"}
            begun = time.process_time()
            answer = client.post(f"/forms/{target.form_id}/field", data=data, headers={"HX-Request": "true"})
            saves.append((time.process_time() - begun) * 1000)
            assert answer.status_code == 200, answer.text[:200]
            version += 1
        print(
            f"{forms:>6} forms ({len(rows)} queued): queue page {queue_ms:6.1f} ms CPU, {queue_size / 1e3:7.0f} kB; "
            f"form page {form_ms:6.1f} ms, {form_size / 1e3:4.0f} kB; save {statistics.median(saves):6.1f} ms"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--forms", default="100,1000", help="store sizes, comma-separated")
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    for forms in (int(n) for n in args.forms.split(",")):
        bench(forms, args.repeat)


if __name__ == "__main__":
    main()
