"""Shared test fixtures. Tests mirror src/; data sits next to the test using it."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "samples"


def need(ok: bool, reason: str) -> None:
    """Skip on a developer machine that lacks a service; fail in CI, where
    `.ci/run` installs everything, so a skip can never hide a failure."""
    if ok:
        return
    if os.environ.get("CI"):
        pytest.fail(f"CI must provide: {reason}")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def root() -> Path:
    return ROOT


@pytest.fixture(scope="session")
def samples() -> Path:
    return SAMPLES
