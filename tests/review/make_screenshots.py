"""Regenerate the review screenshots in docs/ (1440×900):

- review-queue.png: the queue, filtered by a check, one form ticked for bulk approval
- review-form.png: a text form with a broken total
- review-scan.png: a scan with its page image, the value boxes and a crop at the finding
- review-conflict.png: the conflict panel after a stale repair click
- review-export.png: the manager's XLSX export (its summary and audit sheets, as an HTML preview)

    PYTHONPATH=src:. .venv/bin/python -m tests.review.make_screenshots

Serves the app on loopback over a temporary store loaded from a rules run
over samples/ plus one OCR'd scan (the committed fixture), with forms already
approved so the queue and the export show some history.
"""

from __future__ import annotations

import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

from selenium.webdriver.support.ui import WebDriverWait

from crossfoot.review.app import create_app
from crossfoot.review.edits import apply_repair, set_status
from crossfoot.review.export import iter_export_items, write_xlsx
from crossfoot.review.queue import queue
from crossfoot.review.serve import serve_in_background
from crossfoot.review.store import Store, load_into
from crossfoot.review.view import form_view
from crossfoot.settings import Settings
from tests.conftest import ROOT, SAMPLES
from tests.review.browser import chromium
from tests.review.helpers import rules_run
from tests.review.scan_fixture import scan_run

DOCS = ROOT / "docs"


def main() -> int:
    with tempfile.TemporaryDirectory() as folder, Store(str(Path(folder) / "shots.db")) as store:
        load_into(store, *rules_run(sorted(SAMPLES.glob("*.txt"))))
        load_into(store, *scan_run(Path(folder)))
        scan_id = next(r.form_id for r in queue(store) if r.path.endswith(".jpg"))
        rows = queue(store)
        first = rows[0]
        set_status(store, first.form_id, "approve", version=first.version, reviewer="李娜", reason="as printed")
        repairable = [(r, fv.finding.repair) for r in queue(store) for fv in form_view(store, r.form_id).findings]
        (second, repair), (target, _), (raced, race_fix) = [(r, fix) for r, fix in repairable if fix is not None][:3]
        fixed = apply_repair(store, second.form_id, repair.field, version=second.version, reviewer="王芳")
        set_status(store, second.form_id, "approve", version=fixed.version, reviewer="王芳")
        driver = chromium(width=1440, height=900)
        # the page itself at 1440×900: a window that size loses some height to the browser's frame
        metrics = {"width": 1440, "height": 900, "deviceScaleFactor": 1, "mobile": False}
        driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", metrics)
        try:
            settings = Settings(review_image_cache=Path(folder) / "cache")
            with serve_in_background(create_app(store, settings)) as url:
                driver.get(url + "/")
                driver.execute_script("localStorage.setItem('crossfoot.reviewer', '王芳')")
                driver.get(url + "/?code=total_score_mismatch")
                driver.execute_script("document.querySelector('tr.qrow').classList.add('selected')")
                driver.execute_script("document.querySelectorAll('input.pick')[0].checked = true")
                time.sleep(0.5)
                driver.save_screenshot(str(DOCS / "review-queue.png"))
                driver.get(f"{url}/forms/{target.form_id}")
                time.sleep(0.8)
                driver.save_screenshot(str(DOCS / "review-form.png"))
                # a scan: the page image with its boxes, the doubted value focused
                driver.get(f"{url}/forms/{scan_id}")
                loaded = "const i = document.querySelector('#image-pages img'); return Boolean(i && i.complete && i.naturalWidth)"
                WebDriverWait(driver, 30).until(lambda d: d.execute_script(loaded))
                driver.execute_script("const f = document.querySelector('#record-panel .v.mark-doubt'); f && f.focus()")
                time.sleep(0.5)
                driver.save_screenshot(str(DOCS / "review-scan.png"))
                # the conflict: someone approves while this page is open, then the repair is clicked
                driver.get(f"{url}/forms/{raced.form_id}")
                time.sleep(0.5)
                set_status(store, raced.form_id, "approve", version=raced.version, reviewer="李娜")
                assert race_fix is not None
                driver.find_element("id", "repair-" + race_fix.field.replace(".", "-")).click()
                time.sleep(0.8)
                driver.save_screenshot(str(DOCS / "review-conflict.png"))
                # what a manager receives: the XLSX export, previewed sheet by sheet
                workbook = Path(folder) / "export.xlsx"
                write_xlsx(iter_export_items(store, "all"), workbook, store=store)
                preview = Path(folder) / "export.html"
                preview.write_text(xlsx_preview(workbook), encoding="utf-8")
                driver.get(preview.as_uri())
                time.sleep(0.5)
                driver.save_screenshot(str(DOCS / "review-export.png"))
        finally:
            driver.quit()
    print(f"wrote {DOCS}/review-queue.png, review-form.png, review-scan.png, review-conflict.png, review-export.png")
    return 0


PREVIEW_ROWS = {"summary": 30, "forms": 8, "audit": 14}
PREVIEW_STYLE = """
body { font: 13px system-ui, "Noto Sans CJK SC", sans-serif; margin: 16px 20px; color: #1d2330; background: #f6f7f9; }
h1 { font-size: 18px; margin: 0 0 4px; } h2 { font-size: 13px; margin: 14px 0 4px; color: #40485a; }
p { margin: 0 0 8px; color: #6b7385; }
table { border-collapse: collapse; background: #fff; font-size: 12px; }
th, td { border: 1px solid #d7dbe3; padding: 2px 6px; white-space: nowrap; max-width: 260px; overflow: hidden;
  text-overflow: ellipsis; }
th { background: #eef0f4; } .grid { display: flex; gap: 16px; align-items: flex-start; } .wide { max-width: 1400px; }
"""


def shown(value: object) -> str:
    """A cell as Excel would show it: dates to the minute."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    return str(value)


def xlsx_preview(workbook: Path) -> str:
    """The workbook's sheets as HTML tables (the first rows of each), for a screenshot."""
    from html import escape

    from openpyxl import load_workbook  # type: ignore[import-untyped,unused-ignore]

    book = load_workbook(workbook, read_only=True)
    parts = [f"<style>{PREVIEW_STYLE}</style><h1>{escape(workbook.name)}</h1>"]
    parts.append(f"<p>sheets: {escape(', '.join(book.sheetnames))} (first rows of each shown)</p><div class=grid>")
    for name in ("summary", "audit", "forms"):
        if name not in book.sheetnames:
            continue
        rows = list(book[name].iter_rows(values_only=True))
        head, body = (rows[0], rows[1:]) if rows else ((), [])
        if name == "audit":  # the reviewers' decisions, not the loader's rows
            body = [row for row in body if "extract" not in row]
        if name == "forms":  # what was decided first, the untouched clean forms last
            order = {"approved": 0, "rejected": 0, "needs_review": 1}
            body.sort(key=lambda row: order.get(str(row[1]), 2))
        body = body[: PREVIEW_ROWS[name]]
        cells = "".join(f"<th>{escape(str(v or ''))}</th>" for v in head[:9])
        lines = "".join("<tr>" + "".join(f"<td>{escape(shown(v))}</td>" for v in row[:9]) + "</tr>" for row in body)
        parts.append(f"<section><h2>{escape(name)}</h2><table><tr>{cells}</tr>{lines}</table></section>")
        if name == "audit":
            parts.append("</div><div class=wide>")
    parts.append("</div>")
    return "<!doctype html><meta charset=utf-8>" + "".join(parts)


if __name__ == "__main__":
    sys.exit(main())
