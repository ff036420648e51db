"""The LLM backend: openai + instructor against any OpenAI-compatible endpoint.

``LLMExtractor`` is the backend (``--backend llm``); the hybrid backend
(``crossfoot.extract.hybrid``) uses it for the forms the rules cannot settle.
openai, instructor and tenacity are imported only when an extractor is
built; without them it fails with the install hint. See docs/llm.md.
"""

from __future__ import annotations

from crossfoot.extract.llm.extractor import LLMExtractor, Outcome

__all__ = ["LLMExtractor", "Outcome"]
