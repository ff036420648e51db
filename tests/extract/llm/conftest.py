"""Fixtures for the LLM backend tests; helpers and the cassette rules are in llm_support.py."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.extract.llm.llm_support import CASSETTES, ROOT, SMALL_DOC, SMALL_FORM, ScriptedEndpoint, Sleeps, sample_forms

from crossfoot.segment import FormSlice


@pytest.fixture
def cassette(request: pytest.FixtureRequest, record_mode: str) -> Path:
    """This test's cassette; deleted first when re-recording."""
    path = CASSETTES / f"{request.node.name}.yaml"
    if record_mode == "rewrite":
        path.unlink(missing_ok=True)
    elif record_mode == "none" and not path.is_file():
        pytest.fail(f"missing cassette {path.relative_to(ROOT)}: record it (cassettes/README.md)")
    return path


@pytest.fixture
def recording(record_mode: str) -> bool:
    return record_mode != "none"


@pytest.fixture
def scripted() -> Iterator[list[ScriptedEndpoint]]:
    """Start scripted endpoints with ``scripted.append(ScriptedEndpoint(...))``; all stop afterwards."""
    endpoints: list[ScriptedEndpoint] = []
    yield endpoints
    for endpoint in endpoints:
        endpoint.close()


@pytest.fixture(scope="session")
def small_form() -> FormSlice:
    return sample_forms(SMALL_DOC)[SMALL_FORM]


@pytest.fixture
def sleeps() -> Sleeps:
    return Sleeps()
