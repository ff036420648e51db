"""A worker process killed mid-document (issue 12, item 4): the document runs
again in a new pool and the output is the same bytes as a clean run, nothing
lost or duplicated; a document that kills every worker it runs in is named
and given up (exit 4) while the rest of the batch is written."""

from __future__ import annotations

import json
import multiprocessing
import os
import shutil
import signal
from pathlib import Path

from tests.cli.pooled import pooled_batch
from tests.conftest import SAMPLES

from crossfoot.cli.app import ExitCode
from crossfoot.cli.batch import BatchResult
from crossfoot.cli.settings import build_extractor, build_settings
from crossfoot.extract.base import ExtractionResult, Extractor
from crossfoot.segment import FormSlice


class KillingExtractor:
    """The rules backend, except that in a worker process (never in the test's
    own) it SIGKILLs itself on the forms of files named ``*poison*`` — every
    time, or with ``once`` only the first time (a marker file says it happened)."""

    def __init__(self, inner: Extractor, once: Path | None = None) -> None:
        self.inner = inner
        self.name = inner.name
        self.once = once

    def extract(self, form: FormSlice, siblings: list[FormSlice]) -> ExtractionResult:
        if multiprocessing.parent_process() is not None and "poison" in Path(form.document.path).name:
            first = True
            if self.once is not None:
                try:
                    os.close(os.open(self.once, os.O_CREAT | os.O_EXCL))
                except FileExistsError:
                    first = False
            if first:
                os.kill(os.getpid(), signal.SIGKILL)
        return self.inner.extract(form, siblings)


def inputs(tmp_path: Path) -> Path:
    folder = tmp_path / "in"
    folder.mkdir()
    samples = sorted(SAMPLES.glob("*.txt"))
    for n in range(4):
        for sample in samples:
            shutil.copy(sample, folder / f"{n}_{sample.name}")
    shutil.copy(samples[0], folder / "2_poison.txt")  # in the middle of the batch
    (folder / "2_zz_broken.txt").write_bytes(b"\x00\x01\x02binary")  # a worker's InputError, after it
    return folder


def batch(out: Path, folder: Path, workers: int, once: Path | None = None) -> BatchResult:
    settings = build_settings(backend="rules")
    extractor = KillingExtractor(build_extractor("rules", settings), once)
    return pooled_batch([folder], extractor, settings, out, workers)


def test_a_killed_worker_loses_and_duplicates_nothing(tmp_path: Path) -> None:
    folder = inputs(tmp_path)
    marker = tmp_path / "killed-once"
    clean = batch(tmp_path / "clean.jsonl", folder, 1)  # in-process: nothing is killed
    killed = batch(tmp_path / "killed.jsonl", folder, 2, once=marker)
    assert marker.exists(), "a worker was killed"
    assert killed.complete and killed.exit_code() == clean.exit_code()
    assert (tmp_path / "killed.jsonl").read_bytes() == (tmp_path / "clean.jsonl").read_bytes()


def test_a_document_that_kills_every_worker_is_named_and_skipped(tmp_path: Path) -> None:
    folder = inputs(tmp_path)
    clean = batch(tmp_path / "clean.jsonl", folder, 1)
    killed = batch(tmp_path / "killed.jsonl", folder, 2)
    poison = str(folder / "2_poison.txt")
    assert killed.crashed_inputs == [poison]
    assert killed.exit_code() == ExitCode.INTERNAL
    assert clean.exit_code() != ExitCode.INTERNAL

    def lines(out: Path) -> list[str]:
        return out.read_text(encoding="utf-8").splitlines()

    expected = [line for line in lines(tmp_path / "clean.jsonl") if json.loads(line)["source"]["path"] != poison]
    assert lines(tmp_path / "killed.jsonl") == expected
