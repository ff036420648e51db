"""Work-queue mode (issue 12, item 5): independent `crossfoot run` processes
on one real PostgreSQL store split the documents, none twice, none missed;
a claim whose process died is taken again after its lease; SQLite is refused."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import SAMPLES, need

pytest.importorskip("sqlalchemy", reason="the review extra is not installed")

from sqlalchemy import func, select

from crossfoot.review.store import Store
from crossfoot.review.tables import FormRow, WorkItemRow
from crossfoot.review.workqueue import WorkQueue
from tests.review.helpers import throwaway_database

PG_URL = os.environ.get("CROSSFOOT_TEST_PG_URL")
pytestmark = pytest.mark.postgres


@pytest.fixture
def pg_url() -> Iterator[str]:
    need(PG_URL is not None, "a PostgreSQL server: set CROSSFOOT_TEST_PG_URL (see .ci/steps/20-postgres.sh)")
    assert PG_URL is not None
    with throwaway_database(PG_URL) as url:
        yield url


def distinct_inputs(folder: Path, copies: int) -> Path:
    """Copies of the samples, each with its own content (a trailing blank line of its own length)."""
    folder.mkdir()
    for n in range(copies):
        for sample in sorted(SAMPLES.glob("*.txt")):
            text = sample.read_text(encoding="utf-8")
            (folder / f"{n:02d}_{sample.name}").write_text(text + "\n" + " " * (n + 1) + "\n", encoding="utf-8")
    return folder


def crossfoot(*args: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "crossfoot", *args], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )


def lines_by_path(out: Path) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for line in out.read_text(encoding="utf-8").splitlines():
        found.setdefault(json.loads(line)["source"]["path"], []).append(line)
    return found


def test_two_runs_on_one_queue_split_the_documents(tmp_path: Path, pg_url: str) -> None:
    inputs = distinct_inputs(tmp_path / "in", copies=6)
    outs = [tmp_path / "a.jsonl", tmp_path / "b.jsonl"]
    runs = [crossfoot("run", str(inputs), "-o", str(out), "--db", pg_url, "--work-queue", "q1") for out in outs]
    for run in runs:
        _, err = run.communicate(timeout=300)
        assert run.returncode in (0, 1), err.decode()
    a, b = (lines_by_path(out) for out in outs)
    assert a and b, "both processes did some of the work"
    assert not set(a) & set(b), "a document was done twice"
    every = {str(p) for p in inputs.iterdir()}
    assert set(a) | set(b) == every, "a document was missed"

    # the same documents as one ordinary run, line for line
    reference = tmp_path / "ref.jsonl"
    single = crossfoot("run", str(inputs), "-o", str(reference), "--no-store")
    single.communicate(timeout=300)
    expected = lines_by_path(reference)
    assert {**a, **b} == expected
    with Store(pg_url) as store, store.read() as session:
        forms = session.scalar(select(func.count()).select_from(FormRow))
        unfinished = session.scalar(select(func.count()).select_from(WorkItemRow).where(WorkItemRow.done_at.is_(None)))
    assert forms == sum(len(lines) for lines in expected.values())
    assert unfinished == 0


def test_a_dead_claimants_document_is_claimable_after_its_lease(pg_url: str) -> None:
    with Store(pg_url) as store:
        dead = WorkQueue(store, "q2", lease_s=1.0, claimant="dead")
        alive = WorkQueue(store, "q2", claimant="alive")
        ids = dead.register([("a" * 64, "one.txt"), ("b" * 64, "two.txt")])
        assert alive.register([("a" * 64, "one.txt"), ("b" * 64, "two.txt")]) == ids  # registered once
        first = dead.claim(ids)
        assert first == ids[0]
        second = alive.claim(ids)
        assert second == ids[1], "a claimed document is skipped, not waited for"
        alive.done([second])
        assert alive.claim(ids) is None, "the dead claimant's lease still holds"
        time.sleep(1.5)
        assert alive.claim(ids) == first, "after the lease anyone may claim it"
        dead.done([first])  # too late: no longer the claimant's; nothing changes
        with store.read() as session:
            row = session.get(WorkItemRow, first)
            assert row is not None
            assert (row.claimed_by, row.done_at, row.claims) == ("alive", None, 2)


def test_the_work_queue_needs_postgresql(tmp_path: Path) -> None:
    out = tmp_path / "out.jsonl"
    run = crossfoot("run", str(SAMPLES), "-o", str(out), "--db", str(tmp_path / "s.db"), "--work-queue", "q")
    _, err = run.communicate(timeout=120)
    assert run.returncode == 2
    assert "needs a PostgreSQL store" in err.decode()
    assert not out.exists() and not out.with_name(out.name + ".partial").exists()
    assert not (tmp_path / "s.db").exists(), "refused before anything was created"
