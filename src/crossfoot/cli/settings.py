"""Build the one Settings object from the environment and CLI options."""

from __future__ import annotations

import os
from typing import Any

from pydantic import SecretStr

from crossfoot.settings import Settings

__all__ = ["build_settings"]


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
