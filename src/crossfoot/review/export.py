"""Getting reviewed records out: JSONL envelopes, a CSV of forms, an XLSX
workbook (a forms sheet and an indicators sheet, numbers as numbers), and
promotion of an approved record to a gold fixture for the eval harness.

Exports stream: forms are read a batch at a time (without their documents'
text) and written as they come, so memory stays flat however big the store.
Document text is untrusted: in XLSX every text is an explicit string cell
(never a formula), and in CSV a text cell starting with ``= + - @`` (or a
tab / carriage return) gets a leading ``'`` as OWASP advises against CSV
injection. Numbers stay numbers in both.
"""

from __future__ import annotations

import csv
import json
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path, PurePath
from typing import IO, Any

from pydantic import ValidationError
from sqlalchemy import func, select
from sqlalchemy.orm import Session, defer

from crossfoot.errors import StoreError
from crossfoot.model import FUNDING_COLUMNS, FUNDING_ROWS, Envelope, Finding, FormSource, Record, SourceSpan
from crossfoot.review.edits import RECORD_SCALARS, UNPRINTED_ACTIONS, not_as_printed, value_at
from crossfoot.review.items import findings_by_version
from crossfoot.review.store import Store
from crossfoot.review.tables import DocumentRow, EditRow, FindingRow, FormRow, RecordVersionRow, ReviewItemRow
from crossfoot.review.view import INDICATOR_COLUMNS

__all__ = [
    "EXPORT_FORMATS",
    "ExportItem",
    "export_items",
    "fixture_name",
    "iter_export_items",
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
    "not_as_printed",
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
    #: the document's path relative to the input folder (CSV / XLSX; JSONL keeps ``source.path``)
    relative_path: str = ""

    @property
    def shown_path(self) -> str:
        return self.relative_path or self.document.path

    @property
    def record(self) -> dict[str, Any] | None:
        return None if self.envelope.record is None else self.envelope.record.model_dump(mode="json")


def path_base(paths: Iterable[str]) -> str:
    """The folder the documents were read from, as far as the store knows: the
    common parent of their paths ("" when they share none). The store keeps
    no input folder, so a run over ``samples/`` gives ``samples``."""
    parents = [PurePath(path).parent for path in paths]
    if not parents:
        return ""
    try:
        common = PurePath(os.path.commonpath([str(parent) for parent in parents]))
    except ValueError:  # absolute and relative paths mixed, or different drives
        return ""
    return "" if str(common) in (".", "") else str(common)


def relative_to(path: str, base: str) -> str:
    """``path`` without the input folder ``base`` in front (unchanged when outside it).
    A relative ``base`` also matches the absolute paths a run stored."""
    if not base:
        return path
    for folder in dict.fromkeys((base, os.path.abspath(base))):
        try:
            return str(PurePath(path).relative_to(folder))
        except ValueError:
            continue
    return path


def store_path_base(session: Session) -> str:
    """``path_base`` of every document in the store."""
    return path_base(session.scalars(select(DocumentRow.path)))


def _stored_record(form_id: int, data: dict[str, Any] | None) -> Record | None:
    if not data:
        return None
    try:
        return Record.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "record"
        raise StoreError(f"form {form_id}: its stored record is not a valid record ({where}: {first['msg']})") from None


def export_items(store: Store, status: str | None = None) -> list[ExportItem]:
    """Forms (all, or those with ``status``) in document and form order."""
    return list(iter_export_items(store, status))


def iter_export_items(
    store: Store, status: str | None = None, *, form_id: int | None = None, base: str | None = None
) -> Iterator[ExportItem]:
    """Like ``export_items``, one batch of rows at a time. ``base``: the input
    folder paths are shown relative to (default: the documents' common folder)."""
    with store.read() as session:
        query = (
            select(FormRow, DocumentRow, RecordVersionRow)
            .options(defer(DocumentRow.lines))  # the whole source text: not needed here
            .join(DocumentRow, DocumentRow.id == FormRow.document_id)
            .join(
                RecordVersionRow,
                (RecordVersionRow.form_id == FormRow.id) & (RecordVersionRow.number == FormRow.record_number),
            )
            .order_by(DocumentRow.path, FormRow.form_index, FormRow.backend)
        )
        if status and status != "all":
            query = query.where(FormRow.status == status)
        if form_id is not None:
            query = query.where(FormRow.id == form_id)
        base = store_path_base(session) if base is None else base
        result = session.execute(query.execution_options(yield_per=200))
        for chunk in result.partitions():
            findings = findings_by_version(session, [version_row.id for _, _, version_row in chunk])
            unprinted = _unprinted_by_form(session, [form.id for form, _, _ in chunk])
            for form, document, version_row in chunk:
                item = _item(form, document, version_row, findings.get(version_row.id, []))
                item.envelope.meta["review"]["not_as_printed"] = unprinted.get(form.id, {})
                item.relative_path = relative_to(document.path, base)
                yield item


def _unprinted_by_form(session: Session, form_ids: list[int]) -> dict[int, dict[str, str]]:
    """Per form: the fields whose value the source does not print (see ``not_as_printed``)."""
    marked = session.scalars(
        select(EditRow.form_id).where(EditRow.form_id.in_(form_ids), EditRow.action.in_(UNPRINTED_ACTIONS)).distinct()
    ).all()
    if not marked:
        return {}
    edits: dict[int, list[EditRow]] = {}
    for edit in session.scalars(select(EditRow).where(EditRow.form_id.in_(marked)).order_by(EditRow.id)):
        edits.setdefault(edit.form_id, []).append(edit)
    return {form_id: found for form_id, rows in edits.items() if (found := not_as_printed(rows))}


def _item(form: FormRow, document: DocumentRow, version_row: RecordVersionRow, findings: list[Finding]) -> ExportItem:
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
            template=form.template,
        ),
        backend=form.backend,
        record=_stored_record(form.id, version_row.record),
        provenance={k: [SourceSpan.model_validate(s) for s in v] for k, v in version_row.provenance.items()},
        findings=findings,
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
    return ExportItem(form, document, envelope)


def write_jsonl(items: Iterable[ExportItem], out: IO[str]) -> None:
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
        "path": item.shown_path,
        "form_index": item.form.form_index,
        "backend": item.form.backend,
    }
    record = item.record
    for key in FORM_COLUMNS[len(_FORM_KEYS) : -3]:
        row[key] = value_at(record, key)
    row["indicator_count"] = len(record["indicators"]) if record else 0
    row["open_errors"] = " ".join(sorted({f.code for f in item.envelope.findings if f.severity.value == "error"}))
    row["not_as_printed"] = " ".join(sorted(review.get("not_as_printed") or {}))
    return row


def _indicator_rows(item: ExportItem) -> Iterator[dict[str, Any]]:
    record = item.record
    if record is None:
        return
    for position, indicator in enumerate(record["indicators"]):
        yield {
            "form_id": item.form.id,
            "path": item.shown_path,
            "form_index": item.form.form_index,
            "project_name": record["project_name"],
            "position": position,
            **indicator,
        }


#: what a spreadsheet reads as the start of a formula (OWASP, CSV injection)
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_safe(key: str, value: Any) -> Any:
    """A CSV cell: numbers as they are, text that could be a formula quoted with ``'``."""
    if value is None:
        return ""
    if isinstance(value, str) and key.rsplit(".", 1)[-1] not in _NUMERIC and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def write_csv(items: Iterable[ExportItem], out: IO[str], *, header: bool = True) -> None:
    """One row per form: header fields, the 4x6 funding block, counts.
    ``header=False`` continues a CSV written a batch at a time."""
    writer = csv.DictWriter(out, fieldnames=list(FORM_COLUMNS), lineterminator="\n")
    if header:
        writer.writeheader()
    for item in items:
        writer.writerow({k: csv_safe(k, v) for k, v in _form_row(item).items()})


def _places_format(number: Decimal) -> str:
    """A number format showing the places the document printed."""
    exponent = number.as_tuple().exponent
    places = -exponent if isinstance(exponent, int) and exponent < 0 else 0
    return "0" if places == 0 else "0." + "0" * places


def _cell_value(key: str, value: Any) -> tuple[Any, str | None]:
    """A decimal string becomes a number shown with its printed places."""
    last = key.rsplit(".", 1)[-1]
    if value is None or last not in _NUMERIC or isinstance(value, int):
        return value, None
    number = Decimal(str(value))
    return number, _places_format(number)


def _width(column: str) -> int:
    last = column.rsplit(".", 1)[-1]
    if last in _NUMERIC or column in ("form_id", "version", "form_index", "position", "indicator_count"):
        return max(len(column) + 2, 10)
    return 40 if last in ("project_name", "path", "target", "actual", "name") else 24


#: the ``audit`` sheet: every row of the append-only trail
AUDIT_COLUMNS = ("id", "at", "form_id", "reviewer", "action", "field", "old_value", "new_value", "reason", "versions")
#: the ``decisions`` sheet: every approval, rejection, reopening and undone decision
DECISION_COLUMNS = ("at", "form_id", "path", "form_index", "project_name", "decision", "reviewer", "reason")
#: the ``discrepancies`` sheet: each broken equation an approved form keeps, as the document prints it
DISCREPANCY_COLUMNS = (
    "form_id",
    "path",
    "form_index",
    "project_name",
    "check",
    "fields",
    "printed",
    "expected",
    "message",
    "approved_by",
    "approved_at",
    "reason",
)
#: the ``changes`` sheet: each value a reviewer changed from what was extracted
CHANGE_COLUMNS = (
    "at",
    "form_id",
    "path",
    "form_index",
    "project_name",
    "field",
    "old_value",
    "new_value",
    "reviewer",
    "action",
    "reason",
    "not_as_printed",
)
#: the summary's table of checks: review items by what became of them
CHECK_COLUMNS = ("check", "open", "approved as printed", "fixed", "rejected", "superseded")
_DECISIONS = ("approve", "reject", "reopen")
_VALUE_CHANGES = ("edit", "correct", "unprinted", "repair", "undo")


def _naive(moment: datetime | None) -> datetime | None:
    """A date cell (UTC): openpyxl takes no time zones."""
    return None if moment is None else moment.replace(tzinfo=None)


def _shown(value: Any) -> Any:
    """A trail value for a cell: an amount as a number, anything else as text."""
    if value is None or isinstance(value, int | float):
        return value
    if isinstance(value, str):
        try:
            number = Decimal(value)
        except ArithmeticError:
            return value
        return number if number.is_finite() else value
    return json.dumps(value, ensure_ascii=False)


def _audit_rows(store: Store) -> Iterator[dict[str, Any]]:
    with store.read() as session:
        query = select(EditRow).order_by(EditRow.id).execution_options(yield_per=500)
        for edit in session.scalars(query):
            yield {
                "id": edit.id,
                "at": _naive(edit.at),
                "form_id": edit.form_id,
                "reviewer": edit.reviewer,
                "action": edit.action,
                "field": edit.field,
                "old_value": None if edit.old_value is None else json.dumps(edit.old_value, ensure_ascii=False),
                "new_value": None if edit.new_value is None else json.dumps(edit.new_value, ensure_ascii=False),
                "reason": edit.reason,
                "versions": f"{edit.from_version}→{edit.to_version}",
            }


def _trail_rows(store: Store, base: str | None, *conditions: Any) -> Iterator[tuple[EditRow, dict[str, Any]]]:
    """Trail rows matching ``conditions``, each with the columns every trail
    sheet starts with: when, and which form (title, index, relative path)."""
    with store.read() as session:
        base = store_path_base(session) if base is None else base
        query = (
            select(EditRow, FormRow.title, FormRow.form_index, DocumentRow.path)
            .join(FormRow, FormRow.id == EditRow.form_id)
            .join(DocumentRow, DocumentRow.id == FormRow.document_id)
            .where(*conditions)
            .order_by(EditRow.id)
            .execution_options(yield_per=500)
        )
        for edit, title, form_index, path in session.execute(query):
            yield (
                edit,
                {
                    "at": _naive(edit.at),
                    "form_id": edit.form_id,
                    "path": relative_to(path, base),
                    "form_index": form_index,
                    "project_name": title,
                },
            )


def _decision_rows(store: Store, base: str | None) -> Iterator[dict[str, Any]]:
    undone_decision = (EditRow.action == "undo") & EditRow.field.is_(None)
    for edit, head in _trail_rows(store, base, EditRow.action.in_(_DECISIONS) | undone_decision):
        yield head | {
            "decision": edit.action,
            "reviewer": edit.reviewer,
            "reason": edit.reason,
        }


def _change_rows(store: Store, base: str | None) -> Iterator[dict[str, Any]]:
    changed = (EditRow.action.in_(_VALUE_CHANGES), EditRow.field.is_not(None))
    for edit, head in _trail_rows(store, base, *changed):
        yield head | {
            "field": edit.field,
            "old_value": _shown(edit.old_value),
            "new_value": _shown(edit.new_value),
            "reviewer": edit.reviewer,
            "action": edit.action,
            "reason": edit.reason,
            "not_as_printed": "yes" if edit.action in UNPRINTED_ACTIONS else "",
        }


def _discrepancy_rows(store: Store, base: str | None) -> Iterator[dict[str, Any]]:
    """The error findings approved forms keep: the reviewer said the document itself prints them."""
    with store.read() as session:
        base = store_path_base(session) if base is None else base
        reasons = dict(
            session.execute(
                select(EditRow.form_id, EditRow.reason).where(EditRow.action == "approve").order_by(EditRow.id)
            ).all()
        )  # the latest approval's reason per form
        query = (
            select(FormRow, DocumentRow.path, FindingRow)
            .join(DocumentRow, DocumentRow.id == FormRow.document_id)
            .join(
                RecordVersionRow,
                (RecordVersionRow.form_id == FormRow.id) & (RecordVersionRow.number == FormRow.record_number),
            )
            .join(FindingRow, FindingRow.record_version_id == RecordVersionRow.id)
            .where(FormRow.status == "approved", FindingRow.severity == "error")
            .order_by(DocumentRow.path, FormRow.form_index, FormRow.backend, FindingRow.position)
            .execution_options(yield_per=500)
        )
        for form, path, finding in session.execute(query):
            yield {
                "form_id": form.id,
                "path": relative_to(path, base),
                "form_index": form.form_index,
                "project_name": form.title,
                "check": finding.code,
                "fields": " ".join(finding.fields),
                "printed": _shown(finding.printed),
                "expected": _shown(finding.expected),
                "message": finding.message,
                "approved_by": form.reviewed_by,
                "approved_at": _naive(form.reviewed_at),
                "reason": reasons.get(form.id),
            }


def _summary_rows(store: Store) -> list[tuple[str, Any]]:
    from crossfoot.review.queue import counts

    numbers = counts(store)
    rows: list[tuple[str, Any]] = [("forms", sum(numbers.by_status.values()))]
    rows += [(status.replace("_", " "), n) for status, n in numbers.by_status.items()]
    rows += [("open items", numbers.open_items)]
    rows += [(f"open: {code}", n) for code, n in numbers.by_code]
    return rows


def _check_rows(store: Store) -> list[tuple[Any, ...]]:
    """Per check: its review items open, approved as printed, fixed, rejected, superseded."""
    outcome = func.coalesce(ReviewItemRow.resolution, "open")
    with store.read() as session:
        found = session.execute(
            select(ReviewItemRow.code, outcome, func.count()).group_by(ReviewItemRow.code, outcome)
        ).all()
    table: dict[str, dict[str, int]] = {}
    for code, resolution, n in found:
        table.setdefault(code, {})[resolution] = n
    keys = ("open", "approved", "fixed", "rejected", "superseded")
    return [(code, *(table[code].get(key, 0) for key in keys)) for code in sorted(table)]


def write_xlsx(items: Iterable[ExportItem], path: Path, *, store: Store | None = None, base: str | None = None) -> None:
    """A workbook with a ``forms`` sheet and an ``indicators`` sheet, written
    as a stream (openpyxl's write-only mode). With ``store``, what a manager
    is handed (issue 11, item 14): also ``decisions`` (every approval,
    rejection, reopening: who, when, why), ``discrepancies`` (each broken
    equation an approved form keeps as printed: printed vs expected),
    ``changes`` (each value changed from the extraction: old -> new, by
    whom, why), ``audit`` (the whole trail) and ``summary`` (forms by
    status, open items, and per check what became of its items). Times are
    date cells (UTC); paths are relative to the input folder ``base``
    (default: the documents' common folder)."""
    try:
        from openpyxl import Workbook  # type: ignore[import-untyped,unused-ignore]
        from openpyxl.cell import WriteOnlyCell  # type: ignore[import-untyped,unused-ignore]
        from openpyxl.styles import Font  # type: ignore[import-untyped,unused-ignore]
        from openpyxl.utils import get_column_letter  # type: ignore[import-untyped,unused-ignore]
    except ImportError as exc:  # pragma: no cover - the review extra brings it
        raise StoreError("xlsx export needs openpyxl: pip install 'crossfoot[review]'") from exc
    book = Workbook(write_only=True)
    sheets = {"forms": FORM_COLUMNS, "indicators": INDICATOR_SHEET_COLUMNS}
    written = {}
    for title, columns in sheets.items():
        sheet = book.create_sheet(title)
        sheet.freeze_panes = "A2"
        for index, column in enumerate(columns, start=1):
            sheet.column_dimensions[get_column_letter(index)].width = _width(column)
        header = []
        for column in columns:
            cell = WriteOnlyCell(sheet, value=column)
            cell.font = Font(bold=True)
            header.append(cell)
        sheet.append(header)
        written[title] = sheet

    def header_cells(sheet: Any, columns: tuple[str, ...]) -> list[Any]:
        out = []
        for column in columns:
            cell = WriteOnlyCell(sheet, value=column)
            cell.font = Font(bold=True)
            out.append(cell)
        return out

    def cells(sheet: Any, columns: tuple[str, ...], row: dict[str, Any]) -> list[Any]:
        out = []
        for column in columns:
            value, number_format = _cell_value(column, row.get(column))
            if column == "reviewed_at" and isinstance(value, str):
                value = datetime.fromisoformat(value)
            if isinstance(value, datetime):
                value = value.replace(tzinfo=None)  # a date cell (UTC): openpyxl takes no time zones
                number_format = "yyyy-mm-dd hh:mm:ss"
            elif isinstance(value, Decimal) and number_format is None:
                number_format = _places_format(value)
            cell = WriteOnlyCell(sheet, value=value)
            if isinstance(value, str):
                cell.data_type = "s"  # text is text, even when it starts with "="
            if number_format:
                cell.number_format = number_format
            out.append(cell)
        return out

    try:
        for item in items:
            written["forms"].append(cells(written["forms"], FORM_COLUMNS, _form_row(item)))
            for indicator in _indicator_rows(item):
                written["indicators"].append(cells(written["indicators"], INDICATOR_SHEET_COLUMNS, indicator))
        if store is not None:
            manager = (
                ("decisions", DECISION_COLUMNS, _decision_rows(store, base)),
                ("discrepancies", DISCREPANCY_COLUMNS, _discrepancy_rows(store, base)),
                ("changes", CHANGE_COLUMNS, _change_rows(store, base)),
                ("audit", AUDIT_COLUMNS, _audit_rows(store)),
            )
            for title, columns, rows in manager:
                sheet = written[title] = book.create_sheet(title)
                sheet.freeze_panes = "A2"
                sheet.append(header_cells(sheet, columns))
                for row in rows:
                    sheet.append(cells(sheet, columns, row))
            summary = written["summary"] = book.create_sheet("summary")
            for label, number in _summary_rows(store):
                summary.append([WriteOnlyCell(summary, value=label), WriteOnlyCell(summary, value=number)])
            summary.append([])
            summary.append(header_cells(summary, CHECK_COLUMNS))
            for line in _check_rows(store):
                summary.append([WriteOnlyCell(summary, value=value) for value in line])
    except BaseException:
        for sheet in written.values():
            sheet.close()  # finish openpyxl's half-written sheet streams quietly
        raise
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
    allow_not_as_printed: bool = False,
    now: datetime | None = None,
) -> Path:
    """Write an approved record as a gold fixture (record + ``_source`` + ``_notes``).

    Refuses a form that is not approved, an existing fixture unless
    ``overwrite`` (gold files are precious), and a record holding a value the
    source does not print unless ``allow_not_as_printed`` (gold must not teach
    the eval a number the document never printed); with it, the fixture's
    ``_notes`` and ``_not_as_printed`` name those fields.
    """
    if not by.strip():
        raise StoreError("say who promotes the record (--by NAME)")
    item = next(iter(list(iter_export_items(store, "all", form_id=form_id))), None)
    if item is None:
        raise StoreError(f"no form {form_id} in the store")
    if item.form.status != "approved" or item.record is None:
        raise StoreError(f"form {form_id} is {item.form.status}: only an approved record becomes a fixture")
    unprinted: dict[str, str] = item.envelope.meta["review"].get("not_as_printed") or {}
    if unprinted and not allow_not_as_printed:
        fields = ", ".join(sorted(unprinted))
        raise StoreError(
            f"form {form_id}: {fields} differ from what the source prints; "
            "promote it only with the explicit override (--allow-not-as-printed)"
        )
    target = folder / fixture_name(item.document.path, item.form.form_index)
    if target.exists() and not overwrite:
        raise StoreError(f"{target} exists; pass overwrite to replace a gold fixture")
    stamp = (now or datetime.now(UTC)).isoformat(timespec="seconds")
    fixture = {
        "_source": {"file": item.document.path, "form_index": item.form.form_index, "title_line": item.form.first_line},
        **item.record,
        "_notes": [f"promoted from review by {by.strip()} at {stamp}"]
        + [f"not as printed (override): {path} {why}" for path, why in sorted(unprinted.items())],
    }
    if unprinted:
        fixture["_not_as_printed"] = sorted(unprinted)
    folder.mkdir(parents=True, exist_ok=True)
    target.write_text(json.dumps(fixture, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return target
