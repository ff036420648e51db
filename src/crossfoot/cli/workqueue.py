"""`run --work-queue NAME`: this process's side of the shared work queue
(``review/workqueue.py``): naming the inputs, claiming, marking done."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from crossfoot.cli.output import readable_sha256
from crossfoot.pipeline import expand_inputs
from crossfoot.review.workqueue import WorkQueue

__all__ = ["QueueClaims"]


def _names(inputs: list[Path]) -> dict[Path, str]:
    """Each input file's name in the queue: its path relative to the folder
    given (or its file name when given itself), the same on every machine."""
    names: dict[Path, str] = {}
    for given in inputs:
        for path in expand_inputs([given]):
            names.setdefault(path, path.relative_to(given).as_posix() if given.is_dir() else path.name)
    return names


class QueueClaims:
    """The batch's documents, claimed one at a time from ``queue``."""

    def __init__(self, queue: WorkQueue, inputs: list[Path]) -> None:
        self.queue = queue
        names = _names(inputs)
        paths = list(names)
        keys = [(readable_sha256(path) or "", names[path]) for path in paths]
        self._ids = dict(zip(paths, queue.register(keys), strict=True))
        self._paths = {item_id: path for path, item_id in self._ids.items()}

    def adopt(self, paths: list[Path]) -> None:
        self.queue.done([self._ids[p] for p in paths if p in self._ids], adopt=True)

    def claimed(self, todo: list[Path]) -> Iterator[Path]:
        candidates = {self._ids[p] for p in todo if p in self._ids}
        while candidates:
            item_id = self.queue.claim(sorted(candidates))
            if item_id is None:
                return
            candidates.discard(item_id)
            yield self._paths[item_id]

    def done(self, path: Path) -> None:
        self.queue.done([self._ids[path]])
