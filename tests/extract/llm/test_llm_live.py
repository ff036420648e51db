"""Against a real endpoint of your choosing: skipped unless asked for.

    CROSSFOOT_LIVE=1 OPENAI_API_KEY=... [OPENAI_BASE_URL=...] [CROSSFOOT_LLM_MODEL=...] \\
        [CROSSFOOT_LLM_MODE=tools] pytest tests/extract/llm/test_llm_live.py -m live

These are the only tests whose outcome depends on a model's quality: a good
model reads the small sample form so that every value is printed in it and
the arithmetic checks pass. Nothing here is recorded; to re-record the
protocol cassettes see cassettes/README.md.
"""

from __future__ import annotations

import os

import pytest
from pydantic import SecretStr
from tests.extract.llm.llm_support import base_settings

from crossfoot.check import has_errors, run_checks
from crossfoot.extract.llm import LLMExtractor
from crossfoot.extract.llm.align import UNALIGNED
from crossfoot.segment import FormSlice

pytestmark = pytest.mark.live


@pytest.fixture
def live_settings(tmp_path):
    key = os.environ.get("CROSSFOOT_LLM_API_KEY") or os.environ.get("OPENAI_API_KEY")
    if os.environ.get("CROSSFOOT_LIVE") != "1" or not key:
        pytest.skip("live LLM tests need CROSSFOOT_LIVE=1 and an API key")
    return base_settings(
        tmp_path,
        llm_api_key=SecretStr(key),
        llm_base_url=os.environ.get("CROSSFOOT_LLM_BASE_URL") or os.environ.get("OPENAI_BASE_URL"),
        llm_model=os.environ.get("CROSSFOOT_LLM_MODEL", "gpt-4o-mini"),
        llm_mode=os.environ.get("CROSSFOOT_LLM_MODE", "tools"),
        llm_timeout_s=120.0,
        llm_concurrency=2,
    )


def test_live_extraction_of_a_sample_form(live_settings, small_form: FormSlice) -> None:
    extractor = LLMExtractor(live_settings)
    result = extractor.extract(small_form, [small_form])
    assert result.record is not None
    assert result.meta["llm_source"] == "live" and result.meta["prompt_tokens"] > 0
    assert [f.fields for f in result.findings if f.code == UNALIGNED] == []
    assert not has_errors(run_checks(result.record))


def test_live_rerun_is_served_from_the_cache(live_settings, small_form: FormSlice) -> None:
    LLMExtractor(live_settings).extract(small_form, [small_form])
    again = LLMExtractor(live_settings).extract(small_form, [small_form])
    assert again.meta["cached"] is True and again.meta["llm_calls"] == 0
