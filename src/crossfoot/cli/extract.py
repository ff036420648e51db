"""`crossfoot extract`: one JSON line per form."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from crossfoot.cli.app import app, err_console, fail_line, is_tty
from crossfoot.cli.batch import run_batch
from crossfoot.cli.output import JsonlSink
from crossfoot.cli.settings import build_extractor, build_settings, print_llm_summary
from crossfoot.cli.workers import open_executor, worker_count
from crossfoot.errors import OutputError


@app.command()
def extract(
    inputs: Annotated[
        list[Path],
        typer.Argument(help="files or folders: .txt/.tsv dumps, PDFs, scans, .html, .xlsx/.xls, .docx, .csv"),
    ],
    output: Annotated[
        Path | None, typer.Option("-o", "--output", help="write JSONL here (atomically) instead of stdout")
    ] = None,
    backend: Annotated[str, typer.Option(help="rules (offline), llm or hybrid")] = "rules",
    resume: Annotated[bool, typer.Option(help="continue an interrupted -o run")] = True,
    workers: Annotated[
        int, typer.Option("--workers", help="processes reading documents (0: one per core; the LLM backends use 1)")
    ] = 0,
    executor: Annotated[
        str | None, typer.Option("--executor", help="run documents on a Dask cluster: dask://HOST:PORT")
    ] = None,
) -> None:
    """Extract every form of INPUTS into contract records with provenance.

    Exit codes: 0 all read; 2 an input could not be used (the others were
    still extracted), or the output cannot be written or is held by another
    run; 3 the LLM endpoint is unavailable (an interrupted batch keeps
    OUT.partial to resume from); 4 a bug in crossfoot.
    """
    settings = build_settings(backend=backend)
    sink = JsonlSink(output, stream=sys.stdout, resume=resume)
    try:
        sink.check_path()
        extractor = build_extractor(backend, settings)
        with open_executor(worker_count(workers, backend), executor) as (pool, window):
            result = run_batch(
                inputs,
                extractor,
                settings,
                sink,
                show_progress=output is not None and is_tty(),
                executor=pool,
                window=window,
            )
    except OutputError as exc:
        fail_line(str(exc))
        raise typer.Exit(exc.exit_code) from None
    if output is not None:
        print_llm_summary(extractor)  # stdout carries JSONL otherwise
    unrecognized = result.unrecognized_line()
    if unrecognized:
        err_console.print(f"[yellow]note[/]: {unrecognized}", highlight=False, soft_wrap=True)  # stdout: JSONL
    code = result.exit_code()
    # extract reports data, not review needs: findings alone do not fail it
    raise typer.Exit(0 if code == 1 else int(code))
