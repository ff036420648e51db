"""crossfoot: messy report tables -> verified structured records.

The public API; everything else is an implementation detail::

    from crossfoot import Settings, load_document, split_forms, get_extractor, run_checks

    settings = Settings()
    document = load_document(Path("samples/002_dd147dae2c6ae523.txt"), settings)
    forms = split_forms(document)
    extractor = get_extractor("rules", settings)
    for form in forms:
        result = extractor.extract(form, forms)
        findings = run_checks(result.record)
"""

from __future__ import annotations

from crossfoot.check import has_errors, run_checks
from crossfoot.errors import CrossfootError
from crossfoot.extract import ExtractionResult, Extractor, get_extractor
from crossfoot.ingest import Document, load_document
from crossfoot.model import Envelope, Finding, Indicator, Record, Severity, SourceSpan
from crossfoot.pipeline import process_document, process_path
from crossfoot.segment import FormSlice, split_forms
from crossfoot.settings import Settings

__all__ = [
    "CrossfootError",
    "Document",
    "Envelope",
    "ExtractionResult",
    "Extractor",
    "Finding",
    "FormSlice",
    "Indicator",
    "Record",
    "Settings",
    "Severity",
    "SourceSpan",
    "get_extractor",
    "has_errors",
    "load_document",
    "process_document",
    "process_path",
    "run_checks",
    "split_forms",
]
