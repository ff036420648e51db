"""Concurrent writers on a real SQLite file and a real PostgreSQL: a re-run
racing an approval (issue 9, item 14), runs loading at once (item 15), and a
reviewer saving during a long load (item 16). Every wait is bounded."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import event, func, select

from crossfoot.errors import ConflictError
from crossfoot.model import Envelope
from crossfoot.review.edits import set_status, skip
from crossfoot.review.queue import queue
from crossfoot.review.store import Store, StoreBusyError, load_into, load_run
from crossfoot.review.tables import DocumentRow, EditRow, FormRow, RecordVersionRow
from tests.review.helpers import Run

#: the longest any test here waits for another thread
BOUND_S = 60.0


def renamed(envelope: Envelope, name: str) -> Envelope:
    """The same form re-extracted with a different project name."""
    assert envelope.record is not None
    return envelope.model_copy(update={"record": envelope.record.model_copy(update={"project_name": name})})


def run_threads(targets: list[Callable[[], Any]]) -> list[BaseException | None]:
    """Run each target in its own thread at once; what each raised, in order."""
    outcomes: list[BaseException | None] = [None] * len(targets)
    start = threading.Barrier(len(targets))

    def runner(index: int) -> None:
        start.wait(BOUND_S)
        try:
            targets[index]()
        except BaseException as exc:
            outcomes[index] = exc

    threads = [threading.Thread(target=runner, args=(i,), daemon=True) for i in range(len(targets))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(BOUND_S)
        assert not thread.is_alive(), "a writer hung"
    return outcomes


def test_a_rerun_never_replaces_an_approval_that_lands_mid_load(db_url: str, sample_run: Run) -> None:
    """Item 14: an approval committed after the loader checked "nobody
    reviewed it" but before it wrote must win, or fail as a conflict; never an
    approved form holding the re-extracted record, never two audit rows 1→2."""
    documents, envelopes = sample_run
    with Store(db_url) as loader_store, Store(db_url) as reviewer_store:
        load_into(loader_store, documents, envelopes)
        row = queue(reviewer_store)[0]
        with reviewer_store.read() as session:
            form = session.get(FormRow, row.form_id)
            assert form is not None
            sha256 = session.scalar(select(DocumentRow.sha256).where(DocumentRow.id == form.document_id))
            target = next(e for e in envelopes if (e.source.sha256, e.source.form_index) == (sha256, form.form_index))
            assert target.record is not None
            document_id, seen = form.document_id, form.version
        same_document = [e for e in envelopes if e.source.sha256 == target.source.sha256]
        rerun = [renamed(e, "重新提取的名称") if e is target else e for e in same_document]

        approval: dict[str, Any] = {}
        fired = threading.Event()

        def approve() -> None:
            try:
                approval["outcome"] = set_status(reviewer_store, row.form_id, "approve", version=seen, reviewer="ann")
            except ConflictError as exc:
                approval["outcome"] = exc

        def between_check_and_write(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
            # The loader has read the form and decided to re-extract it: a
            # reviewer approves it now, from another connection.
            if fired.is_set() or not statement.lstrip().upper().startswith(
                ("INSERT INTO RECORD_VERSIONS", "UPDATE FORMS")
            ):
                return
            fired.set()
            thread = threading.Thread(target=approve, daemon=True)
            thread.start()
            thread.join(3.0)  # blocked behind the loader's lock (fixed) or done (the old race)
            approval["thread"] = thread

        event.listen(loader_store.engine, "before_cursor_execute", between_check_and_write)
        try:
            summary = load_into(loader_store, documents[:0], rerun)
        finally:
            event.remove(loader_store.engine, "before_cursor_execute", between_check_and_write)
        assert fired.is_set(), "the loader re-extracted the form"
        approval["thread"].join(BOUND_S)
        assert "outcome" in approval

        with reviewer_store.read() as session:
            form = session.get(FormRow, row.form_id)
            assert form is not None and form.document_id == document_id
            shown = session.scalar(
                select(RecordVersionRow).where(
                    RecordVersionRow.form_id == form.id, RecordVersionRow.number == form.record_number
                )
            )
            assert shown is not None and shown.record is not None
            steps = session.execute(
                select(EditRow.to_version, func.count())
                .where(EditRow.form_id == form.id, EditRow.from_version != EditRow.to_version)
                .group_by(EditRow.to_version)
            ).all()
        if form.status == "approved":
            assert shown.record["project_name"] != "重新提取的名称", "an approved form holds an unreviewed record"
            assert summary.forms_kept_reviewed == 1
        else:
            assert isinstance(approval["outcome"], ConflictError)
            assert shown.record["project_name"] == "重新提取的名称"
        assert all(count == 1 for _, count in steps), f"two audit rows claim the same version step: {steps}"
        assert form.version == max(version for version, _ in steps)


def test_concurrent_runs_into_one_store_load_each_form_once(db_url: str, sample_run: Run) -> None:
    """Item 15: three `crossfoot run`s loading the same results at once
    neither crash (no UniqueViolation) nor duplicate anything."""
    documents, envelopes = sample_run
    with Store(db_url):
        pass  # migrated once, so the race is over the data, not the schema
    outcomes = run_threads([lambda: load_run(db_url, documents, envelopes) for _ in range(3)])
    assert outcomes == [None, None, None], outcomes
    with Store(db_url) as store, store.read() as session:
        assert session.scalar(select(func.count()).select_from(FormRow)) == len(envelopes)
        assert session.scalar(select(func.count()).select_from(RecordVersionRow)) == len(envelopes)
        extracts = session.scalar(select(func.count()).select_from(EditRow).where(EditRow.action == "extract"))
        assert extracts == len(envelopes)


def test_a_reviewer_can_save_while_a_long_load_runs(db_url: str, sample_run: Run) -> None:
    """Item 16: a load of one big document commits in short transactions, so
    a reviewer who waits at most a few seconds for the lock gets it."""
    documents, envelopes = sample_run
    base = envelopes[0]
    big = [base.model_copy(update={"source": base.source.model_copy(update={"form_index": i})}) for i in range(400)]
    with Store(db_url) as loader_store, Store(db_url, busy_timeout_s=5.0) as reviewer_store:
        load_into(loader_store, documents[1:], [e for e in envelopes if e.source.sha256 != base.source.sha256])
        row = queue(reviewer_store)[0]
        started = threading.Event()

        def slow_inserts(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
            # The load inserts in bulk, a few statements per chunk of forms:
            # each costs a while here, so the load spans several seconds.
            if statement.lstrip().upper().startswith("INSERT INTO"):
                started.set()
                time.sleep(0.25)

        saves: list[BaseException | None] = []

        def reviewer() -> None:
            assert started.wait(BOUND_S)
            for _ in range(3):
                try:
                    skip(reviewer_store, row.form_id, reviewer="ann")
                    saves.append(None)
                except StoreBusyError as exc:
                    saves.append(exc)
                time.sleep(0.3)

        event.listen(loader_store.engine, "before_cursor_execute", slow_inserts)
        try:
            outcomes = run_threads([lambda: load_into(loader_store, documents[:1], big), reviewer])
        finally:
            event.remove(loader_store.engine, "before_cursor_execute", slow_inserts)
        assert outcomes == [None, None], outcomes
        assert saves == [None, None, None], "a reviewer's save failed during the load"
        with reviewer_store.read() as session:
            forms = session.scalar(select(func.count()).select_from(FormRow))
        assert forms == len(envelopes) - len([e for e in envelopes if e.source.sha256 == base.source.sha256]) + 400


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_a_busy_store_is_a_retry_message_not_a_crash(db_url: str, sample_run: Run) -> None:
    """Item 16: when another process holds SQLite's write lock past the busy
    timeout, a save is StoreBusyError (the app answers 503), nothing half-saved."""
    import sqlite3

    from fastapi.testclient import TestClient

    from crossfoot.review.app import create_app
    from crossfoot.settings import Settings

    with Store(db_url) as store:
        load_into(store, *sample_run)
    path = db_url.removeprefix("sqlite:///")
    with Store(db_url, busy_timeout_s=0.2) as impatient:
        row = queue(impatient)[0]
        holder = sqlite3.connect(path, isolation_level=None)
        holder.execute("BEGIN IMMEDIATE")
        try:
            with pytest.raises(StoreBusyError, match="busy"):
                set_status(impatient, row.form_id, "approve", version=row.version, reviewer="ann")
            client = TestClient(create_app(impatient, Settings()), base_url="http://127.0.0.1:8000")
            data = {"version": row.version, "reviewer": "ann"}
            answer = client.post(f"/forms/{row.form_id}/approve", data=data)
            assert answer.status_code == 503 and "try again" in answer.text
            assert answer.headers["retry-after"]
            flash = client.post(
                f"/forms/{row.form_id}/field",
                data={**data, "field": "grade", "value": "优"},
                headers={"HX-Request": "true"},
            )
            assert flash.status_code == 503 and flash.headers["HX-Retarget"] == "#flash"
        finally:
            holder.execute("ROLLBACK")
            holder.close()
        assert queue(impatient)[0].version == row.version  # nothing was saved
