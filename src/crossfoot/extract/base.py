"""The extractor protocol: one FormSlice in, one ExtractionResult out."""

from __future__ import annotations

from typing import Any, Protocol, runtime_checkable

from pydantic import BaseModel, Field

from crossfoot.model import Finding, Provenance, Record
from crossfoot.segment import FormSlice

__all__ = ["ExtractionResult", "Extractor"]


class ExtractionResult(BaseModel):
    """What a backend read from one form."""

    record: Record | None
    provenance: Provenance = Field(default_factory=dict)
    findings: list[Finding] = Field(default_factory=list, description="what could not be read")
    meta: dict[str, Any] = Field(default_factory=dict, description="usage, prompt hash, routing")


@runtime_checkable
class Extractor(Protocol):
    """A backend. ``siblings`` are the other forms of the same document, which
    a backend may consult (how a sibling files the same indicator)."""

    name: str

    def extract(self, form: FormSlice, siblings: list[FormSlice]) -> ExtractionResult:
        """Read one form."""
        ...
