"""What crossfoot adds to each LLM call: prompt, validation, alignment, logging.

A tiny OpenAI-compatible server on 127.0.0.1 answers every request at once
with a canned, valid tool call (the gold record of the form asked about), so
the time measured is crossfoot's and the HTTP stack's, not a model's.

    .venv/bin/python benchmarks/bench_llm_overhead.py [--rounds 5]

Prints, per form (the 11 forms of samples/001_*.txt):
- the bare request: AsyncOpenAI.chat.completions.create with the same body;
- the full LLM backend (LLMExtractor.extract_many, cache off): render the
  prompt, instructor, validation, alignment, run log, meta;
- the difference (crossfoot's overhead per call), and its parts timed alone.
"""

from __future__ import annotations

import argparse
import asyncio
import http.server
import json
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from pydantic import SecretStr

from crossfoot.extract.llm import LLMExtractor
from crossfoot.extract.llm.align import align_record
from crossfoot.extract.llm.cache import cache_key
from crossfoot.extract.llm.models import SCHEMA_VERSION, LLMRecord, to_record
from crossfoot.extract.llm.prompt import load_prompt, render_form
from crossfoot.extract.llm.runlog import RunLog
from crossfoot.extract.llm.usage import Attempt
from crossfoot.ingest import load_document
from crossfoot.segment import FormSlice, split_forms
from crossfoot.settings import Settings

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "samples" / "001_1b2e574df5a7d62c.txt"


def _gold(index: int) -> str:
    folder = ROOT / "eval" / "fixtures"
    folder = folder if folder.is_dir() else ROOT / "eval" / "labels_a"
    path = folder / f"{DOC.stem}__{index:02d}.json"
    data = json.loads(path.read_text(encoding="utf-8"))
    return json.dumps({k: v for k, v in data.items() if not k.startswith("_")}, ensure_ascii=False)


def _completion(arguments: str) -> bytes:
    call = {"id": "call_0", "type": "function", "function": {"name": "LLMRecord", "arguments": arguments}}
    message = {"role": "assistant", "content": None, "tool_calls": [call]}
    return json.dumps(
        {
            "id": "chatcmpl-bench",
            "object": "chat.completion",
            "created": 0,
            "model": "bench",
            "choices": [{"index": 0, "finish_reason": "tool_calls", "message": message}],
            "usage": {"prompt_tokens": 1500, "completion_tokens": 900, "total_tokens": 2400},
        },
        ensure_ascii=False,
    ).encode("utf-8")


class FakeEndpoint:
    """Answers each request with the gold record of the form named in it."""

    def __init__(self, answers: dict[str, bytes]) -> None:
        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive, as a real server
            wbufsize = 1 << 16  # headers and body in one send: no Nagle / delayed-ACK stall

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["content-length"]))
                text = json.loads(body)["messages"][-1]["content"]
                answer = next(a for name, a in answers.items() if name in text)
                self.send_response(200)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)
                self.wfile.flush()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_port}/v1"


def _per_call(fn: Callable[[], Any], n: int) -> float:
    started = time.perf_counter()
    for _ in range(n):
        fn()
    return (time.perf_counter() - started) / n


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()

    base = Settings(llm_api_key=SecretStr("bench"))
    forms: list[FormSlice] = split_forms(load_document(DOC, base))
    # each form's project name is unique: the server picks the answer by it
    answers = {}
    for form in forms:
        gold = _gold(form.index)
        answers[json.loads(gold)["project_name"][:12]] = _completion(gold)
    endpoint = FakeEndpoint(answers)
    cache_dir = Path(tempfile.mkdtemp(prefix="crossfoot-bench-"))
    settings = Settings(
        llm_api_key=SecretStr("bench"),
        llm_base_url=endpoint.url,
        llm_model="bench",
        llm_cache=False,
        cache_dir=cache_dir,
        llm_concurrency=1,
        llm_requests_per_minute=10**9,
        llm_tokens_per_minute=10**12,
    )
    prompt = load_prompt(settings.llm_prompt)

    # the bare request, same bodies, one client for the whole round
    import instructor
    import openai

    async def bare_round() -> None:
        client = openai.AsyncOpenAI(api_key="bench", base_url=endpoint.url, max_retries=0)
        tools = [{"type": "function", "function": instructor.generate_openai_schema(LLMRecord)}]
        for form in forms:
            await client.chat.completions.create(
                model="bench",
                messages=prompt.messages(render_form(form)),
                tools=tools,
                max_tokens=4096,  # type: ignore[arg-type]
            )
        await client.close()

    bare, full = [], []
    for _ in range(args.rounds):
        started = time.perf_counter()
        asyncio.run(bare_round())
        bare.append((time.perf_counter() - started) / len(forms))
        extractor = LLMExtractor(settings)
        started = time.perf_counter()
        outcomes = extractor.extract_many(forms)
        full.append((time.perf_counter() - started) / len(forms))
        assert all(not isinstance(o, Exception) for o in outcomes.values()), outcomes

    # the parts, timed alone on the largest form
    form = max(forms, key=lambda f: len(render_form(f)))
    gold = _gold(form.index)
    answer = LLMRecord.model_validate_json(gold)
    record = to_record(answer)
    log = RunLog(
        cache_dir / "parts.sqlite3",
        {
            "backend": "llm",
            "model": "bench",
            "base_url": None,
            "mode": "tools",
            **prompt.meta(),
            "schema_version": SCHEMA_VERSION,
            "source": "live",
        },
    )
    attempt = [Attempt(call=1, http_try=1, status="ok", prompt_tokens=1500, completion_tokens=900)]
    n = 200
    parts = {
        "render form + prompt (sandboxed Jinja)": _per_call(lambda: prompt.messages(render_form(form)), n),
        "cache key": _per_call(lambda: cache_key(render_form(form), prompt.hash, "m", "tools", SCHEMA_VERSION), n),
        "validate answer (LLMRecord)": _per_call(lambda: LLMRecord.model_validate_json(gold), n),
        "answer -> Record": _per_call(lambda: to_record(answer), n),
        "align to the form's cells": _per_call(lambda: align_record(record, form), n),
        "run log write (SQLite commit)": _per_call(lambda: log.record("f", 0, "k", attempt), n),
    }

    ms = 1000.0
    print(f"crossfoot LLM overhead, {len(forms)} forms x {args.rounds} rounds, fake endpoint on 127.0.0.1")
    print(f"python {sys.version.split()[0]}, openai {openai.__version__}, instructor {instructor.__version__}")
    print(f"  bare request per form (median)        {statistics.median(bare) * ms:8.2f} ms")
    print(f"  full LLM backend per form (median)    {statistics.median(full) * ms:8.2f} ms")
    print(f"  crossfoot overhead per call           {(statistics.median(full) - statistics.median(bare)) * ms:8.2f} ms")
    print(f"  parts, largest form ({len(render_form(form))} chars rendered, {len(record.indicators)} indicators):")
    for name, seconds in parts.items():
        print(f"    {name:38s} {seconds * ms:8.3f} ms")


if __name__ == "__main__":
    main()
