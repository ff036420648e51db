"""The models' JSON output is the contract: validate against the schema, and
keep the project's schema copy in step with shared/.

The repository holds its own copy of the contract (schema/record.schema.json,
docs/SCHEMA.md), so the suite runs on a fresh clone (issue 9, item 24). Where
the steering repo's shared/ sits beside the checkout (CI lays it there), the
copies are also compared with it; CI without it fails through ``need``."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest

from crossfoot.extract.rules import RulesExtractor
from crossfoot.ingest import load_document
from crossfoot.segment import split_forms
from tests.conftest import need

SCHEMA = Path(__file__).resolve().parent.parent / "schema" / "record.schema.json"


@pytest.fixture(scope="module")
def validator() -> jsonschema.Draft202012Validator:
    return jsonschema.Draft202012Validator(json.loads(SCHEMA.read_text(encoding="utf-8")))


def test_the_contract_copy_is_in_the_repository(root: Path) -> None:
    """Item 24: what the suite checks against lives in the repository."""
    assert SCHEMA.is_file()
    assert json.loads(SCHEMA.read_text(encoding="utf-8"))["title"]
    assert "Values" in (root / "docs" / "SCHEMA.md").read_text(encoding="utf-8")


def test_schema_copy_matches_shared(root: Path) -> None:
    shared = root.parent / "shared" / "record.schema.json"
    need(shared.exists(), f"the steering repo's shared/ beside the checkout ({shared})")
    assert json.loads(shared.read_text(encoding="utf-8")) == json.loads(SCHEMA.read_text(encoding="utf-8"))


def test_every_sample_record_validates(samples: Path, validator: jsonschema.Draft202012Validator) -> None:
    extractor = RulesExtractor()
    count = 0
    for path in sorted(samples.glob("*.txt")):
        forms = split_forms(load_document(path))
        for form in forms:
            result = extractor.extract(form, forms)
            assert result.record is not None
            errors = list(validator.iter_errors(result.record.model_dump(mode="json")))
            assert not errors, (path.name, form.index, errors[0].message)
            count += 1
    assert count == 22


def test_gold_fixtures_validate(root: Path, validator: jsonschema.Draft202012Validator) -> None:
    for path in sorted((root / "eval" / "fixtures").glob("*.json")):
        data = {k: v for k, v in json.loads(path.read_text(encoding="utf-8")).items() if not k.startswith("_")}
        assert not list(validator.iter_errors(data)), path.name


def test_decimals_keep_printed_precision(samples: Path) -> None:
    forms = split_forms(load_document(samples / "001_1b2e574df5a7d62c.txt"))
    record = RulesExtractor().extract(forms[0], forms).record
    assert record is not None
    dumped = record.model_dump(mode="json")
    assert dumped["total_weight"] == "100.00"
    assert dumped["funding"]["total"]["initial_budget"] == "403.70"


def test_every_value_has_provenance(samples: Path) -> None:
    forms = split_forms(load_document(samples / "000_1c7597119af05248.txt"))
    result = RulesExtractor().extract(forms[0], forms)
    assert result.record is not None
    prov = result.provenance
    lines = {ln.number: ln for ln in forms[0].lines}
    for n, indicator in enumerate(result.record.indicators):
        for field in ("name", "weight", "score"):
            spans = prov[f"indicators.{n}.{field}"]
            assert all(span.raw in lines[span.line].text for span in spans)
        assert indicator.weight is not None
    executed = prov["funding.total.executed"][0]
    assert executed.raw == "375,000"
    assert lines[executed.line].cells[executed.column or 0].text == "375,000"


def test_schema_prose_copy_matches_shared(root: Path) -> None:
    shared = root.parent / "shared" / "SCHEMA.md"
    need(shared.exists(), f"the steering repo's shared/ beside the checkout ({shared})")
    assert (root / "docs" / "SCHEMA.md").read_text(encoding="utf-8") == shared.read_text(encoding="utf-8")


def test_the_suite_needs_nothing_beside_a_fresh_clone(root: Path, tmp_path: Path) -> None:
    """Item 24: this module passes in a checkout with no shared/ beside it
    (outside CI, the shared/ comparisons skip; they never fail a clone)."""
    clone = tmp_path / "clone"
    for part in ("src", "schema", "samples", "eval/fixtures", "docs/SCHEMA.md", "pyproject.toml"):
        source, target = root / part, clone / part
        target.parent.mkdir(parents=True, exist_ok=True)
        if source.is_dir():
            shutil.copytree(source, target)
        else:
            shutil.copy(source, target)
    (clone / "tests").mkdir()
    for name in ("__init__.py", "conftest.py", "test_contract.py"):
        shutil.copy(root / "tests" / name, clone / "tests" / name)
    env = {k: v for k, v in os.environ.items() if k not in ("CI", "PYTEST_ADDOPTS")}
    env["PYTHONPATH"] = str(clone / "src")
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "tests/test_contract.py",
            "-k",
            "not fresh_clone",
        ],
        cwd=clone,
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
    )
    assert done.returncode == 0, done.stdout[-2000:]
    assert "skipped" in done.stdout  # the shared/ comparisons, honestly reported
