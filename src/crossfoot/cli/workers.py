"""Where a batch's documents are read and extracted: here, a local process
pool (``--workers N``) or a Dask cluster (``--executor dask://HOST:PORT``).

Both are ``concurrent.futures`` executors, so the batch loop has one code
path; the coordinator (this process) still writes every line, in input order.
"""

from __future__ import annotations

import contextlib
import ctypes
import multiprocessing
import os
import signal
import sys
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Executor, Future, ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ParamSpec, TypeVar

from crossfoot import heap
from crossfoot.errors import ConfigError, CrossfootError

__all__ = ["POOL_START_S", "LocalPool", "PoolChoice", "WorkerCrashError", "estimate_s", "open_executor", "worker_count"]

P = ParamSpec("P")
T = TypeVar("T")


def worker_count(workers: int, backend: str) -> int:
    """``0`` means the machine's cores for the offline rules backend; the LLM
    backends stay in one process, where their budget and counters live."""
    if workers < 0:
        raise ConfigError(f"--workers {workers}: give a number of processes (0: one per core)")
    if workers == 0:
        return (os.cpu_count() or 1) if backend == "rules" else 1
    return workers


def _die_with_parent(parent: int) -> None:
    """Ask Linux to kill this worker when the process that started it dies;
    if it died while this worker was starting, leave now."""
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError, AttributeError):
            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    if os.getppid() != parent:
        os._exit(1)


def _start_worker(parent: int) -> None:
    """A pool worker's start: it dies with ``parent``, and its heap is
    managed as the batch's own (crossfoot.heap): the pool is crossfoot's."""
    _die_with_parent(parent)
    heap.manage()


class WorkerCrashError(CrossfootError):
    """A document killed every worker process it ran in: a bug in crossfoot."""

    exit_code = 4


class LocalPool(Executor):
    """A local process pool that can be built again after a worker died.

    Spawned, not forked: a forked worker would inherit the output's flock and
    hold it after a killed run, so the resume would be refused as a second
    writer. Each worker dies with this process (a kill leaves no idle pool).
    """

    def __init__(self, workers: int) -> None:
        self.workers = workers
        self._pool = self._new(workers)
        self._alone: ProcessPoolExecutor | None = None

    def _new(self, workers: int) -> ProcessPoolExecutor:
        return ProcessPoolExecutor(
            max_workers=workers,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=_start_worker,
            initargs=(os.getpid(),),
        )

    def submit(self, fn: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> Future[T]:
        return self._owned(self._pool, self._pool.submit(fn, *args, **kwargs))

    @staticmethod
    def _owned(pool: ProcessPoolExecutor, future: Future[T]) -> Future[T]:
        future.crossfoot_pool = pool  # type: ignore[attr-defined]  # which pool runs it (lost_worker)
        return future

    def submit_alone(self, fn: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> Future[T]:
        """Run ``fn`` in a pool of one worker of its own: if that worker dies,
        this task is what it was running (a document suspected of killing one)."""
        if self._alone is None:
            self._alone = self._new(1)
        return self._owned(self._alone, self._alone.submit(fn, *args, **kwargs))

    def _pools(self) -> list[ProcessPoolExecutor]:
        return [self._pool] if self._alone is None else [self._pool, self._alone]

    def lost_worker(self, future: Future[Any]) -> bool:
        """Whether the pool running ``future`` lost a worker or was ended. The
        pool notices a death itself, except when the dead worker held its
        queue's lock: then its siblings wait on it for ever and nothing
        fails, so the batch asks."""
        pool = getattr(future, "crossfoot_pool", None)
        if pool is None or not any(pool is current for current in self._pools()):
            return pool is not None and not future.done()  # its pool was ended: it never will be
        return self._lost_any(pool)

    @staticmethod
    def _stop(pool: ProcessPoolExecutor) -> None:
        """End a broken pool: its live workers may be stuck on a dead one's lock."""
        for process in list((getattr(pool, "_processes", None) or {}).values()):
            with contextlib.suppress(OSError, ValueError):
                process.kill()
        # A worker killed while writing its result leaves half a message in the
        # result pipe, and the pool's manager thread blocks for ever reading the
        # rest (this process holds the pipe's write end too, so no end-of-file
        # comes): the interpreter then hangs at exit, joining that thread.
        # Closing our end gives the reader its end-of-file once the killed
        # workers are gone; the thread sees a broken pool and ends.
        with contextlib.suppress(AttributeError, OSError):
            pool._result_queue._writer.close()  # type: ignore[attr-defined]
        pool.shutdown(wait=False, cancel_futures=True)

    @staticmethod
    def _lost_any(pool: ProcessPoolExecutor) -> bool:
        # _processes is private, but the only view of a pool's workers
        return any(process.exitcode is not None for process in list((getattr(pool, "_processes", None) or {}).values()))

    def rebuild(self) -> None:
        """A worker died (BrokenProcessPool): every pending future of this pool
        failed with it; start a fresh pool for them to be submitted to again."""
        self._stop(self._pool)
        self._pool = self._new(self.workers)

    def rebuild_alone(self) -> None:
        """The lone worker died: the next suspect gets a new one."""
        if self._alone is not None:
            self._stop(self._alone)
        self._alone = None

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        for pool in self._pools():
            if self._lost_any(pool):  # a worker died after the last document: end it as broken
                self._stop(pool)
            else:
                pool.shutdown(wait=wait, cancel_futures=cancel_futures)


@dataclass(frozen=True)
class Cost:
    """What one kind of input costs to read here, fitted on this project's zoo,
    samples and corpus (CPU seconds of ``read_and_extract`` per document,
    against its size; the note of issue 12 item 4)."""

    per_kb: float  # CPU seconds per KB of input
    #: extra CPU per second of that work when a worker does it: its result
    #: pickled there and unpickled here, a cold process, the writer's share
    overhead: float


#: Every document's fixed part (segmenting, checks, envelopes): 3.6 ms, fitted
#: on the zoo's 39 text dumps (3 KB each) against the samples (17 KB each).
PER_DOCUMENT_S = 0.0036
#: A worker's start-up: a spawned interpreter importing crossfoot and, for
#: PDFs, pdfplumber (0.45-0.55 CPU s measured; the workers start side by side).
POOL_START_S = 0.5
#: A pool must save this many times its start-up: the estimates are rough and a
#: busy machine starts processes slower. At 1 the corpus's 22 PDFs would start
#: one, for a wall time measured no better than one process's (1.6 s idle-machine
#: estimate against 1.7-1.9; under load 2.6-4.0 against 1.9-2.2).
PAYBACK = 2.0
#: Documents read here that cost this many times their estimate are of another
#: kind than they looked (a PDF that is a scan costs ten times): the rest are
#: weighed at that rate. Below it the estimate stands: a busy machine's CPU
#: seconds run 1.2-1.5x long, and a batch's first document pays its imports.
MISESTIMATE = 3.0
#: how much work the first estimate is trusted for, against what documents cost
RATE_PRIOR_S = 0.3
#: Text dumps make many forms from little parsing. At 100x the samples (300
#: files, 2,200 forms, 3.5-4.2 CPU s in one process) 2 workers spent 5.5-6.0
#: CPU s and the writer 0.7: overhead about half the work (it was the whole
#: work while Envelopes were pickled back), so on 2 workers text pays only
#: by the thousands of forms.
_TEXT = Cost(per_kb=0.00037, overhead=0.5)
#: PDFs and office files make a few forms per document from dearer parsing: 88
#: text-layer PDFs took 5.9-6.5 CPU s in one process, 7.2-7.3 in two workers.
_PDF = Cost(per_kb=0.0012, overhead=0.2)
_CSV = Cost(per_kb=0.0007, overhead=0.5)
_GRID = Cost(per_kb=0.0003, overhead=0.2)  # .html/.docx/.xls: 0.24-0.31 ms/KB
_XLSX = Cost(per_kb=0.0023, overhead=0.2)
#: scans: 3.5-4.4 CPU s of OCR per page of 150-330 KB; the envelopes are nothing beside it
_SCAN = Cost(per_kb=0.015, overhead=0.05)
_COSTS = {
    **dict.fromkeys((".txt", ".tsv", ".md"), _TEXT),
    ".csv": _CSV,
    ".pdf": _PDF,
    **dict.fromkeys((".html", ".htm", ".docx", ".xls", ".et"), _GRID),
    **dict.fromkeys((".xlsx", ".xlsm"), _XLSX),
    **dict.fromkeys((".png", ".jpg", ".jpeg", ".tif", ".tiff"), _SCAN),
}


def estimate_s(path: Path) -> float:
    """The CPU seconds reading ``path`` here is estimated to take."""
    return _cost(path)[0]


def _cost(path: Path) -> tuple[float, float]:
    """(estimated in-process seconds, overhead) of one input, from its size and kind."""
    cost = _COSTS.get(path.suffix.lower(), _PDF)
    try:
        size = path.stat().st_size
    except OSError:
        return 0.0, 0.0  # it fails when read, here or in a worker: nothing to fan out
    return PER_DOCUMENT_S + size / 1024 * cost.per_kb, cost.overhead


class PoolChoice:
    """Whether starting a local pool of ``workers`` pays for the documents left.

    It pays when the time the workers save (each document's estimated work,
    less that work spread over them with its overhead) is PAYBACK times the
    pool's start-up: never for fewer than 2 documents (one worker would work
    while this process waits), and for text dumps on 2 workers only by the
    thousands of forms. A batch that starts without a pool is weighed again
    after every document, at the rate its documents actually cost (a PDF that
    turns out to be a scan costs ten times its estimate): a batch wrongly
    thought small starts its pool after one document.
    """

    def __init__(self, todo: Sequence[Path], workers: int, *, start_s: float = POOL_START_S) -> None:
        self.workers = workers
        self._start_s = start_s
        #: per document: (estimated seconds here, seconds a pool saves on it before its start-up)
        self._left = {path: self._weigh(path) for path in todo}
        self._saved = sum(saved for _, saved in self._left.values())  # over the documents left
        self._estimated = 0.0  # of the documents read here
        self._spent = 0.0  # the CPU seconds they took

    def _weigh(self, path: Path) -> tuple[float, float]:
        work, overhead = _cost(path)
        return work, work * (1 - (1 + overhead) / max(1, self.workers))

    def pays(self) -> bool:
        if self.workers < 2 or len(self._left) < 2:
            return False
        # as if RATE_PRIOR_S of work had already cost its estimate: one tiny or
        # broken file read first does not swing the rate
        rate = (self._spent + RATE_PRIOR_S) / (self._estimated + RATE_PRIOR_S)
        return self._saved * (rate if rate >= MISESTIMATE else 1.0) > PAYBACK * self._start_s

    def left(self) -> list[Path]:
        """The documents not read here yet, in input order."""
        return list(self._left)

    def spent(self, path: Path, seconds: float) -> None:
        """A document was read here in ``seconds`` of CPU: it is no longer left."""
        work, saved = self._left.pop(path, (0.0, 0.0))
        self._saved -= saved
        self._estimated += work
        self._spent += seconds


@contextmanager
def open_executor(workers: int, address: str | None) -> Iterator[tuple[Executor | None, int]]:
    """(executor or None for in-process, how many documents to keep in flight)."""
    if address:
        if not address.startswith("dask://"):
            raise ConfigError(f"--executor {address}: expected dask://HOST:PORT")
        try:
            from distributed import Client  # type: ignore[import-untyped,unused-ignore]
        except ImportError:
            raise ConfigError("--executor dask://… needs pip install 'crossfoot[dask]'") from None
        client = Client("tcp://" + address.removeprefix("dask://"))  # type: ignore[no-untyped-call]
        try:
            info = client.scheduler_info()  # type: ignore[no-untyped-call]
            slots = sum(w.get("nthreads", 1) for w in info.get("workers", {}).values())
            yield client.get_executor(), 2 * max(1, slots)  # type: ignore[no-untyped-call]
        finally:
            client.close()  # type: ignore[no-untyped-call]
        return
    if workers <= 1:
        yield None, 1
        return
    pool = LocalPool(workers)
    try:
        yield pool, 2 * workers
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
