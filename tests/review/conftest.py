"""Fixtures for the review tests: a real rules run over samples/, and a
store on SQLite and on a real PostgreSQL (CROSSFOOT_TEST_PG_URL)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import SAMPLES, need

pytest.importorskip("sqlalchemy", reason="the review extra is not installed")

from crossfoot.review.store import Store, load_into
from tests.review.helpers import Run, rules_run, throwaway_database

PG_URL = os.environ.get("CROSSFOOT_TEST_PG_URL")


@pytest.fixture(scope="session")
def sample_run() -> Run:
    return rules_run(sorted(SAMPLES.glob("*.txt")))


@pytest.fixture
def sqlite_store(tmp_path: Path, sample_run: Run) -> Iterator[Store]:
    """A store on SQLite with the samples' run loaded (the browser tests serve it)."""
    with Store(str(tmp_path / "review.db")) as store:
        load_into(store, *sample_run)
        yield store


def _postgres_database() -> Iterator[str]:
    need(PG_URL is not None, "a PostgreSQL server: set CROSSFOOT_TEST_PG_URL (see .ci/steps/20-postgres.sh)")
    assert PG_URL is not None
    with throwaway_database(PG_URL) as url:
        yield url


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh, empty database of each kind."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'review.db'}"
    else:
        yield from _postgres_database()


@pytest.fixture
def store(db_url: str) -> Iterator[Store]:
    with Store(db_url) as opened:
        yield opened


@pytest.fixture
def loaded(store: Store, sample_run: Run) -> Store:
    """A store holding the rules run over samples/."""
    load_into(store, *sample_run)
    return store
