"""A small batch is read in this process even with ``--workers 2`` (issue 12,
item 4): spawning a pool costs more than such a batch's work. Which process
read each form is observed through its PID, never through a timing."""

from __future__ import annotations

import os
from pathlib import Path

from tests.cli.pooled import pooled_batch
from tests.conftest import SAMPLES

from crossfoot.cli.batch import BatchResult
from crossfoot.cli.settings import build_extractor, build_settings
from crossfoot.cli.workers import PoolChoice, estimate_s
from crossfoot.extract.base import ExtractionResult, Extractor
from crossfoot.segment import FormSlice

PDFS = Path(__file__).resolve().parents[2] / "eval" / "corpus" / "pdf"


class PidExtractor:
    """The rules backend, noting in ``folder`` the PID of each process that reads a form."""

    def __init__(self, inner: Extractor, folder: Path) -> None:
        self.inner = inner
        self.name = inner.name
        self.folder = folder

    def extract(self, form: FormSlice, siblings: list[FormSlice]) -> ExtractionResult:
        (self.folder / str(os.getpid())).touch()
        return self.inner.extract(form, siblings)


def batch(tmp_path: Path, inputs: Path, workers: int, name: str) -> tuple[BatchResult, bytes, set[int]]:
    """(result, output bytes, PIDs that read forms) of a batch with the default choice."""
    pids = tmp_path / f"pids-{name}"
    pids.mkdir()
    settings = build_settings(backend="rules")
    extractor = PidExtractor(build_extractor("rules", settings), pids)
    out = tmp_path / f"{name}.jsonl"
    result = pooled_batch([inputs], extractor, settings, out, workers, small_batch_here=True)
    return result, out.read_bytes(), {int(p.name) for p in pids.iterdir()}


def copies(sources: list[Path], folder: Path, n: int = 1) -> Path:
    folder.mkdir()
    for copy in range(n):
        for source in sources:
            os.link(source, folder / f"{copy:03d}_{source.name}")
    return folder


def test_a_small_batch_with_two_workers_starts_no_pool(tmp_path: Path) -> None:
    samples = copies(sorted(SAMPLES.glob("*.txt")), tmp_path / "in")
    alone, alone_bytes, _ = batch(tmp_path, samples, 1, "one")
    two, two_bytes, pids = batch(tmp_path, samples, 2, "two")
    assert pids == {os.getpid()}, "every form was read in this process"
    assert two.processes == "1 process: small batch"
    assert two_bytes == alone_bytes and two_bytes.count(b"\n") == alone.forms > 0


def test_a_batch_worth_a_pool_starts_one(tmp_path: Path) -> None:
    pdfs = copies(sorted(PDFS.glob("*.pdf")), tmp_path / "in", n=2)  # 44 text-layer PDFs, 2.6 MB
    alone, alone_bytes, _ = batch(tmp_path, pdfs, 1, "one")
    two, two_bytes, pids = batch(tmp_path, pdfs, 2, "two")
    assert os.getpid() not in pids and len(pids) >= 1, "the forms were read in worker processes"
    assert two.processes == "2 processes"
    assert two_bytes == alone_bytes and alone.forms > 40


def test_text_dumps_pay_for_two_workers_only_by_the_thousands_of_forms(tmp_path: Path) -> None:
    # measured: a worker spends about half as much again on a text dump's forms
    # as the work itself, so 2 workers pay off late and 4 much sooner
    many = copies(sorted(SAMPLES.glob("*.txt")), tmp_path / "in", n=300)
    paths = sorted(many.iterdir())
    hundred = [p for p in paths if int(p.name[:3]) < 100]  # 2,200 forms
    assert not PoolChoice(hundred, 2).pays()
    assert PoolChoice(paths, 2).pays()  # 6,600 forms
    assert PoolChoice(hundred, 4).pays()
    assert not PoolChoice(paths[:3], 4).pays()  # the samples once: too little work for any pool


def test_a_batch_dearer_than_it_looked_starts_its_pool_after_one_document(tmp_path: Path) -> None:
    pdfs = sorted(PDFS.glob("*.pdf"))[:6]
    choice = PoolChoice(pdfs, 2)
    assert not choice.pays()  # six text-layer PDFs: a pool would not pay
    choice.spent(pdfs[0], 4.0)  # but the first took as long as a scanned page
    assert choice.pays() and choice.left() == pdfs[1:]
    for pdf in pdfs[1:5]:
        choice.spent(pdf, 4.0)
    assert not choice.pays()  # one document left: nothing to fan out


def test_a_busy_machine_does_not_start_a_pool_mid_batch(tmp_path: Path) -> None:
    many = copies(sorted(SAMPLES.glob("*.txt")), tmp_path / "in", n=100)
    paths = sorted(many.iterdir())
    choice = PoolChoice(paths, 2)
    for path in paths[:30]:  # each took 1.5x its estimate's CPU (another job on the cores, a first import)
        choice.spent(path, 1.5 * estimate_s(path))
        assert not choice.pays()
