"""Editing: checks re-run, optimistic concurrency, the audit trail."""

from __future__ import annotations

import threading
from decimal import Decimal

import pytest
from sqlalchemy import select

from crossfoot.check import run_checks
from crossfoot.errors import ConflictError, StoreError
from crossfoot.model import FUNDING_COLUMNS, Record
from crossfoot.review.edits import apply_repair, coerce_value, save_field, set_status, skip, start_record, undo
from crossfoot.review.queue import QueueFilters, queue
from crossfoot.review.store import Store, load_into
from crossfoot.review.tables import EditRow, ReviewItemRow
from crossfoot.review.view import form_view
from tests.review.helpers import Run


def first_repairable(store: Store) -> int:
    """A queued form whose checks suggest a repair (the 002 sample has them)."""
    for row in queue(store):
        view = form_view(store, row.form_id)
        if any(fv.finding.repair for fv in view.findings):
            return row.form_id
    raise AssertionError("the samples should hold a form with a suggested repair")


def trail(store: Store, form_id: int) -> list[EditRow]:
    with store.read() as session:
        return list(session.scalars(select(EditRow).where(EditRow.form_id == form_id).order_by(EditRow.id)))


def test_applying_the_repair_clears_the_finding_and_closes_the_item(loaded: Store) -> None:
    form_id = first_repairable(loaded)
    before = form_view(loaded, form_id)
    repair = next(fv.finding.repair for fv in before.findings if fv.finding.repair)
    assert repair is not None
    outcome = apply_repair(loaded, form_id, repair.field, version=before.form.version, reviewer="ann")
    after = form_view(loaded, form_id)
    assert outcome.version == after.form.version == before.form.version + 1
    assert after.record is not None and after.record[repair.field.split(".")[0]] is not None
    record = Record.model_validate(after.record)
    assert [f.code for f in after.findings] == [f.code for f in run_checks(record)]  # stored = re-run
    assert not any(fv.finding.repair for fv in after.findings)
    assert after.open_items == []
    assert after.form.status == "needs_review"  # fixed, but a person still approves it
    last = trail(loaded, form_id)[-1]
    assert (last.reviewer, last.action, last.field) == ("ann", "correct", repair.field)
    assert (last.old_value, last.new_value) == (repair.printed, repair.value)
    assert last.reason and repair.value in last.reason
    with loaded.read() as session:
        closed = session.scalars(select(ReviewItemRow).where(ReviewItemRow.form_id == form_id)).all()
    assert {(i.resolution, i.closed_by) for i in closed} == {("fixed", "ann")}


def test_breaking_a_number_opens_an_item(loaded: Store) -> None:
    clean = next(r for r in queue(loaded, None) if r.status == "needs_review")
    view = form_view(loaded, clean.form_id)
    save_field(loaded, clean.form_id, "total_weight", "90", version=view.form.version, reviewer="bob")
    codes = {i.code for i in form_view(loaded, clean.form_id).open_items}
    assert "total_weight_not_100" in codes or "total_weight_mismatch" in codes


def test_a_stale_version_gets_a_conflict_and_changes_nothing(loaded: Store) -> None:
    form_id = first_repairable(loaded)
    seen = form_view(loaded, form_id).form.version
    save_field(loaded, form_id, "grade", "良", version=seen, reviewer="ann")
    with pytest.raises(ConflictError) as caught:
        save_field(loaded, form_id, "grade", "差", version=seen, reviewer="bob")
    assert caught.value.current_version == seen + 1
    view = form_view(loaded, form_id)
    assert view.record is not None and view.record["grade"] == "良"
    assert [e.reviewer for e in trail(loaded, form_id) if e.action == "edit"] == ["ann"]


def test_two_reviewers_saving_the_same_version_at_once_one_wins(loaded: Store) -> None:
    form_id = first_repairable(loaded)
    seen = form_view(loaded, form_id).form.version
    barrier = threading.Barrier(8)
    results: list[str] = []

    def save(n: int) -> None:
        barrier.wait()
        try:
            save_field(loaded, form_id, "project_name", f"name {n}", version=seen, reviewer=f"r{n}")
            results.append(f"ok {n}")
        except ConflictError:
            results.append("conflict")

    threads = [threading.Thread(target=save, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    winners = [r for r in results if r.startswith("ok")]
    assert len(winners) == 1 and results.count("conflict") == 7
    view = form_view(loaded, form_id)
    assert view.form.version == seen + 1
    assert view.record is not None and view.record["project_name"] == "name " + winners[0].split()[1]
    assert len([e for e in trail(loaded, form_id) if e.action == "edit"]) == 1


def test_editing_an_approved_record_is_an_audited_reopen(loaded: Store) -> None:
    form_id = first_repairable(loaded)
    version = form_view(loaded, form_id).form.version
    set_status(loaded, form_id, "approve", version=version, reviewer="ann", reason="as printed")
    approved = form_view(loaded, form_id)
    assert approved.form.status == "approved" and approved.form.reviewed_by == "ann"
    assert approved.open_items == []
    with pytest.raises(ConflictError):  # the approval moved the version on
        save_field(loaded, form_id, "grade", "优", version=version, reviewer="bob")
    save_field(loaded, form_id, "grade", "优", version=approved.form.version, reviewer="bob", reason="typo")
    after = form_view(loaded, form_id)
    assert after.form.status == "needs_review"
    actions = [(e.action, e.reviewer) for e in trail(loaded, form_id)]
    assert actions[-3:] == [("approve", "ann"), ("reopen", "bob"), ("edit", "bob")]
    assert trail(loaded, form_id)[-1].reason == "typo"


def test_reject_and_reopen(loaded: Store) -> None:
    form_id = first_repairable(loaded)
    version = form_view(loaded, form_id).form.version
    set_status(loaded, form_id, "reject", version=version, reviewer="ann")
    assert form_view(loaded, form_id).form.status == "rejected"
    assert form_id not in [r.form_id for r in queue(loaded)]
    set_status(loaded, form_id, "reopen", version=version + 1, reviewer="ann")
    view = form_view(loaded, form_id)
    assert view.form.status == "needs_review" and view.open_items  # the error is back in the queue


def test_skip_is_recorded_but_changes_nothing(loaded: Store) -> None:
    form_id = first_repairable(loaded)
    before = form_view(loaded, form_id)
    skip(loaded, form_id, reviewer="ann")
    after = form_view(loaded, form_id)
    assert after.form.version == before.form.version
    assert trail(loaded, form_id)[-1].action == "skip"


def test_every_change_needs_a_name(loaded: Store) -> None:
    form_id = first_repairable(loaded)
    version = form_view(loaded, form_id).form.version
    with pytest.raises(StoreError, match="who you are"):
        save_field(loaded, form_id, "grade", "优", version=version, reviewer="  ")
    with pytest.raises(StoreError, match="who you are"):
        set_status(loaded, form_id, "approve", version=version, reviewer=None)


@pytest.mark.parametrize(
    ("path", "raw", "message"),
    [
        ("total_score", "ninety", "not a number"),
        ("year", "20x1", "not a year"),
        ("indicators.0.level1", "不存在", "indicators.0.level1"),
        ("indicators.999.score", "1", "not an editable field"),
        ("funding.total.nonsense", "1", "not an editable field"),
        ("amount_unit", "美元", "amount_unit"),
    ],
)
def test_values_the_record_cannot_take_are_refused(loaded: Store, path: str, raw: str, message: str) -> None:
    form_id = first_repairable(loaded)
    version = form_view(loaded, form_id).form.version
    with pytest.raises(StoreError, match=message):
        save_field(loaded, form_id, path, raw, version=version, reviewer="ann")
    assert form_view(loaded, form_id).form.version == version


def test_setting_a_cell_of_an_unprinted_funding_row_creates_the_row(store: Store, sample_run: Run) -> None:
    documents, envelopes = sample_run
    envelope = envelopes[0].model_copy(deep=True)
    assert envelope.record is not None
    envelope.record.funding.other = None  # a form that never printed 其他资金
    load_into(store, documents[:1], [envelope])
    (row,) = queue(store, QueueFilters(status="all"))
    save_field(store, row.form_id, "funding.other.executed", "0", version=row.version, reviewer="ann")
    after = form_view(store, row.form_id)
    assert after.record is not None
    assert after.record["funding"]["other"] == {**dict.fromkeys(FUNDING_COLUMNS), "executed": "0"}


@pytest.mark.parametrize(
    ("path", "raw", "value"),
    [
        ("total_score", "96.38", "96.38"),
        ("funding.total.executed", "375,000", "375000"),
        ("funding.total.execution_rate", "100.00%", "100.00"),
        ("indicators.3.score", "—", None),
        ("total_score", "", None),
        ("year", " 2021 ", 2021),
        ("department", "  ", None),
        ("project_name", "", ""),
    ],
)
def test_typed_text_becomes_contract_values(path: str, raw: str, value: object) -> None:
    assert coerce_value(path, raw) == value


def test_a_failed_extraction_can_be_started_by_hand(store: Store, sample_run: Run) -> None:
    documents, envelopes = sample_run
    failed = envelopes[0].model_copy(deep=True, update={"record": None, "findings": [], "error": "backend broke"})
    load_into(store, documents[:1], [failed])
    (row,) = queue(store)
    with pytest.raises(StoreError, match="start one first"):
        save_field(store, row.form_id, "grade", "优", version=row.version, reviewer="ann")
    start_record(store, row.form_id, version=row.version, reviewer="ann")
    save_field(store, row.form_id, "total_score", "88.5", version=row.version + 1, reviewer="ann")
    view = form_view(store, row.form_id)
    assert view.record is not None and Decimal(view.record["total_score"]) == Decimal("88.5")
    assert [e.action for e in trail(store, row.form_id)] == ["extract", "start", "edit"]


def test_an_empty_box_never_blanks_a_printed_number(loaded: Store) -> None:
    """Issue 11, item 1: clearing a printed number is an explicit action."""
    row = queue(loaded)[0]
    before = form_view(loaded, row.form_id)
    assert before.record is not None and before.record["total_score"] is not None
    with pytest.raises(StoreError, match="Type — to clear it"):
        save_field(loaded, row.form_id, "total_score", "  ", version=row.version, reviewer="ann")
    assert form_view(loaded, row.form_id).form.version == row.version  # nothing written
    save_field(loaded, row.form_id, "total_score", "—", version=row.version, reviewer="ann", reason="not printed")
    after = form_view(loaded, row.form_id)
    assert after.record is not None and after.record["total_score"] is None
    last = trail(loaded, row.form_id)[-1]
    assert (last.field, last.old_value, last.new_value) == ("total_score", before.record["total_score"], None)


def test_a_repair_is_saved_only_as_the_value_the_reviewer_saw(loaded: Store) -> None:
    form_id = first_repairable(loaded)
    view = form_view(loaded, form_id)
    repair = next(fv.finding.repair for fv in view.findings if fv.finding.repair)
    assert repair is not None
    with pytest.raises(StoreError, match="nothing saved"):
        apply_repair(loaded, form_id, repair.field, version=view.form.version, reviewer="ann", value="1.5")
    assert form_view(loaded, form_id).form.version == view.form.version
    with pytest.raises(ConflictError):  # a stale page: a conflict, not "no repair any more"
        apply_repair(loaded, form_id, repair.field, version=view.form.version - 1, reviewer="ann", value=repair.value)


def test_undo_takes_back_an_edit_or_an_approval_as_audited_changes(loaded: Store) -> None:
    """Issue 11, item 3: undo is one more audited change; undoing an undo is refused."""
    row = queue(loaded)[0]
    printed = form_view(loaded, row.form_id).record["total_score"]  # type: ignore[index]
    edited = save_field(loaded, row.form_id, "total_score", "12.5", version=row.version, reviewer="ann")
    back = undo(loaded, row.form_id, version=edited.version, reviewer="bob")
    view = form_view(loaded, row.form_id)
    assert view.record is not None and view.record["total_score"] == printed
    last = trail(loaded, row.form_id)[-1]
    assert (last.action, last.reviewer, last.field, last.old_value, last.new_value) == (
        "undo",
        "bob",
        "total_score",
        "12.5",
        printed,
    )
    with pytest.raises(StoreError, match="nothing to undo"):
        undo(loaded, row.form_id, version=back.version, reviewer="bob")

    edited = save_field(loaded, row.form_id, "total_score", "12.5", version=back.version, reviewer="ann")
    approved = set_status(loaded, row.form_id, "approve", version=edited.version, reviewer="ann")
    undo(loaded, row.form_id, version=approved.version, reviewer="bob")
    view = form_view(loaded, row.form_id)
    assert view.form.status == "needs_review" and view.form.reviewed_by is None
    assert view.record is not None and view.record["total_score"] == "12.5"  # only the approval went
    assert [e.action for e in trail(loaded, row.form_id)][-3:] == ["edit", "approve", "undo"]
    with pytest.raises(ConflictError):
        undo(loaded, row.form_id, version=row.version, reviewer="bob")


def test_undoing_an_unprinted_value_clears_its_mark(loaded: Store) -> None:
    row = queue(loaded)[0]
    first = save_field(loaded, row.form_id, "total_score", "99", version=row.version, reviewer="a", action="unprinted")
    assert "total_score" in form_view(loaded, row.form_id).unprinted
    undo(loaded, row.form_id, version=first.version, reviewer="a")
    assert form_view(loaded, row.form_id).unprinted == {}


def test_bulk_approve_as_printed_with_one_reason(loaded: Store) -> None:
    """Issue 11, item 8: one reason, one audited approval per form; a stale pick is left alone."""
    from crossfoot.review.edits import approve_as_printed

    code = "total_score_mismatch"
    rows = queue(loaded, QueueFilters(code=code))
    assert len(rows) >= 3
    other = next(r for r in queue(loaded) if code not in r.codes)
    with pytest.raises(StoreError, match="needs a reason"):
        approve_as_printed(loaded, [(rows[0].form_id, rows[0].version)], code=code, reviewer="ann", reason=" ")
    stale = save_field(loaded, rows[2].form_id, "department", "某局", version=rows[2].version, reviewer="bob")
    assert stale.changed
    picks = [(r.form_id, r.version) for r in rows[:3]] + [(other.form_id, other.version)]
    outcome = approve_as_printed(loaded, picks, code=code, reviewer="ann", reason="总分印错，原件如此")
    assert outcome.approved == [rows[0].form_id, rows[1].form_id]
    assert set(outcome.refused) == {rows[2].form_id, other.form_id}
    for form_id in outcome.approved:
        view = form_view(loaded, form_id)
        assert view.form.status == "approved" and view.form.reviewed_by == "ann"
        assert view.edits[0].reason == f"the document itself is wrong, approved as printed: [{code}] 总分印错，原件如此"
    assert form_view(loaded, rows[2].form_id).form.status == "needs_review"
