"""The lexicon: printed words -> record fields, loaded from data.

``lexicon.toml`` beside this module is the one place where the words of every
template live. A user adds a template's words in a TOML file of their own
(``CROSSFOOT_LEXICON``); its lists are merged over the bundled ones, so a new
column needs no code.
"""

from __future__ import annotations

import re
import tomllib
import unicodedata
from contextvars import ContextVar
from dataclasses import dataclass, field
from functools import cache, lru_cache
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field

from crossfoot.errors import ConfigError

__all__ = [
    "OCR_TOLERANT",
    "SHANGHAI_FAMILY",
    "Lexicon",
    "TemplateProfile",
    "label_key",
    "load_lexicon",
    "one_edit_apart",
]

#: set while a scan is read: a label one OCR slip away from a lexicon word
#: (年初目示值 for 年初目标值) still matches it, when no other word is as near
OCR_TOLERANT: ContextVar[bool] = ContextVar("OCR_TOLERANT", default=False)
_FUZZY_MIN = 4
#: the Shanghai-layout templates: read by the content rules in text and scans,
#: and checked strictly (every column)
SHANGHAI_FAMILY = frozenset({"shanghai", "mof_central"})

_BUNDLED = Path(__file__).with_name("lexicon.toml")
#: "(20分)", "（50 分）": a score note on a label, not part of the word
_SCORE_NOTE = re.compile(r"\(\d+(?:\.\d+)?分\)")
#: "(万元)", "(元)", "(%)"-less unit notes on a header
_UNIT_NOTE = re.compile(r"\((?:万元|元|单位:?万元|单位:?元)\)")
_TRAILING = ":：*"


@lru_cache(maxsize=65536)
def label_key(text: str) -> str:
    """The form a printed label is matched in: NFKC (full-width brackets and
    colons folded), no whitespace, no tags, no score or unit note."""
    folded = unicodedata.normalize("NFKC", re.sub(r"<[^<>]{0,200}>", "", text))
    key = "".join(folded.split())
    key = _UNIT_NOTE.sub("", _SCORE_NOTE.sub("", key))
    return key.strip(_TRAILING)


def score_note(text: str) -> str | None:
    """The number in a label's "(20分)" note, if any."""
    match = _SCORE_NOTE.search("".join(unicodedata.normalize("NFKC", text).split()))
    return match.group(0)[1:-2] if match else None


class TemplateProfile(BaseModel):
    """How a template announces itself and which columns it prints."""

    name: str
    title: str = ""
    signatures: list[str] = Field(default_factory=list)
    prints: list[str] = Field(default_factory=list)

    def has(self, column: str) -> bool:
        return column in self.prints


@dataclass
class Lexicon:
    """Category -> field -> the words that name it. (A plain dataclass: its
    look-ups run for every printed cell, and they are memoised.)"""

    header: dict[str, list[str]]
    funding_columns: dict[str, list[str]]
    funding_rows: dict[str, list[str]]
    indicator_columns: dict[str, list[str]]
    goals: dict[str, list[str]]
    totals: list[str]
    templates: dict[str, TemplateProfile]
    _index: dict[str, list[tuple[str, str]]] = field(default_factory=dict, repr=False)
    _memo: dict[tuple[str, str, bool], str | None] = field(default_factory=dict, repr=False)

    def match(self, category: str, text: str) -> str | None:
        """The field a printed label names, or None. Exact on the label key;
        a label that starts with a known word followed only by a bracketed
        note (预算数(A) when only 预算数 is listed) matches that word."""
        tolerant = OCR_TOLERANT.get()
        memo_key = (category, text, tolerant)
        if memo_key not in self._memo:
            if len(self._memo) > 100_000:  # bounded: a batch of distinct cells
                self._memo.clear()
            self._memo[memo_key] = self._match(category, label_key(text), tolerant)
        return self._memo[memo_key]

    def _match(self, category: str, key: str, tolerant: bool) -> str | None:
        if not key:
            return None
        pairs = self._pairs(category)
        for word, name in pairs:
            if key == word:
                return name
        for word, name in pairs:
            if key.startswith(word) and _only_note(key[len(word) :]):
                return name
        if tolerant and len(key) >= _FUZZY_MIN:
            near = {name for word, name in pairs if len(word) >= _FUZZY_MIN and one_edit_apart(key, word)}
            if len(near) == 1:
                return near.pop()
        return None

    def _pairs(self, category: str) -> list[tuple[str, str]]:
        """(word key, field), longest word first."""
        if category not in self._index:
            table: dict[str, list[str]] = getattr(self, category)
            pairs = {(label_key(w), f) for f, ws in table.items() for w in ws}
            self._index[category] = sorted(pairs, key=lambda p: (-len(p[0]), p))
        return self._index[category]

    def is_total_label(self, text: str) -> bool:
        return label_key(text) in self._total_keys

    @property
    def _total_keys(self) -> frozenset[str]:
        return _keys(tuple(self.totals))

    def profile(self, name: str | None) -> TemplateProfile:
        return self.templates.get(name or "shanghai") or self.templates["shanghai"]


@cache
def _keys(words: tuple[str, ...]) -> frozenset[str]:
    return frozenset(label_key(w) for w in words)


def one_edit_apart(a: str, b: str) -> bool:
    """True when one substitution, insertion or deletion turns a into b."""
    if a == b or abs(len(a) - len(b)) > 1:
        return False
    if len(a) == len(b):
        return sum(x != y for x, y in zip(a, b, strict=True)) == 1
    short, long_ = (a, b) if len(a) < len(b) else (b, a)
    i = next((i for i, (x, y) in enumerate(zip(short, long_, strict=False)) if x != y), len(short))
    return short[i:] == long_[i + 1 :]


def _only_note(rest: str) -> bool:
    return bool(re.fullmatch(r"(\([^()]{0,12}\))+", rest))


def _merge(base: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in extra.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _merge(merged[key], value)
        elif isinstance(value, list) and isinstance(merged.get(key), list) and key != "prints":
            merged[key] = [*value, *(w for w in merged[key] if w not in value)]
        else:
            merged[key] = value
    return merged


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read the lexicon: {exc}") from exc


@cache
def load_lexicon(extra: Path | None = None) -> Lexicon:
    """The bundled lexicon, with a user's file merged over it."""
    data = _read_toml(_BUNDLED)
    if extra is not None:
        data = _merge(data, _read_toml(extra))
    try:
        return Lexicon(
            header=data["header"],
            funding_columns=data["funding"]["columns"],
            funding_rows=data["funding"]["rows"],
            indicator_columns=data["indicators"]["columns"],
            goals=data["goals"],
            totals=data["totals"]["labels"],
            templates={name: TemplateProfile(name=name, **t) for name, t in data["templates"].items()},
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise ConfigError(f"lexicon: missing or malformed section {exc}") from exc
