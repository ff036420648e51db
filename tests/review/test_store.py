"""The store: schema, idempotent loading, review items, the append-only trail."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError

from crossfoot.model import Envelope, Finding, Severity
from crossfoot.review.edits import save_field, set_status
from crossfoot.review.items import FAILURE_CODE
from crossfoot.review.queue import QueueFilters, counts, queue
from crossfoot.review.store import Store, load_into, load_run, normalize_db_url
from crossfoot.review.tables import (
    Base,
    DocumentRow,
    EditRow,
    FindingRow,
    FormRow,
    RecordVersionRow,
    ReviewItemRow,
    RunRow,
)
from tests.review.helpers import Run

TABLES = (DocumentRow, FormRow, RecordVersionRow, FindingRow, ReviewItemRow, EditRow)


def row_counts(store: Store) -> dict[str, int]:
    with store.read() as session:
        return {t.__tablename__: session.scalar(select(func.count()).select_from(t)) or 0 for t in TABLES}


def form_of(store: Store, path_end: str, index: int) -> FormRow:
    with store.read() as session:
        query = (
            select(FormRow)
            .join(DocumentRow, DocumentRow.id == FormRow.document_id)
            .where(DocumentRow.path.endswith(path_end), FormRow.form_index == index)
        )
        form = session.scalar(query)
    assert form is not None
    return form


def test_migrations_create_exactly_the_tables_the_models_describe(store: Store) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    with store.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert diff == []


def test_reopening_a_migrated_store_keeps_its_data(db_url: str, sample_run: Run) -> None:
    with Store(db_url) as first:
        load_into(first, *sample_run)
        before = row_counts(first)
    with Store(db_url) as again:  # runs `upgrade head` again: a no-op
        assert row_counts(again) == before


def test_a_run_loads_every_form_with_its_document_lines(loaded: Store, sample_run: Run) -> None:
    documents, envelopes = sample_run
    counted = row_counts(loaded)
    assert counted["documents"] == len(documents)
    assert counted["forms"] == len(envelopes)
    assert counted["record_versions"] == len(envelopes)
    assert counted["findings"] == sum(len(e.findings) for e in envelopes)
    with loaded.read() as session:
        stored = {d.sha256: d for d in session.scalars(select(DocumentRow))}
    for document in documents:
        lines = stored[document.sha256].lines
        assert [n for n, _, _ in lines] == [line.number for line in document.lines]
        assert [cells for _, _, cells in lines] == [[c.text for c in line.cells] for line in document.lines]


def test_rerunning_the_same_input_adds_nothing(loaded: Store, sample_run: Run) -> None:
    before = row_counts(loaded)
    summary = load_into(loaded, *sample_run)
    assert row_counts(loaded) == before
    assert summary.forms_new == 0 and summary.forms_reextracted == 0
    assert summary.forms_unchanged == len(sample_run[1])
    with loaded.read() as session:
        assert session.scalar(select(func.count()).select_from(RunRow)) == 2  # the run log still grows


def test_load_run_takes_a_plain_sqlite_path(tmp_path, sample_run: Run) -> None:  # type: ignore[no-untyped-def]
    target = tmp_path / "crossfoot.db"
    summary = load_run(str(target), *sample_run)
    assert target.exists()
    assert summary.forms_new == len(sample_run[1])


def _changed(envelope: Envelope) -> Envelope:
    """The same form as a better extractor would read it: total_score repaired."""
    changed = envelope.model_copy(deep=True)
    assert changed.record is not None
    changed.record.total_score = Decimal("99.00")
    changed.findings = [f for f in changed.findings if f.code != "total_score_mismatch"]
    return changed


def _broken_envelope(run: Run) -> Envelope:
    return next(e for e in run[1] if any(f.code == "total_score_mismatch" for f in e.findings))


def test_a_changed_extraction_of_an_untouched_form_becomes_a_new_version(loaded: Store, sample_run: Run) -> None:
    documents, envelopes = sample_run
    old = _broken_envelope(sample_run)
    new = _changed(old)
    summary = load_into(loaded, documents, [new if e is old else e for e in envelopes])
    assert summary.forms_reextracted == 1 and summary.forms_unchanged == len(envelopes) - 1
    form = form_of(loaded, old.source.path, old.source.form_index)
    assert (form.version, form.record_number) == (2, 2)
    with loaded.read() as session:
        items = session.scalars(select(ReviewItemRow).where(ReviewItemRow.form_id == form.id)).all()
    assert [(i.code, i.resolution) for i in items] == [("total_score_mismatch", "superseded")]


def test_a_changed_extraction_never_overwrites_a_reviewers_edit(loaded: Store, sample_run: Run) -> None:
    documents, envelopes = sample_run
    old = _broken_envelope(sample_run)
    form = form_of(loaded, old.source.path, old.source.form_index)
    save_field(loaded, form.id, "grade", "优", version=form.version, reviewer="ann")
    summary = load_into(loaded, documents, [_changed(old) if e is old else e for e in envelopes])
    assert summary.forms_kept_reviewed == 1 and summary.forms_reextracted == 0
    after = form_of(loaded, old.source.path, old.source.form_index)
    assert after.record_number == 2  # ann's edit, not the new extraction
    with loaded.read() as session:
        record = session.scalar(
            select(RecordVersionRow.record).where(
                RecordVersionRow.form_id == after.id, RecordVersionRow.number == after.record_number
            )
        )
    assert record is not None
    assert record["grade"] == "优" and record["total_score"] == str(old.record.total_score)  # type: ignore[union-attr]


def test_an_approved_record_is_not_replaced_by_a_rerun(loaded: Store, sample_run: Run) -> None:
    documents, envelopes = sample_run
    old = _broken_envelope(sample_run)
    form = form_of(loaded, old.source.path, old.source.form_index)
    set_status(loaded, form.id, "approve", version=form.version, reviewer="ann")
    summary = load_into(loaded, documents, [_changed(old) if e is old else e for e in envelopes])
    assert summary.forms_kept_reviewed == 1
    assert form_of(loaded, old.source.path, old.source.form_index).status == "approved"


def test_review_items_come_from_errors_disagreements_and_failures(store: Store, sample_run: Run) -> None:
    documents, envelopes = sample_run
    clean = next(e for e in envelopes if not any(f.severity is Severity.error for f in e.findings))
    disagreeing = clean.model_copy(deep=True, update={"backend": "hybrid"})
    disagreeing.findings = [
        Finding(
            code="backend_disagreement",
            severity=Severity.warning,
            message="rules read 10, llm read 1.0",
            fields=["funding.total.score"],
        )
    ]
    failed = clean.model_copy(deep=True, update={"backend": "llm", "record": None, "findings": [], "error": "boom"})
    warned = clean.model_copy(deep=True, update={"backend": "other"})
    warned.findings = [Finding(code="grade_missing", severity=Severity.warning, message="no grade", fields=["grade"])]
    load_into(store, documents, [*envelopes, disagreeing, failed, warned])
    rows = queue(store)
    by_backend = {(r.path, r.form_index, r.backend): r for r in rows}
    key = (clean.source.path, clean.source.form_index)
    assert by_backend[(*key, "llm")].codes == [FAILURE_CODE]
    assert by_backend[(*key, "hybrid")].codes == ["backend_disagreement"]
    assert (*key, "other") not in by_backend  # a warning alone is not a review item
    assert (*key, "rules") not in by_backend
    ranks = [r.rank for r in rows]
    assert ranks == sorted(ranks) and rows[0].backend == "llm"  # the failure comes first
    errors = [e for e in envelopes if any(f.severity is Severity.error for f in e.findings)]
    assert len(rows) == len(errors) + 2


def test_counts_add_up(loaded: Store, sample_run: Run) -> None:
    numbers = counts(loaded)
    errors = [f for e in sample_run[1] for f in e.findings if f.severity is Severity.error]
    assert numbers.open_items == len(errors)
    assert sum(n for _, n in numbers.by_code) == numbers.open_items
    assert sum(numbers.by_status.values()) == len(sample_run[1])
    assert sum(total for *_, total in numbers.by_document) == len(sample_run[1])
    waiting = sum(waiting for _, _, waiting, _ in numbers.by_document)
    assert waiting == numbers.by_status["needs_review"] == len(queue(loaded))


def test_queue_filters_narrow_by_code_and_document(loaded: Store) -> None:
    everything = queue(loaded)
    code = everything[0].codes[0]
    by_code = queue(loaded, QueueFilters(code=code))
    assert by_code and all(code in r.codes for r in by_code)
    document = everything[0].document_id
    assert all(r.document_id == document for r in queue(loaded, QueueFilters(document=document)))
    assert len(queue(loaded, QueueFilters(status="all"))) == row_counts(loaded)["forms"]


def test_the_edit_trail_is_append_only_in_the_database(loaded: Store) -> None:
    with pytest.raises(DBAPIError, match="append-only"), loaded.write() as session:
        session.execute(text("UPDATE edits SET reviewer = 'mallory'"))
    with pytest.raises(DBAPIError, match="append-only"), loaded.write() as session:
        session.execute(text("DELETE FROM edits"))
    with loaded.read() as session:
        assert set(session.scalars(select(EditRow.reviewer))) == {"crossfoot run"}


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("crossfoot.db", "sqlite:///crossfoot.db"),
        ("/tmp/x.db", "sqlite:////tmp/x.db"),
        ("postgresql://u@h/db", "postgresql+psycopg://u@h/db"),
        ("postgres://u@h/db", "postgresql+psycopg://u@h/db"),
        ("sqlite:///a.db", "sqlite:///a.db"),
    ],
)
def test_db_urls(given: str, expected: str) -> None:
    assert normalize_db_url(given) == expected


def test_a_skip_sticks_until_the_form_changes(loaded: Store) -> None:
    """Issue 11, item 7: a skipped form waits at the end of the queue."""
    from crossfoot.review.edits import save_field, skip

    first, second = queue(loaded)[:2]
    skip(loaded, first.form_id, reviewer="ann")
    order = [row.form_id for row in queue(loaded)]
    assert order[0] == second.form_id and order[-1] == first.form_id
    assert queue(loaded)[-1].skipped
    save_field(loaded, first.form_id, "department", "某局", version=first.version, reviewer="bob")
    assert not next(r for r in queue(loaded) if r.form_id == first.form_id).skipped  # changed: back in line


def test_progress_counts_the_forms_a_filter_is_about(loaded: Store) -> None:
    """Issue 11, item 6: "12 of 40 done", and a check filter keeps counting an approved form."""
    from crossfoot.review.edits import set_status
    from crossfoot.review.queue import progress

    row = queue(loaded)[0]
    code = row.codes[0]
    before = progress(loaded, QueueFilters(code=code))
    assert before.done == 0 and before.total == len(queue(loaded, QueueFilters(code=code)))
    everything = progress(loaded)
    set_status(loaded, row.form_id, "approve", version=row.version, reviewer="ann")
    after = progress(loaded, QueueFilters(code=code))
    assert (after.done, after.total) == (1, before.total)
    assert (progress(loaded).done, progress(loaded).total) == (1, everything.total)


def test_filters_survive_a_round_trip_through_the_url() -> None:
    filters = QueueFilters(status="all", code="total_score_mismatch", document=3)
    assert QueueFilters.parse(filters.query()) == filters
    assert QueueFilters.parse("document=x&status=") == QueueFilters()
    assert QueueFilters().suffix == ""


def test_the_count_cards_follow_the_filters(loaded: Store) -> None:
    """Issue 11, item 6: the cards count the forms of the filter, not the whole store."""
    everything = counts(loaded)
    code = queue(loaded)[0].codes[0]
    by_code = counts(loaded, QueueFilters(code=code))
    assert by_code.by_status["needs_review"] == len(queue(loaded, QueueFilters(code=code)))
    assert by_code.open_items == dict(everything.by_code)[code]
    assert by_code.by_status["clean"] == 0  # a clean form has no item of any check
    document = queue(loaded)[0].document_id
    in_document = counts(loaded, QueueFilters(document=document))
    assert sum(in_document.by_status.values()) == len(queue(loaded, QueueFilters(status="all", document=document)))
    assert sum(n for _, n in in_document.by_code) == in_document.open_items <= everything.open_items
    assert in_document.by_document == everything.by_document  # every document stays listed
