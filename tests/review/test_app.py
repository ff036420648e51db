"""The web app over HTTP (in-process ASGI): pages, edits, conflicts,
escaping of untrusted document text, the token and cross-site guard."""

from __future__ import annotations

import html
import json
import re
from pathlib import Path

import pytest
from markupsafe import escape
from pydantic import SecretStr

pytest.importorskip("fastapi", reason="the review extra is not installed")

from fastapi.testclient import TestClient

from crossfoot.model import Envelope, Finding, Severity
from crossfoot.review.app import create_app
from crossfoot.review.queue import QueueFilters, queue
from crossfoot.review.store import Store, load_into
from crossfoot.review.view import form_view
from crossfoot.settings import Settings
from tests.review.helpers import SCRIPT, Run, rules_run, write_hostile_dump

HTMX = {"HX-Request": "true"}
#: the address the app is started for by default
LOCAL = "http://127.0.0.1:8000"


@pytest.fixture
def client(loaded: Store) -> TestClient:
    return TestClient(create_app(loaded, Settings()), base_url=LOCAL)


def repairable(store: Store) -> tuple[int, str, str]:
    """(form id, field, repaired value) of a queued form with a suggested repair."""
    for row in queue(store):
        for fv in form_view(store, row.form_id).findings:
            if fv.finding.repair:
                return row.form_id, fv.finding.repair.field, fv.finding.repair.value
    raise AssertionError("the samples hold a form with a suggested repair")


def version_on(page: str) -> int:
    found = re.search(r'id="version" name="version" value="(\d+)"', page)
    assert found, "the form page carries its version"
    return int(found.group(1))


def test_queue_page_lists_what_needs_review(client: TestClient, loaded: Store) -> None:
    page = client.get("/")
    assert page.status_code == 200
    rows = queue(loaded)
    for row in rows:
        assert f'href="/forms/{row.form_id}"' in page.text
        assert html.escape(row.title, quote=False) in page.text
    assert f'id="next-link" href="/forms/{rows[0].form_id}"' in page.text
    assert "total_score_mismatch" in page.text


def test_queue_filters_by_check(client: TestClient, loaded: Store) -> None:
    page = client.get("/", params={"code": "no_such_check"})
    assert "Nothing here" in page.text
    code = queue(loaded)[0].codes[0]
    filtered = client.get("/", params={"code": code}).text
    assert f'href="/forms/{queue(loaded)[0].form_id}?status=needs_review&amp;code={code}"' in filtered  # stays filtered


def test_form_page_shows_numbered_source_lines_and_highlights(client: TestClient, loaded: Store) -> None:
    form_id, field, _ = repairable(loaded)
    view = form_view(loaded, form_id)
    page = client.get(f"/forms/{form_id}").text
    for line in view.lines:
        assert f'id="L{line.number}"' in page
    flagged_lines = view.field_lines[field]
    for number in flagged_lines:
        assert re.search(rf'<li id="L{number}" class="src mark-flag"', page)
    input_id = "f-" + field.replace(".", "-")
    assert re.search(rf'class="v [^"]*mark-flag"[^>]*id="{input_id}"', page)
    assert "the extraction misread the source" in page and "the document itself is wrong" in page


def test_editing_a_value_reruns_the_checks(client: TestClient, loaded: Store) -> None:
    form_id, field, value = repairable(loaded)
    version = version_on(client.get(f"/forms/{form_id}").text)
    answer = client.post(
        f"/forms/{form_id}/field",
        data={"field": field, "value": value, "version": version, "reviewer": "ann"},
        headers=HTMX,
    )
    assert answer.status_code == 200
    assert 'id="all-good"' in answer.text and "total_score_mismatch" not in answer.text
    assert version_on(answer.text) == version + 1
    state = re.search(r"data-state='([^']*)'", answer.text)
    assert state and json.loads(html.unescape(state.group(1)))["values"][field] == value


def test_a_stale_save_gets_a_conflict_with_both_values(client: TestClient, loaded: Store) -> None:
    form_id, field, value = repairable(loaded)
    version = version_on(client.get(f"/forms/{form_id}").text)
    first = {"field": field, "value": value, "version": version, "reviewer": "ann"}
    assert client.post(f"/forms/{form_id}/field", data=first, headers=HTMX).status_code == 200
    stale = {"field": field, "value": "12.34", "version": version, "reviewer": "bob"}
    answer = client.post(f"/forms/{form_id}/field", data=stale, headers=HTMX)
    assert answer.status_code == 409
    assert answer.headers["HX-Retarget"] == "#conflict-slot"
    assert re.search(r'id="conflict-mine">12.34<', answer.text)
    assert re.search(rf'id="conflict-theirs">{re.escape(value)}<', answer.text)
    assert "ann" in answer.text
    view = form_view(loaded, form_id)
    assert view.record is not None and view.record[field] == value


def test_a_bad_value_is_refused_with_a_message(client: TestClient, loaded: Store) -> None:
    form_id, field, _ = repairable(loaded)
    version = version_on(client.get(f"/forms/{form_id}").text)
    answer = client.post(
        f"/forms/{form_id}/field",
        data={"field": field, "value": "abc", "version": version, "reviewer": "ann"},
        headers=HTMX,
    )
    assert answer.status_code == 422 and "not a number" in answer.text
    assert form_view(loaded, form_id).form.version == version


def test_approve_moves_on_to_the_next_item(client: TestClient, loaded: Store) -> None:
    rows = queue(loaded)
    first = rows[0].form_id
    answer = client.post(
        f"/forms/{first}/approve", data={"version": rows[0].version, "reviewer": "ann"}, follow_redirects=False
    )
    assert answer.status_code == 303
    assert answer.headers["location"] == f"/forms/{rows[1].form_id}?msg=approved&of={first}"
    assert form_view(loaded, first).form.status == "approved"
    stale = client.post(f"/forms/{first}/approve", data={"version": rows[0].version, "reviewer": "bob"})
    assert stale.status_code == 409 and "Someone saved this form before you" in stale.text


def test_export_download(client: TestClient, loaded: Store) -> None:
    row = queue(loaded)[0]
    client.post(f"/forms/{row.form_id}/approve", data={"version": row.version, "reviewer": "ann"})
    answer = client.get("/export", params={"format": "jsonl", "status": "approved"})
    assert answer.status_code == 200 and "attachment" in answer.headers["content-disposition"]
    (line,) = answer.text.splitlines()
    assert Envelope.model_validate_json(line).meta["review"]["form_id"] == row.form_id
    xlsx = client.get("/export", params={"format": "xlsx", "status": "all"})
    assert xlsx.content[:2] == b"PK"
    assert client.get("/export", params={"format": "exe"}).status_code == 422


def test_missing_form_is_a_404_page(client: TestClient) -> None:
    answer = client.get("/forms/999999")
    assert answer.status_code == 404 and "no form 999999" in answer.text


def test_document_text_is_escaped_everywhere(store: Store, tmp_path: Path) -> None:
    load_into(store, *rules_run([write_hostile_dump(tmp_path)]))
    client = TestClient(create_app(store, Settings()), base_url=LOCAL)
    (row,) = queue(store, QueueFilters(status="all"))
    for url in ("/?status=all", f"/forms/{row.form_id}"):
        page = client.get(url).text
        assert SCRIPT not in page and "<img src=x" not in page, url
    # The record drops tags (SCHEMA.md), but the source pane shows the text as printed.
    form_page = client.get(f"/forms/{row.form_id}").text
    assert str(escape(f"测试{SCRIPT}项目")) in form_page
    assert str(escape('"><img src=x onerror=alert(1)>')) in form_page


@pytest.fixture
def guarded(loaded: Store) -> TestClient:
    return TestClient(create_app(loaded, Settings(review_token=SecretStr("s3cret"))), base_url=LOCAL)


def test_the_token_guards_every_change(guarded: TestClient, loaded: Store) -> None:
    row = queue(loaded)[0]
    form = {"version": row.version, "reviewer": "ann"}
    for path, data in (
        (f"/forms/{row.form_id}/approve", form),
        (f"/forms/{row.form_id}/reject", form),
        (f"/forms/{row.form_id}/skip", form),
        (f"/forms/{row.form_id}/field", {**form, "field": "grade", "value": "优"}),
        (f"/forms/{row.form_id}/repair", {**form, "field": "total_score"}),
        (f"/forms/{row.form_id}/start", form),
    ):
        assert guarded.post(path, data=data).status_code == 401, path
    assert guarded.post("/token", data={"token": "wrong"}).status_code == 401
    assert form_view(loaded, row.form_id).form.version == row.version  # nothing changed
    ok = guarded.post(f"/forms/{row.form_id}/approve", data=form, headers={"X-Crossfoot-Token": "s3cret"})
    assert ok.status_code == 200 and form_view(loaded, row.form_id).form.status == "approved"


def test_the_token_cookie_from_the_token_page_works(guarded: TestClient, loaded: Store) -> None:
    row = queue(loaded)[0]
    login = guarded.post("/token", data={"token": "s3cret"}, follow_redirects=False)
    assert login.status_code == 303 and "httponly" in login.headers["set-cookie"].lower()
    answer = guarded.post(f"/forms/{row.form_id}/reject", data={"version": row.version, "reviewer": "ann"})
    assert answer.status_code == 200 and form_view(loaded, row.form_id).form.status == "rejected"


def test_cross_site_posts_are_refused(client: TestClient, loaded: Store) -> None:
    row = queue(loaded)[0]
    data = {"version": row.version, "reviewer": "ann"}
    evil = client.post(f"/forms/{row.form_id}/approve", data=data, headers={"Origin": "http://evil.example"})
    assert evil.status_code == 403
    fetch = client.post(f"/forms/{row.form_id}/approve", data=data, headers={"Sec-Fetch-Site": "cross-site"})
    assert fetch.status_code == 403
    assert form_view(loaded, row.form_id).form.status == "needs_review"
    same = client.post(f"/forms/{row.form_id}/approve", data=data, headers={"Origin": LOCAL})
    assert same.status_code == 200


def test_a_malformed_htmx_post_answers_in_the_flash_area(client: TestClient, loaded: Store) -> None:
    row = queue(loaded)[0]
    answer = client.post(f"/forms/{row.form_id}/field", data={"field": "grade", "reviewer": "ann"}, headers=HTMX)
    assert answer.status_code == 422
    assert answer.headers["HX-Retarget"] == "#flash" and "version" in answer.text


def test_a_backend_disagreement_offers_the_other_reading(store: Store, sample_run: Run) -> None:
    documents, envelopes = sample_run
    hybrid = envelopes[0].model_copy(deep=True, update={"backend": "hybrid"})
    assert hybrid.record is not None and hybrid.record.funding.total is not None
    printed = hybrid.record.funding.total.executed
    other = "1234.5"
    hybrid.findings.append(
        Finding(
            code="backend_disagreement",
            severity=Severity.warning,
            message="rules and llm read funding.total.executed differently",
            fields=["funding.total.executed"],
            printed=None if printed is None else format(printed, "f"),
            expected=other,
        )
    )
    load_into(store, documents[:1], [hybrid])
    client = TestClient(create_app(store, Settings()), base_url=LOCAL)
    (row,) = queue(store)
    page = client.get(f"/forms/{row.form_id}").text
    assert "Take the other reading" in page and "one backend read" in page
    answer = client.post(
        f"/forms/{row.form_id}/field",
        data={"field": "funding.total.executed", "value": other, "version": row.version, "reviewer": "ann"},
        headers=HTMX,
    )
    assert answer.status_code == 200 and "backend_disagreement" not in answer.text
    view = form_view(store, row.form_id)
    assert view.open_items == [] or all(i.code != "backend_disagreement" for i in view.open_items)
    assert view.record is not None and view.record["funding"]["total"]["executed"] == other


def test_a_stale_repair_conflict_offers_the_value_clicked_and_an_empty_one_offers_nothing(
    client: TestClient, loaded: Store
) -> None:
    """Issue 11, item 1: the conflict panel never posts a value nobody chose."""
    form_id, field, value = repairable(loaded)
    version = form_view(loaded, form_id).form.version
    client.post(f"/forms/{form_id}/approve", data={"version": version, "reviewer": "bob"})
    stale = {"field": field, "version": version, "value": value, "reviewer": "ann"}
    answer = client.post(f"/forms/{form_id}/repair", data=stale, headers=HTMX)
    assert answer.status_code == 409
    assert f'id="conflict-mine">{value}<' in answer.text
    assert "conflict-keep-mine" in answer.text
    legacy = {k: v for k, v in stale.items() if k != "value"}
    old_page = client.post(f"/forms/{form_id}/repair", data=legacy, headers=HTMX)
    assert old_page.status_code == 409 and "conflict-keep-mine" not in old_page.text
    assert form_view(loaded, form_id).record[field] is not None  # type: ignore[index]


def test_approving_as_printed_needs_a_reason_and_keeps_the_value(client: TestClient, loaded: Store) -> None:
    """Issue 11, item 2: "the document itself is wrong" approves what it prints."""
    form_id, _, _ = repairable(loaded)
    before = form_view(loaded, form_id)
    data = {"version": before.form.version, "reviewer": "ann", "as_printed": "true"}
    refused = client.post(f"/forms/{form_id}/approve", data=data, follow_redirects=False)
    assert refused.status_code == 422 and "needs a reason" in refused.text
    done = client.post(f"/forms/{form_id}/approve", data={**data, "reason": "总分印错"}, follow_redirects=False)
    assert done.status_code == 303
    after = form_view(loaded, form_id)
    assert after.form.status == "approved" and after.record == before.record
    assert after.edits[0].reason == "the document itself is wrong, approved as printed: 总分印错"


def test_an_edit_marked_not_printed_shows_on_the_page(client: TestClient, loaded: Store) -> None:
    row = queue(loaded)[0]
    data = {"field": "total_score", "value": "99", "version": row.version, "reviewer": "ann", "unprinted": "true"}
    assert client.post(f"/forms/{row.form_id}/field", data=data, headers=HTMX).status_code == 200
    page = client.get(f"/forms/{row.form_id}").text
    assert 'id="unprinted-note"' in page
    assert re.search(r'class="v [^"]*mark-unprinted"[^>]*id="f-total_score"', page)
    assert form_view(loaded, row.form_id).edits[0].action == "unprinted"


def test_the_banner_after_approving_names_the_form_and_undoes_it(client: TestClient, loaded: Store) -> None:
    """Issue 11, item 3: the banner on the next form is about the approved one."""
    rows = queue(loaded)
    first = rows[0]
    answer = client.post(f"/forms/{first.form_id}/approve", data={"version": first.version, "reviewer": "ann"})
    assert answer.status_code == 200 and f"/forms/{rows[1].form_id}" in str(answer.url)
    banner = re.search(r'<div class="banner ok" role="status" id="banner">(.*?)</div>', answer.text, re.S)
    assert banner and html.escape(first.title, quote=False) in banner.group(1)
    assert f'action="/forms/{first.form_id}/undo"' in banner.group(1)
    assert answer.headers["cache-control"] == "no-store"
    client.post(f"/forms/{first.form_id}/undo", data={"version": first.version + 1, "reviewer": "ann"})
    assert form_view(loaded, first.form_id).form.status == "needs_review"


def test_the_key_list_names_every_shortcut(client: TestClient, loaded: Store) -> None:
    """Issue 11, item 10: `?` lists every key the script answers to."""
    script = client.get("/static/review.js").text
    keys = set(re.findall(r'case "([^"]+)":', script))
    assert {"a", "r", "s", "u", "w", "o", "?"} <= keys
    page = client.get(f"/forms/{queue(loaded)[0].form_id}").text
    help_list = page[page.index('id="help"') :]
    for key in keys:
        assert f"<kbd>{html.escape(key)}</kbd>" in help_list, key


def test_csv_download_has_a_bom_and_one_header_across_batches(
    client: TestClient, loaded: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 11, item 14: Excel needs the BOM; a header per 200-form batch was a bug."""
    import crossfoot.review.app as app_module

    monkeypatch.setattr(app_module, "EXPORT_BATCH", 5)  # 22 sample forms: five batches
    answer = client.get("/export", params={"format": "csv", "status": "all"})
    assert answer.content.startswith(b"\xef\xbb\xbfform_id,") and answer.content.count(b"\xef\xbb\xbf") == 1
    lines = answer.content.decode("utf-8-sig").splitlines()
    assert sum(line.startswith("form_id,") for line in lines) == 1
    assert len(lines) == 1 + len(queue(loaded, QueueFilters(status="all")))


def test_equation_terms_name_the_indicator_not_the_path(client: TestClient, loaded: Store) -> None:
    """Issue 11, item 5: `三级指标 <name> 得分`, not `indicators.13.score`."""
    from crossfoot.review.view import field_label

    form_id, _, _ = repairable(loaded)
    view = form_view(loaded, form_id)
    assert view.record is not None
    name = view.record["indicators"][0]["name"]
    assert field_label(view.record, "indicators.0.score") == f"三级指标 {name} 得分"
    assert field_label(view.record, "funding.total.executed") == "年度资金总额 全年执行数"
    assert field_label(view.record, "total_score") == "总分 得分"
    page = client.get(f"/forms/{form_id}").text
    assert re.search(r'class="term" data-field="indicators\.\d+\.score" title="[^"]+">三级指标 [^<]+ 得分<', page)


def test_promote_button_needs_the_override_for_a_value_not_as_printed(loaded: Store, tmp_path: Path) -> None:
    """Issue 11, item 2: the page's promote refuses, the tick box overrides, the fixture says so."""
    folder = tmp_path / "fixtures"
    client = TestClient(create_app(loaded, Settings(), fixtures_dir=folder), base_url=LOCAL)
    row = queue(loaded)[0]
    edit = {"field": "total_score", "value": "99", "version": row.version, "reviewer": "ann", "unprinted": "true"}
    client.post(f"/forms/{row.form_id}/field", data=edit, headers=HTMX)
    client.post(f"/forms/{row.form_id}/approve", data={"version": row.version + 1, "reviewer": "ann"})
    page = client.get(f"/forms/{row.form_id}").text
    assert 'id="promote-override"' in page
    refused = client.post(f"/forms/{row.form_id}/promote", data={"reviewer": "ann"})
    assert refused.status_code == 422 and "differ from what the source prints" in refused.text
    assert not folder.exists()
    done = client.post(f"/forms/{row.form_id}/promote", data={"reviewer": "ann", "override": "true"})
    assert done.status_code == 200 and "msg=promoted" in str(done.url)
    (written,) = folder.glob("*.json")
    assert json.loads(written.read_text(encoding="utf-8"))["_not_as_printed"] == ["total_score"]
