"""The batch loop shared by `extract` and `run`: progress, resume, errors."""

from __future__ import annotations

import hashlib
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from crossfoot.cli.app import ExitCode, err_console, fail_line
from crossfoot.cli.output import JsonlSink
from crossfoot.errors import CrossfootError, LLMUnavailableError
from crossfoot.extract.base import Extractor
from crossfoot.ingest import Document
from crossfoot.model import Envelope, Severity
from crossfoot.pipeline import expand_inputs, process_path
from crossfoot.settings import Settings

__all__ = ["BatchResult", "run_batch"]


@dataclass
class BatchResult:
    """What a batch did, for the summary and the exit code."""

    files: int = 0
    forms: int = 0
    skipped_forms: int = 0
    failed_inputs: list[str] = field(default_factory=list)
    failed_forms: int = 0
    forms_with_errors: int = 0
    findings: Counter[tuple[str, str]] = field(default_factory=Counter)
    seconds: float = 0.0
    llm_unavailable: bool = False
    envelopes: list[Envelope] = field(default_factory=list)
    documents: list[Document] = field(default_factory=list)

    def exit_code(self) -> ExitCode:
        if self.llm_unavailable:
            return ExitCode.LLM_UNAVAILABLE
        if self.failed_inputs or self.failed_forms:
            return ExitCode.BAD_INPUT
        if self.forms_with_errors:
            return ExitCode.FINDINGS
        return ExitCode.OK

    def add(self, envelopes: list[Envelope]) -> None:
        self.envelopes.extend(envelopes)
        for env in envelopes:
            self.forms += 1
            if env.error:
                self.failed_forms += 1
                fail_line(env.error)  # the error names its file and form already
            for finding in env.findings:
                self.findings[(finding.code, finding.severity.value)] += 1
            if any(f.severity is Severity.error for f in env.findings):
                self.forms_with_errors += 1


def _sha(path: Path) -> str | None:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return None


def _track_llm_forms(extractor: Extractor, progress: Progress) -> None:
    """A second bar for forms answered by the LLM, when the backend has one."""
    hook = next((h for h in ("on_llm_form_done", "on_form_done") if hasattr(extractor, h)), None)
    if hook is None:
        return
    llm_task = progress.add_task("LLM forms", total=None)
    setattr(extractor, hook, lambda _form, _outcome: progress.advance(llm_task))


def run_batch(
    inputs: list[Path],
    extractor: Extractor,
    settings: Settings,
    sink: JsonlSink,
    *,
    show_progress: bool = True,
    on_document: Callable[[Document, list[Envelope]], None] | None = None,
) -> BatchResult:
    """Process every input; a bad file is reported and the batch goes on.

    ``on_document`` sees each finished document before its lines are written,
    so whatever it stores is never behind the resumable JSONL.
    """
    result = BatchResult(skipped_forms=sink.resumed_forms)
    paths = list(expand_inputs(inputs))
    started = time.perf_counter()
    progress = Progress(
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("files"),
        TimeRemainingColumn(),
        console=err_console,
        disable=not show_progress,
        transient=False,
    )
    with progress, sink:
        task = progress.add_task(f"{extractor.name}", total=len(paths))
        _track_llm_forms(extractor, progress)
        for path in paths:
            result.files += 1
            progress.update(task, description=f"{extractor.name} {path.name}")
            if sink.done and _sha(path) in sink.done:
                progress.advance(task)
                continue
            try:
                document, envelopes = process_path(path, extractor, settings)
            except LLMUnavailableError as exc:
                fail_line(str(exc))
                result.llm_unavailable = True
                break
            except CrossfootError as exc:
                fail_line(str(exc))
                result.failed_inputs.append(str(path))
                progress.advance(task)
                continue
            except OSError as exc:
                fail_line(f"{path}: {exc.strerror or exc}")
                result.failed_inputs.append(str(path))
                progress.advance(task)
                continue
            if on_document is not None:
                on_document(document, envelopes)
            sink.write_document(envelopes)
            result.documents.append(document)
            result.add(envelopes)
            progress.advance(task)
    result.seconds = time.perf_counter() - started
    return result
