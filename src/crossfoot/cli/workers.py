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
from collections.abc import Callable, Iterator
from concurrent.futures import Executor, Future, ProcessPoolExecutor
from contextlib import contextmanager
from typing import Any, ParamSpec, TypeVar

from crossfoot import heap
from crossfoot.errors import ConfigError, CrossfootError

__all__ = ["LocalPool", "WorkerCrashError", "open_executor", "worker_count"]

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
