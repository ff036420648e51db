"""Changing a form: field edits, suggested repairs, approve / reject / reopen.

Every change is one transaction that (1) moves ``forms.version`` from the
version the reviewer saw to the next with a compare-and-set, so a save from
a stale page raises ConflictError instead of overwriting; (2) writes a new
record version with freshly run checks; (3) appends who / when / why /
field / old -> new to the edit trail. Nothing is ever updated in place.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from crossfoot.check import CHECK_CODES, run_checks
from crossfoot.errors import ConflictError, StoreError
from crossfoot.extract.values import MAX_FRACTION_DIGITS, MAX_INTEGER_DIGITS, NumberOutOfRange, parse_decimal
from crossfoot.model import FUNDING_COLUMNS, FUNDING_ROWS, RECORD_SCALARS, Finding, Indicator, Record
from crossfoot.review.audit import append_edit, append_version
from crossfoot.review.items import (
    ItemSpec,
    close_all,
    load_findings,
    open_codes,
    open_items_for,
    store_findings,
    sync_items,
)
from crossfoot.review.store import Store, bump_version, current_version, get_form
from crossfoot.review.tables import EditRow, FormRow, RecordVersionRow, ReviewItemRow, utcnow

__all__ = [
    "RECORD_SCALARS",
    "BulkOutcome",
    "EditOutcome",
    "apply_repair",
    "approve_as_printed",
    "coerce_value",
    "not_as_printed",
    "save_field",
    "set_status",
    "skip",
    "start_record",
    "undo",
    "value_at",
]

_DECIMAL_KEYS = frozenset(FUNDING_COLUMNS) | {"weight", "score", "total_weight", "total_score"}
#: the record's single-value fields, in contract order
_INDICATOR_KEYS = frozenset(Indicator.model_fields)
#: what approve / reject / reopen set the status to
STATUS_ACTIONS = {"approve": "approved", "reject": "rejected", "reopen": "needs_review"}


#: edit actions whose value the reviewer did NOT confirm the source prints:
#: "unprinted" (the reviewer said so) and "repair" (the old one-click repair,
#: which saved the arithmetic's answer without asking)
UNPRINTED_ACTIONS = frozenset({"unprinted", "repair"})
#: edit actions that set a field to what the source prints
PRINTED_ACTIONS = frozenset({"edit", "correct", "undo"})
#: actions that replace the whole record with a fresh extraction
_EXTRACT_ACTIONS = frozenset({"extract", "re-extract"})


def not_as_printed(edits: Iterable[EditRow]) -> dict[str, str]:
    """Fields whose value differs from what the source prints -> why, from a
    form's edits in the order they were made.

    The record says what the document prints (SCHEMA.md); a value a reviewer
    set without confirming the source prints it is marked in the record, the
    exports and promoted fixtures, and promote refuses it without an override.
    """
    marked: dict[str, str] = {}
    before: dict[str, list[str | None]] = {}  # per field, its mark before each change: undo restores it
    for edit in edits:
        if edit.action in _EXTRACT_ACTIONS:
            marked.clear()
            before.clear()
            continue
        if edit.field is None or edit.action not in UNPRINTED_ACTIONS | PRINTED_ACTIONS:
            continue
        stack = before.setdefault(edit.field, [])
        if edit.action == "undo":
            restored = stack.pop() if stack else None
            if restored is None:
                marked.pop(edit.field, None)
            else:
                marked[edit.field] = restored
            continue
        stack.append(marked.get(edit.field))
        if edit.action in UNPRINTED_ACTIONS:
            why = f"{edit.old_value} → {edit.new_value} by {edit.reviewer}"
            marked[edit.field] = why + (f": {edit.reason}" if edit.reason else "")
        else:
            marked.pop(edit.field, None)
    return marked


@dataclass(frozen=True)
class EditOutcome:
    """The form's version after a change, and whether anything changed."""

    version: int
    changed: bool


def _reviewer(name: str | None) -> str:
    cleaned = " ".join((name or "").split())
    if not cleaned:
        raise StoreError("say who you are: every change carries the reviewer's name")
    return cleaned[:200]


def coerce_value(path: str, raw: str | None) -> Any:
    """A reviewer's typed text -> the contract's JSON value for that field.

    Numbers follow SCHEMA.md (``"375,000"`` -> ``"375000"``, ``"100.00%"``
    -> ``"100.00"``, a dash or nothing -> null); text is stripped, empty
    text is null except for the required project name.
    """
    text = (raw or "").strip()
    last = path.rsplit(".", 1)[-1]
    shown = text if len(text) <= 40 else text[:20] + "…" + text[-8:]
    if last in _DECIMAL_KEYS:
        # the extractor's own parsing and limit: a reviewer can type back any
        # value a form prints, and nothing the extractor would flag
        try:
            number = parse_decimal(text)
        except NumberOutOfRange as exc:
            raise StoreError(
                f"{path}: {shown!r} is out of range (at most {MAX_INTEGER_DIGITS} digits before the point "
                f"and {MAX_FRACTION_DIGITS} after)"
            ) from exc
        except (ValueError, ArithmeticError) as exc:
            raise StoreError(f"{path}: {shown!r} is not a number") from exc
        return None if number is None else format(number, "f")
    if last == "year":
        if not text:
            return None
        if not (text.isascii() and text.isdigit() and len(text) == 4):
            raise StoreError(f"{path}: {shown!r} is not a year")
        return int(text)
    if last == "project_name":
        return text
    return text or None


#: what a reviewer types to clear a number on purpose (SCHEMA.md: a printed dash is null)
CLEAR_MARKS = frozenset({"-", "—", "–", "－", "/"})


def _refuse_silent_clear(path: str, raw: str | None, old_value: Any) -> None:
    """An empty box never blanks a number or year the record holds: a lost
    keystroke, a stale page or an empty conflict value must not erase what the
    form printed. Clearing is explicit: the reviewer types a dash."""
    last = path.rsplit(".", 1)[-1]
    if old_value is None or (last not in _DECIMAL_KEYS and last != "year"):
        return
    if (raw or "").strip() == "":
        raise StoreError(f"{path}: empty, so not saved; the record keeps {old_value}. Type — to clear it on purpose")


def _check_path(record: dict[str, Any], path: str) -> list[str]:
    parts = path.split(".")
    ok = (
        (len(parts) == 1 and parts[0] in RECORD_SCALARS)
        or (len(parts) == 3 and parts[0] == "funding" and parts[1] in FUNDING_ROWS and parts[2] in FUNDING_COLUMNS)
        or (
            len(parts) == 3
            and parts[0] == "indicators"
            and parts[1].isdigit()
            and int(parts[1]) < len(record["indicators"])
            and parts[2] in _INDICATOR_KEYS
        )
    )
    if not ok:
        raise StoreError(f"{path}: not an editable field of this record")
    return parts


def value_at(record: dict[str, Any] | None, path: str) -> Any:
    """The JSON value at a dotted path, None where any step is missing."""
    node: Any = record
    for part in path.split("."):
        if node is None:
            return None
        if isinstance(node, list):
            index = int(part)
            node = node[index] if index < len(node) else None
        else:
            node = node.get(part)
    return node


def _set(record: dict[str, Any], parts: list[str], value: Any) -> dict[str, Any]:
    new = copy.deepcopy(record)
    if parts[0] == "funding" and new["funding"].get(parts[1]) is None:
        new["funding"][parts[1]] = dict.fromkeys(FUNDING_COLUMNS)  # a row never printed
    node: Any = new
    for part in parts[:-1]:
        node = node[int(part)] if isinstance(node, list) else node[part]
    node[parts[-1]] = value
    return new


def _validated(record: dict[str, Any], path: str) -> Record:
    try:
        return Record.model_validate(record)
    except ValidationError as exc:
        first = exc.errors()[0]
        raise StoreError(f"{path}: {first['msg']}") from exc


def _locked_form(session: Session, form_id: int, seen_version: int) -> FormRow:
    locked = select(FormRow).where(FormRow.id == form_id).with_for_update()
    form = session.scalar(locked) or get_form(session, form_id)  # get_form raises for a missing form
    if form.version != seen_version:
        raise ConflictError(
            f"form {form_id} is at version {form.version}; this page showed version {seen_version}",
            current_version=form.version,
        )
    return form


def _findings_after_edit(
    session: Session, form: FormRow, previous: RecordVersionRow, record: Record, path: str
) -> list[Finding]:
    # An extractor's own findings (unread cells, backend disagreements) stay
    # with the record until a reviewer edits a field they name.
    carried = [f for f in load_findings(session, previous.id) if f.code not in CHECK_CODES and path not in f.fields]
    return carried + run_checks(record, template=form.template)


def _write_record(
    session: Session,
    form: FormRow,
    seen_version: int,
    previous: RecordVersionRow,
    record: Record,
    findings: list[Finding],
    reviewer: str,
    edited: str | None = None,
) -> None:
    was = form.status
    reopened = was in ("approved", "rejected")
    number = form.record_number + 1
    bump_version(session, form, seen_version, record_number=number, status="needs_review" if reopened else form.status)
    row = append_version(
        session,
        form_id=form.id,
        number=number,
        origin="review",
        record=record.model_dump(mode="json"),
        provenance=previous.provenance,
        error=None,
        meta={},
        created_by=reviewer,
    )
    store_findings(session, row.id, findings)
    wanted = _unsettled(session, form, open_items_for(findings, None), edited)
    sync_items(session, form, wanted, actor=reviewer, resolution="fixed", requeue=False)
    if reopened:
        append_edit(
            session,
            form_id=form.id,
            reviewer=reviewer,
            action="reopen",
            reason=f"edited after it was {was}: needs a new decision",
            from_version=seen_version,
            to_version=seen_version + 1,
        )


def _unsettled(session: Session, form: FormRow, wanted: list[ItemSpec], edited: str | None) -> list[ItemSpec]:
    """``wanted`` without the items a reviewer already settled (issue 11, item 11).

    An edit re-runs every check; a finding identical to one the reviewer
    approved as printed (same check, fields and message) on fields the edit
    did not touch is the same question already answered: it stays closed.
    One that is open now stays open, and one that names the edited field is
    asked again.
    """
    items = session.scalars(select(ReviewItemRow).where(ReviewItemRow.form_id == form.id)).all()
    still_open = {(row.kind, row.code, tuple(row.fields)) for row in items if row.closed_at is None}
    settled = {
        (row.kind, row.code, tuple(row.fields), row.message)
        for row in items
        if row.closed_at is not None and row.resolution == "approved"
    }
    return [
        spec
        for spec in wanted
        if spec.key in still_open
        or (spec.kind, spec.code, spec.fields, spec.message) not in settled
        or (edited is not None and edited in spec.fields)
    ]


def save_field(
    store: Store,
    form_id: int,
    path: str,
    raw: str | None,
    *,
    version: int,
    reviewer: str | None,
    reason: str | None = None,
    action: str = "edit",
) -> EditOutcome:
    """Set one field from the reviewer's text; re-run the checks; audit it.

    Raises ConflictError when ``version`` is not the form's current version,
    StoreError for a value or field the record cannot take.
    """
    who = _reviewer(reviewer)
    with store.write() as session:
        form = _locked_form(session, form_id, version)
        previous = current_version(session, form)
        if previous.record is None:
            raise StoreError("this form has no record yet: start one first")
        parts = _check_path(previous.record, path)
        new_value = coerce_value(path, raw)
        old_value = value_at(previous.record, path)
        _refuse_silent_clear(path, raw, old_value)
        if new_value == old_value:
            return EditOutcome(version=form.version, changed=False)
        record = _validated(_set(previous.record, parts, new_value), path)
        findings = _findings_after_edit(session, form, previous, record, path)
        _write_record(session, form, version, previous, record, findings, who, edited=path)
        return _audited(session, form, who, action, version, reason, field=path, old=old_value, new=new_value)


def _audited(
    session: Session,
    form: FormRow,
    who: str,
    action: str,
    version: int,
    reason: str | None,
    *,
    field: str | None = None,
    old: Any = None,
    new: Any = None,
) -> EditOutcome:
    """Append the audit row of one change that moved the form to version + 1."""
    append_edit(
        session,
        form_id=form.id,
        reviewer=who,
        action=action,
        field=field,
        old_value=old,
        new_value=new,
        reason=(reason or "").strip() or None,
        from_version=version,
        to_version=version + 1,
    )
    return EditOutcome(version=version + 1, changed=True)


def apply_repair(
    store: Store, form_id: int, path: str, *, version: int, reviewer: str | None, value: str | None = None
) -> EditOutcome:
    """Apply the repair the checks suggest for ``path``, as an audited edit.

    ``value`` is the repair the reviewer's page showed: when the checks now
    suggest something else, nothing is saved (the reviewer never agreed to it).
    """
    with store.read() as session:
        form = get_form(session, form_id)
        if form.version != version:  # a stale page: the conflict panel, not "no repair any more"
            raise ConflictError(
                f"form {form_id} is at version {form.version}; this page showed version {version}",
                current_version=form.version,
            )
        current = current_version(session, form)
        findings = load_findings(session, current.id)
    repair = next((f.repair for f in findings if f.repair is not None and f.repair.field == path), None)
    if repair is None:
        raise StoreError(f"{path}: the checks suggest no repair for this field any more")
    if value is not None and coerce_value(path, value) != coerce_value(path, repair.value):
        raise StoreError(f"{path}: the suggested repair is now {repair.value}, not {value}: nothing saved, reload")
    # The reviewer confirmed the source prints this value: the extraction misread it.
    reason = f"the extraction misread the source: it prints {repair.value}, not {repair.printed}"
    return save_field(
        store, form_id, path, repair.value, version=version, reviewer=reviewer, reason=reason, action="correct"
    )


def start_record(store: Store, form_id: int, *, version: int, reviewer: str | None) -> EditOutcome:
    """Give a form whose extraction failed an empty record to fill in."""
    who = _reviewer(reviewer)
    with store.write() as session:
        form = _locked_form(session, form_id, version)
        previous = current_version(session, form)
        if previous.record is not None:
            return EditOutcome(version=form.version, changed=False)
        record = Record(project_name=form.title)
        findings = run_checks(record, template=form.template)
        _write_record(session, form, version, previous, record, findings, who)
        append_edit(
            session,
            form_id=form.id,
            reviewer=who,
            action="start",
            field=None,
            old_value=None,
            new_value=record.model_dump(mode="json"),
            reason="extraction failed; record entered by hand",
            from_version=version,
            to_version=version + 1,
        )
        return EditOutcome(version=version + 1, changed=True)


def set_status(
    store: Store,
    form_id: int,
    action: str,
    *,
    version: int,
    reviewer: str | None,
    reason: str | None = None,
    as_printed: bool = False,
) -> EditOutcome:
    """approve, reject or reopen a form at the version the reviewer saw.

    ``as_printed``: the document itself is wrong and the record keeps what it
    prints; that approval needs a reason."""
    if action not in STATUS_ACTIONS:
        raise StoreError(f"unknown action {action!r}")
    who = _reviewer(reviewer)
    if as_printed:
        if action != "approve" or not (reason or "").strip():
            raise StoreError("approving as printed needs a reason: why is the document itself wrong?")
        reason = f"the document itself is wrong, approved as printed: {(reason or '').strip()}"
    status = STATUS_ACTIONS[action]
    with store.write() as session:
        form = _locked_form(session, form_id, version)
        _move_status(session, form, version, status, who)
        return _audited(session, form, who, action, version, reason)


def _move_status(session: Session, form: FormRow, version: int, status: str, who: str) -> None:
    decided = status != "needs_review"
    bump_version(
        session,
        form,
        version,
        status=status,
        reviewed_by=who if decided else None,
        reviewed_at=utcnow() if decided else None,
    )
    if decided:
        close_all(session, form, actor=who, resolution=status)
    else:
        current = current_version(session, form)
        wanted = open_items_for(load_findings(session, current.id), current.error)
        sync_items(session, form, wanted, actor=who, resolution="fixed", requeue=False)


#: what undo can take back: the last value change or decision on a form
UNDOABLE = frozenset({"edit", "correct", "unprinted", "repair", "approve", "reject"})


def pick_undoable(newest_first: Iterable[EditRow], version: int) -> EditRow | None:
    """Of a form's edits (newest first), the change that moved it to
    ``version``, if undo can take it back. An undo is itself a change:
    undoing twice does not redo (the trail shows everything)."""
    for row in newest_first:
        if row.to_version != version or row.from_version == version:
            continue  # an older change, or a skip
        if row.action == "reopen" and row.field is None and row.reason and row.reason.startswith("edited after"):
            continue  # an edit of a decided form writes this row too; the edit is what undo takes back
        return row if row.action in UNDOABLE else None
    return None


def last_undoable(session: Session, form: FormRow) -> EditRow | None:
    rows = session.scalars(
        select(EditRow)
        .where(EditRow.form_id == form.id, EditRow.to_version == form.version)
        .order_by(EditRow.id.desc())
    ).all()
    return pick_undoable(rows, form.version)


def undo(store: Store, form_id: int, *, version: int, reviewer: str | None) -> EditOutcome:
    """Take back the last edit, approval or rejection, as one more audited change.

    A value goes back to what it was (even an empty one: the undo names it);
    an approval or rejection goes back to needs review. Raises ConflictError
    when the page is stale, StoreError when there is nothing to undo.
    """
    who = _reviewer(reviewer)
    with store.write() as session:
        form = _locked_form(session, form_id, version)
        last = last_undoable(session, form)
        if last is None:
            raise StoreError(f"form {form_id}: nothing to undo (the last change was not an edit or a decision)")
        reason = f"undo {last.action} by {last.reviewer} (version {last.from_version}→{last.to_version})"
        if last.field is None:
            _move_status(session, form, version, "needs_review", who)
            return _audited(session, form, who, "undo", version, reason)
        previous = current_version(session, form)
        assert previous.record is not None  # a field edit implies a record
        parts = _check_path(previous.record, last.field)
        now = value_at(previous.record, last.field)
        record = _validated(_set(previous.record, parts, last.old_value), last.field)
        findings = _findings_after_edit(session, form, previous, record, last.field)
        _write_record(session, form, version, previous, record, findings, who, edited=last.field)
        return _audited(session, form, who, "undo", version, reason, field=last.field, old=now, new=last.old_value)


@dataclass(frozen=True)
class BulkOutcome:
    """What a bulk approval did: the forms approved, and why the others were not."""

    approved: list[int]
    refused: dict[int, str]


def approve_as_printed(
    store: Store, picks: list[tuple[int, int]], *, code: str, reviewer: str | None, reason: str | None
) -> BulkOutcome:
    """Approve many forms as printed with one reason: the document itself is
    wrong in the same way (check ``code``) on each.

    ``picks`` are (form id, the version the reviewer saw). Each form is its
    own audited approval; a form that changed since, or no longer has an
    open ``code`` item, is left as it is and named in ``refused``.
    """
    _reviewer(reviewer)
    if not (reason or "").strip():
        raise StoreError("approving as printed needs a reason: why is the document itself wrong?")
    approved: list[int] = []
    refused: dict[int, str] = {}
    for form_id, version in picks:
        with store.read() as session:
            still = open_codes(session, form_id)
        if code not in still:
            refused[form_id] = f"no open {code} any more"
            continue
        try:
            set_status(
                store,
                form_id,
                "approve",
                version=version,
                reviewer=reviewer,
                reason=f"[{code}] {reason}",
                as_printed=True,
            )
        except StoreError as exc:  # ConflictError included: someone changed it since the page was drawn
            refused[form_id] = exc.message
            continue
        approved.append(form_id)
    return BulkOutcome(approved, refused)


def skip(store: Store, form_id: int, *, reviewer: str | None) -> None:
    """Note that a reviewer passed over a form; nothing about it changes but
    its place: it waits at the end of the queue until its next change."""
    who = _reviewer(reviewer)
    with store.write() as session:
        form = get_form(session, form_id)
        form.queue_skipped = True
        append_edit(
            session, form_id=form.id, reviewer=who, action="skip", from_version=form.version, to_version=form.version
        )
