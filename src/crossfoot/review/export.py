"""Getting reviewed records out: JSONL envelopes, a CSV of forms, an XLSX
workbook (a forms sheet and an indicators sheet, numbers as numbers), and
promotion of an approved record to a gold fixture for the eval harness."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import IO, Any

from sqlalchemy import select

from crossfoot.errors import StoreError
from crossfoot.model import FUNDING_COLUMNS, FUNDING_ROWS, Envelope, FormSource, Record, SourceSpan
from crossfoot.review.edits import RECORD_SCALARS, value_at
from crossfoot.review.items import load_findings
from crossfoot.review.store import Store
from crossfoot.review.tables import DocumentRow, FormRow, RecordVersionRow
from crossfoot.review.view import INDICATOR_COLUMNS

__all__ = [
    "EXPORT_FORMATS",
    "ExportItem",
    "export_items",
    "fixture_name",
    "promote",
    "write_csv",
    "write_jsonl",
    "write_xlsx",
]

EXPORT_FORMATS = ("jsonl", "csv", "xlsx")
_FORM_KEYS = ("form_id", "status", "version", "reviewed_by", "reviewed_at", "path", "form_index", "backend")
FORM_COLUMNS: tuple[str, ...] = (
    *_FORM_KEYS,
    *RECORD_SCALARS,
    *(f"funding.{row}.{col}" for row in FUNDING_ROWS for col in FUNDING_COLUMNS),
    "indicator_count",
    "open_errors",
)
INDICATOR_SHEET_COLUMNS: tuple[str, ...] = (
    "form_id",
    "path",
    "form_index",
    "project_name",
    "position",
    *(key for key, _ in INDICATOR_COLUMNS),
)
_NUMERIC = frozenset({"year", "total_weight", "total_score", "weight", "score", *FUNDING_COLUMNS})


@dataclass
class ExportItem:
    """One form's current state, ready to write out."""

    form: FormRow
    document: DocumentRow
    envelope: Envelope

    @property
    def record(self) -> dict[str, Any] | None:
        return None if self.envelope.record is None else self.envelope.record.model_dump(mode="json")


def export_items(store: Store, status: str | None = None) -> list[ExportItem]:
    """Forms (all, or those with ``status``) in document and form order."""
    items: list[ExportItem] = []
    with store.read() as session:
        query = (
            select(FormRow, DocumentRow, RecordVersionRow)
            .join(DocumentRow, DocumentRow.id == FormRow.document_id)
            .join(
                RecordVersionRow,
                (RecordVersionRow.form_id == FormRow.id) & (RecordVersionRow.number == FormRow.record_number),
            )
            .order_by(DocumentRow.path, FormRow.form_index, FormRow.backend)
        )
        if status and status != "all":
            query = query.where(FormRow.status == status)
        for form, document, version_row in session.execute(query):
            envelope = Envelope(
                source=FormSource(
                    path=document.path,
                    form_index=form.form_index,
                    first_line=form.first_line,
                    last_line=form.last_line,
                    encoding=document.encoding,
                    sha256=document.sha256,
                    kind=document.kind,
                    form_count=form.form_count,
                ),
                backend=form.backend,
                record=Record.model_validate(version_row.record) if version_row.record else None,
                provenance={k: [SourceSpan.model_validate(s) for s in v] for k, v in version_row.provenance.items()},
                findings=load_findings(session, version_row.id),
                error=version_row.error,
                meta={
                    "review": {
                        "form_id": form.id,
                        "status": form.status,
                        "version": form.version,
                        "record_version": form.record_number,
                        "reviewed_by": form.reviewed_by,
                        "reviewed_at": form.reviewed_at.isoformat() if form.reviewed_at else None,
                    }
                },
            )
            items.append(ExportItem(form, document, envelope))
    return items


def write_jsonl(items: list[ExportItem], out: IO[str]) -> None:
    """One envelope per line, the same shape `crossfoot extract` writes."""
    for item in items:
        out.write(item.envelope.model_dump_json() + "\n")


def _form_row(item: ExportItem) -> dict[str, Any]:
    review = item.envelope.meta["review"]
    row: dict[str, Any] = {
        "form_id": item.form.id,
        "status": item.form.status,
        "version": item.form.version,
        "reviewed_by": item.form.reviewed_by,
        "reviewed_at": review["reviewed_at"],
        "path": item.document.path,
        "form_index": item.form.form_index,
        "backend": item.form.backend,
    }
    record = item.record
    for key in FORM_COLUMNS[len(_FORM_KEYS) : -2]:
        row[key] = value_at(record, key)
    row["indicator_count"] = len(record["indicators"]) if record else 0
    row["open_errors"] = " ".join(sorted({f.code for f in item.envelope.findings if f.severity.value == "error"}))
    return row


def _indicator_rows(item: ExportItem) -> Iterator[dict[str, Any]]:
    record = item.record
    if record is None:
        return
    for position, indicator in enumerate(record["indicators"]):
        yield {
            "form_id": item.form.id,
            "path": item.document.path,
            "form_index": item.form.form_index,
            "project_name": record["project_name"],
            "position": position,
            **indicator,
        }


def write_csv(items: list[ExportItem], out: IO[str]) -> None:
    """One row per form: header fields, the 4x6 funding block, counts."""
    writer = csv.DictWriter(out, fieldnames=list(FORM_COLUMNS), lineterminator="\n")
    writer.writeheader()
    for item in items:
        writer.writerow({k: "" if v is None else v for k, v in _form_row(item).items()})


def _cell_value(key: str, value: Any) -> tuple[Any, str | None]:
    """A decimal string becomes a number shown with its printed places."""
    last = key.rsplit(".", 1)[-1]
    if value is None or last not in _NUMERIC or isinstance(value, int):
        return value, None
    number = Decimal(str(value))
    exponent = number.as_tuple().exponent
    places = -exponent if isinstance(exponent, int) and exponent < 0 else 0
    return number, "0" if places == 0 else "0." + "0" * places


def write_xlsx(items: list[ExportItem], path: Path) -> None:
    """A workbook with a ``forms`` sheet and an ``indicators`` sheet."""
    try:
        from openpyxl import Workbook  # type: ignore[import-untyped,unused-ignore]
        from openpyxl.styles import Font  # type: ignore[import-untyped,unused-ignore]
    except ImportError as exc:  # pragma: no cover - the review extra brings it
        raise StoreError("xlsx export needs openpyxl: pip install 'crossfoot[review]'") from exc
    book = Workbook()
    sheets = [
        (book.active, "forms", FORM_COLUMNS, [_form_row(i) for i in items]),
        (book.create_sheet(), "indicators", INDICATOR_SHEET_COLUMNS, [r for i in items for r in _indicator_rows(i)]),
    ]
    for sheet, title, columns, rows in sheets:
        assert sheet is not None
        sheet.title = title
        sheet.append(list(columns))
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        sheet.freeze_panes = "A2"
        for row in rows:
            values = [_cell_value(column, row.get(column)) for column in columns]
            sheet.append([value for value, _ in values])
            for cell, (_, number_format) in zip(sheet[sheet.max_row], values, strict=True):
                if number_format:
                    cell.number_format = number_format
        for index, column in enumerate(columns, start=1):
            width = max([len(column), *(len(str(r.get(column) or "")) for r in rows[:200])])
            sheet.column_dimensions[sheet.cell(1, index).column_letter].width = min(max(width + 2, 8), 60)
    path.parent.mkdir(parents=True, exist_ok=True)
    book.save(path)


def fixture_name(path: str, form_index: int) -> str:
    """The eval fixtures' naming: ``<document stem>__<form index, 2 digits>.json``."""
    return f"{Path(path).stem}__{form_index:02d}.json"


def promote(
    store: Store,
    form_id: int,
    folder: Path,
    *,
    by: str,
    overwrite: bool = False,
    now: datetime | None = None,
) -> Path:
    """Write an approved record as a gold fixture (record + ``_source`` + ``_notes``).

    Refuses a form that is not approved, and an existing fixture unless
    ``overwrite`` (gold files are precious).
    """
    if not by.strip():
        raise StoreError("say who promotes the record (--by NAME)")
    item = next((i for i in export_items(store, "all") if i.form.id == form_id), None)
    if item is None:
        raise StoreError(f"no form {form_id} in the store")
    if item.form.status != "approved" or item.record is None:
        raise StoreError(f"form {form_id} is {item.form.status}: only an approved record becomes a fixture")
    target = folder / fixture_name(item.document.path, item.form.form_index)
    if target.exists() and not overwrite:
        raise StoreError(f"{target} exists; pass overwrite to replace a gold fixture")
    stamp = (now or datetime.now(UTC)).isoformat(timespec="seconds")
    fixture = {
        "_source": {"file": item.document.path, "form_index": item.form.form_index, "title_line": item.form.first_line},
        **item.record,
        "_notes": [f"promoted from review by {by.strip()} at {stamp}"],
    }
    folder.mkdir(parents=True, exist_ok=True)
    target.write_text(json.dumps(fixture, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return target
