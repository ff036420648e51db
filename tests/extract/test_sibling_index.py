"""The rules' sibling hints come from one index per document (issue 9, item 9):
the same answers as consulting every sibling for every form, in linear time."""

from __future__ import annotations

import json
import random
from collections import Counter
from decimal import Decimal
from pathlib import Path

from crossfoot.extract.base import ExtractionResult
from crossfoot.extract.rules import RulesExtractor, _DocumentFacts, _OtherForms
from crossfoot.extract.rules.table import table_bounds
from crossfoot.ingest import load_document
from crossfoot.segment import FormSlice, split_forms

SAMPLES = Path(__file__).resolve().parents[2] / "samples"

Split = tuple[Decimal, ...]


def brute_force(
    facts: list[tuple[dict[str, str], Split | None]], form: int
) -> tuple[dict[str, str], list[tuple[Split, int]]]:
    """What the rules consulted before the index: every sibling, in order."""
    labels: dict[str, str] = {}
    splits: Counter[Split] = Counter()
    for index, (labelled, split) in enumerate(facts):
        if index == form:
            continue
        for name, level2 in labelled.items():
            labels.setdefault(name, level2)
        if split is not None:
            splits[split] += 1
    return labels, splits.most_common(1)


def test_the_index_answers_as_every_sibling_would() -> None:
    """Item 9: labels and the most common split, each form left out in turn,
    match the quadratic reference on random documents with ties."""
    rng = random.Random(9)
    names = [f"指标{n}" for n in range(6)]
    levels = ["数量指标", "质量指标", "时效指标"]
    split_choices: list[Split | None] = [None, (Decimal(50), Decimal(30)), (Decimal(40), Decimal(40)), (Decimal(60),)]
    for _ in range(300):
        count = rng.randint(1, 9)
        facts = [
            (
                {name: rng.choice(levels) for name in rng.sample(names, rng.randint(0, 3))},
                rng.choice(split_choices),
            )
            for _ in range(count)
        ]
        index = _DocumentFacts()
        for n, (labelled, split) in enumerate(facts):
            index.add(n, labelled, split)
        for form in range(count):
            labels, common = brute_force(facts, form)
            view = _OtherForms(index.labels, form)
            assert {name: view.get(name) for name in names} == {name: labels.get(name) for name in names}
            assert all((name in view) == (name in labels) for name in names)
            got = index.common_split(form)
            assert ([got] if got is not None else []) == common


def _dumped(result: ExtractionResult) -> str:
    assert result.record is not None
    provenance = {k: [s.model_dump(mode="json") for s in v] for k, v in result.provenance.items()}
    findings = [f.model_dump(mode="json") for f in result.findings]
    return json.dumps([result.record.model_dump(mode="json"), provenance, findings], sort_keys=True)


def test_a_form_reuses_the_sibling_pass_classification_only_for_the_same_slice() -> None:
    """Issue 12: the sibling pass classifies every form's table once and each
    form takes its own back; the records are the same as with a fresh reader
    per form, and a changed slice of the form is classified anew."""
    document = load_document(SAMPLES / "000_1c7597119af05248.txt")
    forms = split_forms(document)
    assert len(forms) > 2
    shared = RulesExtractor()
    for form in forms:
        alone = RulesExtractor().extract(form, forms)  # builds its own index, classifies this form twice
        assert _dumped(shared.extract(form, forms)) == _dumped(alone)
    # a variant slice (same index, other lines) must not get the sibling pass's classification
    shared = RulesExtractor()
    shared.extract(forms[1], forms)
    header_at, _ = table_bounds(forms[0].lines)
    assert header_at is not None
    lines = forms[0].lines[: header_at + 2] + forms[0].lines[header_at + 3 :]  # one indicator row left out
    cut = FormSlice(document=document, index=forms[0].index, lines=lines)
    # the reference reads the cut slice as a sibling too, so its classification is its own
    as_sibling = [cut if form is forms[0] else form for form in forms]
    reference = _dumped(RulesExtractor().extract(cut, as_sibling))
    assert _dumped(shared.extract(cut, forms)) == reference
    assert reference != _dumped(RulesExtractor().extract(forms[0], forms))
