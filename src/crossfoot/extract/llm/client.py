"""The endpoint: openai (async) + instructor re-asks + tenacity HTTP retries.

Two retry loops, each bounded by its own setting:

- instructor re-asks when an answer fails validation (``llm_max_retries``
  re-asks, so at most ``llm_max_retries + 1`` calls), sending the validation
  error back to the model;
- inside each call, tenacity re-sends the same request after a 429, a 5xx,
  a 408/409, a timeout, a dropped connection or a body that is not a chat
  completion (``llm_http_retries``), waiting ``Retry-After`` when the server
  says so and exponential backoff with full jitter otherwise.

The openai client's own retries are off (``max_retries=0``) so that every
request passes through here and is recorded. An endpoint that cannot be
reached before it has answered once, or that rejects the key, raises
LLMUnavailableError at once: no minutes of retries against a wrong URL.
"""

from __future__ import annotations

import asyncio
import contextlib
import email.utils
import json
import logging
import re
import socket
import time
import urllib.parse
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel

from crossfoot.errors import CrossfootError, LLMError, LLMUnavailableError
from crossfoot.extract.llm.limiter import RateLimiter, estimate_tokens
from crossfoot.extract.llm.usage import Attempt, AttemptStatus, FormUsage, TokenBudget, price
from crossfoot.settings import Settings

if TYPE_CHECKING:
    import openai

__all__ = ["INSTALL_HINT", "Endpoint", "LLMClient", "retry_after"]

INSTALL_HINT = "the LLM backend needs its extra: pip install 'crossfoot[llm]'"
#: OpenAI's own endpoint, when no base URL is set (passed explicitly: the
#: openai client would otherwise read OPENAI_BASE_URL from the environment)
DEFAULT_BASE_URL = "https://api.openai.com/v1"

_usage: ContextVar[FormUsage] = ContextVar("crossfoot_llm_usage")


class _BadResponse(Exception):
    """A 200 whose body is not a chat completion (truncated JSON, an HTML page)."""


class _CutOff(Exception):
    """The answer stopped at max_tokens. Some servers (llama-cpp-python in
    tools mode) say finish_reason=tool_calls even then, so the token count
    decides too. Not retried or re-asked: the same limit would cut it again."""


def _import_openai() -> Any:
    try:
        import instructor
        import openai
        import tenacity
    except ImportError as exc:
        raise LLMUnavailableError(f"{INSTALL_HINT} ({exc.name} is missing)") from exc
    # instructor logs each failed attempt at ERROR; crossfoot records them in
    # the run log instead, and library code does not print
    logging.getLogger("instructor").addHandler(logging.NullHandler())
    logging.getLogger("instructor").propagate = False
    return openai, instructor, tenacity


def retry_after(exc: BaseException) -> float | None:
    """Seconds the server asked us to wait (``retry-after-ms``, ``retry-after``
    as seconds or as an HTTP date), or None."""
    response = getattr(exc, "response", None)
    headers = getattr(response, "headers", None)
    if headers is None:
        return None
    with contextlib.suppress(TypeError, ValueError):
        if (ms := headers.get("retry-after-ms")) is not None:
            return max(float(ms) / 1000, 0.0)
    value = headers.get("retry-after")
    if value is None:
        return None
    try:
        return max(float(value), 0.0)
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max((when - datetime.now(UTC)).total_seconds(), 0.0)


_PYDANTIC_LINK = re.compile(r"\s*For further information visit \S+")


def _short(exc: BaseException) -> str:
    """One line of at most 300 characters, without pydantic's help links."""
    text = " ".join(_PYDANTIC_LINK.sub("", str(exc)).split())
    return text[:300] + ("…" if len(text) > 300 else "")


def _in_chain(exc: BaseException, name: str) -> bool:
    return any(type(c).__name__ == name for c in _chain(exc))


class LLMClient:
    """One run's view of the endpoint: key, budget, limits, availability."""

    def __init__(
        self,
        settings: Settings,
        *,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.settings = settings
        self._openai, self._instructor, self._tenacity = _import_openai()
        self.sleep = sleep
        self.clock = clock
        self.budget = TokenBudget(settings.llm_token_budget)
        self.limiter = RateLimiter(
            settings.llm_requests_per_minute, settings.llm_tokens_per_minute, clock=clock, sleep=sleep
        )
        self.seen_ok = False  # after one good answer, a dropped connection is worth a retry
        self.unavailable: LLMUnavailableError | None = None
        self._schemas: dict[type[BaseModel], type[BaseModel]] = {}

    def schema_model(self, model: type[BaseModel]) -> type[BaseModel]:
        """``model`` wrapped for instructor once: unwrapped, instructor builds
        a new pydantic class on every call (measured: the largest cost per call)."""
        if model not in self._schemas:
            self._schemas[model] = self._instructor.response_schema(model)
        return self._schemas[model]

    @property
    def replaying(self) -> bool:
        return self.settings.llm_cassette is not None and not self.settings.llm_cassette_record

    @property
    def source(self) -> str:
        """``replay`` when answers come from a cassette, else ``live``."""
        return "replay" if self.replaying else "live"

    def check_available(self) -> None:
        """Raise LLMUnavailableError now rather than after a form's retries."""
        if self.unavailable is not None:
            raise self.unavailable
        key = self.settings.llm_api_key
        if (key is None or not key.get_secret_value().strip()) and not self.replaying:
            self.unavailable = LLMUnavailableError(
                "no API key for the LLM endpoint: set OPENAI_API_KEY or CROSSFOOT_LLM_API_KEY "
                "(any non-empty value for a local server), or use --backend rules"
            )
            raise self.unavailable

    def probe(self) -> None:
        """Raise LLMUnavailableError when the endpoint's host does not accept a
        TCP connection (within the connect timeout). No request is sent and no
        token spent; a replay needs no endpoint. Behind an HTTP proxy the
        caller should skip this: the proxy, not the host, is what is reached."""
        self.check_available()
        if self.replaying:
            return
        url = urllib.parse.urlsplit(self.settings.llm_base_url or DEFAULT_BASE_URL)
        port = url.port or (443 if url.scheme == "https" else 80)
        try:
            with socket.create_connection((url.hostname or "", port), timeout=self.settings.llm_connect_timeout_s):
                pass
        except OSError as exc:
            self.unavailable = LLMUnavailableError(
                f"cannot connect to {url.geturl()}: {exc.strerror or exc}; check CROSSFOOT_LLM_BASE_URL, "
                "or use --backend rules"
            )
            raise self.unavailable from exc

    @contextlib.contextmanager
    def cassette(self) -> Iterator[None]:
        """Replay (or record) every request through ``settings.llm_cassette``."""
        path = self.settings.llm_cassette
        if path is None:
            yield
            return
        try:
            import vcr  # type: ignore[import-untyped]
        except ImportError as exc:
            raise LLMUnavailableError("replaying a cassette needs vcrpy: pip install vcrpy==9.4.2") from exc
        if self.replaying and not path.is_file():
            raise LLMUnavailableError("no such cassette (CROSSFOOT_LLM_CASSETTE)", path=path)
        recorder = vcr.VCR(
            filter_headers=["authorization", "api-key", "x-api-key"],
            match_on=["method", "path", "body"],
            record_mode="none" if self.replaying else "new_episodes",
            decode_compressed_response=True,
        )
        with recorder.use_cassette(str(path)):
            yield

    @contextlib.asynccontextmanager
    async def connect(self) -> AsyncIterator[Endpoint]:
        """An endpoint bound to the running event loop, closed afterwards."""
        settings = self.settings
        key = settings.llm_api_key.get_secret_value() if settings.llm_api_key else ""
        raw = self._openai.AsyncOpenAI(
            api_key=key or "replay-without-key",  # check_available let no empty key through live
            base_url=settings.llm_base_url or DEFAULT_BASE_URL,
            timeout=self._openai.Timeout(settings.llm_timeout_s, connect=settings.llm_connect_timeout_s),
            max_retries=0,
        )
        try:
            yield Endpoint(self, raw)
        finally:
            await raw.close()


class Endpoint:
    """Sends requests for one event loop; see the module docstring."""

    def __init__(self, client: LLMClient, raw: openai.AsyncOpenAI) -> None:
        self.client = client
        self.settings = client.settings
        self.raw = raw
        instructor = client._instructor
        mode = {
            "tools": instructor.Mode.TOOLS,
            "json_schema": instructor.Mode.JSON_SCHEMA,
            "json": instructor.Mode.JSON,
            "md_json": instructor.Mode.MD_JSON,
        }[self.settings.llm_mode]
        self.create = instructor.patch(create=self._send, mode=mode)
        self.hooks = instructor.hooks.Hooks()
        self.hooks.on("parse:error", lambda error, **_: _usage.get().mark_invalid(_short(error)))

    async def ask(
        self, messages: list[dict[str, str]], response_model: type[BaseModel], usage: FormUsage, **where: Any
    ) -> BaseModel:
        """One validated answer, or an LLMError saying why there is none."""
        token = _usage.set(usage)
        extra = {"extra_body": self.settings.llm_extra_body} if self.settings.llm_extra_body else {}
        try:
            answer: BaseModel = await self.create(
                response_model=self.client.schema_model(response_model),
                messages=messages,
                max_retries=self.settings.llm_max_retries,
                strict=False,  # local models quote numbers; the validators judge them
                hooks=self.hooks,
                model=self.settings.llm_model,
                max_tokens=self.settings.llm_max_output_tokens,
                temperature=0,
                **extra,
            )
        except Exception as exc:
            raise self._failure(exc, usage, where) from exc
        finally:
            _usage.reset(token)
        return answer

    # -- one call: HTTP tries under tenacity ---------------------------------

    async def _send(self, **kwargs: Any) -> Any:
        usage = _usage.get()
        usage.call += 1
        tenacity = self.client._tenacity
        retrying = tenacity.AsyncRetrying(
            stop=tenacity.stop_after_attempt(self.settings.llm_http_retries + 1),
            wait=self._wait,
            retry=tenacity.retry_if_exception(self._retryable),
            sleep=self.client.sleep,
            reraise=True,
        )
        response: Any = None
        async for attempt in retrying:
            with attempt:
                response = await self._send_once(kwargs, usage, attempt.retry_state.attempt_number)
        return response

    def _retryable(self, exc: BaseException) -> bool:
        openai = self.client._openai
        if isinstance(exc, CrossfootError):
            return False  # decided already: unavailable, budget, cassette miss
        if isinstance(exc, openai.APIStatusError):
            return exc.status_code in (408, 409, 429) or exc.status_code >= 500
        return isinstance(exc, openai.APIConnectionError | _BadResponse)  # timeouts included

    def _wait(self, state: Any) -> float:
        cap = self.settings.llm_backoff_max_s
        exc = state.outcome.exception() if state.outcome else None
        asked = retry_after(exc) if exc is not None else None
        if asked is not None:
            return min(asked, cap)
        backoff = self.client._tenacity.wait_random_exponential(multiplier=self.settings.llm_backoff_base_s, max=cap)
        return float(backoff(state))

    async def _send_once(self, kwargs: dict[str, Any], usage: FormUsage, http_try: int) -> Any:
        """One HTTP request. Its maximum is reserved from the budget before it
        is sent (raises BudgetExceededError when it does not fit) and settled
        with what it cost, whatever happens to it."""
        client = self.client
        client.check_available()
        prompt_estimate = estimate_tokens(json.dumps(kwargs.get("messages", []), ensure_ascii=False), 0)
        maximum = prompt_estimate + self.settings.llm_max_output_tokens
        reservation = client.budget.reserve(maximum)  # no await before this: a ceiling under concurrency
        charged = 0
        try:
            booking = await client.limiter.acquire(maximum)
            started = client.clock()

            def record(status: AttemptStatus, **fields: Any) -> None:
                nonlocal charged
                charged = int(fields.get("prompt_tokens", 0)) + int(fields.get("completion_tokens", 0))
                client.limiter.settle(booking, charged)
                latency = int((client.clock() - started) * 1000)
                usage.add(Attempt(call=usage.call, http_try=http_try, status=status, latency_ms=latency, **fields))

            return await self._exchange(kwargs, record, prompt_estimate)
        finally:
            client.budget.settle(reservation, charged)

    async def _exchange(self, kwargs: dict[str, Any], record: Callable[..., None], prompt_estimate: int) -> Any:
        """Send, classify the outcome, ``record`` it (once) with its tokens."""
        client, openai = self.client, self.client._openai
        try:
            response = await self.raw.chat.completions.create(**kwargs)
        except openai.APIStatusError as exc:
            record("http_error", http_status=exc.status_code, error=_short(exc))
            if exc.status_code in (401, 403):
                raise self._unavailable(f"the endpoint rejected the API key (HTTP {exc.status_code})") from exc
            if exc.status_code == 404:
                raise self._unavailable(
                    f"HTTP 404 from {self.raw.base_url}: check CROSSFOOT_LLM_BASE_URL and the model name "
                    f"{self.settings.llm_model!r}"
                ) from exc
            raise
        except openai.APIConnectionError as exc:
            if _in_chain(exc, "CannotOverwriteExistingCassetteException"):
                record("connection", error="no recorded response in the cassette")
                raise LLMError(
                    f"the cassette {self.settings.llm_cassette} has no recorded response for this request "
                    "(prompt, model, mode or form changed?): re-record it, see cassettes/README.md"
                ) from exc
            timeout = isinstance(exc, openai.APITimeoutError)
            never_sent = not timeout or _in_chain(exc, "ConnectTimeout")
            if never_sent:
                record("timeout" if timeout else "connection", error=_short(exc.__cause__ or exc))
            else:  # sent and not answered in time: the provider may have done the work
                record(
                    "timeout",
                    error=_short(exc.__cause__ or exc) + " (charged at its reservation)",
                    prompt_tokens=prompt_estimate,
                    completion_tokens=self.settings.llm_max_output_tokens,
                    cost=price(prompt_estimate, self.settings.llm_max_output_tokens, self.settings),
                    estimated=True,
                )
            if not client.seen_ok and never_sent:
                raise self._unavailable(
                    f"cannot connect to {self.raw.base_url}: {_short(exc.__cause__ or exc)}"
                ) from exc
            raise
        except ValueError as exc:  # the body is not JSON
            record("bad_response", http_status=200, error=_short(exc))
            raise _BadResponse(f"the endpoint's answer is not JSON: {_short(exc)}") from exc
        if not isinstance(response, openai.types.chat.ChatCompletion) or not response.choices:
            record("bad_response", http_status=200, error=_short(ValueError(repr(response)[:200])))
            raise _BadResponse("the endpoint's answer is not a chat completion")
        client.seen_ok = True
        if response.usage is not None:
            prompt_tokens, completion_tokens = response.usage.prompt_tokens, response.usage.completion_tokens
        else:  # the server reported nothing: estimate rather than charge 0
            prompt_tokens, completion_tokens = prompt_estimate, estimate_tokens(_answer_text(response), 0)
        finish = response.choices[0].finish_reason
        cut = finish == "length" or completion_tokens >= self.settings.llm_max_output_tokens
        record(
            "length" if cut else "ok",
            http_status=200,
            finish_reason=finish,
            prompt_tokens=prompt_tokens,
            completion_tokens=completion_tokens,
            cost=price(prompt_tokens, completion_tokens, self.settings),
            estimated=response.usage is None,
        )
        if cut:
            raise _CutOff(f"finish_reason={finish}, {completion_tokens} completion tokens")
        return response

    def _unavailable(self, message: str) -> LLMUnavailableError:
        error = LLMUnavailableError(message)
        self.client.unavailable = error
        return error

    # -- what a failed form reports ------------------------------------------

    def _failure(self, exc: Exception, usage: FormUsage, where: dict[str, Any]) -> LLMError:
        openai = self.client._openai
        chain = _chain(exc)
        counts = {
            "n_attempts": len(usage.attempts),
            "prompt_tokens": usage.prompt_tokens,
            "completion_tokens": usage.completion_tokens,
        }
        decided = next((c for c in chain if isinstance(c, LLMError)), None)
        if decided is not None:  # unavailable, budget, cassette miss: raised by _send_once
            decided.n_attempts = counts["n_attempts"]
            decided.prompt_tokens = counts["prompt_tokens"]
            decided.completion_tokens = counts["completion_tokens"]
            return decided
        tries = usage.attempts[-1].http_try if usage.attempts else 0
        transport = next((c for c in chain if isinstance(c, openai.APIError | _BadResponse)), None)
        if any(isinstance(c, _CutOff) or type(c).__name__ == "IncompleteOutputException" for c in chain):
            message = (
                f"the answer was cut off at max_tokens={self.settings.llm_max_output_tokens} "
                f"({usage.attempts[-1].completion_tokens if usage.attempts else 0} completion tokens): "
                "raise CROSSFOOT_LLM_MAX_OUTPUT_TOKENS or use a model with more room"
            )
        elif isinstance(transport, openai.APIStatusError):
            message = f"HTTP {transport.status_code} after {tries} tries: {_short(transport)}"
        elif isinstance(transport, openai.APITimeoutError):
            message = f"timed out after {tries} tries ({self.settings.llm_timeout_s:g}s each)"
        elif isinstance(transport, openai.APIConnectionError):
            message = f"connection failed after {tries} tries: {_short(transport.__cause__ or transport)}"
        elif transport is not None:
            message = f"{transport} (after {tries} tries)"
        else:
            message = f"no valid answer after {usage.call} call(s): {_short(chain[-1])}"
        return LLMError(message, **counts, **where)


def _answer_text(response: Any) -> str:
    """Everything the model wrote: message content and tool-call arguments."""
    parts: list[str] = []
    for choice in response.choices:
        message = choice.message
        parts.append(message.content or "")
        for call in message.tool_calls or []:
            function = getattr(call, "function", None)
            parts.append(getattr(function, "arguments", "") or "")
    return "".join(parts)


def _chain(exc: BaseException) -> list[BaseException]:
    """``exc`` and its causes, outermost first (instructor wraps what failed)."""
    chain: list[BaseException] = []
    seen: BaseException | None = exc
    while seen is not None and seen not in chain:
        chain.append(seen)
        seen = seen.__cause__
    return chain
