"""How a batch keeps Python's cyclic garbage collector off its big heaps.

The collector runs on allocation counts, and a full pass walks every tracked
object. Reading a 2,200-form text dump builds about 600,000 small objects
(lines and cells); the rules' sibling pass then classifies every form's
table and keeps it for the form's own reading. The full passes that this
growth triggered walked the growing heap again and again and found nothing
to free: about 30% of the CPU of ``crossfoot extract`` on that file, 9% on
the same forms as 300 files (issue 12). Two measures:

* ``settle`` before and after a document is read: one pass frees the
  garbage cycles made so far (pdfminer leaves about 10,000 a page; after the
  text reader, which makes none, the pass is skipped), then everything
  alive (the modules, the document) is frozen, so later passes walk only
  what the forms make. Frozen objects are still freed by reference counting
  when dropped; nothing garbage is frozen, and a document, its lines and
  cells hold no references back to newer objects. In case some longer-lived
  object is dropped as part of a cycle after its freeze, every
  ``THAW_EVERY``-th pass first lets every frozen object go, so such garbage
  lives at most that many documents;
* a full pass is considered after 100 passes of the middle
  generation instead of 10 (about 700,000 allocations, not 70,000). Short
  lived cycles still die in the young passes, and ``settle`` frees the rest
  at every document, so memory stays bounded by one document's work.

Both hold only in a process crossfoot owns (``manage``).

(Pausing the collector while the text reader builds its lines was measured
too: slower, as the first young pass after it walks all of them at once.)
"""

from __future__ import annotations

import gc

__all__ = ["FULL_PASS_AFTER", "THAW_EVERY", "manage", "settle"]

#: middle-generation passes between full passes in a batch (CPython's default: 10)
FULL_PASS_AFTER = 100
#: every this many settles with a pass, the frozen objects are let go first, so
#: the pass sees them too: an object frozen while alive and dropped later as
#: part of a cycle (a replaced connection, say) is freed within that many
#: documents. Costs one pass over the whole heap (tens of ms) per that many.
THAW_EVERY = 100

_managed = False
_passes = 0


def manage() -> None:
    """Let ``settle`` freeze in this process, and make full passes rarer.

    Only for processes crossfoot owns and ends: the CLI's batch and the
    workers of its own pool. A process that hosts other code for long (a
    Dask worker, a library caller's) is never managed, as objects of theirs
    alive at a freeze and dropped later as a cycle would never be freed.
    Idempotent."""
    global _managed
    _managed = True
    young, middle, _ = gc.get_threshold()
    gc.set_threshold(young, middle, FULL_PASS_AFTER)


def settle(*, collect: bool = True) -> None:
    """In a managed process: exempt everything alive now from the collector's
    passes, after one pass frees the garbage cycles (``collect=False`` only
    when nothing since the last pass can have made a cycle). Elsewhere: nothing."""
    global _passes
    if not _managed:
        return
    if collect:
        _passes += 1
        if _passes % THAW_EVERY == 0:
            gc.unfreeze()
        gc.collect()
    gc.freeze()
