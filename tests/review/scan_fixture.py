"""A stored scan for the review tests and screenshots: one real scan from
eval/corpus, OCR'd once and committed as JSON (document lines + envelopes),
so a test loads it in milliseconds instead of OCR'ing for fifteen seconds.

    PYTHONPATH=src:. python -m tests.review.scan_fixture     # re-OCR and rewrite the JSON

``scan_run(folder)`` copies the scan into ``folder`` and returns the run with
the document pointing at that copy, so the review app serves it from the
store's own folder and a test can move or change it.
"""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

from crossfoot.ingest import Document
from crossfoot.model import Envelope
from tests.conftest import ROOT
from tests.review.helpers import Run, rules_run

SCAN = ROOT / "eval" / "corpus" / "scan" / "000_1c7597119af05248__00.jpg"
STORED = ROOT / "tests" / "fixtures" / "review" / "scan-000-00.json"


def scan_run(folder: Path) -> Run:
    """The stored OCR run of SCAN, its document pointing at a copy in ``folder``."""
    data = json.loads(STORED.read_text(encoding="utf-8"))
    copy = folder / SCAN.name
    shutil.copyfile(SCAN, copy)
    document = Document.model_validate(data["document"])
    document.path = str(copy)
    envelopes = [Envelope.model_validate(e) for e in data["envelopes"]]
    for envelope in envelopes:
        envelope.source.path = str(copy)
    return [document], envelopes


def main() -> int:
    documents, envelopes = rules_run([SCAN.relative_to(ROOT)])
    data = {
        "document": documents[0].model_dump(mode="json"),
        "envelopes": [e.model_dump(mode="json") for e in envelopes],
    }
    STORED.write_text(json.dumps(data, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {STORED}: {len(envelopes)} form(s), findings {[f.code for e in envelopes for f in e.findings]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
