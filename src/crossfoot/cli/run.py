"""`crossfoot run`: extract + check with progress and a summary."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from crossfoot.cli.app import app, console
from crossfoot.cli.batch import BatchResult, run_batch
from crossfoot.cli.output import JsonlSink
from crossfoot.cli.settings import build_settings
from crossfoot.extract import get_extractor

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
        f"{result.forms_with_errors} need review, {len(result.failed_inputs)} unreadable inputs, "
        f"{result.failed_forms} failed forms — {result.seconds:.2f}s ({rate:.0f} forms/s)"
    )
    return table


@app.command()
def run(
    inputs: Annotated[list[Path], typer.Argument(help="files or folders")],
    output: Annotated[Path, typer.Option("-o", "--output", help="JSONL results")] = Path("out/crossfoot.jsonl"),
    backend: Annotated[str, typer.Option(help="rules (offline), llm or hybrid")] = "rules",
    resume: Annotated[bool, typer.Option(help="skip documents an interrupted run finished")] = True,
) -> None:
    """Extract and check INPUTS, write JSONL, print a summary.

    Exit codes: 0 clean; 1 some forms have error findings (they need review);
    2 an input could not be used; 3 the LLM endpoint is unavailable.
    """
    settings = build_settings(backend=backend)
    extractor = get_extractor(backend, settings)
    sink = JsonlSink(output, resume=resume)
    result = run_batch(inputs, extractor, settings, sink, show_progress=True)
    console.print(summary_table(result, backend))
    console.print(f"results: {output}")
    raise typer.Exit(int(result.exit_code()))
