"""Who is reviewing (issue 11, item 13): a soft lock with an expiry; a second
reviewer gets the form read-only until an audited take-over."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

pytest.importorskip("fastapi", reason="the review extra is not installed")

from fastapi.testclient import TestClient
from sqlalchemy import select

from crossfoot.review.access import Access, add_reviewer, load_reviewers
from crossfoot.review.app import create_app
from crossfoot.review.audit import verify_session
from crossfoot.review.locks import LOCK_SECONDS, FormLockedError, claim, guard, presence, take_over
from crossfoot.review.queue import queue
from crossfoot.review.store import Store
from crossfoot.review.tables import EditRow, utcnow
from crossfoot.review.view import form_view
from crossfoot.settings import Settings

LOCAL = "http://127.0.0.1:8000"


def test_the_first_reviewer_holds_the_form_until_the_claim_expires(loaded: Store) -> None:
    form_id = queue(loaded)[0].form_id
    now = utcnow()
    mine = claim(loaded, form_id, "ann", now)
    assert mine is not None and mine.mine and mine.reviewer == "ann"
    theirs = claim(loaded, form_id, "bob", now + timedelta(seconds=10))
    assert theirs is not None and theirs.read_only and theirs.reviewer == "ann"
    with pytest.raises(FormLockedError, match="ann is reviewing this form"):
        guard(loaded, form_id, "bob", now + timedelta(seconds=10))
    guard(loaded, form_id, "ann", now + timedelta(seconds=200))  # ann's own change renews her claim
    later = now + timedelta(seconds=200 + LOCK_SECONDS - 1)
    held = presence(loaded, form_id, "bob", later)
    assert held is not None and held.reviewer == "ann" and held.since == mine.since  # renewed, same "since"
    expired = later + timedelta(seconds=2)
    assert presence(loaded, form_id, "bob", expired) is None  # an expired claim is free
    guard(loaded, form_id, "bob", expired)
    bob = claim(loaded, form_id, "bob", expired)
    assert bob is not None and bob.mine


def test_a_reviewer_with_no_name_claims_nothing(loaded: Store) -> None:
    form_id = queue(loaded)[0].form_id
    assert claim(loaded, form_id, None) is None
    assert presence(loaded, form_id, "ann") is None


def test_taking_over_is_audited_and_changes_nothing_else(loaded: Store) -> None:
    row = queue(loaded)[0]
    claim(loaded, row.form_id, "ann")
    held = take_over(loaded, row.form_id, "bob")
    assert held.mine and held.reviewer == "bob"
    with pytest.raises(FormLockedError, match="bob is reviewing"):
        guard(loaded, row.form_id, "ann")
    with loaded.read() as session:
        last = session.scalars(
            select(EditRow).where(EditRow.form_id == row.form_id).order_by(EditRow.id.desc())
        ).first()
    assert last is not None and (last.action, last.reviewer) == ("takeover", "bob")
    assert last.reason == "took the form over from ann"
    assert form_view(loaded, row.form_id).form.version == row.version  # presence is not a change to the form
    with loaded.read() as session:
        assert verify_session(session).intact


def two_reviewers(loaded: Store, tmp_path: Path) -> tuple[TestClient, TestClient]:
    path = tmp_path / "reviewers.json"
    tokens = {name: add_reviewer(path, name) for name in ("王芳", "李明")}
    access = Access.build(host="127.0.0.1", shared_token=None, reviewers=load_reviewers(path))
    app = create_app(loaded, Settings(), access=access)
    clients = []
    for name in ("王芳", "李明"):
        client = TestClient(app, base_url=LOCAL)
        client.headers["X-Crossfoot-Token"] = tokens[name]
        clients.append(client)
    return clients[0], clients[1]


def test_the_second_reviewer_gets_the_form_read_only_until_taking_over(loaded: Store, tmp_path: Path) -> None:
    wang, li = two_reviewers(loaded, tmp_path)
    row = queue(loaded)[0]
    first = wang.get(f"/forms/{row.form_id}")
    assert first.status_code == 200 and 'id="presence"' not in first.text
    second = li.get(f"/forms/{row.form_id}").text
    assert "王芳</b> is reviewing this form (since" in second and 'id="takeover-btn"' in second
    assert 'id="approve-btn" type="submit" disabled' in second  # disabled in the page...
    approve = li.post(f"/forms/{row.form_id}/approve", data={"version": row.version})
    assert approve.status_code == 409 and "王芳 is reviewing this form" in approve.text  # ...and by the server
    edit = {"field": "department", "value": "某局", "version": row.version}
    answer = li.post(f"/forms/{row.form_id}/field", data=edit, headers={"HX-Request": "true"})
    assert answer.status_code == 409 and "Take it over first" in answer.text
    assert form_view(loaded, row.form_id).form.version == row.version  # nothing saved
    beat = li.post(f"/forms/{row.form_id}/presence").json()
    assert beat["reviewer"] == "王芳" and beat["read_only"] is True
    assert "王芳 is reviewing" in li.get("/").text  # the queue says so too
    taken = li.post(f"/forms/{row.form_id}/takeover", follow_redirects=False)
    assert taken.status_code == 303
    assert li.post(f"/forms/{row.form_id}/field", data=edit, headers={"HX-Request": "true"}).status_code == 200
    assert wang.post(f"/forms/{row.form_id}/approve", data={"version": row.version + 1}).status_code == 409
    assert "李明</b> is reviewing" in wang.get(f"/forms/{row.form_id}").text
    trail = form_view(loaded, row.form_id).edits  # newest first
    assert [(e.action, e.reviewer) for e in trail if e.action in ("takeover", "edit")] == [
        ("edit", "李明"),
        ("takeover", "李明"),
    ]
