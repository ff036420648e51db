"""The rules' sibling hints come from one index per document (issue 9, item 9):
the same answers as consulting every sibling for every form, in linear time."""

from __future__ import annotations

import random
from collections import Counter
from decimal import Decimal

from crossfoot.extract.rules import _DocumentFacts, _OtherForms

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
