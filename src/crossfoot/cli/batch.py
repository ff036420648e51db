"""The batch loop shared by `extract` and `run`: progress, resume, errors.

Envelopes stream out as they are made: the batch keeps counts, never the
envelopes themselves, so memory does not grow with the batch. The counts
start from what a resumed partial already holds, so the exit code and the
summary describe the whole output file.
"""

from __future__ import annotations

import time
import urllib.request
from collections import Counter, deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Executor, Future
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from crossfoot import heap
from crossfoot.cli.app import ExitCode, err_console, fail_line
from crossfoot.cli.output import JsonlSink, LineStats, Resumed, envelope_line, readable_sha256
from crossfoot.cli.workers import LocalPool, PoolChoice, WorkerCrashError
from crossfoot.errors import CrossfootError, LLMUnavailableError
from crossfoot.extract.base import Extractor
from crossfoot.ingest import ACYCLIC_READERS, Document, load_document
from crossfoot.model import Envelope
from crossfoot.pipeline import expand_inputs, iter_envelopes
from crossfoot.settings import Settings

__all__ = ["MAX_ALONE_CRASHES", "BatchResult", "Claims", "run_batch"]

#: a document that kills a worker this many times while running alone is given up
MAX_ALONE_CRASHES = 3
#: how often a wait for a worker's result checks that the pool's workers are alive
WATCH_S = 1.0


class Claims(Protocol):
    """Where a batch in work-queue mode gets its documents (``run --work-queue``)."""

    def adopt(self, paths: list[Path]) -> None:
        """Documents this output already holds (a resumed partial): done here."""

    def claimed(self, todo: list[Path]) -> Iterator[Path]:
        """The documents of ``todo`` this process gets, one claim at a time."""
        ...

    def done(self, path: Path) -> None:
        """The document is stored and its lines are written."""


@dataclass
class BatchResult:
    """What a batch did, for the summary and the exit code."""

    files: int = 0
    skipped_forms: int = 0  # forms resumed from an interrupted run's partial
    failed_inputs: list[str] = field(default_factory=list)
    stats: LineStats = field(default_factory=LineStats)
    seconds: float = 0.0
    llm_unavailable: bool = False
    complete: bool = False  # ran to the end: the output file is whole
    crashed_inputs: list[str] = field(default_factory=list)  # killed every worker they ran in
    processes: str = "1 process"  # where documents were read, as the progress bar says it

    @property
    def forms(self) -> int:
        return self.stats.forms

    @property
    def failed_forms(self) -> int:
        return self.stats.failed_forms

    @property
    def forms_with_errors(self) -> int:
        return self.stats.forms_with_errors

    @property
    def findings(self) -> Counter[tuple[str, str]]:
        return self.stats.findings

    @property
    def unrecognized(self) -> int:
        """Forms whose layout neither reader recognised (layout_unrecognized)."""
        return sum(n for (code, _), n in self.stats.findings.items() if code == "layout_unrecognized")

    def unrecognized_line(self) -> str | None:
        if not self.unrecognized:
            return None
        return (
            f"{self.unrecognized} forms' layout was not recognised (layout_unrecognized): they need "
            "review; --backend hybrid sends them to the LLM"
        )

    def exit_code(self) -> ExitCode:
        if self.crashed_inputs:
            return ExitCode.INTERNAL
        if self.llm_unavailable:
            return ExitCode.LLM_UNAVAILABLE
        if self.failed_inputs or self.failed_forms:
            return ExitCode.BAD_INPUT
        if self.forms_with_errors:
            return ExitCode.FINDINGS
        return ExitCode.OK

    def add_line(self, facts: LineFacts) -> None:
        _, error, findings = facts
        if error:
            fail_line(error)  # the error names its file and form already
        self.stats.add(failed=bool(error), findings=findings)

    def add_resumed(self, resumed: Resumed) -> None:
        self.stats.merge(resumed.stats)
        self.skipped_forms += resumed.stats.forms


#: one output line as a worker sends it back: (the JSON line, its error, its
#: findings' (code, severity)) — what the writer needs, without the Envelope
LineFacts = tuple[str, str | None, list[tuple[str, str]]]


def _line_facts(envelope: Envelope) -> LineFacts:
    return envelope_line(envelope), envelope.error, [(f.code, f.severity.value) for f in envelope.findings]


@dataclass
class _Read:
    """One document read in a worker. Its lines come back already written as
    JSON: pickling pydantic Envelopes there and unpickling them here cost as
    much as reading a text dump, and making the JSON is work the workers
    share. The Document and Envelopes come back only when the store wants them."""

    lines: list[LineFacts]
    document: Document | None = None
    envelopes: list[Envelope] | None = None


def _track_llm_forms(extractor: Extractor, progress: Progress) -> None:
    """A second bar for forms answered by the LLM, when the backend has one."""
    hook = next((h for h in ("on_llm_form_done", "on_form_done") if hasattr(extractor, h)), None)
    if hook is None:
        return
    llm_task = progress.add_task("LLM forms", total=None)
    setattr(extractor, hook, lambda _form, _outcome: progress.advance(llm_task))


def _preflight(extractor: Extractor) -> None:
    """Raise LLMUnavailableError before any output is touched: no key, no
    extra, or an endpoint that does not accept a connection (not probed
    behind a proxy, which is what a probe would reach)."""
    check = getattr(extractor, "check_available", None)
    if callable(check):
        check(probe=not urllib.request.getproxies())


def _already_done(path: Path, resumed: Resumed, done_paths: set[str]) -> bool:
    resolved = str(path.resolve())
    return resolved in done_paths and (resolved, readable_sha256(path) or "") in resumed.documents


def run_batch(
    inputs: list[Path],
    extractor: Extractor,
    settings: Settings,
    sink: JsonlSink,
    *,
    show_progress: bool = True,
    on_document: Callable[[Document, list[Envelope]], None] | None = None,
    executor: Executor | None = None,
    window: int = 4,
    claims: Claims | None = None,
    small_batch_here: bool = True,
) -> BatchResult:
    """Process every input; a bad file is reported and the batch goes on.

    ``on_document`` sees each finished document before its lines are written,
    so whatever it stores is never behind the resumable JSONL. With an
    ``executor`` (a process pool, a Dask client's executor) documents are read
    and extracted there, up to ``window`` ahead, while this process writes
    them in input order: resume, the lock and the partial work as without.
    With ``claims`` (work-queue mode) this process reads only the documents it
    claims, in the order it claims them, itself (no executor). A local pool
    (``LocalPool``) is started only when it pays (``PoolChoice``): a small
    batch is read here, unless ``small_batch_here`` is False.
    Raises OutputError when the output cannot be written or another run holds it.
    """
    result = BatchResult()
    heap.manage()  # this process is the CLI's: it may keep the collector off the documents
    paths = list(expand_inputs(inputs))
    started = time.perf_counter()
    try:
        _preflight(extractor)
    except LLMUnavailableError as exc:
        fail_line(str(exc))
        result.llm_unavailable = True
        return result
    ahead = _Ahead(None, [], extractor, settings, keep=False, window=window)
    resumed = sink.open(paths)
    if sink.partial is not None and (resumed.documents or resumed.discarded):
        err_console.print(resumed.describe(sink.partial), highlight=False, soft_wrap=True)
    result.add_resumed(resumed)
    done_paths = {path for path, _ in resumed.documents}
    progress = Progress(
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("files"),
        TimeRemainingColumn(),
        console=err_console,
        disable=not show_progress,
        transient=False,
    )
    try:
        with progress:
            task = progress.add_task(f"{extractor.name}", total=None if claims else len(paths))
            _track_llm_forms(extractor, progress)
            todo = [p for p in paths if not (done_paths and _already_done(p, resumed, done_paths))]
            order: Iterable[Path] = paths
            if claims is not None:
                claims.adopt(sorted(set(paths) - set(todo)))
                order, executor = claims.claimed(todo), None
            choice = None
            if isinstance(executor, LocalPool) and small_batch_here:
                choice = PoolChoice(todo, executor.workers)
            elif len(todo) < 2:
                executor = None  # one document has nothing to fan out
            pool = None if choice is not None and not choice.pays() else executor
            result.processes = _processes(pool, choice)
            ahead = _Ahead(pool, todo, extractor, settings, keep=on_document is not None, window=window)
            for path in order:
                result.files += 1
                progress.update(task, description=f"{extractor.name} ({result.processes}) {path.name}")
                if not ahead.wanted(path):
                    progress.advance(task)
                    continue
                cpu = time.process_time()
                try:
                    if pool is None:
                        _one_document(path, extractor, settings, sink, result, on_document)
                    else:
                        _write_read(ahead.take(path), sink, result, on_document)
                except LLMUnavailableError as exc:
                    fail_line(str(exc))
                    result.llm_unavailable = True
                    break
                except WorkerCrashError as exc:
                    fail_line(str(exc))
                    result.crashed_inputs.append(str(path))
                except CrossfootError as exc:
                    fail_line(str(exc))
                    result.failed_inputs.append(str(path))
                except OSError as exc:
                    fail_line(f"{path}: {exc.strerror or exc}")
                    result.failed_inputs.append(str(path))
                if claims is not None:
                    claims.done(path)
                if pool is None and choice is not None:
                    choice.spent(path, time.process_time() - cpu)
                    if choice.pays():  # dearer than it looked (a scanned PDF): the rest fan out
                        pool = executor
                        result.processes = _processes(pool, choice)
                        left = choice.left()
                        ahead = _Ahead(pool, left, extractor, settings, keep=on_document is not None, window=window)
                progress.advance(task)
        result.complete = not result.llm_unavailable
    finally:
        ahead.cancel()
        sink.close(complete=result.complete)
        result.seconds = time.perf_counter() - started
    if not result.complete and sink.partial is not None:
        err_console.print(
            f"stopped before the end: the finished documents are in {sink.partial}; "
            "run the same command again to resume from it",
            highlight=False,
            soft_wrap=True,
        )
    return result


def _processes(pool: Executor | None, choice: PoolChoice | None) -> str:
    """Where the documents are read, for the progress bar and ``run``'s summary."""
    if pool is None:
        return "1 process: small batch" if choice is not None else "1 process"
    return f"{pool.workers} processes" if isinstance(pool, LocalPool) else "cluster"


def _one_document(
    path: Path,
    extractor: Extractor,
    settings: Settings,
    sink: JsonlSink,
    result: BatchResult,
    on_document: Callable[[Document, list[Envelope]], None] | None,
) -> None:
    """Read, extract and write one input; raises InputError / LLMUnavailableError."""
    document, envelopes = _read(path, extractor, settings)
    _write_document(document, envelopes, sink, result, on_document)


def _write_document(
    document: Document | None,
    envelopes: Iterator[Envelope],
    sink: JsonlSink,
    result: BatchResult,
    on_document: Callable[[Document, list[Envelope]], None] | None,
) -> None:
    """One document's lines, made durable; the store sees the whole document first."""
    if on_document is not None and document is not None:
        held = list(envelopes)
        on_document(document, held)
        envelopes = iter(held)
    _write_lines((_line_facts(envelope) for envelope in envelopes), sink, result)


def _write_read(
    read: _Read,
    sink: JsonlSink,
    result: BatchResult,
    on_document: Callable[[Document, list[Envelope]], None] | None,
) -> None:
    """A document read in a worker: as ``_write_document``, from its lines."""
    if on_document is not None and read.document is not None and read.envelopes is not None:
        on_document(read.document, read.envelopes)
    _write_lines(read.lines, sink, result)


def _write_lines(lines: Iterable[LineFacts], sink: JsonlSink, result: BatchResult) -> None:
    """A document's lines, counted, then made durable: the one writing loop
    of both paths (lines made here as the forms are read, or in a worker)."""
    for facts in lines:
        sink.write_line(facts[0])
        result.add_line(facts)
    sink.end_document()


def read_and_extract(path: Path, extractor: Extractor, settings: Settings, keep: bool) -> _Read:
    """One input's lines, made in a worker; its Document and Envelopes too when the store wants them."""
    document, made = _read(path, extractor, settings)
    envelopes = list(made)
    lines = [_line_facts(envelope) for envelope in envelopes]
    return _Read(lines, document, envelopes) if keep else _Read(lines)


def _read(path: Path, extractor: Extractor, settings: Settings) -> tuple[Document, Iterator[Envelope]]:
    """One input read, and its envelopes as they are made; the collector kept
    off the document (crossfoot.heap)."""
    heap.settle()  # the last document's garbage goes now, while the heap is small
    document = load_document(path, settings)
    heap.settle(collect=document.kind not in ACYCLIC_READERS)
    return document, iter_envelopes(document, extractor, settings.ocr_min_confidence)


class _Ahead:
    """Documents submitted to an executor, at most ``window`` ahead of the writer.

    The writer (``run_batch``) asks for documents in input order with
    ``take``; this class reads them ahead in worker processes and gets each
    one's result back to it exactly once, whatever happens to the workers.
    With no executor (one process, or a small batch: ``PoolChoice``) only
    ``wanted`` is used. A document moves through these states::

                   _fill                       take
        todo ───────────────────▶ pending ───────────────────────────▶ taken
         ▲                          │   └──── take: its own error ────▶ failed
         │   main pool broke:       │
         └─── every pending one ◀───┘
              goes back, a suspect

        todo, suspect ── _fill: alone, one ──▶ pending alone ── take ──▶ taken / failed
                         suspect at a time       │    ▲
                                   its lone      │    │ submitted again alone, in its
                                   worker died ──┤    │ place (a new lone pool)
                                                 └────┘
                                                 └── the MAX_ALONE_CRASHES-th time ──▶ given up

    * todo: ``_todo``, not submitted. pending: ``_pending``, a future in input
      order, at most ``window`` of them. suspect: in ``_suspects``, it was in
      flight when a pool broke, so it may be what killed the worker. A
      suspect waiting for the one before it holds back the documents after it
      (``_fill`` submits in input order). When the main pool breaks, a suspect
      pending alone goes back too; its lone worker's first answer is not read.
    * taken: ``take`` returns the result; only then does the writer write the
      document's lines (and the store see it), so a document re-run after a
      crash is still written once, in its place. failed: the worker raised
      (an InputError...); ``take`` raises it and the writer reports the file.
      given up: ``take`` raises WorkerCrashError; nothing of the document is
      written, the writer names it and the batch ends with exit 4.
    * A pool found broken when nothing is pending (an idle worker died) is
      rebuilt by ``_fill`` before it submits: nothing was lost.
    * The lost-worker watch (``_result``): a wait checks every WATCH_S that
      the future's pool has all its workers, because a worker killed while it
      held the pool's queue lock leaves its siblings waiting for ever and no
      future fails; a dead one counts as a broken pool.
    * A Dask executor has no rebuild: a broken pool is raised (Dask re-runs
      lost tasks itself).
    """

    def __init__(
        self,
        executor: Executor | None,
        todo: list[Path],
        extractor: Extractor,
        settings: Settings,
        *,
        keep: bool,
        window: int,
    ) -> None:
        self._executor = executor
        self._todo = deque(todo)
        self._wanted = set(todo)
        self._args = (extractor, settings, keep)
        self._window = max(1, window)
        self._pending: deque[tuple[Path, Future[_Read]]] = deque()
        #: documents in flight when a worker died, not yet seen to finish
        self._suspects: set[Path] = set()
        self._alone_crashes: Counter[Path] = Counter()

    def wanted(self, path: Path) -> bool:
        return path in self._wanted

    def _fill(self) -> None:
        while self._executor is not None and self._todo and len(self._pending) < self._window:
            path = self._todo[0]
            alone = path in self._suspects
            if alone and any(queued in self._suspects for queued, _ in self._pending):
                break  # suspects are tried one at a time
            try:
                future = self._submit(path, alone=alone)
            except BrokenProcessPool:
                if self._pending:
                    return  # a worker died: the pending futures say so, and take() recovers
                self._rebuild(alone=alone, broken=None)  # an idle worker died: nothing was lost
                continue
            self._todo.popleft()
            self._pending.append((path, future))

    def _submit(self, path: Path, *, alone: bool) -> Future[_Read]:
        assert self._executor is not None
        submit = getattr(self._executor, "submit_alone", None) if alone else None
        if submit is None:
            return self._executor.submit(read_and_extract, path, *self._args)
        future: Future[_Read] = submit(read_and_extract, path, *self._args)
        return future

    def _rebuild(self, *, alone: bool, broken: BrokenProcessPool | None) -> None:
        rebuild = getattr(self._executor, "rebuild_alone" if alone else "rebuild", None)
        if rebuild is None:  # a Dask cluster re-runs lost tasks itself
            raise broken or BrokenProcessPool("the executor's workers died")
        rebuild()

    def take(self, path: Path) -> _Read:
        """The next document's result (input order); raises what its worker
        raised, or WorkerCrashError when the document keeps killing workers."""
        while True:
            self._fill()
            queued, future = self._pending[0]
            assert queued == path, "documents are taken in input order"
            try:
                result = self._result(future)
            except BrokenProcessPool as exc:
                self._recover(queued, exc)  # or raises
                continue
            except BaseException:  # the document's own error (an InputError...): it is done with
                self._done(queued)
                raise
            self._done(queued)
            self._fill()
            return result

    def _done(self, queued: Path) -> None:
        """The head document leaves: taken, failed or given up."""
        self._pending.popleft()
        self._suspects.discard(queued)

    def _result(self, future: Future[_Read]) -> _Read:
        """The future's result; BrokenProcessPool also when a worker died and
        its pool did not notice (a worker killed while it held the pool's
        queue lock leaves its siblings waiting for ever)."""
        lost = getattr(self._executor, "lost_worker", None)
        while True:
            try:
                return future.result(timeout=None if lost is None else WATCH_S)
            except TimeoutError:
                if lost is not None and lost(future):
                    raise BrokenProcessPool("a worker process died") from None

    def _recover(self, queued: Path, broken: BrokenProcessPool) -> None:
        """A worker died, and with it its pool and everything in flight there.

        Which document it was reading is unknown, so each one in flight runs
        again as a suspect: alone, in a one-worker pool of its own (the other
        documents go on in the main pool). A suspect whose lone worker dies
        killed it; the MAX_ALONE_CRASHES-th time it is given up."""
        if queued in self._suspects and hasattr(self._executor, "submit_alone"):
            self._rebuild(alone=True, broken=broken)
            self._alone_crashes[queued] += 1
            if self._alone_crashes[queued] >= MAX_ALONE_CRASHES:
                self._done(queued)
                raise WorkerCrashError(
                    f"{queued}: the worker process reading it died {MAX_ALONE_CRASHES} times, alone each "
                    "time; the document is skipped (a bug in crossfoot: please report it with the file)"
                )
            # again, alone, in its place: the documents after it keep theirs
            self._pending[0] = (queued, self._submit(queued, alone=True))
            return
        # The main pool broke: everything in flight goes back (a suspect still
        # running alone is asked again; its first answer is simply not read).
        in_flight = [path for path, _ in self._pending]
        self._pending.clear()
        self._rebuild(alone=False, broken=broken)
        self._suspects.update(in_flight)
        self._todo.extendleft(reversed(in_flight))

    def cancel(self) -> None:
        """The batch stopped: drop what has not started."""
        for _, future in self._pending:
            future.cancel()
        self._pending.clear()
        self._todo.clear()
