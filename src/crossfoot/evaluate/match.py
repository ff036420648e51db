"""Pairing predictions with gold: forms one to one by project name, indicator
rows one to one by name similarity, keeping document order."""

from __future__ import annotations

from difflib import SequenceMatcher
from typing import Any

from crossfoot.extract.values import normalize_for_compare

__all__ = ["align_rows", "match_forms", "similarity"]

#: below this, two names are different indicators
ROW_THRESHOLD = 0.5
FORM_THRESHOLD = 0.6


def similarity(a: str | None, b: str | None) -> float:
    """0..1 similarity of two texts after SCHEMA.md normalisation."""
    left, right = normalize_for_compare(a), normalize_for_compare(b)
    if not left and not right:
        return 1.0
    if left == right:
        return 1.0
    return SequenceMatcher(None, left, right, autojunk=False).ratio()


def align_rows(gold: list[dict[str, Any]], predicted: list[dict[str, Any]]) -> list[tuple[int, int]]:
    """Order-preserving one-to-one pairs (gold index, predicted index) that
    maximise total name similarity (a Needleman–Wunsch alignment with free gaps)."""
    n, m = len(gold), len(predicted)
    sims = [[similarity(g.get("name"), p.get("name")) for p in predicted] for g in gold]
    best = [[0.0] * (m + 1) for _ in range(n + 1)]
    for i in range(n - 1, -1, -1):
        for j in range(m - 1, -1, -1):
            pair = sims[i][j] + best[i + 1][j + 1] if sims[i][j] >= ROW_THRESHOLD else -1.0
            best[i][j] = max(pair, best[i + 1][j], best[i][j + 1])
    pairs: list[tuple[int, int]] = []
    i = j = 0
    while i < n and j < m:
        if sims[i][j] >= ROW_THRESHOLD and best[i][j] == sims[i][j] + best[i + 1][j + 1]:
            pairs.append((i, j))
            i, j = i + 1, j + 1
        elif best[i][j] == best[i + 1][j]:
            i += 1
        else:
            j += 1
    return pairs


def match_forms(gold_names: list[str], predicted_names: list[str]) -> list[tuple[int, int]]:
    """One-to-one (gold, predicted) pairs by project name, greedy by similarity."""
    candidates = sorted(
        ((similarity(g, p), gi, pi) for gi, g in enumerate(gold_names) for pi, p in enumerate(predicted_names)),
        reverse=True,
    )
    used_gold: set[int] = set()
    used_pred: set[int] = set()
    pairs: list[tuple[int, int]] = []
    for score, gi, pi in candidates:
        if score < FORM_THRESHOLD or gi in used_gold or pi in used_pred:
            continue
        used_gold.add(gi)
        used_pred.add(pi)
        pairs.append((gi, pi))
    return sorted(pairs)
