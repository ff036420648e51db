"""Gold fixtures: hand-labelled contract records plus annotations.

A fixture is one JSON file: the contract record, and keys starting with
``_``: ``_source`` {file, form_index, title_line}, ``_alternatives``
{field path: [other acceptable values]}, ``_notes`` [judgement calls]. The
template zoo (eval/zoo) adds ``_template`` (the template id) and ``_kind`` (the
input kind of the source) and keeps its fixtures in nested folders
(``<template>/<kind>/``): a folder with no fixture at its top is read
recursively.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field

from crossfoot.errors import RecordError
from crossfoot.model import Record

__all__ = ["GoldForm", "contract_part", "load_gold"]


class GoldForm(BaseModel):
    """One labelled form."""

    name: str = Field(description="fixture file stem")
    path: str = Field(description="the fixture file")
    source_file: str = Field(description="source document, relative to the repo root")
    form_index: int
    title_line: int | None = None
    record: dict[str, Any] = Field(description="the contract record (JSON form)")
    alternatives: dict[str, list[Any]] = Field(default_factory=dict)
    notes: list[str] = Field(default_factory=list)
    template: str | None = Field(None, description="zoo template id (_template)")
    kind: str | None = Field(None, description="input kind of the source (_kind)")


def contract_part(data: dict[str, Any]) -> dict[str, Any]:
    """The record without annotation keys."""
    return {k: v for k, v in data.items() if not k.startswith("_")}


def load_gold(folder: Path) -> list[GoldForm]:
    """Every fixture in a folder, validated against the contract models."""
    forms: list[GoldForm] = []
    paths = sorted(folder.glob("*.json")) or sorted(folder.rglob("*.json"))
    for path in paths:
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except ValueError as exc:
            raise RecordError(f"fixture is not JSON: {exc}", path=path) from exc
        source = data.get("_source") or {}
        record = contract_part(data)
        try:
            Record.model_validate(record)
        except ValueError as exc:
            raise RecordError(f"fixture is not a contract record: {exc}", path=path) from exc
        if "file" not in source:
            raise RecordError("fixture has no _source.file", path=path)
        forms.append(
            GoldForm(
                name=path.relative_to(folder).with_suffix("").as_posix(),
                path=str(path),
                source_file=source["file"],
                form_index=int(source.get("form_index", 0)),
                title_line=source.get("title_line"),
                record=record,
                alternatives=data.get("_alternatives") or {},
                notes=data.get("_notes") or [],
                template=data.get("_template"),
                kind=data.get("_kind"),
            )
        )
    if not forms:
        raise RecordError("no fixtures (*.json) in folder", path=folder)
    return forms
