"""`crossfoot check`: run the checks on records read from JSONL."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from pydantic import ValidationError
from rich.table import Table

from crossfoot.check import has_errors, run_checks
from crossfoot.cli.app import ExitCode, app, console, fail_line
from crossfoot.errors import RecordError
from crossfoot.model import Finding, Record

__all__ = ["read_records"]

_STYLE = {"error": "bold red", "warning": "yellow", "info": "dim"}


def read_records(path: Path) -> list[tuple[str, Record]]:
    """(label, record) for each line: an envelope or a bare contract record."""
    if not path.exists():
        raise RecordError("no such file", path=path)
    records: list[tuple[str, Record]] = []
    with path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                data = json.loads(line)
            except json.JSONDecodeError as exc:
                raise RecordError(f"not JSON ({exc.msg})", path=path, line=number) from exc
            if not isinstance(data, dict):
                raise RecordError("not a JSON object", path=path, line=number)
            if "record" in data and "source" in data:
                if data["record"] is None:
                    continue  # a failed extraction: nothing to check
                label = f"{data['source'].get('path')}#{data['source'].get('form_index')}"
                data = data["record"]
            else:
                label = f"{path}:{number}"
            try:
                records.append((label, Record.model_validate(data)))
            except ValidationError as exc:
                first = exc.errors()[0]
                where = ".".join(str(p) for p in first["loc"])
                raise RecordError(f"not a contract record: {where}: {first['msg']}", path=path, line=number) from exc
    if not records:
        raise RecordError("no records in file", path=path)
    return records


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
    as_json: Annotated[bool, typer.Option("--json", help="print findings as JSONL")] = False,
) -> None:
    """Check records' arithmetic. Exit 0: no errors; 1: error findings; 2: unusable input."""
    try:
        records = read_records(file)
    except RecordError as exc:
        fail_line(str(exc))
        raise typer.Exit(ExitCode.BAD_INPUT) from None
    rows = [(label, record, run_checks(record)) for label, record in records]
    if as_json:
        for label, _, findings in rows:
            for finding in findings:
                console.print_json(json.dumps({"form": label, **finding.model_dump(mode="json")}))
    else:
        console.print(findings_table(rows, show_info=show_info))
        flagged = sum(1 for _, _, f in rows if has_errors(f))
        console.print(f"{len(rows)} records, {flagged} with errors")
    raise typer.Exit(ExitCode.FINDINGS if any(has_errors(f) for _, _, f in rows) else ExitCode.OK)
