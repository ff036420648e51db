"""The store encodes a record once (issue 12): the chain hashes, the stored
JSON and the re-run hash all come from one canonical text. What could break:
a chain hash that differs from the documented one (stores written before
would fail ``audit verify``), a store loaded by an earlier release whose
unchanged forms now look changed, a null record stored as JSON ``null``."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import func, select

from crossfoot.ingest.document import Cell, Line
from crossfoot.review import store as store_module
from crossfoot.review.audit import Encoded, canonical_json, chain_hash, verify_session
from crossfoot.review.store import Store, load_into
from crossfoot.review.tables import RecordVersionRow
from tests.review.helpers import Run


def _documented_chain_hash(table: str, prev: str, values: dict[str, Any]) -> str:
    """The chain hash as stores were written until now: sha256 over the
    sorted, compact JSON of the table, the predecessor and the row."""
    canon = {k: (v.strftime("%Y-%m-%dT%H:%M:%S.%fZ") if isinstance(v, datetime) else v) for k, v in values.items()}
    text = json.dumps(
        {"table": table, "prev": prev, **canon}, sort_keys=True, ensure_ascii=False, separators=(",", ":")
    )
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@pytest.mark.parametrize("encoded", [False, True])
def test_chain_hash_is_the_documented_one(encoded: bool) -> None:
    record = {"项目名称": "测试", "indicators": [{"b": 1.5, "a": None}], "total": "100.00", "z": {"y": [1, "二"]}}
    provenance = {"indicators.0.score": [{"line": 12, "raw": "9.5", "bbox": [1.0, 2.5, 3.0, 4.0]}]}
    values: dict[str, Any] = {
        "form_id": 7,
        "number": 2,
        "origin": "extraction",
        "record": Encoded.of(record) if encoded else record,
        "provenance": Encoded.of(provenance) if encoded else provenance,
        "error": None,
        "meta": {"template": "shanghai", "usage": {"calls": 0}},
        "extraction_hash": "ab" * 32,
        "created_at": datetime(2026, 12, 2, 5, 50, 1, 123456, tzinfo=UTC),
        "created_by": "crossfoot",
    }
    plain = {**values, "record": record, "provenance": provenance}
    assert chain_hash("record_versions", "0" * 64, values) == _documented_chain_hash("record_versions", "0" * 64, plain)


def test_encoded_text_is_canonical_json() -> None:
    value = {"b": [Decimal("1.50").__str__(), {"d": 1, "c": "中"}], "a": None}
    assert Encoded.of(value).text == '{"a":null,"b":["1.50",{"c":"中","d":1}]}' == canonical_json(value)


def test_a_store_loaded_with_the_earlier_rerun_hash_sees_no_change(
    store: Store, sample_run: Run, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Earlier releases hashed the extraction with json.dumps' default
    separators; a re-run of the same documents must still add nothing."""
    earlier = store_module._Extracted.__init__

    def earlier_digest(self: Any, env: Any) -> None:
        earlier(self, env)
        legacy = json.dumps(self._data, sort_keys=True, ensure_ascii=False).encode()
        self.digest = hashlib.sha256(legacy).hexdigest()

    with monkeypatch.context() as patched:
        patched.setattr(store_module._Extracted, "__init__", earlier_digest)
        load_into(store, *sample_run)
    with store.read() as session:
        versions = session.scalar(select(func.count()).select_from(RecordVersionRow))
    summary = load_into(store, *sample_run)
    assert summary.forms_unchanged == len(sample_run[1]) and summary.forms_reextracted == 0
    with store.read() as session:
        assert session.scalar(select(func.count()).select_from(RecordVersionRow)) == versions
        assert verify_session(session).intact


def test_a_failed_extraction_stores_sql_null_and_verifies(store: Store, sample_run: Run) -> None:
    documents, envelopes = sample_run
    failed = envelopes[0].model_copy(update={"record": None, "error": "the backend could not read this form"})
    load_into(store, documents, [failed, *envelopes[1:]])
    with store.read() as session:
        nulls = session.scalar(select(func.count()).where(RecordVersionRow.record.is_(None)))
        assert nulls == 1
        assert verify_session(session).intact


def test_a_lone_surrogate_in_a_documents_text_still_stores(store: Store, sample_run: Run) -> None:
    """Only the hashed columns take the canonical text; a document's lines are
    written as before (ASCII escapes), so a cell holding a lone surrogate (a
    broken PDF text layer) does not stop its document from loading."""
    documents, envelopes = sample_run
    document = documents[0]
    broken = Line(len(document.lines) + 1, [Cell(0, "页脚\ud835")])
    damaged = document.model_copy(update={"lines": [*document.lines, broken]})
    own = [e for e in envelopes if e.source.sha256 == document.sha256]
    summary = load_into(store, [damaged], own)
    assert summary.forms_new == len(own)
