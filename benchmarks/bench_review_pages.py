"""Server CPU of the review app's pages as the store grows (issue 11, item 9):
the queue page (first page, a later page by its keyset link, a check
filter, a search), a form page and a field save, in process over a SQLite
store of N forms. Prints numbers only; nothing is asserted.

    PYTHONPATH=src:. /work/venv/bin/python benchmarks/bench_review_pages.py --forms 100,1000,10000,100000

The store: the samples' forms loaded for real (``load_into``), then bulk
inserts of synthetic copies up to N forms, 7 to a made-up document: each copy
has its form row (status, queue key), its open review items and its
``extract`` audit row, like a loaded form. Copies carry no record versions
and their documents no lines: no measured page reads another form's record
or text (the form page and the save use a real form).

CPU is ``time.process_time()`` around each request through Starlette's
TestClient (the app, the store and the templates; not the network); median
and p95 of ``--repeat`` requests.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from fastapi.testclient import TestClient  # noqa: E402
from sqlalchemy import insert, select  # noqa: E402
from tests.conftest import SAMPLES  # noqa: E402
from tests.review.helpers import rules_run  # noqa: E402

from crossfoot.review.app import create_app  # noqa: E402
from crossfoot.review.queue import QueueFilters, queue_page  # noqa: E402
from crossfoot.review.store import Store, load_into  # noqa: E402
from crossfoot.review.tables import DocumentRow, EditRow, FormRow, ReviewItemRow, utcnow  # noqa: E402
from crossfoot.settings import Settings  # noqa: E402

PER_DOCUMENT = 7
BATCH = 5000


def _columns(row: Any, skip: tuple[str, ...] = ("id",)) -> dict[str, Any]:
    return {c.key: getattr(row, c.key) for c in row.__table__.columns if c.key not in skip}


def build(store: Store, forms: int) -> None:
    """The samples loaded for real, then synthetic copies up to ``forms``."""
    load_into(store, *rules_run(sorted(SAMPLES.glob("*.txt"))))
    with store.write() as session:
        base = list(session.scalars(select(FormRow).order_by(FormRow.id)))
        items: dict[int, list[dict[str, Any]]] = {}
        for item in session.scalars(select(ReviewItemRow).where(ReviewItemRow.closed_at.is_(None))):
            items.setdefault(item.form_id, []).append(_columns(item, ("id", "form_id")))
        templates = [_columns(form, ("id", "document_id", "queue_path")) for form in base]
        document_id = session.scalar(select(DocumentRow.id).order_by(DocumentRow.id.desc()).limit(1)) or 0
        wanted = max(0, forms - len(base))
        documents = (wanted + PER_DOCUMENT - 1) // PER_DOCUMENT
        now = utcnow()
        for begin in range(0, documents, BATCH):
            rows = [
                {
                    "id": document_id + 1 + n,
                    "sha256": f"{n:064x}",
                    "path": f"copies/{n // 100:04d}/{n:06d}.txt",
                    "kind": "text",
                    "encoding": "utf-8",
                    "lines": [],
                    "added_at": now,
                }
                for n in range(begin, min(documents, begin + BATCH))
            ]
            session.execute(insert(DocumentRow), rows)
        form_id = base[-1].id
        for begin in range(0, wanted, BATCH):
            form_rows, item_rows, edit_rows = [], [], []
            for n in range(begin, min(wanted, begin + BATCH)):
                template = templates[n % len(templates)]
                form_id += 1
                document, index = divmod(n, PER_DOCUMENT)
                path = f"copies/{document // 100:04d}/{document:06d}.txt"
                form_rows.append(
                    template
                    | {"id": form_id, "document_id": document_id + 1 + document, "form_index": index}
                    | {"form_count": PER_DOCUMENT, "queue_path": path}
                )
                item_rows += [item | {"form_id": form_id} for item in items.get(base[n % len(base)].id, [])]
                edit_rows.append(
                    {"form_id": form_id, "at": now, "reviewer": "crossfoot", "action": "extract"}
                    | {"from_version": 0, "to_version": 1}
                )
            session.execute(insert(FormRow), form_rows)
            if item_rows:
                session.execute(insert(ReviewItemRow), item_rows)
            session.execute(insert(EditRow), edit_rows)


def cpu(action: Callable[[], Any], repeat: int) -> tuple[float, float, int]:
    """(median ms, p95 ms, bytes) of ``repeat`` calls."""
    spent: list[float] = []
    size = 0
    action()  # warm: templates compiled, statements cached
    for _ in range(repeat):
        begun = time.process_time()
        answer = action()
        spent.append((time.process_time() - begun) * 1000)
        assert answer.status_code == 200, answer.text[:300]
        size = len(answer.content)
    spent.sort()
    return statistics.median(spent), spent[min(len(spent) - 1, round(0.95 * (len(spent) - 1)))], size


def bench(forms: int, repeat: int) -> None:
    with tempfile.TemporaryDirectory() as folder, Store(str(Path(folder) / "bench.db")) as store:
        started = time.perf_counter()
        build(store, forms)
        built_s = time.perf_counter() - started
        client = TestClient(create_app(store, Settings()), base_url="http://127.0.0.1:8000")
        first = queue_page(store)
        later = first.after.encode() if first.after else ""
        code = next((c for row in first.rows for c in row.codes), "")
        # a real (loaded) form with its document's lines: the samples' forms have the lowest ids
        target = next(row for row in queue_page(store, QueueFilters(search="samples")).rows)
        version = target.version
        figures = {
            "queue": cpu(lambda: client.get("/"), repeat),
            "queue p.2": cpu(lambda: client.get("/", params={"after": later}), repeat),
            "check": cpu(lambda: client.get("/", params={"code": code}), repeat),
            "search": cpu(lambda: client.get("/", params={"q": "000123"}), repeat),
            "form": cpu(lambda: client.get(f"/forms/{target.form_id}"), repeat),
        }
        saves: list[float] = []
        for step in range(repeat):
            data = {"field": "department", "value": f"局{step}", "version": version, "reviewer": "bench"}
            begun = time.process_time()
            answer = client.post(f"/forms/{target.form_id}/field", data=data, headers={"HX-Request": "true"})
            saves.append((time.process_time() - begun) * 1000)
            assert answer.status_code == 200, answer.text[:300]
            version += 1
        saves.sort()
        figures["save"] = (statistics.median(saves), saves[round(0.95 * (len(saves) - 1))], len(answer.content))
        shown = ", ".join(
            f"{name} {med:5.1f}/{p95:5.1f} ms {size / 1e3:4.0f} kB" for name, (med, p95, size) in figures.items()
        )
        print(f"{forms:>7} forms (built in {built_s:5.1f} s): {shown}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--forms", default="100,1000,10000", help="store sizes, comma-separated")
    parser.add_argument("--repeat", type=int, default=15)
    args = parser.parse_args()
    print("server CPU per request, median/p95 (time.process_time), and answer size")
    for forms in (int(n) for n in args.forms.split(",")):
        bench(forms, args.repeat)


if __name__ == "__main__":
    main()
