"""`crossfoot run`: extract + check with progress and a summary."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from crossfoot.cli.app import ExitCode, app, console, fail_line
from crossfoot.cli.batch import BatchResult, Claims, run_batch
from crossfoot.cli.output import JsonlSink
from crossfoot.cli.settings import build_extractor, build_settings, print_llm_summary
from crossfoot.cli.workers import open_executor, worker_count
from crossfoot.errors import ConfigError, CrossfootError, OutputError

if TYPE_CHECKING:
    from crossfoot.review.store import RunLoader

__all__ = ["summary_table"]


def summary_table(result: BatchResult, backend: str) -> Table:
    table = Table(title=f"crossfoot run — backend {backend}")
    table.add_column("check")
    for severity in ("error", "warning", "info"):
        table.add_column(severity, justify="right")
    codes = sorted({code for code, _ in result.findings})
    for code in codes:
        table.add_row(code, *(str(result.findings.get((code, s), "")) for s in ("error", "warning", "info")))
    rate = result.forms / result.seconds if result.seconds else 0.0
    table.caption = (
        f"{result.files} files, {result.forms} forms ({result.skipped_forms} resumed), "
        f"{result.forms_with_errors} need review ({result.unrecognized} layout not recognised), "
        f"{len(result.failed_inputs)} unreadable inputs, "
        f"{result.failed_forms} failed forms — {result.seconds:.2f}s ({rate:.0f} forms/s, {result.processes})"
    )
    return table


@app.command()
def run(
    inputs: Annotated[list[Path], typer.Argument(help="files or folders")],
    output: Annotated[Path, typer.Option("-o", "--output", help="JSONL results")] = Path("out/crossfoot.jsonl"),
    backend: Annotated[str, typer.Option(help="rules (offline), llm or hybrid")] = "rules",
    resume: Annotated[bool, typer.Option(help="skip documents an interrupted run finished")] = True,
    db: Annotated[
        str | None,
        typer.Option("--db", help="review store: a SQLite file or a database URL [default: crossfoot.db]"),
    ] = None,
    no_store: Annotated[bool, typer.Option("--no-store", help="do not load results into the review store")] = False,
    workers: Annotated[
        int, typer.Option("--workers", help="processes reading documents (0: one per core; the LLM backends use 1)")
    ] = 0,
    executor: Annotated[
        str | None, typer.Option("--executor", help="run documents on a Dask cluster: dask://HOST:PORT")
    ] = None,
    work_queue: Annotated[
        str | None,
        typer.Option(
            "--work-queue",
            help="share the documents with other `run`s given this name and the same PostgreSQL --db",
        ),
    ] = None,
    lease: Annotated[
        float, typer.Option("--lease", help="seconds a work-queue claim holds before others may take it")
    ] = 1800.0,
) -> None:
    """Extract and check INPUTS, write JSONL, print a summary.

    Exit codes: 0 clean; 1 some forms have error findings (they need review);
    2 an input could not be used, or the output cannot be written or is held
    by another run; 3 the LLM endpoint is unavailable (an interrupted batch
    keeps OUT.partial to resume from); 4 a bug in crossfoot, or a document
    that killed every worker it ran in. The code and the summary cover the
    whole output file, resumed forms included. With --work-queue NAME each
    process reads only the documents it claims and writes them to its own
    OUTPUT; the store holds them all (it must be PostgreSQL, else exit 2).
    """
    settings = build_settings(backend=backend, db_url=db)
    sink = JsonlSink(output, resume=resume)
    try:
        sink.check_path()
    except OutputError as exc:
        fail_line(str(exc))
        raise typer.Exit(exc.exit_code) from None
    extractor = build_extractor(backend, settings)
    if work_queue is not None:
        _check_queue(work_queue, settings.db_url, no_store)
    loader = None if no_store else _open_store(settings.db_url, backend)
    if work_queue is not None and loader is None:
        raise typer.Exit(ExitCode.BAD_INPUT)  # the store could not be opened: said above
    on_document = None if loader is None else loader.add
    claims = None
    if work_queue is not None and loader is not None:
        claims = _open_queue(loader, work_queue, lease, inputs)
    try:
        # a work-queue process reads what it claims itself: more cores, more processes
        processes = 1 if claims is not None else worker_count(workers, backend)
        with open_executor(processes, None if claims is not None else executor) as (pool, window):
            result = run_batch(
                inputs,
                extractor,
                settings,
                sink,
                show_progress=True,
                on_document=on_document,
                executor=pool,
                window=window,
                claims=claims,
            )
    except OutputError as exc:
        fail_line(str(exc))
        raise typer.Exit(exc.exit_code) from None
    finally:
        if loader is not None:
            summary = loader.finish()
            loader.store.close()
    console.print(summary_table(result, backend))
    print_llm_summary(extractor)
    console.print(f"results: {output}")
    if loader is not None:
        console.print(summary.describe())
    raise typer.Exit(int(result.exit_code()))


def _check_queue(name: str, db_url: str, no_store: bool) -> None:
    """Exit 2, before any output or store is touched, when the queue cannot work."""
    from crossfoot.review.workqueue import check_url

    try:
        if no_store:
            raise ConfigError(f"--work-queue {name}: the queue lives in the review store; drop --no-store")
        check_url(name, db_url)
    except ConfigError as exc:
        fail_line(str(exc))
        raise typer.Exit(exc.exit_code) from None


def _open_queue(loader: RunLoader, name: str, lease: float, inputs: list[Path]) -> Claims:
    """The work queue in the run's store; a SQLite store or a bad lease is exit 2."""
    from crossfoot.cli.workqueue import QueueClaims
    from crossfoot.review.workqueue import WorkQueue

    try:
        return QueueClaims(WorkQueue(loader.store, name, lease_s=lease), inputs)
    except CrossfootError as exc:
        fail_line(str(exc))
        loader.store.close()
        raise typer.Exit(exc.exit_code) from None


def _open_store(db_url: str, backend: str) -> RunLoader | None:
    """The review store's run loader; a missing extra or store error is reported, not fatal."""
    try:
        from crossfoot.review.store import RunLoader, Store
    except ImportError:
        console.print("[dim]review store skipped: it needs pip install 'crossfoot[review]' (or pass --no-store)[/]")
        return None
    try:
        return RunLoader(Store(db_url), backend)
    except CrossfootError as exc:
        fail_line(str(exc))
        return None
