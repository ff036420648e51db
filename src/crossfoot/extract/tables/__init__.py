"""Read any template by its header words (the lexicon), and route each form
to the reader that fits it.

Two deterministic readers serve the ``rules`` backend:

- ``RulesExtractor`` (``extract/rules``): the Shanghai layout in text dumps,
  PDFs and scans, read by content; it scores 1.0 there and stays as it is.
- ``TablesReader`` (this package): every template, by header words, with the
  merged extents of grid inputs (HTML, XLSX, XLS, DOCX, CSV).

``TemplateExtractor`` picks one per form: grid inputs and non-Shanghai
templates go to the tables reader; the Shanghai layout goes to the rules, and
falls back to the tables reader when the rules cannot find its blocks. A form
whose layout neither can read gets a ``layout_unrecognized`` error naming
what is missing, never a silent empty record.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from crossfoot.extract.base import ExtractionResult
from crossfoot.extract.rules import RulesExtractor
from crossfoot.extract.rules.cells import Reading
from crossfoot.extract.tables.blocks import read_funding_block, read_goal_block, read_title_block
from crossfoot.extract.tables.detect import RULES_TEMPLATES, detect_template
from crossfoot.extract.tables.indicators import read_indicator_table
from crossfoot.lexicon import OCR_TOLERANT, Lexicon, TemplateProfile, load_lexicon
from crossfoot.model import Finding, Record, Severity
from crossfoot.segment import FormSlice, without_page_furniture

__all__ = ["TablesReader", "TemplateExtractor", "TemplateProfile", "load_lexicon"]

_NO_FUNDING = "no funding block (预算数 / 执行数 header)"
_NO_TABLE = "no indicator table (一级指标 / 三级指标 header)"
#: rules findings that mean the rules did not find a block of the form
_LAYOUT_MISSES = frozenset({"funding_unread", "indicator_table_unread", "total_row_unread", "project_name_unread"})


class TablesReader:
    """Reads a form by its header words; the hierarchy from merged extents."""

    name = "rules"

    def __init__(self, lexicon: Lexicon | None = None) -> None:
        self.lexicon = lexicon or load_lexicon()

    def extract(self, form: FormSlice, template: str | None = None) -> ExtractionResult:
        token = OCR_TOLERANT.set(form.document.kind == "scan")
        try:
            return self._read(form, template)
        finally:
            OCR_TOLERANT.reset(token)

    def _read(self, form: FormSlice, template: str | None) -> ExtractionResult:
        lexicon = self.lexicon
        lines = form.lines
        grid = form.document.grid
        template = template or detect_template(lines, lexicon)
        reading = Reading()
        record = Record(project_name="")
        indicator_at = _indicator_start(lines, lexicon)
        funding, funding_at = read_funding_block(lines, lexicon, reading, grid, indicator_at)
        record.funding = funding
        first_block = min(x for x in (funding_at, indicator_at, len(lines)) if x is not None)
        read_title_block(lines, lexicon, reading, record, first_block)
        read_goal_block(lines, lexicon, reading, record, indicator_at)
        table = read_indicator_table(lines, lexicon, reading, record, grid, indicator_at)
        missing = []
        if funding_at is None:
            missing.append(_NO_FUNDING)
        if table.header is None:
            missing.append(_NO_TABLE)
        elif not record.indicators:
            missing.append("an indicator table header with no rows under it")
        profile = lexicon.profile(template)
        if not table.total_found and table.header is not None and _prints_total(profile, record):
            reading.note(
                "total_row_unread", "no 总分 / 合计 row: the form may be cut short", ["total_score"], Severity.error
            )
        if missing:
            reading.findings.append(layout_finding(missing))
        meta: dict[str, Any] = {"template": template, "reader": "tables"}
        return ExtractionResult(record=record, provenance=reading.provenance, findings=reading.findings, meta=meta)


def _indicator_start(lines: list[Any], lexicon: Lexicon) -> int:
    """Where the indicator table's header sits (the end of the blocks above)."""
    from crossfoot.extract.tables.columns import find_header

    found = find_header(lines, lexicon, "indicator_columns", required=2, must=frozenset({"name", "level1", "level2"}))
    return found[0] if found else len(lines)


def _prints_total(profile: TemplateProfile, record: Record) -> bool:
    scored = any(i.score is not None for i in record.indicators)
    return scored and (profile.has("total_score") or profile.has("total_weight"))


def layout_finding(missing: list[str]) -> Finding:
    return Finding(
        code="layout_unrecognized",
        severity=Severity.error,
        message="the form's layout was not recognised: " + "; ".join(missing),
        fields=["funding" if "funding" in m else "indicators" for m in missing],
    )


def _filled(record: Record | None) -> int:
    if record is None:
        return 0
    count = 0

    def walk(node: Any) -> None:
        nonlocal count
        if isinstance(node, dict):
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)
        elif node not in (None, ""):
            count += 1

    walk(record.model_dump())
    return count


class TemplateExtractor:
    """The ``rules`` backend: the right deterministic reader for each form."""

    name = "rules"

    def __init__(self, lexicon_path: Path | None = None) -> None:
        self.lexicon = load_lexicon(lexicon_path)
        self.rules = RulesExtractor()
        self.tables = TablesReader(self.lexicon)

    def extract(self, form: FormSlice, siblings: list[FormSlice]) -> ExtractionResult:
        form = without_page_furniture(form, self.lexicon)
        template = detect_template(form.lines, self.lexicon)
        if form.document.grid or template not in RULES_TEMPLATES:
            result = self.tables.extract(form, template)
            if form.document.grid or not _has(result, "layout_unrecognized"):
                return result
            fallback = self._rules(form, siblings, template)
            return fallback if _filled(fallback.record) > _filled(result.record) else result
        result = self._rules(form, siblings, template)
        misses = {f.code for f in result.findings} & _LAYOUT_MISSES
        if not misses:
            return result
        tables = self.tables.extract(form, template)
        if not _has(tables, "layout_unrecognized") and _filled(tables.record) > _filled(result.record):
            return tables
        if {"funding_unread", "indicator_table_unread"} & misses:
            missing = [
                text
                for code, text in (("funding_unread", _NO_FUNDING), ("indicator_table_unread", _NO_TABLE))
                if code in misses
            ]
            result.findings.append(layout_finding(missing))
        return result

    def _rules(self, form: FormSlice, siblings: list[FormSlice], template: str) -> ExtractionResult:
        result = self.rules.extract(form, siblings)
        result.meta = {**result.meta, "template": template, "reader": "rules"}
        return result


def _has(result: ExtractionResult, code: str) -> bool:
    return any(f.code == code for f in result.findings)
