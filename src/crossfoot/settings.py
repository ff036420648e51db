"""The one settings object. Built by the CLI (which reads the environment)
and passed down; library code never reads ``os.environ``."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

__all__ = ["Settings"]

InstructorMode = Literal["tools", "json_schema", "json", "md_json"]


class Settings(BaseSettings):
    """Everything a run can be configured with.

    Environment names are ``CROSSFOOT_<FIELD>``; the LLM endpoint also accepts
    the usual ``OPENAI_API_KEY`` / ``OPENAI_BASE_URL``.
    """

    model_config = SettingsConfigDict(env_prefix="CROSSFOOT_", extra="ignore")

    # extraction
    backend: str = "rules"
    lexicon: Path | None = Field(None, description="a TOML file of template words merged over the bundled lexicon")
    # LLM endpoint
    llm_model: str = "gpt-4o-mini"
    llm_base_url: str | None = None
    llm_api_key: SecretStr | None = None
    llm_mode: InstructorMode = "tools"
    llm_timeout_s: float = 60.0
    llm_max_retries: int = Field(2, description="instructor validation re-asks")
    llm_http_retries: int = Field(4, description="retries on 429/5xx/timeouts")
    llm_concurrency: int = 4
    llm_requests_per_minute: int = 60
    llm_tokens_per_minute: int = 200_000
    llm_token_budget: int | None = Field(None, description="stop spending past this many tokens")
    llm_max_output_tokens: int = 4096
    llm_price_in_per_mtok: Decimal = Decimal("0")
    llm_price_out_per_mtok: Decimal = Decimal("0")
    hybrid_route: Literal["errors", "errors+unread", "all"] = "errors+unread"
    cache_dir: Path = Path(".crossfoot-cache")
    # OCR
    ocr_engine: Literal["rapidocr", "tesseract"] = "rapidocr"
    ocr_dpi: int = 200
    ocr_min_confidence: float = 0.80
    max_image_pixels: int = 60_000_000
    workers: int = 2
    # review store and app
    db_url: str = "sqlite:///crossfoot.db"
    review_token: SecretStr | None = None
    review_host: str = "127.0.0.1"
    review_port: int = 8000
    review_image_cache: Path = Field(
        Path(".crossfoot-cache/pages"), description="where the review app caches rendered page images (PNG)"
    )
    # LLM backend, continued (issue 4; see docs/llm.md)
    llm_connect_timeout_s: float = Field(10.0, description="connect timeout: an unreachable endpoint fails fast")
    llm_backoff_base_s: float = Field(1.0, description="first backoff step for HTTP retries (exponential, jittered)")
    llm_backoff_max_s: float = Field(60.0, description="longest single wait, Retry-After included")
    llm_prompt: str = Field("extract_form.v1", description="template under prompts/, without .j2")
    llm_prompt_templates: str = Field(
        "extract_form.v2", description="the prompt for forms not in the Shanghai layout (it describes every template)"
    )
    llm_extra_body: dict[str, Any] = Field(
        default_factory=dict, description="extra JSON merged into each request (provider switches)"
    )
    llm_cache: bool = Field(True, description="reuse answers cached under cache_dir/llm")
    llm_cassette: Path | None = Field(None, description="replay every LLM call from this vcrpy cassette")
    llm_cassette_record: bool = Field(False, description="record new calls into llm_cassette instead")
