"""Documents fanned out to worker processes (issue 12, item 4): the output is
the same bytes as a one-process run, on a local pool and on a Dask cluster."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from tests.cli.pooled import pooled_batch

from crossfoot.cli.settings import build_extractor, build_settings

ROOT = Path(__file__).resolve().parents[2]
ZOO = ROOT / "eval" / "zoo"


def batch_inputs(tmp_path: Path) -> list[Path]:
    """The samples, a few zoo templates in several formats, and one unreadable file."""
    folder = tmp_path / "in"
    shutil.copytree(ROOT / "samples", folder / "samples")
    for template in ("hubei", "shanghai", "sichuan_goal"):
        for path in sorted((ZOO / template).iterdir()):
            if path.suffix in {".txt", ".html", ".csv", ".xlsx"}:
                shutil.copy(path, folder / f"{template}_{path.name}")
    (folder / "broken.txt").write_bytes(b"\x00\x01\x02binary")
    return [folder]


def extract_to(out: Path, inputs: list[Path], workers: int, address: str | None = None) -> tuple[bytes, list[str]]:
    settings = build_settings(backend="rules")
    extractor = build_extractor("rules", settings)
    result = pooled_batch(inputs, extractor, settings, out, workers, address)
    assert result.complete
    return out.read_bytes(), result.failed_inputs


def test_local_pool_writes_the_same_bytes_in_input_order(tmp_path: Path) -> None:
    inputs = batch_inputs(tmp_path)
    alone, failed_alone = extract_to(tmp_path / "one.jsonl", inputs, 1)
    pooled, failed_pooled = extract_to(tmp_path / "two.jsonl", inputs, 2)
    assert alone.count(b"\n") > 20
    assert pooled == alone
    # a worker's InputError comes back and is reported like a local one
    assert failed_pooled == failed_alone and failed_alone[0].endswith("broken.txt")


def test_dask_local_cluster_writes_the_same_bytes(tmp_path: Path) -> None:
    distributed = pytest.importorskip("distributed")
    inputs = batch_inputs(tmp_path)
    alone, _ = extract_to(tmp_path / "one.jsonl", inputs, 1)
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        address = "dask://" + cluster.scheduler_address.removeprefix("tcp://")
        on_dask, failed = extract_to(tmp_path / "dask.jsonl", inputs, 1, address)
    assert on_dask == alone
    assert failed[0].endswith("broken.txt")


def test_bad_worker_options_are_one_line_errors(tmp_path: Path) -> None:
    sample = ROOT / "samples" / "000_1c7597119af05248.txt"
    for option, said in ((["--workers", "-1"], "--workers -1"), (["--executor", "tcp://127.0.0.1:1"], "dask://")):
        done = subprocess.run(
            [sys.executable, "-m", "crossfoot", "extract", str(sample), "-o", str(tmp_path / "o.jsonl"), *option],
            capture_output=True,
            text=True,
            check=False,
        )
        assert done.returncode == 2
        assert said in done.stderr and len(done.stderr.strip().splitlines()) == 1
        assert not list(tmp_path.glob("o.jsonl*"))
