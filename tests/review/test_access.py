"""Who may use the review app (issue 9, items 18-20, and item 5's absurd
numbers): trusted hosts, tokens on every page, named reviewers, security
headers, the token throttle."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from pydantic import SecretStr

pytest.importorskip("fastapi", reason="the review extra is not installed")

from fastapi.testclient import TestClient

from crossfoot.review.access import Access, Throttle, add_reviewer, load_reviewers, token_digest
from crossfoot.review.app import create_app
from crossfoot.review.queue import queue
from crossfoot.review.store import Store
from crossfoot.review.view import form_view
from crossfoot.settings import Settings
from tests.review.helpers import Run

LOCAL = "http://127.0.0.1:8000"


def named_access(tmp_path: Path, *names: str) -> tuple[Access, dict[str, str]]:
    """A reviewers file made the admin's way; (access rules, name -> token)."""
    path = tmp_path / "reviewers.json"
    tokens = {name: add_reviewer(path, name) for name in names}
    return Access.build(host="127.0.0.1", shared_token=None, reviewers=load_reviewers(path)), tokens


def test_a_foreign_host_reads_nothing_and_changes_nothing(loaded: Store) -> None:
    """Item 18: DNS rebinding: a page on evil.example resolves its name to
    127.0.0.1; its requests carry Host: evil.example and are refused, read or write."""
    row = queue(loaded)[0]
    evil = TestClient(create_app(loaded, Settings()), base_url="http://evil.example:8000")
    assert evil.get("/").status_code == 400
    assert evil.get(f"/forms/{row.form_id}").status_code == 400
    assert evil.get("/export").status_code == 400
    headers = {"Origin": "http://evil.example:8000"}
    answer = evil.post(f"/forms/{row.form_id}/approve", data={"version": row.version, "reviewer": "x"}, headers=headers)
    assert answer.status_code == 400
    assert form_view(loaded, row.form_id).form.status == "needs_review"
    local = TestClient(create_app(loaded, Settings()), base_url=LOCAL)
    assert local.get("/").status_code == 200
    assert TestClient(create_app(loaded, Settings()), base_url="http://localhost:8000").get("/").status_code == 200


def test_cross_site_writes_are_refused_with_a_token_too(loaded: Store) -> None:
    """Item 18: the cross-site guard holds in every mode, also for a holder of the token."""
    row = queue(loaded)[0]
    client = TestClient(create_app(loaded, Settings(review_token=SecretStr("s3cret"))), base_url=LOCAL)
    headers = {"X-Crossfoot-Token": "s3cret", "Origin": "http://evil.example"}
    answer = client.post(
        f"/forms/{row.form_id}/approve", data={"version": row.version, "reviewer": "x"}, headers=headers
    )
    assert answer.status_code == 403
    assert form_view(loaded, row.form_id).form.status == "needs_review"


def test_with_a_token_every_page_but_the_login_needs_it(loaded: Store, sample_run: Run) -> None:
    """Item 19: reads are protected too: the queue, a form, the export."""
    row = queue(loaded)[0]
    client = TestClient(create_app(loaded, Settings(review_token=SecretStr("s3cret"))), base_url=LOCAL)
    for path in ("/", f"/forms/{row.form_id}", "/export?status=all", "/next"):
        answer = client.get(path, follow_redirects=False)
        assert answer.status_code == 303 and answer.headers["location"] == "/token", path
        assert client.get(path, headers={"HX-Request": "true"}).status_code == 401, path
        assert row.title not in client.get(path).text
    assert client.get("/token").status_code == 200
    assert client.get("/static/review.css").status_code == 200
    with_token = client.get("/export?status=all", headers={"X-Crossfoot-Token": "s3cret"})
    assert with_token.status_code == 200 and len(with_token.text.splitlines()) == len(sample_run[1])
    login = client.post("/token", data={"token": "s3cret"}, follow_redirects=False)
    assert login.status_code == 303
    page = client.get(f"/forms/{row.form_id}")
    assert page.status_code == 200 and f"/forms/{row.form_id}" in page.text


def test_named_reviewers_are_who_their_token_says(loaded: Store, tmp_path: Path) -> None:
    """Item 19: one token per reviewer, made by the admin; the audit's "who"
    comes from the token, not from the name the browser sends."""
    access, tokens = named_access(tmp_path, "王芳", "李雷")
    stored = json.loads((tmp_path / "reviewers.json").read_text(encoding="utf-8"))
    assert tokens["王芳"] not in json.dumps(stored)  # only hashes on disk
    assert stored["reviewers"][0]["token_sha256"] == token_digest(tokens["王芳"])
    client = TestClient(create_app(loaded, Settings(), access=access), base_url=LOCAL)
    row = queue(loaded)[0]
    assert client.get("/", follow_redirects=False).status_code == 303
    assert client.post("/token", data={"token": "guess"}).status_code == 401
    client.post("/token", data={"token": tokens["李雷"]})
    page = client.get(f"/forms/{row.form_id}").text
    assert 'value="李雷" readonly' in page
    answer = client.post(f"/forms/{row.form_id}/approve", data={"version": row.version, "reviewer": "王芳"})
    assert answer.status_code == 200
    view = form_view(loaded, row.form_id)
    assert view.form.reviewed_by == "李雷"
    assert view.edits[0].reviewer == "李雷" and view.edits[0].action == "approve"


def test_a_new_token_replaces_the_reviewers_old_one(tmp_path: Path) -> None:
    """Item 19: the admin re-issues a token; the old one stops working."""
    path = tmp_path / "reviewers.json"
    old = add_reviewer(path, "王芳")
    new = add_reviewer(path, "王芳")
    access = Access.build(host="127.0.0.1", shared_token=None, reviewers=load_reviewers(path))
    assert access.identify(new) == (True, "王芳")
    assert access.identify(old) == (False, None)


def test_the_loopback_default_needs_no_token_and_no_login(loaded: Store) -> None:
    """Item 19: the single-user default stays frictionless."""
    row = queue(loaded)[0]
    client = TestClient(create_app(loaded, Settings()), base_url=LOCAL)
    assert client.get(f"/forms/{row.form_id}").status_code == 200
    answer = client.post(f"/forms/{row.form_id}/approve", data={"version": row.version, "reviewer": "ann"})
    assert answer.status_code == 200 and form_view(loaded, row.form_id).form.reviewed_by == "ann"


def test_security_headers_on_every_answer(loaded: Store) -> None:
    """Item 20: CSP allowing only the app's own scripts, no framing, no referrer."""
    client = TestClient(create_app(loaded, Settings(review_token=SecretStr("s3cret"))), base_url=LOCAL)
    for answer in (client.get("/token"), client.get("/", follow_redirects=False), client.get("/static/review.js")):
        csp = answer.headers["content-security-policy"]
        assert "script-src 'self'" in csp and "unsafe-inline" not in csp and "frame-ancestors 'none'" in csp
        assert answer.headers["x-frame-options"] == "DENY"
        assert answer.headers["referrer-policy"] == "same-origin"
    page = TestClient(create_app(loaded, Settings()), base_url=LOCAL).get("/").text
    assert "<script>" not in page and " on" + "click=" not in page  # nothing inline for the CSP to block


def test_token_guesses_are_throttled(loaded: Store) -> None:
    """Item 20: after a few wrong tokens a client must wait, even with the right one."""
    client = TestClient(create_app(loaded, Settings(review_token=SecretStr("s3cret"))), base_url=LOCAL)
    for guess in range(5):
        assert client.post("/token", data={"token": f"guess{guess}"}).status_code == 401
    throttled = client.post("/token", data={"token": "s3cret"})
    assert throttled.status_code == 429 and int(throttled.headers["retry-after"]) > 0
    assert client.get("/", headers={"X-Crossfoot-Token": "s3cret", "HX-Request": "true"}).status_code == 429


def test_the_throttle_forgets_old_failures() -> None:
    """Item 20: the window slides; an honest typo an hour ago costs nothing."""
    throttle = Throttle(max_failures=2, window_s=0.0)
    throttle.failed("a")
    throttle.failed("a")
    assert throttle.wait_s("a") == 0.0
    strict = Throttle(max_failures=2, window_s=600.0)
    strict.failed("a")
    strict.failed("a")
    assert strict.wait_s("a") > 0 and strict.wait_s("b") == 0.0


@pytest.mark.parametrize("typed", ["9" * 40, "9" * 200_000, "1e400", "1E+999999999", "0.12345678901"])
def test_an_absurd_number_is_a_clear_message_not_a_500(loaded: Store, typed: str) -> None:
    """Item 5 (review app): a number no form prints is refused with a message
    naming the field; nothing is saved."""
    row = queue(loaded)[0]
    client = TestClient(create_app(loaded, Settings()), base_url=LOCAL)
    data = {"field": "funding.total.executed", "value": typed, "version": row.version, "reviewer": "ann"}
    answer = client.post(f"/forms/{row.form_id}/field", data=data, headers={"HX-Request": "true"})
    assert answer.status_code == 422
    assert "funding.total.executed" in answer.text and len(answer.text) < 5_000
    assert form_view(loaded, row.form_id).form.version == row.version
    year = client.post(f"/forms/{row.form_id}/field", data={**data, "field": "year"}, headers={"HX-Request": "true"})
    assert year.status_code == 422 and "year" in year.text


def test_a_revoked_token_sends_the_reviewer_back_to_sign_in(loaded: Store, tmp_path: Path) -> None:
    """Item 19: when the admin re-issues a token, the old cookie stops
    working at once and is cleared, so the reviewer signs in again."""
    path = tmp_path / "reviewers.json"
    old = add_reviewer(path, "王芳")
    before = Access.build(host="127.0.0.1", shared_token=None, reviewers=load_reviewers(path))
    client = TestClient(create_app(loaded, Settings(), access=before), base_url=LOCAL)
    client.post("/token", data={"token": old})
    assert client.get("/").status_code == 200
    add_reviewer(path, "王芳")
    after = Access.build(host="127.0.0.1", shared_token=None, reviewers=load_reviewers(path))
    restarted = TestClient(create_app(loaded, Settings(), access=after), base_url=LOCAL, cookies=client.cookies)
    answer = restarted.get("/", follow_redirects=False)
    assert answer.status_code == 303 and answer.headers["location"] == "/token"
    assert 'crossfoot_token=""' in answer.headers["set-cookie"] or "Max-Age=0" in answer.headers["set-cookie"]
