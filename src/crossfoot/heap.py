"""How a batch keeps Python's cyclic garbage collector off its big heaps.

The collector runs on allocation counts, and a full pass walks every tracked
object. Reading a 2,200-form text dump builds about 600,000 small objects
(lines and cells); the rules' sibling pass then classifies every form's
table and keeps it for the form's own reading. The full passes that this
growth triggered walked the growing heap again and again and found nothing
to free: about 30% of the CPU of ``crossfoot extract`` on that file, 9% on
the same forms as 300 files (issue 12). The measures:

* ``collector_paused`` around a loop that builds acyclic objects only (the
  text reader's lines and cells): no pass inside it;
* ``settle`` before and after a document is read: one pass frees the
  garbage cycles made so far (pdfminer leaves about 10,000 a page), then
  everything alive (the modules, the document) is frozen, so later passes
  walk only what the forms make. Frozen objects are still freed by reference
  counting when dropped; nothing garbage is frozen, and a document, its
  lines and cells hold no references back to newer objects;
* ``for_batch``: a full pass is considered after 100 passes of the middle
  generation instead of 10 (about 700,000 allocations, not 70,000). Short
  lived cycles still die in the young passes, and ``settle`` frees the rest
  at every document, so memory stays bounded by one document's work.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["FULL_PASS_AFTER", "collector_paused", "for_batch", "settle"]

#: middle-generation passes between full passes in a batch (CPython's default: 10)
FULL_PASS_AFTER = 100


@contextmanager
def collector_paused() -> Iterator[None]:
    """No collector passes inside the block (the state before is restored).
    For code that builds acyclic objects only."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def settle(*, collect: bool = True) -> None:
    """Exempt everything alive now from the collector's passes, after one
    pass frees the garbage cycles (``collect=False`` only when nothing since
    the last pass can have made a cycle)."""
    if collect:
        gc.collect()
    gc.freeze()


def for_batch() -> None:
    """Full passes less often, for this process (idempotent)."""
    young, middle, _ = gc.get_threshold()
    gc.set_threshold(young, middle, FULL_PASS_AFTER)
