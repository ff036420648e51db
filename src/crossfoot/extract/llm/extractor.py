"""``--backend llm``: each form to the model, its answer checked, aligned, logged.

The Extractor protocol reads one form at a time; the LLM is slow, so the
first ``extract`` of a document sends that form *and its siblings* together
(``llm_concurrency`` in flight, under the rate limits) and hands the other
answers out as their turn comes. ``extract_many`` is the same for any list
of forms (the hybrid backend sends only the forms it routes).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from crossfoot.errors import LLMUnavailableError
from crossfoot.extract.base import ExtractionResult
from crossfoot.extract.llm.align import align_record
from crossfoot.extract.llm.cache import ResponseCache, cache_key
from crossfoot.extract.llm.client import Endpoint, LLMClient
from crossfoot.extract.llm.models import SCHEMA_VERSION, LLMRecord, to_record
from crossfoot.extract.llm.prompt import Prompt, load_prompt, render_form
from crossfoot.extract.llm.runlog import RunLog
from crossfoot.extract.llm.usage import FormUsage
from crossfoot.extract.tables.detect import RULES_TEMPLATES, template_meta
from crossfoot.lexicon import load_lexicon
from crossfoot.segment import FormSlice
from crossfoot.settings import Settings

__all__ = ["FormKey", "LLMExtractor", "Outcome", "form_key"]

FormKey = tuple[str, int]
#: what one form came to: a result, or the error that becomes its envelope's
Outcome = ExtractionResult | Exception


def form_key(form: FormSlice) -> FormKey:
    return (form.document.sha256, form.index)


class LLMExtractor:
    """The LLM backend. ``on_form_done`` (optional) is called after each form
    with the form and its outcome: the CLI hangs a progress bar on it."""

    name = "llm"

    def __init__(self, settings: Settings, *, client: LLMClient | None = None) -> None:
        self.settings = settings
        self.prompt = load_prompt(settings.llm_prompt)
        # forms in another province's layout get the prompt that describes them all
        self.prompt_templates = load_prompt(settings.llm_prompt_templates)
        self.lexicon = load_lexicon(settings.lexicon)
        self.client = client or LLMClient(settings)
        use_cache = settings.llm_cache and settings.llm_cassette is None  # a replay tests the recording
        self.cache = ResponseCache(settings.cache_dir / "llm" / "answers") if use_cache else None
        self.on_form_done: Callable[[FormSlice, Outcome], None] | None = None
        self._log: RunLog | None = None
        self._ready: dict[FormKey, Outcome] = {}
        self.totals: dict[str, Any] = {
            "forms": 0,
            "failed": 0,
            "cached": 0,
            "llm_calls": 0,
            "prompt_tokens": 0,
            "completion_tokens": 0,
            "estimated_tokens": 0,
            "cost": Decimal(0),
        }

    # -- the Extractor protocol ----------------------------------------------

    def check_available(self, *, probe: bool = True) -> None:
        """Raise LLMUnavailableError (no key, no extra, or, with ``probe``, a
        host that cannot be reached) before a batch touches its output."""
        if probe:
            self.client.probe()
        else:
            self.client.check_available()

    def extract(self, form: FormSlice, siblings: list[FormSlice]) -> ExtractionResult:
        key = form_key(form)
        if key not in self._ready:
            batch = [form] + [s for s in siblings if s.index != form.index and form_key(s) not in self._ready]
            self._ready.update(self.extract_many(batch))
        outcome = self._ready.pop(key)
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    def extract_many(self, forms: list[FormSlice]) -> dict[FormKey, Outcome]:
        """Every form's outcome; raises LLMUnavailableError for the whole lot."""
        self.client.check_available()
        with self.client.cassette():
            outcomes = asyncio.run(self._gather(forms))
        unavailable = next((o for o in outcomes.values() if isinstance(o, LLMUnavailableError)), None)
        if unavailable is not None:
            raise unavailable
        return outcomes

    def summary(self) -> dict[str, Any]:
        """Run totals for the CLI summary (cost as a decimal string)."""
        return {**self.totals, "cost": str(self.totals["cost"]), "llm_source": self.client.source}

    # -- one run of the event loop -------------------------------------------

    @property
    def log(self) -> RunLog:
        if self._log is None:
            s = self.settings
            self._log = RunLog(
                s.cache_dir / "llm" / "runs.sqlite3",
                {
                    "backend": s.backend,
                    "model": s.llm_model,
                    "base_url": s.llm_base_url,
                    "mode": s.llm_mode,
                    **self.prompt.meta(),
                    "schema_version": SCHEMA_VERSION,
                    "source": self.client.source,
                },
            )
        return self._log

    async def _gather(self, forms: list[FormSlice]) -> dict[FormKey, Outcome]:
        slots = asyncio.Semaphore(max(self.settings.llm_concurrency, 1))
        async with self.client.connect() as endpoint:
            results = await asyncio.gather(
                *(self._one(endpoint, slots, form) for form in forms), return_exceptions=True
            )
        outcomes: dict[FormKey, Outcome] = {}
        for form, result in zip(forms, results, strict=True):
            if isinstance(result, BaseException) and not isinstance(result, Exception):
                raise result  # KeyboardInterrupt and friends end the run
            outcomes[form_key(form)] = result
        return outcomes

    def _prompt_for(self, form: FormSlice) -> tuple[Prompt, dict[str, Any]]:
        """The prompt for this form's template, and the template's meta."""
        template = template_meta(form, self.lexicon)
        shanghai = not form.document.grid and template["template"] in RULES_TEMPLATES
        return (self.prompt if shanghai else self.prompt_templates), template

    def _meta(self, key: str, prompt: Prompt) -> dict[str, Any]:
        s = self.settings
        return {
            "backend": "llm",
            "llm_model": s.llm_model,
            "llm_mode": s.llm_mode,
            "llm_base_url": s.llm_base_url,
            **prompt.meta(),
            "schema_version": SCHEMA_VERSION,
            "cache_key": key,
            "run_id": self.log.run_id,
            "routed": True,
        }

    async def _one(self, endpoint: Endpoint, slots: asyncio.Semaphore, form: FormSlice) -> ExtractionResult:
        text = render_form(form)
        prompt, template = self._prompt_for(form)
        key = cache_key(text, prompt.hash, self.settings.llm_model, self.settings.llm_mode, SCHEMA_VERSION)
        meta = {**self._meta(key, prompt), **template}
        usage = FormUsage()
        hit = self.cache.get(key) if self.cache else None
        try:
            if hit is not None:
                answer = LLMRecord.model_validate(hit.answer)
                self.log.record_cache_hit(form.document.path, form.index, key)
                meta.update(llm_source="cache", cached=True, cached_cost=hit.cost)
            else:
                answer = await self._ask(endpoint, slots, form, prompt.messages(text), key, usage)
                meta.update(llm_source=self.client.source, cached=False)
        except Exception as exc:
            self._count(usage, failed=True, cached=False)
            self._done(form, exc)
            raise
        record = to_record(answer)
        provenance, findings = align_record(record, form)
        meta.update(usage.meta())
        result = ExtractionResult(record=record, provenance=provenance, findings=findings, meta=meta)
        self._count(usage, failed=False, cached=hit is not None)
        self._done(form, result)
        return result

    async def _ask(
        self,
        endpoint: Endpoint,
        slots: asyncio.Semaphore,
        form: FormSlice,
        messages: list[dict[str, str]],
        key: str,
        usage: FormUsage,
    ) -> LLMRecord:
        where = {"path": form.document.path, "form": form.index}
        try:
            async with slots:
                answer = await endpoint.ask(messages, LLMRecord, usage, **where)
        finally:
            self.log.record(form.document.path, form.index, key, usage.attempts)
        assert isinstance(answer, LLMRecord)
        if self.cache is not None:
            self.cache.put(
                key,
                answer.model_dump(mode="json"),
                model=self.settings.llm_model,
                usage=(usage.prompt_tokens, usage.completion_tokens, str(usage.cost)),
            )
        return answer

    def _count(self, usage: FormUsage, *, failed: bool, cached: bool) -> None:
        t = self.totals
        t["forms"] += 1
        t["failed"] += failed
        t["cached"] += cached
        t["llm_calls"] += len(usage.attempts)
        t["prompt_tokens"] += usage.prompt_tokens
        t["completion_tokens"] += usage.completion_tokens
        t["estimated_tokens"] += usage.estimated_tokens
        t["cost"] += usage.cost

    def _done(self, form: FormSlice, outcome: Outcome) -> None:
        if self.on_form_done is not None:
            self.on_form_done(form, outcome)
