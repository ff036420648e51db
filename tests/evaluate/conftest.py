"""Markers for the evaluate tests."""

from __future__ import annotations

import pytest


def pytest_configure(config: pytest.Config) -> None:
    # the zoo's scan gate OCRs 36 pages (~10 s each): CI runs it, a quick local run can -m "not slow"
    config.addinivalue_line("markers", "slow: takes minutes (OCR of the template zoo's scans)")
