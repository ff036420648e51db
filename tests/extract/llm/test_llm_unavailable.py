"""Failing fast and failing clearly, against real sockets (no cassettes).

``crossfoot extract --backend llm`` without a key, or with an endpoint that
cannot be reached, must stop at once with LLMUnavailableError (exit 3), not
after minutes of retries; a slow endpoint is retried and then reported.
"""

from __future__ import annotations

import socket
import textwrap
from pathlib import Path

import pytest
from pydantic import SecretStr
from tests.extract.llm.llm_support import ScriptedEndpoint, Sleeps, base_settings, completion

from crossfoot.errors import LLMError, LLMUnavailableError
from crossfoot.extract import get_extractor
from crossfoot.extract.llm import LLMExtractor
from crossfoot.extract.llm.client import LLMClient
from crossfoot.segment import FormSlice


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.mark.parametrize("key", [None, SecretStr(""), SecretStr("  ")])
def test_no_key_fails_before_any_request(tmp_path, small_form: FormSlice, key: SecretStr | None) -> None:
    settings = base_settings(tmp_path, llm_api_key=key, llm_base_url=f"http://127.0.0.1:{_closed_port()}/v1")
    extractor = get_extractor("llm", settings)
    with pytest.raises(LLMUnavailableError, match="no API key") as caught:
        extractor.extract(small_form, [small_form])
    assert caught.value.exit_code == 3


def test_unreachable_endpoint_fails_after_one_attempt(tmp_path, small_form: FormSlice, sleeps: Sleeps) -> None:
    settings = base_settings(tmp_path, llm_base_url=f"http://127.0.0.1:{_closed_port()}/v1", llm_http_retries=4)
    extractor = LLMExtractor(settings, client=LLMClient(settings, sleep=sleeps))
    with pytest.raises(LLMUnavailableError, match=r"cannot connect to http://127\.0\.0\.1") as caught:
        extractor.extract(small_form, [small_form])
    assert caught.value.n_attempts == 1
    assert sleeps.waits == []  # no backoff against an endpoint that never answered
    with pytest.raises(LLMUnavailableError):  # and every later form fails at once too
        extractor.extract(small_form, [small_form])
    assert extractor.summary()["llm_calls"] == 1


def test_slow_endpoint_times_out_and_is_retried(tmp_path, scripted, small_form: FormSlice, sleeps: Sleeps) -> None:
    scripted.append(ScriptedEndpoint([(200, {}, completion("{}"), 3.0)]))
    endpoint = scripted[-1]
    settings = base_settings(tmp_path, llm_base_url=endpoint.url, llm_timeout_s=0.3, llm_http_retries=1)
    extractor = LLMExtractor(settings, client=LLMClient(settings, sleep=sleeps))
    with pytest.raises(LLMError, match=r"timed out after 2 tries \(0.3s each\)") as caught:
        extractor.extract(small_form, [small_form])
    assert not isinstance(caught.value, LLMUnavailableError)  # it answers, slowly: not unavailable
    assert len(endpoint.requests) == 2
    assert len(sleeps.waits) == 1


def test_cassette_without_the_request_is_a_clear_error(tmp_path, small_form: FormSlice) -> None:
    empty = tmp_path / "empty.yaml"
    empty.write_text(textwrap.dedent("interactions: []\nversion: 1\n"), encoding="utf-8")
    settings = base_settings(tmp_path, llm_cassette=empty)
    with pytest.raises(LLMError, match="has no recorded response for this request") as caught:
        LLMExtractor(settings).extract(small_form, [small_form])
    assert not isinstance(caught.value, LLMUnavailableError)


def test_missing_cassette_is_unavailable(tmp_path, small_form: FormSlice) -> None:
    settings = base_settings(tmp_path, llm_cassette=Path(tmp_path / "nope.yaml"))
    with pytest.raises(LLMUnavailableError, match="no such cassette"):
        LLMExtractor(settings).extract(small_form, [small_form])
