"""Shared test fixtures. Tests mirror src/; data sits next to the test using it."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "samples"
#: what crossfoot writes by default in the folder it runs in; no test may leave them
DEFAULT_OUTPUTS = ("crossfoot.db", ".crossfoot-cache", "out")


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


@pytest.fixture(autouse=True)
def _defaults_under_tmp_path(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """Issue 9, item 25: the review store and the cache default to files in
    the current folder; every test (and every crossfoot it starts, which
    inherits the environment) gets its own under a temporary folder instead."""
    home = tmp_path_factory.mktemp("defaults")
    monkeypatch.setenv("CROSSFOOT_CACHE_DIR", str(home / ".crossfoot-cache"))
    monkeypatch.setenv("CROSSFOOT_DB_URL", f"sqlite:///{home / 'crossfoot.db'}")


def _present(folder: Path) -> dict[str, float]:
    return {name: (folder / name).stat().st_mtime for name in DEFAULT_OUTPUTS if (folder / name).exists()}


@pytest.fixture(autouse=True, scope="session")
def _working_copy_untouched() -> Iterator[None]:
    """Issue 9, item 25: fail the session if a test wrote crossfoot's default
    outputs into the checkout or the folder pytest runs in."""
    folders = {ROOT, Path.cwd()}
    before = {folder: _present(folder) for folder in folders}
    yield
    changed = [
        str(folder / name)
        for folder in folders
        for name, mtime in _present(folder).items()
        if before[folder].get(name) != mtime
    ]
    if changed:
        pytest.fail(f"tests wrote into the working copy: {', '.join(changed)} (write under tmp_path)")


#: markers whose tests are slow by nature: OCR of scans, a real browser, a real model
_SLOW_BY_NATURE = ("ocr", "browser", "live")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Issue 9, item 26: `pytest -m "not slow"` leaves out every test that
    needs OCR, a browser or a live model, without marking each twice."""
    for item in items:
        if any(item.get_closest_marker(name) for name in _SLOW_BY_NATURE):
            item.add_marker(pytest.mark.slow)
