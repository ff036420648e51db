"""The review app in a real headless Chromium, served by uvicorn on loopback,
over a SQLite store loaded from a rules run over samples/."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from crossfoot.review.app import create_app
from crossfoot.review.queue import QueueFilters, queue
from crossfoot.review.serve import serve_in_background
from crossfoot.review.store import Store, load_into
from crossfoot.review.view import form_view
from crossfoot.settings import Settings
from tests.conftest import need
from tests.review.browser import chromium, have_chromium
from tests.review.helpers import SCRIPT, rules_run, write_hostile_dump

pytestmark = pytest.mark.browser

pytest.importorskip("selenium", reason="selenium is a dev dependency")

from selenium.common.exceptions import NoAlertPresentException  # noqa: E402
from selenium.webdriver.common.action_chains import ActionChains  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.common.keys import Keys  # noqa: E402
from selenium.webdriver.support import expected_conditions as ec  # noqa: E402
from selenium.webdriver.support.ui import Select, WebDriverWait  # noqa: E402


@pytest.fixture
def served(sqlite_store: Store) -> Iterator[str]:
    with serve_in_background(create_app(sqlite_store, Settings())) as url:
        yield url


@pytest.fixture
def downloads(tmp_path: Path) -> Path:
    folder = tmp_path / "downloads"
    folder.mkdir()
    return folder


@pytest.fixture
def browser(downloads: Path) -> Iterator[Any]:
    need(have_chromium(), "Debian's chromium and chromium-driver (see .ci/steps/40-browser.sh)")
    driver = chromium(downloads=downloads)
    try:
        yield driver
    finally:
        driver.quit()


def wait(driver: Any, seconds: float = 10) -> WebDriverWait:
    return WebDriverWait(driver, seconds)


def set_reviewer(driver: Any, name: str) -> None:
    field = driver.find_element(By.ID, "reviewer")
    field.clear()
    field.send_keys(name, Keys.TAB)


def press(driver: Any, key: str) -> None:
    driver.execute_script("document.activeElement && document.activeElement.blur()")
    ActionChains(driver).send_keys(key).perform()


def replace_value(driver: Any, element_id: str, value: str) -> None:
    field = driver.find_element(By.ID, element_id)
    field.click()
    field.send_keys(Keys.CONTROL, "a")
    field.send_keys(value, Keys.TAB)  # TAB fires `change`: htmx posts the edit


def repairable(store: Store) -> tuple[int, str, str, str]:
    for row in queue(store):
        for fv in form_view(store, row.form_id).findings:
            if fv.finding.repair:
                repair = fv.finding.repair
                return row.form_id, fv.finding.code, repair.field, repair.value
    raise AssertionError("the samples hold a form with a suggested repair")


def test_fix_a_value_watch_the_finding_go_approve_and_export(
    browser: Any, served: str, sqlite_store: Store, downloads: Path
) -> None:
    form_id, code, field, value = repairable(sqlite_store)
    browser.get(served + "/")
    assert "forms need review" in browser.page_source
    set_reviewer(browser, "ann")
    browser.find_element(By.CSS_SELECTOR, f"#q{form_id} td.title a").click()
    wait(browser).until(ec.url_contains(f"/forms/{form_id}"))
    finding = f'.finding[data-code="{code}"]'
    assert browser.find_elements(By.CSS_SELECTOR, finding)
    input_id = "f-" + field.replace(".", "-")
    assert "mark-flag" in browser.find_element(By.ID, input_id).get_attribute("class")
    assert browser.find_elements(By.CSS_SELECTOR, ".src.mark-flag")

    replace_value(browser, input_id, value)
    wait(browser).until(ec.invisibility_of_element_located((By.CSS_SELECTOR, finding)))
    wait(browser).until(ec.visibility_of_element_located((By.ID, "all-good")))
    assert "mark-flag" not in browser.find_element(By.ID, input_id).get_attribute("class")
    assert "ann" in browser.find_element(By.ID, "trail").text

    press(browser, "a")  # approve
    wait(browser).until(ec.url_contains("msg=approved"))
    approved = form_view(sqlite_store, form_id)
    assert approved.form.status == "approved" and approved.form.reviewed_by == "ann"
    assert approved.record is not None and approved.record[field] == value

    browser.get(served + "/")
    browser.find_element(By.ID, "export-jsonl").click()
    target = downloads / "crossfoot-approved.jsonl"
    deadline = time.monotonic() + 15
    while not target.exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    (line,) = target.read_text(encoding="utf-8").splitlines()
    exported = json.loads(line)
    assert exported["meta"]["review"]["form_id"] == form_id
    assert exported["record"][field] == value


def test_apply_the_suggested_repair_in_one_click(browser: Any, served: str, sqlite_store: Store) -> None:
    form_id, _, field, value = repairable(sqlite_store)
    browser.get(f"{served}/forms/{form_id}")
    set_reviewer(browser, "ann")
    browser.find_element(By.ID, "repair-" + field.replace(".", "-")).click()
    wait(browser).until(ec.visibility_of_element_located((By.ID, "all-good")))
    input_id = "f-" + field.replace(".", "-")
    wait(browser).until(lambda d: d.find_element(By.ID, input_id).get_attribute("value") == value)
    assert "misread" in browser.find_element(By.ID, "trail").text


def test_a_second_session_saving_a_stale_version_gets_the_conflict(
    browser: Any, served: str, sqlite_store: Store
) -> None:
    form_id, _, field, value = repairable(sqlite_store)
    input_id = "f-" + field.replace(".", "-")
    browser.get(f"{served}/forms/{form_id}")
    set_reviewer(browser, "ann")
    first = browser.current_window_handle
    browser.switch_to.new_window("tab")
    browser.get(f"{served}/forms/{form_id}")
    set_reviewer(browser, "bob")
    replace_value(browser, input_id, value)  # bob saves first
    wait(browser).until(ec.visibility_of_element_located((By.ID, "all-good")))

    browser.switch_to.window(first)  # ann's page still shows the old version
    replace_value(browser, input_id, "97")
    box = wait(browser).until(ec.visibility_of_element_located((By.ID, "conflict-box")))
    assert browser.find_element(By.ID, "conflict-mine").text == "97"
    assert browser.find_element(By.ID, "conflict-theirs").text == value
    assert "bob" in box.text
    stored = form_view(sqlite_store, form_id)
    assert stored.record is not None and stored.record[field] == value  # nothing overwritten

    browser.find_element(By.ID, "conflict-keep-mine").click()  # an explicit, audited choice
    wait(browser).until(ec.invisibility_of_element_located((By.ID, "conflict-box")))
    after = form_view(sqlite_store, form_id)
    assert after.record is not None and after.record[field] == "97"
    edits = [(e.reviewer, e.new_value) for e in reversed(after.edits) if e.action == "edit"]
    assert edits == [("bob", value), ("ann", "97")]


def test_keyboard_shortcuts(browser: Any, served: str, sqlite_store: Store) -> None:
    rows = queue(sqlite_store)
    browser.get(served + "/")
    set_reviewer(browser, "ann")
    press(browser, "j")
    press(browser, "j")
    assert "selected" in browser.find_element(By.ID, f"q{rows[1].form_id}").get_attribute("class")
    press(browser, "k")
    press(browser, Keys.ENTER)
    wait(browser).until(ec.url_contains(f"/forms/{rows[0].form_id}"))
    press(browser, "e")
    active = browser.switch_to.active_element
    assert "mark-flag" in active.get_attribute("class")
    active.send_keys(Keys.ESCAPE)
    press(browser, "j")
    wait(browser).until(ec.url_contains(f"/forms/{rows[1].form_id}"))
    press(browser, "k")
    wait(browser).until(ec.url_contains(f"/forms/{rows[0].form_id}"))
    press(browser, "s")  # skip: on to the next, nothing changed
    wait(browser).until(ec.url_contains("msg=skipped"))
    assert form_view(sqlite_store, rows[0].form_id).form.version == rows[0].version


def test_changing_a_level_in_a_select_is_saved(browser: Any, served: str, sqlite_store: Store) -> None:
    form_id = queue(sqlite_store)[0].form_id
    browser.get(f"{served}/forms/{form_id}")
    set_reviewer(browser, "ann")
    Select(browser.find_element(By.ID, "f-indicators-0-level2")).select_by_visible_text("时效指标")
    wait(browser).until(lambda d: "Saved" in d.find_element(By.ID, "flash").text)
    record = form_view(sqlite_store, form_id).record
    assert record is not None and record["indicators"][0]["level2"] == "时效指标"


def test_a_script_in_a_document_never_runs(browser: Any, tmp_path: Path) -> None:
    with Store(str(tmp_path / "hostile.db")) as store:
        load_into(store, *rules_run([write_hostile_dump(tmp_path)]))
        (row,) = queue(store, QueueFilters(status="all"))
        with serve_in_background(create_app(store, Settings())) as url:
            browser.get(f"{url}/forms/{row.form_id}")
            wait(browser).until(ec.presence_of_element_located((By.ID, "source-lines")))
            assert SCRIPT in browser.find_element(By.ID, "source-lines").text  # shown as text
            assert browser.execute_script("return window.__xss === undefined")
            with pytest.raises(NoAlertPresentException):
                browser.switch_to.alert.text  # noqa: B018


def test_a_value_typed_before_the_name_is_saved_once_the_name_is_given(
    browser: Any, served: str, sqlite_store: Store
) -> None:
    form_id, _, field, value = repairable(sqlite_store)
    browser.get(f"{served}/forms/{form_id}")
    replace_value(browser, "f-" + field.replace(".", "-"), value)
    wait(browser).until(lambda d: "name first" in d.find_element(By.ID, "flash").text)
    assert form_view(sqlite_store, form_id).form.version == 1  # nothing saved without a name
    set_reviewer(browser, "carol")
    wait(browser).until(ec.visibility_of_element_located((By.ID, "all-good")))
    view = form_view(sqlite_store, form_id)
    assert view.record is not None and view.record[field] == value
    assert view.edits[0].reviewer == "carol"


def test_a_named_reviewer_signs_in_once_and_the_trail_names_them(
    browser: Any, sqlite_store: Store, tmp_path: Path
) -> None:
    """Issue 9, item 19: in Chromium, with named reviewers and the strict
    CSP: the login page, the cookie, an edit and an approval carry the
    token's name."""
    from crossfoot.review.access import Access, add_reviewer, load_reviewers

    path = tmp_path / "reviewers.json"
    token = add_reviewer(path, "王芳")
    access = Access.build(host="127.0.0.1", shared_token=None, reviewers=load_reviewers(path))
    form_id, _, field, value = repairable(sqlite_store)
    with serve_in_background(create_app(sqlite_store, Settings(), access=access)) as url:
        browser.get(f"{url}/forms/{form_id}")
        wait(browser).until(ec.url_contains("/token"))
        browser.find_element(By.NAME, "token").send_keys(token, Keys.ENTER)
        wait(browser).until(ec.url_contains("msg=token"))
        browser.get(f"{url}/forms/{form_id}")
        assert browser.find_element(By.ID, "reviewer").get_attribute("value") == "王芳"
        replace_value(browser, "f-" + field.replace(".", "-"), value)
        wait(browser).until(ec.visibility_of_element_located((By.ID, "all-good")))
        press(browser, "a")
        wait(browser).until(ec.url_contains("msg=approved"))
    view = form_view(sqlite_store, form_id)
    assert view.form.status == "approved" and view.form.reviewed_by == "王芳"
    assert {edit.reviewer for edit in view.edits if edit.action in ("edit", "approve")} == {"王芳"}


def test_a_stale_repair_conflict_keeps_both_values_and_blanks_nothing(
    browser: Any, served: str, sqlite_store: Store
) -> None:
    """Issue 11, item 1: bob approves while ann's page is open; ann's click on
    the repair meets the conflict panel with the exact value she clicked."""
    form_id, _, field, value = repairable(sqlite_store)
    printed = form_view(sqlite_store, form_id).record[field]  # type: ignore[index]
    assert printed is not None and printed != value
    browser.get(f"{served}/forms/{form_id}")
    set_reviewer(browser, "ann")
    first = browser.current_window_handle
    browser.switch_to.new_window("tab")
    browser.get(f"{served}/forms/{form_id}")
    set_reviewer(browser, "bob")
    press(browser, "a")  # bob approves as printed
    wait(browser).until(ec.url_contains("msg=approved"))

    browser.switch_to.window(first)
    browser.find_element(By.ID, "repair-" + field.replace(".", "-")).click()
    wait(browser).until(ec.visibility_of_element_located((By.ID, "conflict-box")))
    assert browser.find_element(By.ID, "conflict-mine").text == value
    assert browser.find_element(By.ID, "conflict-theirs").text == printed
    stored = form_view(sqlite_store, form_id)
    assert stored.form.status == "approved" and stored.record is not None and stored.record[field] == printed

    browser.find_element(By.ID, "conflict-keep-mine").click()
    wait(browser).until(ec.invisibility_of_element_located((By.ID, "conflict-box")))
    after = form_view(sqlite_store, form_id)
    assert after.record is not None and after.record[field] == value  # what ann clicked, never empty
    assert after.form.status == "needs_review"  # changed after approval: a new decision is due
    edits = [(e.reviewer, e.field, e.new_value) for e in reversed(after.edits) if e.action == "edit"]
    assert edits == [("ann", field, value)]


def test_undo_restores_an_edit(browser: Any, served: str, sqlite_store: Store) -> None:
    """Issue 11, item 3: `u` takes back the last edit, as an audited change."""
    row = queue(sqlite_store)[0]
    printed = form_view(sqlite_store, row.form_id).record["total_score"]  # type: ignore[index]
    browser.get(f"{served}/forms/{row.form_id}")
    set_reviewer(browser, "ann")
    replace_value(browser, "f-total_score", "12.5")
    wait(browser).until(lambda d: "Saved" in d.find_element(By.ID, "flash").text)
    assert form_view(sqlite_store, row.form_id).record["total_score"] == "12.5"  # type: ignore[index]
    press(browser, "u")
    wait(browser).until(ec.url_contains("msg=undone"))
    assert browser.find_element(By.ID, "f-total_score").get_attribute("value") == printed
    view = form_view(sqlite_store, row.form_id)
    assert view.record is not None and view.record["total_score"] == printed
    assert (view.edits[0].action, view.edits[0].reviewer) == ("undo", "ann")
    assert "undone" in browser.find_element(By.ID, "banner").text.lower()


def test_reject_asks_for_a_reason_and_confirms(browser: Any, served: str, sqlite_store: Store) -> None:
    row = queue(sqlite_store)[0]
    browser.get(f"{served}/forms/{row.form_id}")
    set_reviewer(browser, "ann")
    press(browser, "r")
    prompt = wait(browser).until(ec.alert_is_present())
    assert "why" in prompt.text
    prompt.send_keys("扫描件缺页")
    prompt.accept()
    confirm = wait(browser).until(ec.alert_is_present())
    assert "扫描件缺页" in confirm.text
    confirm.accept()
    wait(browser).until(ec.url_contains("msg=rejected"))
    view = form_view(sqlite_store, row.form_id)
    assert view.form.status == "rejected" and view.edits[0].reason == "扫描件缺页"


def test_skip_sticks(browser: Any, served: str, sqlite_store: Store) -> None:
    """Issue 11, item 7: a skipped form does not come back until the queue is exhausted."""
    rows = queue(sqlite_store)
    assert len(rows) >= 3
    browser.get(f"{served}/forms/{rows[0].form_id}")
    set_reviewer(browser, "ann")
    press(browser, "s")
    wait(browser).until(ec.url_contains(f"/forms/{rows[1].form_id}?msg=skipped"))
    assert rows[0].title in browser.find_element(By.ID, "banner").text  # the banner names the skipped form
    press(browser, "a")  # approve the second: the jump goes on to the third, not back to the skipped one
    wait(browser).until(ec.url_contains(f"/forms/{rows[2].form_id}?msg=approved"))
    browser.get(served + "/")
    ids = [el.get_attribute("id") for el in browser.find_elements(By.CSS_SELECTOR, "tr.qrow")]
    assert ids[-1] == f"q{rows[0].form_id}"
    assert "skipped" in browser.find_element(By.ID, f"q{rows[0].form_id}").text


def test_next_stays_inside_a_filter(browser: Any, served: str, sqlite_store: Store) -> None:
    """Issue 11, items 6-7: Next, Previous and the jump after approving stay in the filtered queue."""
    everything = [row.form_id for row in queue(sqlite_store)]
    code = next(
        c for row in queue(sqlite_store) for c in row.codes if len(queue(sqlite_store, QueueFilters(code=c))) >= 2
    )
    inside = [row.form_id for row in queue(sqlite_store, QueueFilters(code=code))]
    assert set(inside) < set(everything)  # the filter leaves some forms out
    browser.get(served + "/")
    set_reviewer(browser, "ann")
    browser.find_element(By.CSS_SELECTOR, f'.facets a[href*="code={code}"]').click()
    wait(browser).until(ec.url_contains(f"code={code}"))
    assert f"0 of {len(inside)}" in browser.find_element(By.ID, "progress").text
    browser.find_element(By.CSS_SELECTOR, f"#q{inside[-1]} td.title a").click()
    wait(browser).until(ec.url_contains(f"/forms/{inside[-1]}"))
    press(browser, "j")  # past the filter's last form: back to its first, never outside
    wait(browser).until(ec.url_contains(f"/forms/{inside[0]}?"))
    assert f"code={code}" in browser.current_url
    assert not browser.find_elements(By.ID, "prev-link")  # the first of the filter has no previous
    press(browser, "a")
    wait(browser).until(ec.url_contains("msg=approved"))
    assert f"/forms/{inside[1]}?" in browser.current_url and f"code={code}" in browser.current_url
    assert f"1 of {len(inside)} done" in browser.find_element(By.ID, "progress").text


def test_bulk_approve_as_printed(browser: Any, served: str, sqlite_store: Store) -> None:
    """Issue 11, item 8: tick forms with the same check, one reason, one click."""
    code = "total_score_mismatch"
    inside = queue(sqlite_store, QueueFilters(code=code))
    assert len(inside) >= 3
    browser.get(f"{served}/?code={code}")
    set_reviewer(browser, "ann")
    for row in inside[:2]:
        browser.find_element(By.CSS_SELECTOR, f"#q{row.form_id} input.pick").click()
    assert browser.current_url.endswith(f"code={code}")  # ticking a box does not open the form
    browser.find_element(By.ID, "bulk-reason").send_keys("原件总分如此")
    browser.find_element(By.ID, "bulk-approve").click()
    wait(browser).until(ec.url_contains("msg=bulk"))
    assert "Approved 2 forms as printed" in browser.find_element(By.CSS_SELECTOR, ".banner").text
    for row in inside[:2]:
        view = form_view(sqlite_store, row.form_id)
        assert view.form.status == "approved" and view.edits[0].reviewer == "ann"
        assert view.edits[0].reason is not None and view.edits[0].reason.endswith("原件总分如此")
    assert form_view(sqlite_store, inside[2].form_id).form.status == "needs_review"
    remaining = {el.get_attribute("id") for el in browser.find_elements(By.CSS_SELECTOR, "tr.qrow")}
    assert f"q{inside[2].form_id}" in remaining and f"q{inside[0].form_id}" not in remaining


def test_keyboard_only_approve_with_reason(browser: Any, served: str, sqlite_store: Store) -> None:
    """Issue 11, item 10: `w` opens the reason box without typing a "w" into it;
    Esc leaves it, `a` approves with the reason; `?` lists the keys."""
    row = queue(sqlite_store)[0]
    browser.get(f"{served}/forms/{row.form_id}")
    set_reviewer(browser, "ann")
    press(browser, "?")
    assert browser.find_element(By.ID, "help").is_displayed()
    press(browser, "?")
    press(browser, "w")
    assert browser.switch_to.active_element.get_attribute("id") == "reason"
    ActionChains(browser).send_keys("原件如此 ok").perform()
    assert browser.find_element(By.ID, "reason").get_attribute("value") == "原件如此 ok"  # no stray "w"
    ActionChains(browser).send_keys(Keys.ESCAPE).perform()
    ActionChains(browser).send_keys("a").perform()
    wait(browser).until(ec.url_contains("msg=approved"))
    view = form_view(sqlite_store, row.form_id)
    assert view.form.status == "approved" and view.edits[0].reason == "原件如此 ok"
