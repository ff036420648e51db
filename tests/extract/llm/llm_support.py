"""Helpers for the LLM backend tests (the fixtures are in conftest.py).

Cassettes: one per test, ``cassettes/extract_llm/<test name>.yaml``, replayed
through crossfoot's own replay path (``settings.llm_cassette``), so what the
tests exercise is what ``crossfoot eval`` runs in CI. pytest-recording's
``--record-mode`` decides: ``none`` (the default, and CI) replays;
``rewrite`` deletes the cassette and records it again. How each cassette
was made is in ``cassettes/README.md``.

``ScriptedEndpoint`` is a real HTTP server on 127.0.0.1 that answers from a
list of hand-written responses; it serves the hand-written cassettes while
they are recorded, and the tests that need a live socket (timeouts, the
cache, concurrency).
"""

from __future__ import annotations

import http.server
import json
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import SecretStr

from crossfoot.ingest import load_document
from crossfoot.segment import FormSlice, split_forms
from crossfoot.settings import Settings

ROOT = Path(__file__).resolve().parents[3]
CASSETTES = ROOT / "cassettes" / "extract_llm"
#: the local llama-cpp-python server the recorded cassettes came from
LLAMA_URL = "http://127.0.0.1:18090/v1"
LLAMA_MODEL = "gemma3-270m-q4_k_m"
SCRIPTED_MODEL = "scripted"


def base_settings(tmp_path: Path, **overrides: Any) -> Settings:
    """Every setting a request depends on, spelt out: a developer's
    CROSSFOOT_* variables must not change what the cassettes match."""
    values: dict[str, Any] = {
        "llm_base_url": LLAMA_URL,
        "llm_api_key": SecretStr("sk-test-not-a-key"),
        "llm_model": LLAMA_MODEL,
        "llm_mode": "tools",
        "llm_prompt": "extract_form.v1",
        "llm_max_output_tokens": 4096,
        "llm_max_retries": 2,
        "llm_http_retries": 2,
        "llm_timeout_s": 1800.0,  # recording from a CPU-bound local model is slow
        "llm_connect_timeout_s": 5.0,
        "llm_backoff_base_s": 0.5,
        "llm_backoff_max_s": 30.0,
        "llm_concurrency": 1,
        "llm_requests_per_minute": 600,
        "llm_tokens_per_minute": 10_000_000,
        "llm_token_budget": None,
        "llm_extra_body": {},
        "llm_price_in_per_mtok": "0.15",
        "llm_price_out_per_mtok": "0.60",
        "llm_cache": True,
        "llm_cassette": None,
        "llm_cassette_record": False,
        "cache_dir": tmp_path / "cache",
    }
    values.update(overrides)
    return Settings(**values)


@dataclass
class Recorded:
    """What a cassette holds, read back for the assertions."""

    requests: list[dict[str, Any]]
    responses: list[dict[str, Any]]

    @classmethod
    def load(cls, path: Path) -> Recorded:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        requests, responses = [], []
        for item in data["interactions"]:
            requests.append(json.loads(item["request"]["body"]))
            responses.append(item["response"])
        return cls(requests, responses)

    def usage(self) -> tuple[int, int]:
        prompt = completion = 0
        for response in self.responses:
            try:
                body = json.loads(response["body"]["string"])
            except ValueError:
                continue
            usage = body.get("usage") or {}
            prompt += usage.get("prompt_tokens", 0)
            completion += usage.get("completion_tokens", 0)
        return prompt, completion


@dataclass
class ScriptedEndpoint:
    """An OpenAI-compatible server answering from a script, in order (the
    last answer repeats). Each answer: (status, headers, body, delay_s)."""

    script: list[tuple[int, dict[str, str], bytes, float]]
    requests: list[dict[str, Any]] = field(default_factory=list)
    in_flight: int = 0
    max_in_flight: int = 0

    def __post_init__(self) -> None:
        lock = threading.Lock()
        endpoint = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers["content-length"])
                with lock:
                    endpoint.requests.append(json.loads(self.rfile.read(length)))
                    step = endpoint.script.pop(0) if len(endpoint.script) > 1 else endpoint.script[0]
                    endpoint.in_flight += 1
                    endpoint.max_in_flight = max(endpoint.max_in_flight, endpoint.in_flight)
                status, headers, body, delay = step
                try:
                    time.sleep(delay)
                    self.send_response(status)
                    for name, value in {"content-type": "application/json", **headers}.items():
                        self.send_header(name, value)
                    self.send_header("content-length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client timed out and hung up: that is the point
                finally:
                    with lock:
                        endpoint.in_flight -= 1

            def log_message(self, *args: Any) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_port}/v1"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def completion(arguments: str, *, finish: str = "tool_calls", prompt: int = 600, out: int = 60) -> bytes:
    """A chat completion whose tool call carries ``arguments`` (JSON text)."""
    body = {
        "id": "chatcmpl-scripted",
        "object": "chat.completion",
        "created": 1_700_000_000,
        "model": SCRIPTED_MODEL,
        "choices": [
            {
                "index": 0,
                "finish_reason": finish,
                "message": {
                    "role": "assistant",
                    "content": None,
                    "tool_calls": [
                        {
                            "id": "call_scripted",
                            "type": "function",
                            "function": {"name": "LLMRecord", "arguments": arguments},
                        }
                    ],
                },
            }
        ],
        "usage": {"prompt_tokens": prompt, "completion_tokens": out, "total_tokens": prompt + out},
    }
    return json.dumps(body, ensure_ascii=False).encode("utf-8")


def error_body(status: int, message: str) -> bytes:
    return json.dumps({"error": {"message": message, "type": "scripted", "code": status}}).encode()


def gold_dir() -> Path:
    """The reconciled gold fixtures, or pass A until they exist."""
    fixtures = ROOT / "eval" / "fixtures"
    return fixtures if any(fixtures.glob("*.json")) else ROOT / "eval" / "labels_a"


def gold(stem: str) -> dict[str, Any]:
    """A gold record (``<doc stem>__<form index>``) without its annotation keys."""
    data = json.loads((gold_dir() / f"{stem}.json").read_text(encoding="utf-8"))
    return {k: v for k, v in data.items() if not k.startswith("_")}


def sample_forms(name: str) -> list[FormSlice]:
    path = ROOT / "samples" / name
    return split_forms(load_document(path, Settings()))


#: a short real form (785 characters rendered): keeps the local model's calls quick
SMALL_DOC = "001_1b2e574df5a7d62c.txt"
SMALL_FORM = 10


class Sleeps:
    """The waits the retry loop asked for, without waiting (the backoff policy
    is under test, not the clock)."""

    def __init__(self) -> None:
        self.waits: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)
