"""`crossfoot export`, `crossfoot promote` and `crossfoot review`'s guard rails."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from crossfoot.cli import app
from crossfoot.cli.review import is_loopback
from crossfoot.model import Envelope, Record
from crossfoot.review.edits import set_status
from crossfoot.review.queue import queue
from crossfoot.review.store import Store, load_run
from tests.review.helpers import Run

runner = CliRunner()


@pytest.fixture
def db_file(tmp_path: Path, sample_run: Run) -> Path:
    path = tmp_path / "crossfoot.db"
    load_run(str(path), *sample_run)
    return path


def test_export_jsonl_to_stdout(db_file: Path, sample_run: Run) -> None:
    result = runner.invoke(app, ["export", "--db", str(db_file)])
    assert result.exit_code == 0, result.output
    lines = [line for line in result.stdout.splitlines() if line.startswith("{")]
    assert len(lines) == len(sample_run[1])
    assert all(Envelope.model_validate_json(line).record for line in lines)


def test_export_xlsx_needs_a_file(db_file: Path, tmp_path: Path) -> None:
    assert runner.invoke(app, ["export", "--db", str(db_file), "--format", "xlsx"]).exit_code == 2
    target = tmp_path / "out" / "approved.xlsx"
    result = runner.invoke(
        app, ["export", "--db", str(db_file), "--format", "xlsx", "--status", "approved", "-o", str(target)]
    )
    assert result.exit_code == 0 and target.read_bytes()[:2] == b"PK"


def test_export_csv_of_approved_only(db_file: Path, tmp_path: Path) -> None:
    with Store(str(db_file)) as store:
        row = queue(store)[0]
        set_status(store, row.form_id, "approve", version=row.version, reviewer="ann")
    target = tmp_path / "approved.csv"
    result = runner.invoke(
        app, ["export", "--db", str(db_file), "-f", "csv", "--status", "approved", "-o", str(target)]
    )
    assert result.exit_code == 0
    lines = target.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 2 and lines[1].startswith(f"{row.form_id},approved,")


def test_promote_all_approved(db_file: Path, tmp_path: Path) -> None:
    with Store(str(db_file)) as store:
        row = queue(store)[0]
        set_status(store, row.form_id, "approve", version=row.version, reviewer="ann")
    folder = tmp_path / "fixtures"
    result = runner.invoke(app, ["promote", "--db", str(db_file), "--all-approved", "--to", str(folder), "--by", "ann"])
    assert result.exit_code == 0, result.output
    (written,) = folder.glob("*.json")
    data = json.loads(written.read_text(encoding="utf-8"))
    assert data["_notes"][0].startswith("promoted from review by ann at ")
    Record.model_validate({k: v for k, v in data.items() if not k.startswith("_")})
    again = runner.invoke(app, ["promote", "--db", str(db_file), str(row.form_id), "--to", str(folder), "--by", "ann"])
    assert again.exit_code == 2 and "exists" in again.output


def test_promote_refuses_without_a_name(db_file: Path, tmp_path: Path) -> None:
    with Store(str(db_file)) as store:
        row = queue(store)[0]
        set_status(store, row.form_id, "approve", version=row.version, reviewer="ann")
    result = runner.invoke(app, ["promote", "--db", str(db_file), str(row.form_id), "--to", str(tmp_path)])
    assert result.exit_code == 2 and "--by" in result.output


def test_review_refuses_an_open_address_without_a_token(db_file: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CROSSFOOT_REVIEW_TOKEN", raising=False)
    result = runner.invoke(app, ["review", "--db", str(db_file), "--host", "0.0.0.0"])
    assert result.exit_code == 2 and "without a token" in result.output


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("127.0.0.1", True),
        ("127.8.9.1", True),
        ("::1", True),
        ("localhost", True),
        ("0.0.0.0", False),
        ("192.168.1.4", False),
        ("example.org", False),
    ],
)
def test_loopback(host: str, loopback: bool) -> None:
    assert is_loopback(host) is loopback
