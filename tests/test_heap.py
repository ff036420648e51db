"""crossfoot.heap: the collector is kept off a batch's documents without
freezing garbage (issue 12). What could break: a reader named acyclic that
makes cycles (they would be frozen and never freed), a pause that leaks out
of its block, a batch whose output depends on the collector's state."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from crossfoot import heap
from crossfoot.cli import app
from crossfoot.ingest import ACYCLIC_READERS, load_document

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = sorted((ROOT / "samples").glob("*.txt"))


@pytest.fixture
def collector_state() -> Iterator[None]:
    """Whatever a test does to the collector, the next test starts as before."""
    enabled, threshold = gc.isenabled(), gc.get_threshold()
    yield
    gc.unfreeze()
    gc.set_threshold(*threshold)
    (gc.enable if enabled else gc.disable)()


def test_text_reader_is_acyclic(collector_state: None) -> None:
    """A batch freezes a text dump's document without a pass first: the
    reader must leave no garbage cycles behind, or they would never be freed."""
    assert "text" in ACYCLIC_READERS
    gc.collect()
    gc.disable()
    documents = [load_document(path) for path in SAMPLES]
    assert all(d.kind == "text" for d in documents) and documents
    assert gc.collect() == 0


def test_pdf_reader_is_not_acyclic(collector_state: None) -> None:
    """The other side of the claim: a PDF read does leave cycles, so it is not
    in ACYCLIC_READERS and the batch collects before freezing it."""
    pdf = sorted((ROOT / "eval" / "corpus" / "pdf").glob("*.pdf"))[0]
    gc.collect()
    gc.disable()
    document = load_document(pdf)
    assert document.kind not in ACYCLIC_READERS
    assert gc.collect() > 0


def test_collector_paused_restores_state(collector_state: None) -> None:
    gc.enable()
    with pytest.raises(RuntimeError), heap.collector_paused():
        assert not gc.isenabled()
        raise RuntimeError("inside")
    assert gc.isenabled()
    gc.disable()
    with heap.collector_paused():
        pass
    assert not gc.isenabled()  # a caller's own pause is kept


def test_settle_frees_garbage_then_freezes(collector_state: None) -> None:
    class Node:
        def __init__(self) -> None:
            self.other: Node | None = None

    gc.collect()
    a, b = Node(), Node()
    a.other, b.other = b, a  # a cycle that becomes garbage
    del a, b
    kept = [Node() for _ in range(100)]
    frozen_before = gc.get_freeze_count()
    heap.settle()
    assert not any(isinstance(o, Node) and o not in kept for o in gc.get_objects())
    assert gc.get_freeze_count() >= frozen_before + len(kept)


def test_for_batch_sets_full_pass_threshold(collector_state: None) -> None:
    young, middle, _ = gc.get_threshold()
    heap.for_batch()
    assert gc.get_threshold() == (young, middle, heap.FULL_PASS_AFTER)


def test_batch_output_does_not_depend_on_the_collector(tmp_path: Path, collector_state: None) -> None:
    """The same bytes with the collector as the batch sets it and with it off."""
    outs = []
    for label, before in (("tuned", lambda: None), ("off", gc.disable)):
        before()
        out = tmp_path / f"{label}.jsonl"
        result = CliRunner().invoke(app, ["extract", *map(str, SAMPLES), "-o", str(out), "--workers", "1"])
        assert result.exit_code in (0, 1), result.output
        outs.append(out.read_bytes())
    assert outs[0] == outs[1] and outs[0]
