"""ingest -> segment -> extract -> check, for one source file.

A failure on one form is recorded on its envelope and the rest go on; a
failure to read the file at all raises an InputError for the caller to
report and move past.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from crossfoot.check import has_errors, run_checks
from crossfoot.errors import CrossfootError, ExtractionError, LLMError, LLMUnavailableError
from crossfoot.extract.base import Extractor
from crossfoot.ingest import SUPPORTED_SUFFIXES, Document, load_document
from crossfoot.ingest.ocr_numbers import low_confidence_findings
from crossfoot.ingest.text import REPLACEMENT
from crossfoot.model import Envelope, Finding, FormSource, Provenance, Severity
from crossfoot.segment import FormSlice, split_forms
from crossfoot.settings import Settings

__all__ = ["expand_inputs", "form_source", "iter_envelopes", "process_document", "process_path"]


def expand_inputs(inputs: Iterable[Path]) -> Iterator[Path]:
    """Files as given; folders expanded (sorted) to the files crossfoot reads.

    A file named twice (given twice, or also inside a given folder) is read
    once: its forms would otherwise be in the output twice.
    """
    seen: set[Path] = set()
    for path in inputs:
        found = (
            sorted(p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in SUPPORTED_SUFFIXES)
            if path.is_dir()
            else [path]
        )
        for file in found:
            key = file.resolve()
            if key not in seen:
                seen.add(key)
                yield file


def form_source(form: FormSlice, form_count: int = 1) -> FormSource:
    doc = form.document
    return FormSource(
        path=doc.path,
        form_index=form.index,
        first_line=form.first_line,
        last_line=form.last_line,
        encoding=doc.encoding,
        sha256=doc.sha256,
        kind=doc.kind,
        form_count=form_count,
    )


#: numbers an equation reads: when every check passes, they are cross-footed
_CROSS_FOOTED = re.compile(
    r"^(total_weight|total_score|indicators\.\d+\.(weight|score)"
    r"|funding\.total\.(annual_budget|executed|weight|execution_rate|score))$"
)


def _doubtful_digits(result_findings: list[Finding], provenance: Provenance, threshold: float) -> list[Finding]:
    """OCR numbers read with low confidence. Where the form's arithmetic holds
    and the number takes part in it, the arithmetic corroborates the reading:
    info. Otherwise a warning, which the review queue picks up."""
    doubtful = low_confidence_findings(provenance, threshold)
    corroborated = not has_errors(result_findings)
    for finding in doubtful:
        if corroborated and all(_CROSS_FOOTED.match(f) for f in finding.fields):
            finding.severity = Severity.info
            finding.message += "; the form's arithmetic holds with this value, which corroborates it"
    return doubtful


def _replaced_bytes(form: FormSlice) -> list[Finding]:
    """A warning on a form whose lines hold bytes the decoder could not read."""
    lines = [line.number for line in form.lines if any(REPLACEMENT in cell.text for cell in line.cells)]
    if not lines:
        return []
    shown = ", ".join(map(str, lines[:5])) + (" …" if len(lines) > 5 else "")
    return [
        Finding(
            code="encoding_replaced",
            severity=Severity.warning,
            message=f"line {shown}: bytes that could not be decoded are read as U+FFFD; check these lines",
        )
    ]


def envelope_for(
    form: FormSlice, forms: list[FormSlice], extractor: Extractor, ocr_min_confidence: float = 0.80
) -> Envelope:
    """Extract and check one form; an extraction failure becomes data."""
    source = form_source(form, len(forms))
    try:
        result = extractor.extract(form, forms)
    except LLMUnavailableError:
        raise  # no key, or the endpoint cannot be reached: the run stops (exit 3)
    except CrossfootError as exc:
        meta: dict[str, Any] = {"error_type": type(exc).__name__}
        if isinstance(exc, LLMError):  # what a failed form still spent
            meta.update(
                llm_calls=exc.n_attempts, prompt_tokens=exc.prompt_tokens, completion_tokens=exc.completion_tokens
            )
        return Envelope(source=source, backend=extractor.name, record=None, error=str(exc), meta=meta)
    except Exception as exc:  # a backend bug must not sink the batch
        error = ExtractionError(f"{type(exc).__name__}: {exc}", path=source.path, form=form.index)
        return Envelope(source=source, backend=extractor.name, record=None, error=str(error))
    findings = list(result.findings) + _replaced_bytes(form)
    source.template = result.meta.get("template")
    if result.record is not None:
        findings += run_checks(result.record, suggest=not has_errors(result.findings), template=source.template)
    findings += _doubtful_digits(findings, result.provenance, ocr_min_confidence)
    return Envelope(
        source=source,
        backend=extractor.name,
        record=result.record,
        provenance=result.provenance,
        findings=findings,
        meta=result.meta,
    )


def iter_envelopes(document: Document, extractor: Extractor, ocr_min_confidence: float = 0.80) -> Iterator[Envelope]:
    """Each form's envelope as soon as it is made (a batch streams them out)."""
    forms = split_forms(document)
    for form in forms:
        yield envelope_for(form, forms, extractor, ocr_min_confidence)


def process_document(document: Document, extractor: Extractor, ocr_min_confidence: float = 0.80) -> list[Envelope]:
    return list(iter_envelopes(document, extractor, ocr_min_confidence))


def process_path(path: Path, extractor: Extractor, settings: Settings) -> tuple[Document, list[Envelope]]:
    """Every form of one file, extracted and checked. Raises InputError."""
    document = load_document(path, settings)
    return document, process_document(document, extractor, settings.ocr_min_confidence)
