"""Load test of the review app: N concurrent reviewers saving edits over HTTP.

Loopback only, bounded in count and time, stops by itself. Starts the real
`crossfoot review` command in a subprocess on a fresh store (SQLite file or a
throwaway PostgreSQL database) loaded from a rules run over samples/, then
lets each reviewer save edits to forms shared with the others, so saves race
and some hit the optimistic-concurrency conflict (409) and retry with the
fresh version. Afterwards it proves that no acknowledged save was lost:

- every 200 answer has exactly one matching row in the edit trail,
- no edit row exists that no reviewer was told about,
- for every (form, field) the stored value is the last acknowledged one,
- every form's record versions are numbered 1..n without gaps.

    .venv/bin/python benchmarks/load_review.py                       # SQLite
    .venv/bin/python benchmarks/load_review.py --pg-url postgresql+psycopg://postgres@127.0.0.1:54329/postgres
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from sqlalchemy import select

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.review.helpers import rules_run, throwaway_database  # noqa: E402

from crossfoot.review.edits import value_at  # noqa: E402
from crossfoot.review.serve import free_port  # noqa: E402
from crossfoot.review.store import Store, load_into  # noqa: E402
from crossfoot.review.tables import EditRow, FormRow, RecordVersionRow  # noqa: E402

HOST = "127.0.0.1"  # never anything else
VERSION = re.compile(r'id="version" name="version" value="(\d+)"')


@dataclass
class Ack:
    reviewer: str
    form_id: int
    field: str
    value: str
    version: int


@dataclass
class Tally:
    acks: list[Ack] = field(default_factory=list)
    conflicts: int = 0
    failures: list[str] = field(default_factory=list)
    latencies: list[float] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


def load_samples(db_url: str) -> list[tuple[int, int]]:
    """Load samples/ into a fresh store; (form id, indicator count) per form."""
    documents, envelopes = rules_run(sorted((ROOT / "samples").glob("*.txt")))
    with Store(db_url) as store:
        load_into(store, documents, envelopes)
        with store.read() as session:
            forms = session.scalars(select(FormRow).order_by(FormRow.id)).all()
            out = []
            for form in forms:
                record = session.scalar(
                    select(RecordVersionRow.record).where(
                        RecordVersionRow.form_id == form.id, RecordVersionRow.number == form.record_number
                    )
                )
                out.append((form.id, len(record["indicators"]) if record else 0))
    return out


@contextmanager
def review_server(db_url: str) -> Iterator[str]:
    """The real `crossfoot review` command, in a subprocess, on loopback."""
    port = free_port(HOST)
    command = [
        sys.executable,
        "-c",
        "from crossfoot.cli import main; main()",
        "review",
        "--db",
        db_url,
        "--host",
        HOST,
        "--port",
        str(port),
    ]
    env = {k: v for k, v in os.environ.items() if k != "CROSSFOOT_REVIEW_TOKEN"}
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    url = f"http://{HOST}:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(url + "/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("review server did not start: " + (process.stderr.read() or b"").decode())
            time.sleep(0.1)
        yield url
    finally:
        process.terminate()
        process.wait(10)


def reviewer(url: str, index: int, forms: list[tuple[int, int]], saves: int, stop_at: float, tally: Tally) -> None:
    name = f"reviewer-{index}"
    versions: dict[int, int] = {}
    with httpx.Client(base_url=url, timeout=30, headers={"HX-Request": "true"}) as client:

        def fresh_version(form_id: int) -> int:
            page = client.get(f"/forms/{form_id}", headers={"HX-Request": ""})
            match = VERSION.search(page.text)
            assert match, f"no version on /forms/{form_id}"
            return int(match.group(1))

        for n in range(saves):
            if time.monotonic() > stop_at:
                return
            # Reviewers walk the same forms in different orders: they collide.
            form_id, indicator_count = forms[(index * 7 + n) % len(forms)]
            if indicator_count == 0:
                continue
            path = f"indicators.{index % indicator_count}.deviation"
            value = f"{name} save {n}"
            for _attempt in range(20):
                if form_id not in versions:
                    versions[form_id] = fresh_version(form_id)
                data = {"field": path, "value": value, "version": versions[form_id], "reviewer": name}
                started = time.perf_counter()
                answer = client.post(f"/forms/{form_id}/field", data=data)
                elapsed = time.perf_counter() - started
                if answer.status_code == 409:
                    with tally.lock:
                        tally.conflicts += 1
                    del versions[form_id]
                    continue
                if answer.status_code != 200:
                    with tally.lock:
                        tally.failures.append(f"{answer.status_code} {answer.text[:120]}")
                    break
                match = VERSION.search(answer.text)
                assert match
                versions[form_id] = int(match.group(1))
                with tally.lock:
                    tally.latencies.append(elapsed)
                    tally.acks.append(Ack(name, form_id, path, value, versions[form_id]))
                break


def verify(db_url: str, tally: Tally) -> list[str]:
    """Every acknowledged save is in the store, and nothing else is."""
    problems: list[str] = []
    with Store(db_url) as store, store.read() as session:
        edits = session.scalars(select(EditRow).where(EditRow.action == "edit")).all()
        trail = {(e.reviewer, e.form_id, e.field, e.new_value, e.to_version) for e in edits}
        acked = {(a.reviewer, a.form_id, a.field, a.value, a.version) for a in tally.acks}
        if len(edits) != len(tally.acks):
            problems.append(f"{len(tally.acks)} saves acknowledged but {len(edits)} edit rows")
        for missing in acked - trail:
            problems.append(f"acknowledged save missing from the trail: {missing}")
        for extra in trail - acked:
            problems.append(f"edit row nobody was told about: {extra}")
        last: dict[tuple[int, str], Ack] = {}
        for ack in tally.acks:
            key = (ack.form_id, ack.field)
            if key not in last or ack.version > last[key].version:
                last[key] = ack
        for form in session.scalars(select(FormRow)):
            numbers = session.scalars(select(RecordVersionRow.number).where(RecordVersionRow.form_id == form.id)).all()
            if sorted(numbers) != list(range(1, form.record_number + 1)):
                problems.append(f"form {form.id}: record versions {sorted(numbers)}")
            record = session.scalar(
                select(RecordVersionRow.record).where(
                    RecordVersionRow.form_id == form.id, RecordVersionRow.number == form.record_number
                )
            )
            for (form_id, path), ack in last.items():
                if form_id == form.id and value_at(record, path) != ack.value:
                    problems.append(
                        f"form {form.id} {path}: stored {value_at(record, path)!r}, last save {ack.value!r}"
                    )
    return problems


@contextmanager
def fresh_database(kind: str, pg_url: str | None) -> Iterator[str]:
    if kind == "sqlite":
        with tempfile.TemporaryDirectory() as folder:
            yield f"sqlite:///{folder}/load.db"
        return
    assert pg_url, "--pg-url is needed for PostgreSQL"
    with throwaway_database(pg_url, prefix="crossfoot_load") as url:
        yield url


def run(kind: str, args: argparse.Namespace) -> bool:
    with fresh_database(kind, args.pg_url) as db_url:
        forms = load_samples(db_url)
        tally = Tally()
        with review_server(db_url) as url:
            stop_at = time.monotonic() + args.seconds
            threads = [
                threading.Thread(target=reviewer, args=(url, i, forms, args.saves, stop_at, tally))
                for i in range(args.reviewers)
            ]
            started = time.perf_counter()
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            wall = time.perf_counter() - started
        problems = verify(db_url, tally)
    lat = sorted(tally.latencies) or [0.0]
    print(
        f"{kind:8s} reviewers={args.reviewers} saves={len(tally.acks)} conflicts_retried={tally.conflicts} "
        f"failures={len(tally.failures)} wall={wall:.1f}s saves/s={len(tally.acks) / wall:.1f} "
        f"p50={statistics.median(lat) * 1000:.0f}ms p95={lat[int(len(lat) * 0.95) - 1] * 1000:.0f}ms "
        f"lost={len(problems)}"
    )
    for line in tally.failures[:5] + problems[:10]:
        print("   ", line)
    return not problems and not tally.failures


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--reviewers", type=int, default=10)
    parser.add_argument("--saves", type=int, default=40, help="saves per reviewer (upper bound)")
    parser.add_argument("--seconds", type=float, default=60.0, help="stop saving after this long")
    parser.add_argument("--pg-url", default=os.environ.get("CROSSFOOT_TEST_PG_URL"), help="admin URL of a server")
    parser.add_argument("--only", choices=("sqlite", "postgres"))
    args = parser.parse_args()
    kinds = [args.only] if args.only else ["sqlite", *(["postgres"] if args.pg_url else [])]
    ok = [run(kind, args) for kind in kinds]
    if not args.pg_url and not args.only:
        print("postgres skipped: pass --pg-url or set CROSSFOOT_TEST_PG_URL")
    return 0 if all(ok) else 1


if __name__ == "__main__":
    sys.exit(main())
