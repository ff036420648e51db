"""`crossfoot export` and `crossfoot promote`: reviewed records out of the store."""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Literal

import typer

from crossfoot.cli.app import ExitCode, app, err_console, fail_line
from crossfoot.cli.review import DbOption, require_review_extra
from crossfoot.cli.settings import build_settings
from crossfoot.errors import CrossfootError
from crossfoot.files import replacing

Status = Literal["all", "approved", "needs_review", "clean", "rejected"]
Format = Literal["jsonl", "csv", "xlsx"]


@contextmanager
def _replacing(output: Path) -> Iterator[Path]:
    """A temporary file beside ``output``, renamed over it only when the block
    succeeds: an interrupted export never leaves a half-written file."""
    if output.is_dir():
        raise CrossfootError(f"{output}: is a folder; give a file name with -o")
    with contextlib.ExitStack() as stack:
        try:
            temporary = stack.enter_context(replacing(output))
        except OSError as exc:  # only making the file: the writers' own errors are theirs
            raise CrossfootError(f"{output}: cannot write here ({exc.strerror})") from exc
        yield temporary


@app.command()
def export(
    db: DbOption = None,
    status: Annotated[Status, typer.Option(help="which forms")] = "all",
    format: Annotated[Format, typer.Option("--format", "-f", help="jsonl (envelopes), csv (forms) or xlsx")] = "jsonl",
    output: Annotated[Path | None, typer.Option("-o", "--output", help="file to write [default: stdout]")] = None,
    relative_to: Annotated[
        Path | None,
        typer.Option(
            "--relative-to",
            help="the input folder the run was given: CSV/XLSX paths are shown relative to it "
            "[default: the documents' common folder]",
        ),
    ] = None,
) -> None:
    """Export the store's current records.

    jsonl: one envelope per form (what `extract` writes, plus meta.review);
    csv: one row per form (with a UTF-8 BOM); xlsx: the manager's workbook
    (forms, indicators, decisions, discrepancies, changes, audit, summary),
    numbers as numbers and times as dates.
    """
    require_review_extra()
    from crossfoot.review.export import ExportItem, iter_export_items, write_csv, write_jsonl, write_xlsx
    from crossfoot.review.store import Store

    settings = build_settings(db_url=db)
    if format == "xlsx" and output is None:
        fail_line("xlsx needs -o FILE")
        raise typer.Exit(ExitCode.BAD_INPUT)
    count = 0

    def counted(items: Iterator[ExportItem]) -> Iterator[ExportItem]:
        nonlocal count
        for item in items:
            count += 1
            yield item

    text_writer: Callable[..., None] = write_csv if format == "csv" else write_jsonl
    try:
        with Store(settings.db_url, must_exist=True) as store:
            base = None if relative_to is None else str(relative_to)
            items = counted(iter_export_items(store, status, base=base))
            if output is None:
                text_writer(items, sys.stdout)
            else:
                with _replacing(output) as temporary:
                    if format == "xlsx":
                        write_xlsx(items, temporary, store=store, base=base)
                    else:
                        # a BOM so Excel reads the CSV's Chinese as UTF-8 (issue 11, item 14)
                        encoding = "utf-8-sig" if format == "csv" else "utf-8"
                        with temporary.open("w", encoding=encoding, newline="") as handle:
                            text_writer(items, handle)
    except CrossfootError as exc:
        fail_line(str(exc))
        raise typer.Exit(ExitCode.BAD_INPUT) from None
    err_console.print(f"{count} forms ({status}) exported" + (f" to {output}" if output else ""))


@app.command()
def promote(
    form_ids: Annotated[
        list[int] | None, typer.Argument(help="form ids (see the review page URL or meta.review)")
    ] = None,
    to: Annotated[Path, typer.Option("--to", help="fixtures folder, e.g. eval/fixtures")] = Path("eval/fixtures"),
    by: Annotated[str, typer.Option("--by", help="your name, written into _notes")] = "",
    all_approved: Annotated[bool, typer.Option("--all-approved", help="every approved form")] = False,
    overwrite: Annotated[bool, typer.Option(help="replace an existing fixture file")] = False,
    allow_not_as_printed: Annotated[
        bool,
        typer.Option(
            "--allow-not-as-printed",
            help="promote a record holding values the source does not print (marked in the fixture)",
        ),
    ] = False,
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
        with Store(settings.db_url, must_exist=True) as store:
            ids = list(form_ids or [])
            if all_approved:
                ids += [item.form.id for item in export_items(store, "approved")]
            if not ids:
                fail_line("name form ids or pass --all-approved")
                raise typer.Exit(ExitCode.BAD_INPUT)
            for form_id in ids:
                try:
                    path = promote_one(
                        store, form_id, to, by=by, overwrite=overwrite, allow_not_as_printed=allow_not_as_printed
                    )
                except CrossfootError as exc:
                    fail_line(str(exc))
                    failed = True
                    continue
                err_console.print(f"form {form_id} -> {path}")
    except CrossfootError as exc:
        fail_line(str(exc))
        raise typer.Exit(ExitCode.BAD_INPUT) from None
    raise typer.Exit(ExitCode.BAD_INPUT if failed else ExitCode.OK)
