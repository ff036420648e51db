"""Two reviewers in two real headless Chromium sessions (issue 11, item 13):
the second sees who has the form open, gets it read-only, and takes it over."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from crossfoot.review.access import Access, add_reviewer, load_reviewers
from crossfoot.review.app import create_app
from crossfoot.review.queue import queue
from crossfoot.review.serve import serve_in_background
from crossfoot.review.store import Store
from crossfoot.review.view import form_view
from crossfoot.settings import Settings
from tests.conftest import need
from tests.review.browser import chromium, have_chromium

pytestmark = pytest.mark.browser

pytest.importorskip("selenium", reason="selenium is a dev dependency")

from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.common.keys import Keys  # noqa: E402
from selenium.webdriver.support import expected_conditions as ec  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402


@pytest.fixture
def two_browsers() -> Iterator[tuple[Any, Any]]:
    need(have_chromium(), "Debian's chromium and chromium-driver (see .ci/steps/40-browser.sh)")
    first = chromium()
    try:
        second = chromium()
        try:
            yield first, second
        finally:
            second.quit()
    finally:
        first.quit()


def wait(driver: Any, seconds: float = 10) -> WebDriverWait:
    return WebDriverWait(driver, seconds)


def sign_in(driver: Any, url: str, token: str) -> None:
    driver.get(f"{url}/token")
    driver.find_element(By.NAME, "token").send_keys(token, Keys.ENTER)
    wait(driver).until(ec.url_contains("msg=token"))


def test_a_second_reviewer_sees_the_first_and_takes_the_form_over(
    two_browsers: tuple[Any, Any], sqlite_store: Store, tmp_path: Path
) -> None:
    wang, li = two_browsers
    path = tmp_path / "reviewers.json"
    tokens = {name: add_reviewer(path, name) for name in ("王芳", "李明")}
    access = Access.build(host="127.0.0.1", shared_token=None, reviewers=load_reviewers(path))
    row = queue(sqlite_store)[0]
    with serve_in_background(create_app(sqlite_store, Settings(), access=access)) as url:
        sign_in(wang, url, tokens["王芳"])
        sign_in(li, url, tokens["李明"])
        wang.get(f"{url}/forms/{row.form_id}")
        assert not wang.find_elements(By.ID, "presence")
        assert wang.find_element(By.ID, "approve-btn").is_enabled()

        li.get(f"{url}/forms/{row.form_id}")
        banner = li.find_element(By.ID, "presence").text
        assert "王芳 is reviewing this form (since" in banner
        assert not li.find_element(By.ID, "approve-btn").is_enabled()  # read-only for the second reviewer
        editable = li.find_elements(By.CSS_SELECTOR, ".record-pane input:not([type=hidden])")
        assert editable and not any(field.is_enabled() for field in editable)

        li.find_element(By.ID, "takeover-btn").click()
        wait(li).until(ec.invisibility_of_element_located((By.ID, "presence")))
        assert li.find_element(By.ID, "approve-btn").is_enabled()
        li.find_element(By.ID, "approve-btn").click()
        wait(li).until(ec.url_contains("msg=approved"))

        wang.refresh()  # the first reviewer now sees who took it over
        assert "李明 is reviewing this form" in wang.find_element(By.ID, "presence").text
    view = form_view(sqlite_store, row.form_id)
    assert view.form.status == "approved" and view.form.reviewed_by == "李明"
    assert [e.action for e in view.edits if e.reviewer == "李明"] == ["approve", "takeover"]  # newest first
