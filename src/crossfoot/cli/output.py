"""JSONL output that never leaves a half-written line, and resumes.

Lines go to ``OUT.partial`` as each form finishes; each document ends with a
flush and an fsync. Only a batch that ran to its end renames the partial to
``OUT``: a batch that stopped (the LLM endpoint went away, a kill) leaves the
partial, and ``OUT`` from an earlier run is never replaced by less.

A document's identity for resume is its path *and* its content: a partial
line is kept only when its ``source.path`` is one of this run's inputs and
that file still has the line's ``sha256``, and only when every form of that
document is there. Everything else in a stale partial (other inputs, files
changed since, documents cut short) is discarded and counted. Recovery writes
the kept lines to a new file, fsyncs it and renames it over the partial, so a
kill during recovery loses nothing.

One writer at a time: ``OUT.lock`` is held (``flock``) from opening to
closing; a second run on the same output is refused.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from crossfoot.errors import OutputError
from crossfoot.files import file_sha256, fsync_dir, replacing
from crossfoot.model import Envelope

__all__ = ["DocKey", "JsonlSink", "LineStats", "Resumed", "envelope_line", "readable_sha256"]

#: (resolved path, sha256 of the bytes): what identifies a document for resume
DocKey = tuple[str, str]


def envelope_line(envelope: Envelope) -> str:
    """A form's output line: the one place its JSON is made, here or in a worker."""
    return envelope.model_dump_json() + "\n"


def readable_sha256(path: Path) -> str | None:
    """The file's sha256; None when it cannot be read (reading it says why)."""
    try:
        return file_sha256(path)
    except OSError:
        return None


def _resolved(path: str | Path) -> str:
    return str(Path(path).resolve())


@dataclass
class LineStats:
    """What the exit code and the summary need from output lines (resumed or new)."""

    forms: int = 0
    failed_forms: int = 0
    forms_with_errors: int = 0
    findings: Counter[tuple[str, str]] = field(default_factory=Counter)

    def add(self, *, failed: bool, findings: Iterable[tuple[str, str]]) -> None:
        """One form: whether its extraction failed, and its findings' (code, severity)."""
        self.forms += 1
        self.failed_forms += failed
        error = False
        for code, severity in findings:
            self.findings[(code, severity)] += 1
            error = error or severity == "error"
        self.forms_with_errors += error

    def add_line(self, data: dict[str, Any]) -> None:
        """One envelope as read back from JSONL."""
        findings = data.get("findings") or []
        self.add(failed=bool(data.get("error")), findings=((f["code"], f["severity"]) for f in findings))

    def merge(self, other: LineStats) -> None:
        self.forms += other.forms
        self.failed_forms += other.failed_forms
        self.forms_with_errors += other.forms_with_errors
        self.findings.update(other.findings)


@dataclass
class Resumed:
    """What recovery kept and what it threw away."""

    documents: set[DocKey] = field(default_factory=set)
    stats: LineStats = field(default_factory=LineStats)
    discarded_foreign: int = 0  # lines of other inputs, or of files changed since
    discarded_unfinished: int = 0  # lines of documents the interrupted run did not finish
    discarded_broken: int = 0  # a torn last line, or a line that is not an envelope

    @property
    def discarded(self) -> int:
        return self.discarded_foreign + self.discarded_unfinished + self.discarded_broken

    def describe(self, partial: Path) -> str:
        text = f"resumed {self.stats.forms} forms of {len(self.documents)} documents from {partial}"
        if self.discarded:
            text += (
                f"; discarded {self.discarded} lines ({self.discarded_foreign} not of this run's inputs or "
                f"changed since, {self.discarded_unfinished} of unfinished documents, "
                f"{self.discarded_broken} broken)"
            )
        return text


def _line_key(line: str) -> tuple[DocKey, int, int] | None:
    """(document key, form index, form count) of one partial line, or None."""
    try:
        source = json.loads(line)["source"]
        key = (_resolved(source["path"]), str(source["sha256"]))
        return key, int(source["form_index"]), int(source.get("form_count", 1))
    except (ValueError, KeyError, TypeError):
        return None


class _Lock:
    """An exclusive ``flock`` on ``path``, refused at once if held elsewhere."""

    def __init__(self, path: Path, out: Path) -> None:
        self.path = path
        while True:
            fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                os.close(fd)
                raise OutputError(
                    f"another crossfoot run is writing this output (lock {path.name} is held); "
                    "wait for it to finish or choose another -o",
                    path=out,
                ) from None
            # the holder before us may have unlinked the file we opened: lock the one on disk
            try:
                same = os.stat(path).st_ino == os.fstat(fd).st_ino
            except FileNotFoundError:
                same = False
            if same:
                self._fd = fd
                return
            os.close(fd)

    def release(self) -> None:
        with contextlib.suppress(FileNotFoundError):
            self.path.unlink()  # while still held: a waiter re-checks the inode (above)
        os.close(self._fd)


class JsonlSink:
    """Where envelopes go: a file (atomic, resumable, locked) or a stream."""

    def __init__(self, out: Path | None, *, stream: IO[str] | None = None, resume: bool = True) -> None:
        self.out = out
        self.partial = out.with_name(out.name + ".partial") if out else None
        self.resume = resume
        self._stream = stream
        self._file: IO[str] | None = None
        self._lock: _Lock | None = None

    # -- opening ----------------------------------------------------------

    def check_path(self) -> None:
        """Refuse an output that cannot be written, before any work is done."""
        if self.out is None:
            return
        if self.out.is_dir():
            raise OutputError("is a folder; -o takes a file name such as out/results.jsonl", path=self.out)
        parent = self.out.parent
        for ancestor in (parent, *parent.parents):
            if ancestor.exists():
                if not ancestor.is_dir():
                    raise OutputError(f"cannot create the output: {ancestor} is a file, not a folder", path=self.out)
                if not os.access(ancestor, os.W_OK | os.X_OK):
                    raise OutputError(f"cannot write in {ancestor}: permission denied", path=self.out)
                break

    def open(self, inputs: list[Path]) -> Resumed:
        """Lock the output and recover what an interrupted run of these inputs finished."""
        resumed = Resumed()
        if self.out is None or self.partial is None:
            return resumed
        self.check_path()
        try:
            self.out.parent.mkdir(parents=True, exist_ok=True)
            self._lock = _Lock(self.out.with_name(self.out.name + ".lock"), self.out)
        except OSError as exc:
            raise OutputError(f"cannot create the output: {exc.strerror or exc}", path=self.out) from exc
        try:
            if self.resume and self.partial.exists():
                resumed = self._recover(inputs)
            else:
                self._replace_partial([])
            self._file = self.partial.open("a", encoding="utf-8")
        except OSError as exc:
            self.close()
            raise OutputError(f"cannot write the output: {exc.strerror or exc}", path=self.partial) from exc
        except BaseException:
            self.close()
            raise
        return resumed

    def _recover(self, inputs: list[Path]) -> Resumed:
        assert self.partial is not None
        current: dict[str, str | None] = {}  # resolved input path -> its sha256, read on demand
        wanted = {_resolved(p) for p in inputs}
        resumed = Resumed()
        # pass 1: which documents are whole and belong to this run (no line is held in memory)
        forms: dict[DocKey, set[int]] = {}
        expected: dict[DocKey, int] = {}
        with self.partial.open(encoding="utf-8", errors="replace") as handle:
            for line in handle:
                parsed = _line_key(line) if line.endswith("\n") else None
                if parsed is None:
                    continue
                key, index, count = parsed
                path, sha = key
                if path not in wanted:
                    continue
                if path not in current:
                    current[path] = readable_sha256(Path(path))
                if current[path] != sha:
                    continue
                forms.setdefault(key, set()).add(index)
                expected[key] = count
        whole = {key for key, seen in forms.items() if len(seen) >= expected[key]}
        # pass 2: copy the whole documents' lines (each form once) to a new file
        kept: set[tuple[DocKey, int]] = set()

        def lines() -> Iterable[str]:
            with self.partial.open(encoding="utf-8", errors="replace") as handle:  # type: ignore[union-attr]
                for line in handle:
                    parsed = _line_key(line) if line.endswith("\n") else None
                    if parsed is None:
                        resumed.discarded_broken += 1
                        continue
                    key, index, _ = parsed
                    if key in whole and (key, index) not in kept:
                        kept.add((key, index))
                        resumed.stats.add_line(json.loads(line))
                        yield line
                    elif key in forms:
                        resumed.discarded_unfinished += 1
                    else:
                        resumed.discarded_foreign += 1

        self._replace_partial(lines())
        resumed.documents = whole
        return resumed

    def _replace_partial(self, lines: Iterable[str]) -> None:
        """Write ``lines`` to a new file, fsync it, rename it over the partial."""
        assert self.partial is not None
        with replacing(self.partial, durable=True) as fresh, fresh.open("w", encoding="utf-8") as handle:
            handle.writelines(lines)

    # -- writing ----------------------------------------------------------

    def write_line(self, line: str) -> None:
        """One form's line as ``envelope_line`` made it (here or in a worker).
        Durable once ``end_document`` returns."""
        if self._file is not None:
            self._file.write(line)
        elif self._stream is not None:
            self._stream.write(line)

    def end_document(self) -> None:
        """Every form of a document is written: make them durable."""
        if self._file is not None:
            self._file.flush()
            os.fsync(self._file.fileno())
        elif self._stream is not None:
            self._stream.flush()

    def close(self, *, complete: bool = False) -> None:
        """Close; rename the partial to the output only when the batch ran to its end."""
        if self._file is not None:
            self._file.close()
            self._file = None
            if complete and self.out is not None and self.partial is not None:
                os.replace(self.partial, self.out)
                fsync_dir(self.out.parent)
        if self._lock is not None:
            self._lock.release()
            self._lock = None
