"""The eval run record (JSON), its Markdown summary and the HTML report."""

from __future__ import annotations

import subprocess
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape
from pydantic import BaseModel, Field

from crossfoot.evaluate.corrupt import DetectionReport
from crossfoot.evaluate.runner import FixtureRun
from crossfoot.files import file_sha256, write_atomically
from crossfoot.settings import Settings

__all__ = ["EvalRun", "build_run", "prompt_hashes", "write_reports"]

_PACKAGES = (
    "crossfoot",
    "pydantic",
    "openai",
    "instructor",
    "pdfplumber",
    "rapidocr-onnxruntime",
    "sqlalchemy",
)


class EvalRun(BaseModel):
    """One `crossfoot eval` invocation, reproducibly described."""

    started: str
    git_revision: str | None
    git_dirty: bool | None
    versions: dict[str, str]
    settings: dict[str, Any]
    prompt_hashes: dict[str, str]
    runs: list[FixtureRun] = Field(default_factory=list)
    detection: DetectionReport | None = None


def _git(root: Path, *args: str) -> str | None:
    try:
        done = subprocess.run(["git", *args], cwd=root, capture_output=True, text=True, timeout=10, check=True)
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout.strip()


def prompt_hashes(root: Path) -> dict[str, str]:
    """sha256 (first 16 hex) of every prompt template."""
    folder = root / "prompts"
    if not folder.is_dir():
        return {}
    return {
        p.name: file_sha256(p)[:16]
        for p in sorted(folder.iterdir())
        if p.is_file() and p.suffix in {".j2", ".jinja", ".txt", ".md"} and p.name != "README.md"
    }


def _versions() -> dict[str, str]:
    out: dict[str, str] = {}
    for name in _PACKAGES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return out


def build_run(root: Path, settings: Settings) -> EvalRun:
    status = _git(root, "status", "--porcelain")
    return EvalRun(
        started=datetime.now(UTC).isoformat(timespec="seconds"),
        git_revision=_git(root, "rev-parse", "HEAD"),
        git_dirty=None if status is None else bool(status),
        versions=_versions(),
        settings=settings.model_dump(mode="json", exclude={"llm_api_key", "review_token"}),
        prompt_hashes=prompt_hashes(root),
    )


def _env() -> Environment:
    return Environment(
        loader=PackageLoader("crossfoot.evaluate", "templates"),
        autoescape=select_autoescape(["html", "j2"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )


def write_reports(run: EvalRun, folder: Path) -> dict[str, Path]:
    """run.json, summary.md and report.html in ``folder``; returns their paths."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = {
        "json": folder / "run.json",
        "markdown": folder / "summary.md",
        "html": folder / "report.html",
    }
    env = _env()
    write_atomically(paths["json"], run.model_dump_json(indent=2))
    paths["markdown"].write_text(env.get_template("summary.md.j2").render(run=run), encoding="utf-8")
    paths["html"].write_text(env.get_template("report.html.j2").render(run=run), encoding="utf-8")
    return paths
