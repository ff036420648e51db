"""JSONL output that never leaves a half-written line, and resumes.

Lines go to ``OUT.partial`` as each document finishes, one ``write`` per
document, flushed and fsynced. On success the file is renamed to ``OUT``. A
run that was interrupted leaves ``OUT.partial``; the next run with the same
``OUT`` drops any torn last line, keeps the complete documents, and skips
them.
"""

from __future__ import annotations

import json
import os
from collections import Counter
from pathlib import Path
from types import TracebackType
from typing import IO

from crossfoot.model import Envelope

__all__ = ["JsonlSink"]


class JsonlSink:
    """Where envelopes go: a file (atomic, resumable) or stdout."""

    def __init__(self, out: Path | None, *, stream: IO[str] | None = None, resume: bool = True) -> None:
        self.out = out
        self.partial = out.with_name(out.name + ".partial") if out else None
        self._stream = stream
        self._file: IO[str] | None = None
        self.done: set[str] = set()  # document hashes already complete
        self.resumed_forms = 0
        if self.partial is not None:
            self.partial.parent.mkdir(parents=True, exist_ok=True)
            if resume and self.partial.exists():
                self._recover()
            else:
                self.partial.write_text("", encoding="utf-8")

    def _recover(self) -> None:
        assert self.partial is not None
        text = self.partial.read_text(encoding="utf-8")
        if text and not text.endswith("\n"):
            text = text[: text.rfind("\n") + 1]  # drop the torn last line
        seen: Counter[str] = Counter()
        expected: dict[str, int] = {}
        kept: list[str] = []
        for line in text.splitlines():
            try:
                data = json.loads(line)
                sha = data["source"]["sha256"]
            except (ValueError, KeyError, TypeError):
                continue
            seen[sha] += 1
            expected[sha] = int(data["source"].get("form_count", 1))
            kept.append(line)
        self.done = {sha for sha, n in seen.items() if n >= expected[sha]}
        complete = [ln for ln in kept if json.loads(ln)["source"]["sha256"] in self.done]
        self.resumed_forms = len(complete)
        self.partial.write_text("".join(ln + "\n" for ln in complete), encoding="utf-8")

    def __enter__(self) -> JsonlSink:
        if self.partial is not None:
            self._file = self.partial.open("a", encoding="utf-8")
        return self

    def write_document(self, envelopes: list[Envelope]) -> None:
        """All forms of one document, in one write."""
        payload = "".join(e.model_dump_json() + "\n" for e in envelopes)
        if self._file is not None:
            self._file.write(payload)
            self._file.flush()
            os.fsync(self._file.fileno())
        elif self._stream is not None:
            self._stream.write(payload)
            self._stream.flush()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._file is not None:
            self._file.close()
            if exc_type is None and self.out is not None and self.partial is not None:
                os.replace(self.partial, self.out)
