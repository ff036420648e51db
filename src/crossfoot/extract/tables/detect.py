"""Which template a form was printed from: by its words and its columns."""

from __future__ import annotations

import unicodedata
from functools import lru_cache
from typing import Any

from crossfoot.ingest.document import Line
from crossfoot.lexicon import SHANGHAI_FAMILY, Lexicon, label_key
from crossfoot.segment import FormSlice

__all__ = ["DEFAULT_TEMPLATE", "RULES_TEMPLATES", "detect_template", "template_meta"]

DEFAULT_TEMPLATE = "shanghai"
RULES_TEMPLATES = SHANGHAI_FAMILY


def template_meta(form: FormSlice, lexicon: Lexicon) -> dict[str, Any]:
    """``template``: the id the form is read as (the checks follow it)."""
    return {"template": detect_template(form.lines, lexicon)}


def _title_lines(lines: list[Line], lexicon: Lexicon) -> set[str]:
    """The labels printed before the 项目名称 row (titles, years, units)."""
    titles: set[str] = set()
    for line in lines[:12]:
        if any(lexicon.match("header", c.text) == "project_name" for c in line.filled):
            break
        titles.update(label_key(c.text) for c in line.filled)
    return titles


@lru_cache(maxsize=65536)  # pure, and the same cell texts come back form after form
def _folded(text: str) -> str:
    """A cell's text NFKC-folded with no whitespace: what a ``~`` signature is sought in."""
    return unicodedata.normalize("NFKC", "".join(text.split()))


@lru_cache(maxsize=64)  # a template's signatures, folded once rather than per form
def _signatures(words: tuple[str, ...]) -> tuple[tuple[str, str], ...]:
    """Each signature as (where it is sought, the folded text sought): ``~``
    words anywhere in the text, ``^`` words among the title labels, the rest
    among the cells' label keys."""
    return tuple(
        ("text", unicodedata.normalize("NFKC", word[1:]))
        if word.startswith("~")
        else ("title", label_key(word[1:]))
        if word.startswith("^")
        else ("key", label_key(word))
        for word in words
    )


def detect_template(lines: list[Line], lexicon: Lexicon) -> str:
    """The template whose signatures the form prints most of (lexicon.toml
    says how a signature scores); Shanghai on a tie."""
    keys = {label_key(c.text) for line in lines for c in line.filled}
    # one string, one cell a line: ``needle in texts`` is one scan, not one per cell
    # (a cell holds no whitespace once compacted, so a needle never spans two)
    texts = "\n".join(_folded(c.text) for line in lines for c in line.filled)
    titles = _title_lines(lines, lexicon)
    best, best_score = DEFAULT_TEMPLATE, 0.0
    for name, profile in lexicon.templates.items():
        score = 0.0
        for where, sought in _signatures(tuple(profile.signatures)):
            if where == "text":
                score += "\n" not in sought and sought in texts
            elif where == "title":
                score += 1.5 * (sought in titles)
            else:
                score += sought in keys
        # the column order is read only where its bonus could make sichuan_goal win
        if name == "sichuan_goal" and score + 2 > best_score and _weight_before_target(lines, lexicon):
            score += 2
        if score > best_score:
            best, best_score = name, score
    return best


def _weight_before_target(lines: list[Line], lexicon: Lexicon) -> bool:
    for line in lines:
        order = [lexicon.match("indicator_columns", c.text) for c in line.filled]
        if "name" in order and "weight" in order and "target" in order:
            return order.index("weight") < order.index("target")
    return False
