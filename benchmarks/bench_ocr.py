"""Scan OCR cost per page: crossfoot's page pipeline against one raw RapidOCR call.

    PYTHONPATH=src python benchmarks/bench_ocr.py [--pages 6] [--workers 1 2]

(issue 12's figures: ``--pages 12 --workers``, six pages of each renderer,
in this process only)

One part reads each page in this process (one worker): CPU seconds (all threads
of the process, user and system) and wall seconds per page for ``ocr_page`` (deskew, rulings,
detection, recognition, re-reads, placement) and for one whole-page call of
the raw library with the same one-thread sessions, and their ratio. The other
runs ``crossfoot extract --workers N`` over a folder of the same pages, once
per N: wall seconds per page, the children's CPU seconds per page and their
peak memory. Pages alternate between the corpus's two renderers
(eval/corpus/scan and scan_b). Prints numbers; asserts nothing. On a shared
machine trust the CPU columns: wall time follows the other load.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from crossfoot.ingest.ocr import engine_for, ocr_page  # noqa: E402
from crossfoot.settings import Settings  # noqa: E402

CORPUS = ROOT / "eval" / "corpus"
IMAGE_SUFFIXES = {".jpg", ".png"}


def _pages(count: int) -> list[Path]:
    """``count`` single-page images, alternating between the two renderers."""
    kinds = [sorted(p for p in (CORPUS / kind).iterdir() if p.suffix in IMAGE_SUFFIXES) for kind in ("scan", "scan_b")]
    mixed = [p for pair in zip(*kinds, strict=False) for p in pair]
    return mixed[:count]


def _grey(path: Path) -> object:
    import numpy as np
    from PIL import Image

    with Image.open(path) as image:
        return np.asarray(image.convert("L"))


def _timed(work: object) -> tuple[float, float]:
    """CPU and wall seconds of one call."""
    cpu, wall = time.process_time(), time.perf_counter()
    work()  # type: ignore[operator]
    return time.process_time() - cpu, time.perf_counter() - wall


def _max_rss_mib(who: int) -> float:
    # Linux reports kilobytes
    return resource.getrusage(who).ru_maxrss / 1024


def in_process(pages: list[Path]) -> None:
    import cv2
    from rapidocr_onnxruntime import RapidOCR  # type: ignore[import-untyped]

    settings = Settings(workers=1)
    load_cpu, _ = _timed(lambda: engine_for(settings))
    raw = RapidOCR(intra_op_num_threads=1, inter_op_num_threads=1)
    print(f"model load {load_cpu:.2f} s CPU (once per process)")
    print(f"{'page':<48} {'cpu s':>7} {'wall s':>7} {'raw cpu':>8} {'ratio':>6}")
    ours: list[float] = []
    walls: list[float] = []
    theirs: list[float] = []
    by_renderer: dict[str, list[float]] = {}
    for path in pages:
        image = _grey(path)
        colour = cv2.cvtColor(image, cv2.COLOR_GRAY2BGR)
        cpu, wall = _timed(lambda image=image: ocr_page(image, settings))
        raw_cpu, _ = _timed(lambda colour=colour: raw(colour))
        ours.append(cpu)
        walls.append(wall)
        theirs.append(raw_cpu)
        by_renderer.setdefault(path.parent.name, []).append(cpu)
        name = f"{path.parent.name}/{path.name}"
        print(f"{name:<48} {cpu:>7.2f} {wall:>7.2f} {raw_cpu:>8.2f} {cpu / raw_cpu:>6.2f}")
    print(
        f"one worker: {statistics.mean(ours):.2f} s CPU/page (median {statistics.median(ours):.2f}), "
        f"{statistics.mean(walls):.2f} s wall/page; one raw RapidOCR call {statistics.mean(theirs):.2f} s CPU/page; "
        f"ratio {sum(ours) / sum(theirs):.2f}; peak memory {_max_rss_mib(resource.RUSAGE_SELF):.0f} MiB"
    )
    for renderer, cpus in by_renderer.items():
        print(f"  {renderer}: {statistics.mean(cpus):.2f} s CPU/page over {len(cpus)} pages")


def with_workers(pages: list[Path], workers: list[int]) -> None:
    """``crossfoot extract --workers N`` over a folder of the pages."""
    crossfoot = shutil.which("crossfoot") or str(Path(sys.executable).parent / "crossfoot")
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "scans"
        folder.mkdir()
        for n, path in enumerate(pages):
            shutil.copy(path, folder / f"{n:03d}_{path.parent.name}_{path.name}")
        for count in workers:
            out = Path(tmp) / f"out{count}.jsonl"
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            started = time.perf_counter()
            done = subprocess.run(
                [crossfoot, "extract", str(folder), "-o", str(out), "--workers", str(count), "--no-resume"],
                env=env,
                capture_output=True,
                text=True,
                check=False,
            )
            wall = time.perf_counter() - started
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
            status = "" if done.returncode == 0 else f"  (exit {done.returncode}: {done.stderr.strip()[-200:]})"
            print(
                f"extract --workers {count}: {wall / len(pages):.2f} s wall/page, {cpu / len(pages):.2f} s CPU/page "
                f"(model loads included), {len(pages) / wall:.3f} pages/s; "
                f"peak memory of the largest process so far {_max_rss_mib(resource.RUSAGE_CHILDREN):.0f} MiB{status}"
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pages", type=int, default=6, help="pages, alternating renderers")
    parser.add_argument("--workers", type=int, nargs="*", default=[1, 2], help="extract runs (empty: skip)")
    args = parser.parse_args()
    pages = _pages(args.pages)
    print(f"cpu count {os.cpu_count()}, load average {os.getloadavg()[0]:.2f}, {len(pages)} pages")
    # the extract runs go first: a child's peak memory (ru_maxrss) starts
    # from its parent's at fork, and this process is small until it loads
    # the models itself
    if args.workers:
        with_workers(pages, args.workers)
    in_process(pages)


if __name__ == "__main__":
    main()
