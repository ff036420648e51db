"""Review items: why a form needs a person, and keeping them in step with
the findings as records change.

Three reasons put a form in the queue, most urgent first:

=====  ==============  ==============================================
rank   kind            from
=====  ==============  ==============================================
0      failure         ``Envelope.error``: nothing could be extracted
1      error           an error-severity finding (a broken equation)
2      disagreement    a ``backend_disagreement`` finding (hybrid)
3      doubtful        an ``ocr_low_confidence`` warning: a number OCR was
                       unsure of and the arithmetic does not vouch for,
                       or a text OCR was unsure of
=====  ==============  ==============================================
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from crossfoot.model import Finding, Repair, Severity
from crossfoot.review.tables import DocumentRow, FindingRow, FormRow, ReviewItemRow, utcnow

__all__ = [
    "DISAGREEMENT",
    "DOUBTFUL_CODE",
    "FAILURE_CODE",
    "ItemSpec",
    "finding_rows",
    "has_open_items",
    "item_values",
    "load_findings",
    "open_items_for",
    "store_findings",
    "sync_items",
]

DISAGREEMENT = "backend_disagreement"
FAILURE_CODE = "extraction_failed"
DOUBTFUL_CODE = "ocr_low_confidence"
RANKS = {"failure": 0, "error": 1, "disagreement": 2, "doubtful": 3}
#: the queue rank of a form with nothing open: after every form with an item
NO_ITEMS_RANK = 9


@dataclass(frozen=True)
class ItemSpec:
    """A review item that should be open for the current record."""

    kind: str
    code: str
    severity: str
    message: str
    fields: tuple[str, ...] = ()

    @property
    def rank(self) -> int:
        return RANKS[self.kind]

    @property
    def key(self) -> tuple[str, str, tuple[str, ...]]:
        return (self.kind, self.code, self.fields)


def open_items_for(findings: list[Finding], error: str | None) -> list[ItemSpec]:
    """The items a record with these findings (or this failure) needs."""
    specs: list[ItemSpec] = []
    if error:
        specs.append(ItemSpec("failure", FAILURE_CODE, Severity.error.value, error))
    for finding in findings:
        if finding.code == DISAGREEMENT:
            kind = "disagreement"
        elif finding.severity is Severity.error:
            kind = "error"
        elif finding.code == DOUBTFUL_CODE and finding.severity is Severity.warning:
            kind = "doubtful"
        else:
            continue
        specs.append(ItemSpec(kind, finding.code, finding.severity.value, finding.message, tuple(finding.fields)))
    return specs


def has_open_items(session: Session, form_id: int) -> bool:
    query = select(ReviewItemRow.id).where(ReviewItemRow.form_id == form_id, ReviewItemRow.closed_at.is_(None))
    return session.scalar(query.limit(1)) is not None


def open_codes(session: Session, form_id: int) -> set[str]:
    """The checks a form still has open review items for."""
    return set(
        session.scalars(
            select(ReviewItemRow.code).where(ReviewItemRow.form_id == form_id, ReviewItemRow.closed_at.is_(None))
        )
    )


def sync_items(
    session: Session, form: FormRow, wanted: list[ItemSpec], *, actor: str, resolution: str, requeue: bool = True
) -> int:
    """Close open items no longer wanted (with ``resolution``), open new ones.

    An item still wanted stays open with its refreshed message. Returns how
    many were opened.

    Also keeps the form's place in the queue (``forms.queue_*``): every change
    to a form passes here, so a skip ends with it. ``requeue`` (a run loading
    the form; the default, so the loader needs no code of its own) also sets
    the urgency and document path the queue sorts by; a reviewer's change
    passes ``requeue=False`` so the form keeps its place while they work
    through the queue (issue 11, item 7).
    """
    form.queue_skipped = False
    if requeue:
        form.queue_rank = min((spec.rank for spec in wanted), default=NO_ITEMS_RANK)
        form.queue_path = session.scalar(select(DocumentRow.path).where(DocumentRow.id == form.document_id)) or ""
    open_rows = session.scalars(
        select(ReviewItemRow).where(ReviewItemRow.form_id == form.id, ReviewItemRow.closed_at.is_(None))
    ).all()
    by_key = {(row.kind, row.code, tuple(row.fields)): row for row in open_rows}
    wanted_keys = set()
    opened = 0
    now = utcnow()
    for spec in wanted:
        if spec.key in wanted_keys:
            continue
        wanted_keys.add(spec.key)
        row = by_key.get(spec.key)
        if row is not None:
            row.message = spec.message
            continue
        session.add(ReviewItemRow(**item_values(form.id, spec, opened_at=now, version=form.version)))
        opened += 1
    for key, row in by_key.items():
        if key not in wanted_keys:
            row.closed_at, row.closed_by, row.resolution = now, actor, resolution
    session.flush()
    return opened


def close_all(session: Session, form: FormRow, *, actor: str, resolution: str) -> None:
    """Close every open item of a form (approve, reject): a decision, which keeps its place."""
    sync_items(session, form, [], actor=actor, resolution=resolution, requeue=False)


def item_values(form_id: int, spec: ItemSpec, *, opened_at: datetime, version: int) -> dict[str, Any]:
    """The columns of a newly opened review item (one ORM row, or a bulk insert's)."""
    return {
        "form_id": form_id,
        "kind": spec.kind,
        "code": spec.code,
        "severity": spec.severity,
        "rank": spec.rank,
        "message": spec.message,
        "fields": list(spec.fields),
        "opened_at": opened_at,
        "opened_version": version,
    }


def finding_rows(record_version_id: int, findings: list[Finding]) -> list[dict[str, Any]]:
    """The columns of a record version's findings, in order."""
    return [
        {
            "record_version_id": record_version_id,
            "position": position,
            "code": finding.code,
            "severity": finding.severity.value,
            "message": finding.message,
            "fields": list(finding.fields),
            "printed": finding.printed,
            "expected": finding.expected,
            "repair": finding.repair.model_dump(mode="json") if finding.repair else None,
        }
        for position, finding in enumerate(findings)
    ]


def store_findings(session: Session, record_version_id: int, findings: list[Finding]) -> None:
    session.add_all(FindingRow(**values) for values in finding_rows(record_version_id, findings))


def _finding(row: FindingRow) -> Finding:
    return Finding(
        code=row.code,
        severity=Severity(row.severity),
        message=row.message,
        fields=list(row.fields),
        printed=row.printed,
        expected=row.expected,
        repair=Repair.model_validate(row.repair) if row.repair else None,
    )


def load_findings(session: Session, record_version_id: int) -> list[Finding]:
    rows = session.scalars(
        select(FindingRow).where(FindingRow.record_version_id == record_version_id).order_by(FindingRow.position)
    ).all()
    return [_finding(row) for row in rows]


def findings_by_version(session: Session, record_version_ids: list[int]) -> dict[int, list[Finding]]:
    """The findings of many record versions in one query (exports read them a batch at a time)."""
    found: dict[int, list[Finding]] = {}
    query = (
        select(FindingRow)
        .where(FindingRow.record_version_id.in_(record_version_ids))
        .order_by(FindingRow.record_version_id, FindingRow.position)
    )
    for row in session.scalars(query):
        found.setdefault(row.record_version_id, []).append(_finding(row))
    return found
