"""Throughput and peak memory of `crossfoot extract` at 1x, 10x and 100x the
input, on 1 and N workers, against the raw library on the same pages
(issue 12, item 6: the text and PDF parts; the scan kind is measured apart).

    PYTHONPATH=src python benchmarks/bench_scale.py --kind text
    PYTHONPATH=src python benchmarks/bench_scale.py --kind text --one-file --scales 50 500
    PYTHONPATH=src python benchmarks/bench_scale.py --kind pdf --scales 1 10 --workers 1 2

1x is, for ``text``, the forms of samples/ (22 forms in 3 files) and, for
``pdf``, the text-layer PDFs of eval/corpus/pdf (22 files, 28 pages); Nx is N
copies of them (hard links, so every copy is its own input). ``--one-file``
(text) writes the Nx forms into one file instead: memory must stay linear in
the forms of one document.

Each run is ``crossfoot extract DIR -o OUT --workers W --no-resume`` in a
child process. Printed per run: units (forms or pages), CPU seconds of the
child and the workers it waited for (user + system, from wait4: on a shared
machine wall time measures the neighbours), units per CPU second, wall
seconds and units per wall second (what workers buy), and peak RSS of the
largest single process (crossfoot's CPU includes its start-up, about half a
second: compare ratios at 10x and up). The raw baseline runs in a child too,
on the same files, and counts the CPU of its work alone: for ``text`` a
plain read, decode and split into tab-separated cells; for ``pdf``
pdfplumber's ``extract_tables`` on every page. ``ratio`` is crossfoot's CPU
time over the raw library's. Prints numbers; asserts nothing.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TEXT_SOURCES = sorted((ROOT / "samples").glob("*.txt"))
PDF_SOURCES = sorted((ROOT / "eval" / "corpus" / "pdf").glob("*.pdf"))


@dataclass
class Measurement:
    """One child process's run."""

    units: int  # forms (text) or pages (pdf)
    cpu: float  # user + system seconds, the child and what it waited for
    wall: float
    rss_mb: float  # peak RSS of the largest single process
    code: int

    def row(self, label: str, raw_cpu: float | None = None) -> str:
        ratio = f"{self.cpu / raw_cpu:>7.1f}x" if raw_cpu else f"{'':>8}"
        return (
            f"{label:<26} {self.units:>7} {self.cpu:>8.2f} {self.units / self.cpu:>9.1f} "
            f"{self.wall:>8.2f} {self.units / self.wall:>9.1f} {self.rss_mb:>8.0f} {ratio}  (exit {self.code})"
        )


HEADER = (
    f"{'run':<26} {'units':>7} {'CPU s':>8} {'units/CPUs':>9} {'wall s':>8} {'units/s':>9} {'RSS MB':>8} {'ratio':>8}"
)


def _child(argv: list[str], env: dict[str, str] | None = None) -> tuple[float, float, float, int]:
    """(CPU seconds, wall seconds, peak RSS MB, exit code) of one child."""
    started = time.perf_counter()
    child = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    _, status, usage = os.wait4(child.pid, 0)
    wall = time.perf_counter() - started
    return usage.ru_utime + usage.ru_stime, wall, usage.ru_maxrss / 1024, os.waitstatus_to_exitcode(status)


def _replicate(sources: list[Path], n: int, folder: Path) -> list[Path]:
    """``n`` copies of every source, each under its own name."""
    folder.mkdir(parents=True, exist_ok=True)
    out: list[Path] = []
    for copy in range(n):
        for source in sources:
            target = folder / f"{copy:04d}_{source.name}"
            try:
                os.link(source, target)
            except OSError:
                shutil.copyfile(source, target)
            out.append(target)
    return out


def _crossfoot(inputs: Path, out: Path, workers: int, units: int) -> Measurement:
    argv = [sys.executable, "-m", "crossfoot", "extract", str(inputs), "-o", str(out), "--no-resume"]
    cpu, wall, rss, code = _child([*argv, "--workers", str(workers)])
    return Measurement(units=units, cpu=cpu, wall=wall, rss_mb=rss, code=code)


def _raw(kind: str, inputs: Path, units: int, out: Path) -> Measurement:
    """The raw library in a child; its CPU is the work alone (the child
    reports it), not the interpreter's start-up."""
    _, wall, rss, code = _child([sys.executable, __file__, "--raw", kind, str(inputs), str(out)])
    cpu = float(out.read_text(encoding="utf-8")) if code == 0 else float("nan")
    return Measurement(units=units, cpu=cpu, wall=wall, rss_mb=rss, code=code)


def _forms_out(out: Path) -> int:
    return sum(1 for _ in out.open(encoding="utf-8")) if out.exists() else 0


# ---------------------------------------------------------------- raw libraries


def raw_text(folder: Path) -> int:
    """The ceiling: read, decode and split every dump into cells; lines seen."""
    lines = 0
    for path in sorted(folder.rglob("*.txt")):
        for line in path.read_bytes().decode("utf-8").splitlines():
            cells = [part.strip() for part in line.split("\t")]
            lines += bool(cells)
    return lines


def raw_pdf(folder: Path) -> int:
    """pdfplumber's own table extraction on every page; pages read."""
    import pdfplumber

    pages = 0
    for path in sorted(folder.rglob("*.pdf")):
        with pdfplumber.open(path) as pdf:
            for page in pdf.pages:
                page.extract_tables()
                pages += 1
    return pages


def _pdf_pages(paths: list[Path]) -> int:
    import pypdfium2 as pdfium  # type: ignore[import-untyped]

    total = 0
    for path in paths:
        document = pdfium.PdfDocument(str(path))
        total += len(document)
        document.close()
    return total


# ---------------------------------------------------------------- measurements


def measure_text(n: int, workers: list[int], *, one_file: bool = False) -> list[str]:
    """Rows for n times the text samples (as n copies, or as one file)."""
    rows: list[str] = []
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "in"
        if one_file:
            sys.path.insert(0, str(ROOT / "benchmarks"))
            from bench_big_file import build, form_texts

            texts = form_texts()
            folder.mkdir()
            build(folder / "big.txt", n * len(texts), texts)
        else:
            _replicate(TEXT_SOURCES, n, folder)
        raw = None
        for count in workers:
            out = Path(tmp) / f"w{count}.jsonl"
            run = _crossfoot(folder, out, count, units=0)
            run.units = _forms_out(out)
            if raw is None:
                raw = _raw("text", folder, units=run.units, out=Path(tmp) / "raw.txt")
                rows.append(raw.row(f"text {n}x raw read+split"))
            shape = "one file" if one_file else "files"
            rows.append(run.row(f"text {n}x {shape} w={count}", raw.cpu))
    return rows


def measure_pdf(n: int, workers: list[int]) -> list[str]:
    """Rows for n times the corpus's text-layer PDFs."""
    rows: list[str] = []
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "in"
        pages = _pdf_pages(_replicate(PDF_SOURCES, n, folder))
        raw = _raw("pdf", folder, units=pages, out=Path(tmp) / "raw.txt")
        rows.append(raw.row(f"pdf {n}x pdfplumber tables"))
        for count in workers:
            run = _crossfoot(folder, Path(tmp) / f"w{count}.jsonl", count, units=pages)
            rows.append(run.row(f"pdf {n}x w={count}", raw.cpu))
    return rows


def main() -> None:
    if len(sys.argv) == 5 and sys.argv[1] == "--raw":  # the raw baseline's child: CPU seconds of the work
        started = time.process_time()
        (raw_text if sys.argv[2] == "text" else raw_pdf)(Path(sys.argv[3]))
        Path(sys.argv[4]).write_text(f"{time.process_time() - started}", encoding="utf-8")
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kind", choices=["text", "pdf"], default="text")
    parser.add_argument("--scales", type=int, nargs="+", default=[1, 10, 100])
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--one-file", action="store_true", help="text: the Nx forms in one file")
    args = parser.parse_args()
    print(HEADER)
    for n in args.scales:
        rows = (
            measure_text(n, args.workers, one_file=args.one_file)
            if args.kind == "text"
            else measure_pdf(n, args.workers)
        )
        for row in rows:
            print(row, flush=True)


if __name__ == "__main__":
    main()
