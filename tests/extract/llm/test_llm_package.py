"""The package's shape: what it exports, and that openai loads only when used."""

from __future__ import annotations

import importlib
import subprocess
import sys

import pytest

MODULES = ["align", "cache", "client", "extractor", "limiter", "models", "prompt", "runlog", "usage"]


@pytest.mark.parametrize("name", MODULES)
def test_every_exported_name_exists(name: str) -> None:
    module = importlib.import_module(f"crossfoot.extract.llm.{name}")
    for exported in module.__all__:
        assert hasattr(module, exported), f"{name}.{exported}"


def test_the_backends_are_found_by_name() -> None:
    import crossfoot.extract.llm as llm
    from crossfoot.extract.hybrid import HybridExtractor

    assert llm.__all__ == ["LLMExtractor", "Outcome"]
    assert llm.LLMExtractor.name == "llm" and HybridExtractor.name == "hybrid"


def test_importing_the_backends_does_not_import_openai() -> None:
    # heavy imports happen when an LLM extractor is built, not when the
    # hybrid backend (which may never need one) is imported
    code = (
        "import sys, crossfoot.extract.hybrid, crossfoot.extract.llm; "
        "print(sorted(m for m in ('openai', 'instructor', 'tenacity', 'vcr') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
