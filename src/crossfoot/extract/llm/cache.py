"""The answer cache: a re-run re-calls nothing that already succeeded.

Key: SHA-256 of (form text as sent, prompt hash, model, mode, schema
version). Only validated answers are stored, one JSON file each under
``<cache_dir>/llm/answers/<key[:2]>/<key>.json``, written atomically. A file
that does not parse is a miss, and is overwritten by the next success.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from crossfoot.errors import ConfigError
from crossfoot.files import write_atomically

__all__ = ["CachedAnswer", "ResponseCache", "cache_key"]


def cache_key(form_text: str, prompt_hash: str, model: str, mode: str, schema_version: str) -> str:
    """The answer's identity: any change to what is asked changes it."""
    parts = json.dumps([form_text, prompt_hash, model, mode, schema_version], ensure_ascii=False)
    return hashlib.sha256(parts.encode("utf-8")).hexdigest()


class CachedAnswer(BaseModel):
    """A validated answer and what it cost when it was first bought."""

    answer: dict[str, Any]
    model: str
    created_at: str
    prompt_tokens: int
    completion_tokens: int
    cost: str


class ResponseCache:
    """Validated answers on disk, keyed by ``cache_key``."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def _path(self, key: str) -> Path:
        return self.root / key[:2] / f"{key}.json"

    def get(self, key: str) -> CachedAnswer | None:
        try:
            return CachedAnswer.model_validate_json(self._path(key).read_bytes())
        except (OSError, ValidationError, ValueError):
            return None

    def put(self, key: str, answer: dict[str, Any], *, model: str, usage: tuple[int, int, str]) -> None:
        entry = CachedAnswer(
            answer=answer,
            model=model,
            created_at=datetime.now(UTC).isoformat(timespec="seconds"),
            prompt_tokens=usage[0],
            completion_tokens=usage[1],
            cost=usage[2],
        )
        path = self._path(key)
        try:
            # write then rename: a crash never leaves a torn entry behind
            write_atomically(path, entry.model_dump_json())
        except OSError as exc:
            raise ConfigError(f"cannot write the LLM answer cache: {exc.strerror or exc}", path=path) from exc
