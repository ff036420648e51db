"""Build the one Settings object from the environment and CLI options."""

from __future__ import annotations

import os
from typing import Any

import typer
from pydantic import SecretStr

from crossfoot.cli.app import console, fail_line
from crossfoot.errors import CrossfootError
from crossfoot.extract import Extractor, get_extractor
from crossfoot.settings import Settings

__all__ = ["build_extractor", "build_settings", "print_llm_summary"]


def build_settings(**overrides: Any) -> Settings:
    """Settings from CROSSFOOT_* variables, the usual OPENAI_* ones, and options."""
    settings = Settings()
    if settings.llm_api_key is None and os.environ.get("OPENAI_API_KEY"):
        settings.llm_api_key = SecretStr(os.environ["OPENAI_API_KEY"])
    if settings.llm_base_url is None and os.environ.get("OPENAI_BASE_URL"):
        settings.llm_base_url = os.environ["OPENAI_BASE_URL"]
    for key, value in overrides.items():
        if value is not None:
            setattr(settings, key, value)
    return settings


def build_extractor(backend: str, settings: Settings) -> Extractor:
    """The named backend, or one line on stderr and its exit code (2 bad
    settings, 3 no key or no endpoint, with the install hint if the extra is
    missing)."""
    try:
        return get_extractor(backend, settings)
    except CrossfootError as exc:
        fail_line(str(exc))
        raise typer.Exit(exc.exit_code) from None


def print_llm_summary(extractor: Extractor) -> None:
    """The cost line of an LLM or hybrid run: forms routed, calls, tokens, money."""
    summary = getattr(extractor, "summary", None)
    if summary is None:
        return
    from crossfoot.extract.llm.usage import summary_line

    console.print(summary_line(summary()))
