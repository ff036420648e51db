"""One absurd number never crashes a batch (issue 9, item 5): it is a finding
on its form, or a named bad line for `check`; the checks never raise."""

from __future__ import annotations

import json
from decimal import Decimal, InvalidOperation
from pathlib import Path

import pytest
from typer.testing import CliRunner

import crossfoot.check as check
from crossfoot.cli import app
from crossfoot.extract.values import parse_decimal
from crossfoot.model import Record

FOUR = "000_1c7597119af05248.txt"
FORTY_DIGITS = "1234567890123456789012345678901234567890"


def invoke(*args: str | Path) -> tuple[int, str, str]:
    done = CliRunner().invoke(app, [str(a) for a in args])
    if done.exception is not None and not isinstance(done.exception, SystemExit):
        raise done.exception
    return done.exit_code, done.stdout, done.stderr


def test_a_forty_digit_amount_is_a_finding_and_the_batch_goes_on(samples: Path, tmp_path: Path) -> None:
    """Item 5: a 40-digit 全年执行数 in a dump: a finding on that form, later files still read."""
    text = (samples / FOUR).read_text(encoding="utf-8")
    assert "\t375,000\t" in text
    bad = tmp_path / "a_bad.txt"
    bad.write_text(text.replace("\t375,000\t", f"\t{FORTY_DIGITS}\t", 1), encoding="utf-8")
    out = tmp_path / "out.jsonl"
    code, _, stderr = invoke("run", bad, samples / FOUR, "-o", out, "--no-store")
    assert code in (0, 1), stderr
    envelopes = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert len(envelopes) == 8  # the good file after it was read too
    first = envelopes[0]
    assert first["record"]["funding"]["total"]["executed"] is None  # never a 40-digit value
    unread = [f for f in first["findings"] if "funding.total.executed" in f["fields"]]
    assert unread and "out of range" not in stderr


@pytest.mark.parametrize("text", [FORTY_DIGITS, "1" * 200_000, "0.00000000000001"])
def test_parse_decimal_refuses_numbers_outside_the_sane_range(text: str) -> None:
    """Item 5: the guard sits at the number parsing."""
    with pytest.raises(ValueError, match="out of range"):
        parse_decimal(text)
    assert parse_decimal("999,999,999,999,999.99") == Decimal("999999999999999.99")


@pytest.mark.parametrize("value", ["1e400", "1E+999999999", "9" * 5000, "1e-30"])
def test_run_checks_never_raises_on_an_absurd_record(value: str) -> None:
    """Item 5: a record holding an absurd number gets a finding, not an exception."""
    record = Record.model_validate({"project_name": "x", "total_weight": "100", "total_score": value})
    findings = check.run_checks(record)
    assert [f.code for f in findings] == [check.OUT_OF_RANGE]
    assert findings[0].fields == ["total_score"]
    assert len(findings[0].message) < 300


def test_a_failing_check_is_a_finding_not_a_crash(monkeypatch: pytest.MonkeyPatch) -> None:
    """Item 5: the last-resort guard around the checks."""

    def broken(record: Record, prints: object = None) -> list[object]:
        raise InvalidOperation("simulated")

    monkeypatch.setattr(check, "run_arithmetic", broken)
    findings = check.run_checks(Record(project_name="x"))
    assert [f.code for f in findings] == ["checks_failed"]


def test_check_names_absurd_lines_and_checks_the_rest(samples: Path, tmp_path: Path) -> None:
    """Item 5: `"1e400"`, `"1E+999999999"`, a 200,000-digit number: named bad lines, exit 2."""
    out = tmp_path / "all.jsonl"
    assert invoke("extract", samples / FOUR, "-o", out)[0] == 0
    record = json.loads(out.read_text(encoding="utf-8").splitlines()[0])["record"]
    lines = []
    for value in ("1e400", "1E+999999999", "9" * 200_000):
        lines.append(json.dumps({**record, "total_score": value}))
    lines.append('{"project_name": "x", "total_score": ' + "9" * 200_000 + "}")
    lines.append(json.dumps(record))
    bad = tmp_path / "bad.jsonl"
    bad.write_text("\n".join(lines) + "\n", encoding="utf-8")
    code, stdout, stderr = invoke("check", bad)
    assert code == 2
    flat = " ".join(stderr.split())
    for number in (1, 2, 3, 4):
        assert f"bad.jsonl: line {number}:" in flat
    assert "Traceback" not in stderr
    assert "1 records" in stdout
