"""One batch through ``open_executor`` and ``run_batch``, for the tests of worker pools."""

from __future__ import annotations

from pathlib import Path

from crossfoot.cli.batch import BatchResult, run_batch
from crossfoot.cli.output import JsonlSink
from crossfoot.cli.workers import open_executor
from crossfoot.extract.base import Extractor
from crossfoot.settings import Settings


def pooled_batch(
    inputs: list[Path],
    extractor: Extractor,
    settings: Settings,
    out: Path,
    workers: int,
    address: str | None = None,
    *,
    small_batch_here: bool = False,
) -> BatchResult:
    """The batch on ``workers`` processes (or a Dask ``address``). By default
    the pool starts however small the batch: the pool itself is under test."""
    with open_executor(workers, address) as (executor, window):
        return run_batch(
            inputs,
            extractor,
            settings,
            JsonlSink(out),
            show_progress=False,
            executor=executor,
            window=window,
            small_batch_here=small_batch_here,
        )
