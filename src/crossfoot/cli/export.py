"""`crossfoot export` and `crossfoot promote`: reviewed records out of the store."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Literal

import typer

from crossfoot.cli.app import ExitCode, app, err_console, fail_line
from crossfoot.cli.review import DbOption, require_review_extra
from crossfoot.cli.settings import build_settings
from crossfoot.errors import CrossfootError

Status = Literal["all", "approved", "needs_review", "clean", "rejected"]
Format = Literal["jsonl", "csv", "xlsx"]


@app.command()
def export(
    db: DbOption = None,
    status: Annotated[Status, typer.Option(help="which forms")] = "all",
    format: Annotated[Format, typer.Option("--format", "-f", help="jsonl (envelopes), csv (forms) or xlsx")] = "jsonl",
    output: Annotated[Path | None, typer.Option("-o", "--output", help="file to write [default: stdout]")] = None,
) -> None:
    """Export the store's current records.

    jsonl: one envelope per form (what `extract` writes, plus meta.review);
    csv: one row per form; xlsx: a forms sheet and an indicators sheet, with
    numbers as numbers.
    """
    require_review_extra()
    from crossfoot.review.export import export_items, write_csv, write_jsonl, write_xlsx
    from crossfoot.review.store import Store

    settings = build_settings(db_url=db)
    if format == "xlsx" and output is None:
        fail_line("xlsx needs -o FILE")
        raise typer.Exit(ExitCode.BAD_INPUT)
    try:
        with Store(settings.db_url) as store:
            items = export_items(store, status)
    except CrossfootError as exc:
        fail_line(str(exc))
        raise typer.Exit(ExitCode.BAD_INPUT) from None
    if format == "xlsx":
        assert output is not None
        write_xlsx(items, output)
    elif output is None:
        (write_csv if format == "csv" else write_jsonl)(items, sys.stdout)
    else:
        output.parent.mkdir(parents=True, exist_ok=True)
        with output.open("w", encoding="utf-8", newline="") as handle:
            (write_csv if format == "csv" else write_jsonl)(items, handle)
    err_console.print(f"{len(items)} forms ({status}) exported" + (f" to {output}" if output else ""))


@app.command()
def promote(
    form_ids: Annotated[
        list[int] | None, typer.Argument(help="form ids (see the review page URL or meta.review)")
    ] = None,
    to: Annotated[Path, typer.Option("--to", help="fixtures folder, e.g. eval/fixtures")] = Path("eval/fixtures"),
    by: Annotated[str, typer.Option("--by", help="your name, written into _notes")] = "",
    all_approved: Annotated[bool, typer.Option("--all-approved", help="every approved form")] = False,
    overwrite: Annotated[bool, typer.Option(help="replace an existing fixture file")] = False,
    db: DbOption = None,
) -> None:
    """Write approved records as gold fixtures, so corrections become regression tests."""
    require_review_extra()
    from crossfoot.review.export import export_items
    from crossfoot.review.export import promote as promote_one
    from crossfoot.review.store import Store

    settings = build_settings(db_url=db)
    failed = False
    try:
        with Store(settings.db_url) as store:
            ids = list(form_ids or [])
            if all_approved:
                ids += [item.form.id for item in export_items(store, "approved")]
            if not ids:
                fail_line("name form ids or pass --all-approved")
                raise typer.Exit(ExitCode.BAD_INPUT)
            for form_id in ids:
                try:
                    path = promote_one(store, form_id, to, by=by, overwrite=overwrite)
                except CrossfootError as exc:
                    fail_line(str(exc))
                    failed = True
                    continue
                err_console.print(f"form {form_id} -> {path}")
    except CrossfootError as exc:
        fail_line(str(exc))
        raise typer.Exit(ExitCode.BAD_INPUT) from None
    raise typer.Exit(ExitCode.BAD_INPUT if failed else ExitCode.OK)
