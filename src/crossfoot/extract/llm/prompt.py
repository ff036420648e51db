"""Prompt files under ``prompts/``, rendered with sandboxed Jinja.

A template holds two blocks, ``system`` and ``user``; the file's SHA-256 is
the prompt hash recorded with every extraction. The form is sent as a compact
rendering (" | " between cells, no trailing empty cells), which is what the cache
key hashes too, so the same form at another place in another file is the
same request.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from jinja2 import StrictUndefined, Template, TemplateError
from jinja2.sandbox import SandboxedEnvironment

from crossfoot.errors import ConfigError
from crossfoot.lexicon import load_lexicon
from crossfoot.model import HIERARCHY
from crossfoot.segment import FormSlice

__all__ = ["PAGE_BREAK", "Prompt", "load_prompt", "prompts_dir", "render_form"]

PAGE_BREAK = "【分页】"
_VERSION = re.compile(r"^(?P<name>.+)\.(?P<version>v\d+)$")


def prompts_dir() -> Path:
    """Where the templates live: inside the wheel, or the checkout's ``prompts/``."""
    package = Path(__file__).resolve().parents[2]  # src/crossfoot
    installed = package / "_prompts"  # pyproject force-includes prompts/ here
    return installed if installed.is_dir() else package.parents[1] / "prompts"


def render_form(form: FormSlice) -> str:
    """One line per printed row, cells joined by " | " (trailing empty cells
    dropped); a page break (a blank line in text dumps) becomes 【分页】."""
    rows: list[str] = []
    previous = None
    for line in form.lines:
        if line.is_blank:
            if rows and rows[-1] != PAGE_BREAK:
                rows.append(PAGE_BREAK)
            previous = None
            continue
        if previous is not None and form.document.page_break_between(previous, line) and rows[-1] != PAGE_BREAK:
            rows.append(PAGE_BREAK)
        cells = [" ".join(c.text.split()) for c in line.cells]
        while cells and not cells[-1]:
            cells.pop()
        # empty cells stay (as nothing between bars): they say which column a value sits in
        rows.append(" | ".join(cells).strip())
        previous = line
    while rows and rows[-1] == PAGE_BREAK:
        rows.pop()
    return "\n".join(rows)


def _environment() -> SandboxedEnvironment:
    return SandboxedEnvironment(undefined=StrictUndefined, autoescape=False)


@dataclass(frozen=True)
class Prompt:
    """A loaded template: its identity and how to render it."""

    name: str
    version: str
    hash: str
    source: str
    path: Path
    template: Template = field(repr=False, compare=False)

    def messages(self, form_text: str) -> list[dict[str, str]]:
        """The chat messages for one form."""
        variables: dict[str, Any] = {
            "form_text": form_text,
            "hierarchy": {k: list(v) for k, v in HIERARCHY.items()},
            **_template_words(),
        }
        try:
            context = self.template.new_context(variables)
            rendered = {block: "".join(self.template.blocks[block](context)).strip() for block in ("system", "user")}
        except KeyError as exc:
            raise ConfigError(f"prompt template lacks a {{% block {exc.args[0]} %}}", path=self.path) from None
        except TemplateError as exc:
            raise ConfigError(f"prompt template failed to render: {exc}", path=self.path) from exc
        return [
            {"role": "system", "content": rendered["system"]},
            {"role": "user", "content": rendered["user"]},
        ]

    def meta(self) -> dict[str, str]:
        return {"prompt_name": self.name, "prompt_version": self.version, "prompt_hash": self.hash}


@cache
def _template_words() -> dict[str, Any]:
    """The lexicon's words and template titles, for prompts that describe
    every province's template (a prompt that does not use them ignores them)."""
    lexicon = load_lexicon()
    sections = {
        "header": lexicon.header,
        "funding columns": lexicon.funding_columns,
        "funding rows": lexicon.funding_rows,
        "indicator columns": lexicon.indicator_columns,
        "goals": {k: v for k, v in lexicon.goals.items() if not k.endswith("_numbered")},
        "total row": {"total": lexicon.totals},
    }
    words = {name: {f: w for f, w in fields.items() if f != "ignored"} for name, fields in sections.items()}
    return {"lexicon": words, "templates": [t.title for t in lexicon.templates.values()]}


def load_prompt(spec: str, directory: Path | None = None) -> Prompt:
    """``extract_form.v1`` -> the template ``prompts/extract_form.v1.j2``."""
    match = _VERSION.match(spec)
    if match is None:
        raise ConfigError(f"prompt {spec!r} must be NAME.vN, e.g. extract_form.v1")
    folder = directory or prompts_dir()
    path = folder / f"{spec}.j2"
    try:
        source = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"no prompt template {path.name} in {folder}", path=path) from None
    except OSError as exc:
        raise ConfigError(f"cannot read prompt template: {exc.strerror}", path=path) from exc
    try:
        template = _environment().from_string(source)
    except TemplateError as exc:
        raise ConfigError(f"prompt template does not parse: {exc}", path=path) from exc
    hashed = source
    if "lexicon" in source:  # the words it renders are part of what it asks
        hashed += json.dumps(_template_words(), ensure_ascii=False, sort_keys=True)
    digest = hashlib.sha256(hashed.encode("utf-8")).hexdigest()
    return Prompt(
        name=match["name"], version=match["version"], hash=digest, source=source, path=path, template=template
    )
