"""crossfoot.heap: the collector is kept off a batch's documents without
freezing garbage (issue 12). What could break: a reader named acyclic that
makes cycles (they would be frozen and never freed), a settle that freezes
garbage, a batch whose output depends on the collector's state."""

from __future__ import annotations

import gc
import os
import subprocess
import sys
import weakref
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from crossfoot import heap
from crossfoot.cli import app
from crossfoot.cli.workers import LocalPool
from crossfoot.ingest import ACYCLIC_READERS

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = sorted((ROOT / "samples").glob("*.txt"))


@pytest.fixture
def collector_state(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Whatever a test does to the collector, the next test starts as before."""
    enabled, threshold = gc.isenabled(), gc.get_threshold()
    monkeypatch.setattr(heap, "_managed", heap._managed)
    yield
    gc.unfreeze()  # what a test froze may be collected again
    gc.set_threshold(*threshold)
    (gc.enable if enabled else gc.disable)()


_GARBAGE_AFTER_READING = """
import gc, sys
from pathlib import Path
from crossfoot.ingest import load_document
from crossfoot.settings import Settings
paths = [Path(p) for p in sys.argv[1:]]
settings = Settings()  # made before: the batch passes its own
load_document(paths[0], settings)  # first-use imports make cycles of their own
gc.collect()
gc.disable()
documents = [load_document(path, settings) for path in paths]
print(" ".join(sorted({d.kind for d in documents})), gc.collect())
"""


def _garbage_after_reading(paths: list[Path]) -> tuple[str, int]:
    """(the kinds read, the garbage objects the collector found after), in a
    fresh interpreter: in this one, other tests' threads make garbage too."""
    done = subprocess.run(
        [sys.executable, "-c", _GARBAGE_AFTER_READING, *map(str, paths)],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)},
    )
    kinds, garbage = done.stdout.split()
    return kinds, int(garbage)


def test_text_reader_is_acyclic() -> None:
    """A batch freezes a text dump's document without a pass first: the
    reader must leave no garbage cycles behind, or they would never be freed."""
    assert "text" in ACYCLIC_READERS
    assert _garbage_after_reading(SAMPLES) == ("text", 0)


def test_pdf_reader_is_not_acyclic() -> None:
    """The other side of the claim: a PDF read does leave cycles, so it is not
    in ACYCLIC_READERS and the batch collects before freezing it."""
    pdfs = sorted((ROOT / "eval" / "corpus" / "pdf").glob("*.pdf"))[:2]
    kind, garbage = _garbage_after_reading(pdfs)
    assert kind not in ACYCLIC_READERS and garbage > 0


class _Node:
    def __init__(self) -> None:
        self.other: _Node | None = None


def _garbage_cycle() -> weakref.ref[_Node]:
    """A cycle nothing refers to; the reference tells whether it was freed."""
    a, b = _Node(), _Node()
    a.other, b.other = b, a
    return weakref.ref(a)


def test_settle_frees_garbage_then_freezes(collector_state: None) -> None:
    gc.collect()
    heap.manage()
    cycle = _garbage_cycle()
    kept = [_Node() for _ in range(100)]
    frozen_before = gc.get_freeze_count()
    heap.settle()
    assert cycle() is None  # the cycle was freed, not frozen
    assert gc.get_freeze_count() >= frozen_before + len(kept)
    assert not any(isinstance(o, _Node) for o in gc.get_objects())  # the kept ones: frozen
    assert gc.get_threshold()[2] == heap.FULL_PASS_AFTER


def test_a_cycle_through_a_frozen_object_is_freed_within_thaw_every_documents(collector_state: None) -> None:
    """The bound on the one leak freezing allows: an object alive at a freeze
    and dropped later as part of a cycle (a replaced connection, say)."""
    heap.manage()
    held = _Node()
    heap.settle()  # ``held`` is frozen now
    held.other = _Node()
    held.other.other = held  # a cycle through a frozen object...
    lost = weakref.ref(held)
    del held  # ...dropped: no pass can see it while it is frozen
    for _ in range(heap.THAW_EVERY - 1 - heap._passes % heap.THAW_EVERY):
        heap.settle()
        assert lost() is not None
    heap.settle()  # the THAW_EVERY-th pass lets the frozen objects go first
    assert lost() is None


def test_settle_does_nothing_in_a_process_it_does_not_own(collector_state: None) -> None:
    """A Dask worker or a library caller: no freeze, no collection, no new thresholds."""
    heap._managed = False
    threshold = gc.get_threshold()
    gc.collect()
    gc.disable()
    cycle = _garbage_cycle()
    frozen_before = gc.get_freeze_count()
    heap.settle()
    assert cycle() is not None  # not collected
    assert gc.get_freeze_count() == frozen_before
    assert gc.get_threshold() == threshold


def _heap_state() -> tuple[bool, int]:
    return heap._managed, gc.get_threshold()[2]


def test_pool_workers_are_managed() -> None:
    """The batch's own pool workers settle their heaps as the batch does."""
    pool = LocalPool(1)
    try:
        assert pool.submit(_heap_state).result(timeout=120) == (True, heap.FULL_PASS_AFTER)
    finally:
        pool.shutdown()


def test_a_batch_manages_its_process(tmp_path: Path, collector_state: None) -> None:
    heap._managed = False
    out = tmp_path / "out.jsonl"
    result = CliRunner().invoke(app, ["extract", str(SAMPLES[0]), "-o", str(out), "--workers", "1"])
    assert result.exit_code in (0, 1), result.output
    assert _heap_state() == (True, heap.FULL_PASS_AFTER)
    assert out.read_text(encoding="utf-8").count("\n") >= 1
