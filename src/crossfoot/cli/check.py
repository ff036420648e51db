"""`crossfoot check`: run the checks on records read from JSONL."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from pydantic import ValidationError
from rich.table import Table

from crossfoot.check import absurd_fields, has_errors, run_checks
from crossfoot.cli.app import ExitCode, app, console, fail_line
from crossfoot.errors import RecordError
from crossfoot.model import Finding, Record

__all__ = ["read_records"]

_STYLE = {"error": "bold red", "warning": "yellow", "info": "dim"}


def _parse_line(path: Path, number: int, line: str) -> tuple[str, Record | None, str | None]:
    """(label, record, template) for one line; record None for a failed
    extraction; template from the envelope's source (None for a bare record)."""
    try:
        data = json.loads(line)
    except json.JSONDecodeError as exc:
        raise RecordError(f"not JSON ({exc.msg})", path=path, line=number) from exc
    except ValueError as exc:  # e.g. an integer of more digits than Python converts
        raise RecordError(f"not usable JSON ({str(exc)[:120]})", path=path, line=number) from exc
    except RecursionError as exc:
        raise RecordError("not usable JSON (nested too deeply)", path=path, line=number) from exc
    if not isinstance(data, dict):
        raise RecordError("not a JSON object", path=path, line=number)
    label = f"{path}:{number}"
    template = None
    if "record" in data and "source" in data:
        source = data["source"] or {}
        label = f"{source.get('path')}#{source.get('form_index')}"
        template = source.get("template") if isinstance(source.get("template"), str) else None
        if data["record"] is None:
            return label, None, template
        data = data["record"]
    try:
        record = Record.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise RecordError(f"not a contract record: {where}: {first['msg'][:200]}", path=path, line=number) from exc
    absurd = absurd_fields(record)
    if absurd:
        raise RecordError(f"number outside the sane range in {', '.join(absurd)}", path=path, line=number)
    return label, record, template


def read_records(path: Path) -> tuple[list[tuple[str, Record | None, str | None]], list[RecordError]]:
    """Every usable line (envelopes or bare contract records) and every bad one;
    a bad line is reported and the rest are still checked."""
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise RecordError(f"not UTF-8 JSONL (byte {exc.start})", path=path) from exc
    except OSError as exc:
        raise RecordError(exc.strerror or str(exc), path=path) from exc
    records: list[tuple[str, Record | None, str | None]] = []
    problems: list[RecordError] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            records.append(_parse_line(path, number, line))
        except RecordError as exc:
            problems.append(exc)
    if not records and not problems:
        raise RecordError("no records in file", path=path)
    return records, problems


def findings_table(rows: list[tuple[str, Record, list[Finding]]], *, show_info: bool) -> Table:
    table = Table(title="findings", show_lines=False)
    for column in ("form", "severity", "code", "message"):
        table.add_column(column, overflow="fold")
    for label, record, findings in rows:
        for finding in findings:
            if finding.severity.value == "info" and not show_info:
                continue
            style = _STYLE[finding.severity.value]
            table.add_row(
                f"{label}\n{record.project_name}",
                f"[{style}]{finding.severity.value}[/]",
                finding.code,
                finding.message,
            )
    return table


@app.command()
def check(
    file: Annotated[Path, typer.Argument(help="JSONL of envelopes or bare records")],
    show_info: Annotated[bool, typer.Option("--info", help="also list info findings")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="print findings as JSONL, one per line")] = False,
    template: Annotated[
        str | None,
        typer.Option(
            "--template",
            help="the template bare records were printed from (e.g. hunan_county): the checks follow what it "
            "prints; envelopes carry their own in source.template",
        ),
    ] = None,
) -> None:
    """Check records' arithmetic.

    Exit 0: no errors; 1: error findings or failed extractions; 2: unusable
    input (the usable lines are still checked and reported).
    """
    try:
        records, problems = read_records(file)
    except RecordError as exc:
        fail_line(str(exc))
        raise typer.Exit(ExitCode.BAD_INPUT) from None
    for problem in problems:
        fail_line(str(problem))
    rows: list[tuple[str, Record, list[Finding]]] = []
    failed: list[str] = []
    for label, record, printed_as in records:
        if record is None:
            failed.append(label)
        else:
            rows.append((label, record, run_checks(record, template=printed_as or template)))
    if as_json:
        for label, _, findings in rows:
            for finding in findings:
                if finding.severity.value != "info" or show_info:
                    print(json.dumps({"form": label, **finding.model_dump(mode="json")}, ensure_ascii=False))
        for label in failed:
            print(json.dumps({"form": label, "code": "extraction_failed", "severity": "error"}, ensure_ascii=False))
    else:
        console.print(findings_table(rows, show_info=show_info))
        for label in failed:
            fail_line(f"{label}: extraction failed; no record to check")
        flagged = sum(1 for _, _, f in rows if has_errors(f))
        console.print(f"{len(rows)} records, {flagged} with errors, {len(failed)} failed extractions")
    if problems:
        raise typer.Exit(ExitCode.BAD_INPUT)
    raise typer.Exit(ExitCode.FINDINGS if failed or any(has_errors(f) for _, _, f in rows) else ExitCode.OK)
