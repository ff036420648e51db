"""CPU cost of the review app's page images (issue 11, item 4): the first view
of a page (verify, measure the tilt, turn, encode PNG) and every later one (a
cache hit), for real scans and scanned PDFs from eval/corpus.

    PYTHONPATH=src python benchmarks/bench_page_images.py            # 3 files
    PYTHONPATH=src python benchmarks/bench_page_images.py 10

CPU time (time.process_time, all threads), not wall time: the machine is shared.
"""

from __future__ import annotations

import hashlib
import sys
import tempfile
import time
from pathlib import Path

from crossfoot.review.images import SourceImages

ROOT = Path(__file__).resolve().parent.parent


def main(count: int) -> None:
    files = sorted((ROOT / "eval" / "corpus" / "scan").glob("*.jpg"))[: count - 1]
    files += sorted((ROOT / "eval" / "corpus" / "scan").glob("*.pdf"))[:1]
    with tempfile.TemporaryDirectory() as cache:
        images = SourceImages(Path(cache), [ROOT])
        for path in files:
            digest = hashlib.sha256(path.read_bytes()).hexdigest()
            started = time.process_time()
            sizes = images.page_sizes(str(path), digest)
            png = images.render(str(path), digest, 1)
            first = time.process_time() - started
            started = time.process_time()
            images.page_sizes(str(path), digest)
            images.render(str(path), digest, 1)
            again = time.process_time() - started
            print(
                f"{path.name}: {len(sizes)} page(s); first view {first:.2f} s CPU, "
                f"cached {again * 1000:.1f} ms CPU; PNG {png.stat().st_size / 1e6:.2f} MB"
            )


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 3)
