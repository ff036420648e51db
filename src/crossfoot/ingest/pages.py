"""Pages in parallel, and pages of rows -> one Document.

PDF and image readers work page by page; this module runs a page function
over the pages on ``settings.workers`` processes and numbers the rebuilt rows
into the Document every later stage reads.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from functools import partial
from typing import TypeVar

from crossfoot.errors import CrossfootError, EmptyInputError
from crossfoot.ingest.document import Cell, Document, Line
from crossfoot.ingest.layout import Row
from crossfoot.model import InputKind

__all__ = ["PageResult", "assemble", "map_pages", "threads_per_worker"]

Job = TypeVar("Job")
Result = TypeVar("Result")


@dataclass
class PageResult:
    """One page, read: its rows, how it was read, what was noticed."""

    number: int
    rows: list[Row]
    method: str  # "text" (a text layer) or the OCR engine's name
    notes: list[str] = field(default_factory=list)
    seconds: float = 0.0


def threads_per_worker(workers: int, jobs: int) -> int:
    """Cores per page worker for the OCR runtime: the machine's cores shared
    out when several page workers run side by side. 0 for a lone worker: the
    engine's own choice, which for RapidOCR and OpenCV is one thread
    (``max(1, threads)``): every core cost 1.58x the CPU for 1.13x the speed."""
    workers = min(workers, jobs)
    if workers <= 1:
        return 0
    return max(1, (os.cpu_count() or 1) // workers)


@dataclass
class _Failure:
    """A CrossfootError raised in a worker, carried back whole: pickling an
    exception keeps only its message, and the caller wants file and page."""

    kind: type[CrossfootError]
    message: str
    path: str | None
    page: int | None
    line: int | None

    def error(self) -> CrossfootError:
        return self.kind(self.message, path=self.path, page=self.page, line=self.line)


def _guarded(func: Callable[[Job], Result], job: Job) -> Result | _Failure:
    try:
        return func(job)
    except CrossfootError as exc:
        return _Failure(type(exc), exc.message, exc.path, exc.page, exc.line)


def map_pages(
    func: Callable[[Job], Result],
    jobs: Sequence[Job],
    workers: int,
    progress: Callable[[int, int], None] | None = None,
) -> list[Result]:
    """``func`` over ``jobs`` in order, on up to ``workers`` processes.

    Processes are started with *spawn*: a forked child would inherit the
    parent's ONNX Runtime and BLAS thread pools, which can deadlock. One job
    or one worker runs in this process, with no start-up cost. The first
    error a job raises is raised here, with its file and page.
    """
    results: list[Result] = []
    if workers <= 1 or len(jobs) <= 1:
        for done, job in enumerate(jobs, start=1):
            results.append(func(job))
            if progress:
                progress(done, len(jobs))
        return results
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=min(workers, len(jobs)), mp_context=context) as pool:
        for done, result in enumerate(pool.map(partial(_guarded, func), jobs), start=1):
            if isinstance(result, _Failure):
                raise result.error()
            results.append(result)
            if progress:
                progress(done, len(jobs))
    return results


def assemble(*, path: str, sha256: str, kind: InputKind, pages: list[PageResult], notes: list[str]) -> Document:
    """Number every row 1..N across pages, one blank line between pages
    (a page break, as text dumps show it).

    A page with no text (a blank separator sheet) is skipped with a note;
    when no page has any, the document is unusable: EmptyInputError naming
    the first page.
    """
    empty = [p.number for p in pages if not p.rows]
    if pages and len(empty) == len(pages):
        what = "the page" if len(pages) == 1 else f"any of its {len(pages)} pages"
        raise EmptyInputError(f"no text on {what} (blank, or too faint for OCR)", path=path, page=empty[0])
    lines: list[Line] = []
    for index, page in enumerate(pages):
        if not page.rows:
            page.notes.append("no text on this page (blank?); skipped")
        if index and lines and not lines[-1].is_blank:
            lines.append(Line(number=len(lines) + 1, cells=[Cell(column=0, text="")]))
        for row in page.rows:
            for cell in row.cells:
                if cell.address is not None and not cell.address.startswith("page "):
                    cell.address = f"page {page.number} {cell.address}"  # "page 2 r5c3"
            lines.append(Line(number=len(lines) + 1, cells=row.cells, page=page.number))
    all_notes = list(notes)
    for page in pages:
        all_notes.extend(f"page {page.number}: {note}" for note in page.notes)
    return Document(path=path, sha256=sha256, kind=kind, encoding=None, lines=lines, notes=all_notes)
