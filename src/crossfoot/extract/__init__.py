"""Extract: FormSlice -> Record with provenance. Backends are picked by name."""

from __future__ import annotations

from crossfoot.errors import ConfigError
from crossfoot.extract.base import ExtractionResult, Extractor
from crossfoot.settings import Settings

__all__ = ["BACKENDS", "ExtractionResult", "Extractor", "get_extractor"]

BACKENDS = ("rules", "llm", "hybrid")


def get_extractor(name: str, settings: Settings) -> Extractor:
    """Build the named backend; heavy imports happen only for the one asked for."""
    if name == "rules":
        from crossfoot.extract.tables import TemplateExtractor

        return TemplateExtractor(settings.lexicon)
    if name == "llm":
        from crossfoot.extract.llm import LLMExtractor

        return LLMExtractor(settings)
    if name == "hybrid":
        from crossfoot.extract.hybrid import HybridExtractor

        return HybridExtractor(settings)
    raise ConfigError(f"unknown backend {name!r}; choose one of {', '.join(BACKENDS)}")
