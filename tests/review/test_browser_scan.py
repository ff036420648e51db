"""A scan in the review app, in a real headless Chromium (issue 11, items 4, 5, 12).

The store holds a real scan from eval/corpus, OCR'd once and committed as
JSON (tests/review/scan_fixture.py), so no test waits for OCR; the page image
itself is rendered by the app from the real JPEG."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from crossfoot.review.app import create_app
from crossfoot.review.serve import serve_in_background
from crossfoot.review.store import Store, load_into
from crossfoot.review.view import form_view
from crossfoot.settings import Settings
from tests.conftest import need
from tests.review.browser import chromium, have_chromium
from tests.review.scan_fixture import scan_run

pytestmark = pytest.mark.browser

pytest.importorskip("selenium", reason="selenium is a dev dependency")

from selenium.webdriver.common.action_chains import ActionChains  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.common.keys import Keys  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402


@pytest.fixture
def scan_store(tmp_path: Path) -> Iterator[Store]:
    with Store(str(tmp_path / "review.db")) as store:
        load_into(store, *scan_run(tmp_path))
        yield store


@pytest.fixture
def served(scan_store: Store, tmp_path: Path) -> Iterator[str]:
    with serve_in_background(create_app(scan_store, Settings(review_image_cache=tmp_path / "cache"))) as url:
        yield url


@pytest.fixture
def browser() -> Iterator[Any]:
    need(have_chromium(), "Debian's chromium and chromium-driver (see .ci/steps/40-browser.sh)")
    driver = chromium(width=1440, height=900)
    try:
        yield driver
    finally:
        driver.quit()


def open_form(driver: Any, url: str) -> None:
    driver.get(url + "/forms/1")
    driver.execute_script("localStorage.setItem('crossfoot.reviewer', '王芳')")
    driver.get(url + "/forms/1")
    WebDriverWait(driver, 15).until(
        lambda d: d.execute_script(
            "const img = document.querySelector('#image-pages .page img');"
            "return img && img.complete && img.naturalWidth > 0;"
        )
    )


def rect_of(driver: Any, element: Any) -> dict[str, float]:
    rect: dict[str, float] = driver.execute_script("return arguments[0].getBoundingClientRect().toJSON()", element)
    return rect


def inside(inner: dict[str, float], outer: dict[str, float]) -> bool:
    return (
        inner["left"] >= outer["left"] - 1
        and inner["right"] <= outer["right"] + 1
        and inner["top"] >= outer["top"] - 1
        and inner["bottom"] <= outer["bottom"] + 1
    )


def test_a_scan_shows_its_page_with_the_flagged_values_box(browser: Any, served: str, scan_store: Store) -> None:
    view = form_view(scan_store, 1)
    flagged = [path for path, mark in view.marks.items() if mark in ("flag", "doubt")]
    assert flagged, "the stored scan has values OCR doubted"
    open_form(browser, served)
    image = browser.find_element(By.CSS_SELECTOR, "#image-pages .page img")
    assert image.is_displayed()
    boxes = browser.find_elements(By.CSS_SELECTOR, "#image-pages rect.box.mark-doubt")
    assert {box.get_attribute("data-field") for box in boxes} == set(flagged)
    page = rect_of(browser, image)
    first = rect_of(browser, boxes[0])
    assert first["width"] > 0 and first["height"] > 0 and inside(first, page)
    # doubtful OCR is not painted as broken arithmetic
    assert not browser.find_elements(By.CSS_SELECTOR, ".mark-flag")
    # the opened finding carries a crop of the page around its value
    crop = browser.find_element(By.CSS_SELECTOR, "details.finding[open] .crop-slot[data-filled] .crop")
    assert crop.is_displayed() and "pages/1.png" in crop.value_of_css_property("background-image")
    # every other finding is one line until opened
    closed = browser.find_elements(By.CSS_SELECTOR, "details.finding:not([open])")
    assert closed and all(f.size["height"] < 40 for f in closed)


def test_clicking_a_field_outlines_its_box_and_a_box_focuses_its_field(browser: Any, served: str) -> None:
    open_form(browser, served)
    field = browser.find_element(By.ID, "f-implementing_unit")
    field.click()
    box = browser.find_element(By.CSS_SELECTOR, '#image-pages rect.box[data-field="implementing_unit"]')
    assert "focus" in box.get_attribute("class")
    assert inside(rect_of(browser, box), rect_of(browser, browser.find_element(By.ID, "image-pane")))
    # the source line's cell, not the whole line
    cells = browser.find_elements(By.CSS_SELECTOR, ".src .cell.focus")
    assert [c.get_attribute("textContent") for c in cells] == ["上海市闵行区信息服务中心"]
    # and the other way round
    other = browser.find_element(By.CSS_SELECTOR, '#image-pages rect.box[data-field="department"]')
    ActionChains(browser).move_to_element(other).click().perform()
    assert browser.switch_to.active_element.get_attribute("id") == "f-department"


def test_zoom_keeps_the_boxes_on_the_page(browser: Any, served: str) -> None:
    open_form(browser, served)
    image = browser.find_element(By.CSS_SELECTOR, "#image-pages .page img")
    before = rect_of(browser, image)["width"]
    browser.find_element(By.ID, "f-project_name").click()
    browser.execute_script("document.activeElement.blur()")
    ActionChains(browser).send_keys("+").send_keys("+").perform()
    after = rect_of(browser, image)["width"]
    assert after == pytest.approx(before * 2, rel=0.02)
    box = browser.find_element(By.CSS_SELECTOR, '#image-pages rect.box[data-field="project_name"]')
    assert inside(rect_of(browser, box), rect_of(browser, image))
    assert browser.find_element(By.ID, "zoom-level").text == "200%"
    assert "fit" in browser.find_element(By.ID, "zoom-fit").text
    ActionChains(browser).send_keys("0").perform()
    assert rect_of(browser, image)["width"] == pytest.approx(before, rel=0.01)


def test_a_moved_source_says_so_in_place_of_the_image(browser: Any, served: str, tmp_path: Path) -> None:
    (tmp_path / "000_1c7597119af05248__00.jpg").rename(tmp_path / "moved.jpg")
    browser.get(served + "/forms/1")
    message = WebDriverWait(browser, 10).until(lambda d: d.find_elements(By.ID, "image-missing"))[0]
    assert "not there any more" in message.text and "000_1c7597119af05248__00.jpg" in message.text
    # the rest of the page still works: the lines are there
    browser.find_element(By.ID, "view-lines").click()
    assert browser.find_element(By.ID, "source-lines").is_displayed()


def test_a_refused_value_stays_as_typed_and_red(browser: Any, served: str) -> None:
    open_form(browser, served)
    field = browser.find_element(By.ID, "f-total_weight")
    field.click()
    field.send_keys(Keys.CONTROL, "a")
    field.send_keys("九十x", Keys.TAB)
    WebDriverWait(browser, 10).until(lambda d: "invalid" in field.get_attribute("class"))
    assert field.get_attribute("value") == "九十x"
    assert browser.find_element(By.CSS_SELECTOR, "#flash .toast.error").is_displayed()


def test_loading_the_page_image_keeps_the_banner(browser: Any, served: str) -> None:
    """The banner goes when a newer change is made; the image pane's GET is none."""
    browser.get(served + "/forms/1")
    browser.execute_script("localStorage.setItem('crossfoot.reviewer', '王芳')")
    browser.get(served + "/forms/1?msg=skipped&of=1")
    WebDriverWait(browser, 15).until(lambda d: d.find_elements(By.CSS_SELECTOR, "#image-pages .page"))
    assert browser.find_element(By.ID, "banner").is_displayed()


def test_findings_open_from_the_keyboard_and_long_texts_need_no_inner_scroll(browser: Any, served: str) -> None:
    """Item 12: one line per finding, opened with Enter; goals and deviations read in full."""
    open_form(browser, served)
    summary = browser.find_element(By.CSS_SELECTOR, "details.finding:not([open]) > summary")
    finding = summary.find_element(By.XPATH, "..")
    browser.execute_script("arguments[0].focus()", summary)
    ActionChains(browser).send_keys(Keys.ENTER).perform()
    assert finding.get_attribute("open") is not None
    texts = browser.find_elements(By.CSS_SELECTOR, "#record-panel textarea.grow")
    assert texts
    clipped = browser.execute_script(
        "return arguments[0].filter(t => t.scrollHeight > t.clientHeight + 2).map(t => t.id)", texts
    )
    assert clipped == []
