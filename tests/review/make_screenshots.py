"""Regenerate docs/review-queue.png, docs/review-form.png and docs/review-conflict.png (1440×900).

    .venv/bin/python -m tests.review.make_screenshots

Serves the app on loopback over a temporary store loaded from a rules run
over samples/, with one form already approved so the queue shows some
history, and photographs both pages in headless Chromium.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

from crossfoot.review.app import create_app
from crossfoot.review.edits import apply_repair, set_status
from crossfoot.review.queue import queue
from crossfoot.review.serve import serve_in_background
from crossfoot.review.store import Store, load_into
from crossfoot.review.view import form_view
from crossfoot.settings import Settings
from tests.conftest import ROOT, SAMPLES
from tests.review.browser import chromium
from tests.review.helpers import rules_run

DOCS = ROOT / "docs"


def main() -> int:
    with tempfile.TemporaryDirectory() as folder, Store(str(Path(folder) / "shots.db")) as store:
        load_into(store, *rules_run(sorted(SAMPLES.glob("*.txt"))))
        rows = queue(store)
        first = rows[0]
        set_status(store, first.form_id, "approve", version=first.version, reviewer="李娜", reason="as printed")
        repairable = [(r, fv.finding.repair) for r in queue(store) for fv in form_view(store, r.form_id).findings]
        (second, repair), (target, _), (raced, race_fix) = [(r, fix) for r, fix in repairable if fix is not None][:3]
        fixed = apply_repair(store, second.form_id, repair.field, version=second.version, reviewer="王芳")
        set_status(store, second.form_id, "approve", version=fixed.version, reviewer="王芳")
        driver = chromium(width=1440, height=900)
        try:
            with serve_in_background(create_app(store, Settings())) as url:
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
                # the conflict: someone approves while this page is open, then the repair is clicked
                driver.get(f"{url}/forms/{raced.form_id}")
                time.sleep(0.5)
                set_status(store, raced.form_id, "approve", version=raced.version, reviewer="李娜")
                assert race_fix is not None
                driver.find_element("id", "repair-" + race_fix.field.replace(".", "-")).click()
                time.sleep(0.8)
                driver.save_screenshot(str(DOCS / "review-conflict.png"))
        finally:
            driver.quit()
    print(f"wrote {DOCS}/review-queue.png, review-form.png and review-conflict.png")
    return 0


if __name__ == "__main__":
    sys.exit(main())
