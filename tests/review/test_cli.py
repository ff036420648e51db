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
    assert target.read_bytes().startswith(b"\xef\xbb\xbfform_id,")  # a BOM: Excel shows the Chinese
    lines = target.read_text(encoding="utf-8-sig").splitlines()
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


@pytest.mark.parametrize(
    "command",
    [
        ["export"],
        ["export", "-f", "xlsx", "-o", "{out}"],
        ["promote", "--all-approved", "--by", "ann"],
        ["audit", "verify"],
        ["review"],
    ],
)
def test_a_missing_store_is_an_error_not_a_new_empty_one(tmp_path: Path, command: list[str]) -> None:
    """Item 22: a mistyped --db is one line and exit 2; nothing is created."""
    missing = tmp_path / "typo" / "crossfoot.db"
    out = tmp_path / "out.xlsx"
    args = [part.format(out=out) for part in command]
    result = runner.invoke(app, [*args, "--db", str(missing)])
    assert result.exit_code == 2, result.output
    assert f"{missing}: no review store there" in result.output
    assert len(result.output.strip().splitlines()) == 1
    assert not missing.exists() and not missing.parent.exists() and not out.exists()


@pytest.mark.parametrize("fmt", ["jsonl", "csv", "xlsx"])
def test_export_replaces_its_output_only_when_complete(db_file: Path, tmp_path: Path, fmt: str) -> None:
    """Item 23: -o is written to a temporary file and renamed; an export that
    fails half-way leaves the previous file as it was and no temporary file."""
    from sqlalchemy import create_engine, text

    target = tmp_path / "out" / f"approved.{fmt}"
    first = runner.invoke(app, ["export", "--db", str(db_file), "-f", fmt, "-o", str(target)])
    assert first.exit_code == 0, first.output
    before = target.read_bytes()
    engine = create_engine(f"sqlite:///{db_file}")
    with engine.begin() as conn:  # a form whose stored record no longer validates, last in export order
        conn.execute(
            text(
                "INSERT INTO documents (sha256, path, kind, lines, added_at) "
                "VALUES ('f' , 'zzz.txt', 'text', '[]', '2025-01-01 00:00:00+00:00')"
            )
        )
        conn.execute(
            text(
                "INSERT INTO forms (document_id, form_index, form_count, backend, title, first_line, last_line, "
                "status, version, record_number, created_at, updated_at) SELECT max(id), 0, 1, 'rules', 'x', 1, 2, "
                "'clean', 1, 1, '2025-01-01 00:00:00+00:00', '2025-01-01 00:00:00+00:00' FROM documents"
            )
        )
        conn.execute(
            text(
                "INSERT INTO record_versions (form_id, number, origin, record, provenance, meta, created_at, "
                "created_by) SELECT max(id), 1, 'extraction', '{\"indicators\": 5}', '{}', '{}', "
                "'2025-01-01 00:00:00+00:00', 'someone' FROM forms"
            )
        )
    engine.dispose()
    again = runner.invoke(app, ["export", "--db", str(db_file), "-f", fmt, "-o", str(target)])
    assert again.exit_code == 2 and "its stored record is not a valid record" in again.output
    assert target.read_bytes() == before
    assert sorted(p.name for p in target.parent.iterdir()) == [target.name]


def test_export_to_a_folder_is_one_line(db_file: Path, tmp_path: Path) -> None:
    """Item 23 / 8: -o naming a folder is a user error, not a traceback."""
    result = runner.invoke(app, ["export", "--db", str(db_file), "-o", str(tmp_path)])
    assert result.exit_code == 2 and "is a folder" in result.output


def test_review_on_a_port_in_use_is_one_line_and_exit_2(db_file: Path) -> None:
    """Item 8: not a traceback and not exit 3 (reserved for "LLM unavailable")."""
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        result = runner.invoke(app, ["review", "--db", str(db_file), "--port", str(port)])
    assert result.exit_code == 2, result.output
    assert result.output.strip() == f"error: 127.0.0.1:{port} is in use: stop what listens there or pick another --port"


def test_review_token_gives_a_named_reviewer_a_token(tmp_path: Path) -> None:
    """Item 19: the admin's command: the token is printed once, the file keeps its hash."""
    from crossfoot.review.access import Access, load_reviewers

    path = tmp_path / "reviewers.json"
    result = runner.invoke(app, ["review-token", "王芳", "--reviewers", str(path)])
    assert result.exit_code == 0, result.output
    token = result.stdout.strip()
    assert token and token not in path.read_text(encoding="utf-8")
    access = Access.build(host="127.0.0.1", shared_token=None, reviewers=load_reviewers(path))
    assert access.identify(token) == (True, "王芳")
    broken = tmp_path / "broken.json"
    broken.write_text("{", encoding="utf-8")
    bad = runner.invoke(app, ["review", "--reviewers", str(broken), "--db", str(tmp_path / "x.db")])
    assert bad.exit_code == 2 and f"{broken}: not a usable reviewers file" in bad.output


def test_insecure_no_token_warns_loudly(db_file: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Item 20: --insecure-no-token off loopback is allowed, with a warning
    that says what it exposes (the port is taken, so it stops right after)."""
    import socket

    monkeypatch.delenv("CROSSFOOT_REVIEW_TOKEN", raising=False)
    with socket.socket() as taken:
        taken.bind(("0.0.0.0", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        result = runner.invoke(
            app, ["review", "--db", str(db_file), "--host", "0.0.0.0", "--port", str(port), "--insecure-no-token"]
        )
    assert result.exit_code == 2 and "in use" in result.output
    assert "WARNING" in result.output and "can read every document and approve forms under any name" in result.output


def test_promote_refuses_a_value_not_as_printed_without_the_override(db_file: Path, tmp_path: Path) -> None:
    """Issue 11, item 2: gold never silently holds a number the document did not print."""
    from crossfoot.review.edits import save_field

    with Store(str(db_file)) as store:
        row = queue(store)[0]
        edited = save_field(
            store, row.form_id, "total_score", "99", version=row.version, reviewer="ann", action="unprinted"
        )
        set_status(store, row.form_id, "approve", version=edited.version, reviewer="ann")
    folder = tmp_path / "fixtures"
    command = ["promote", "--db", str(db_file), str(row.form_id), "--to", str(folder), "--by", "ann"]
    refused = runner.invoke(app, command)
    assert refused.exit_code == 2 and "--allow-not-as-printed" in refused.output
    assert not folder.exists() or not list(folder.glob("*.json"))
    allowed = runner.invoke(app, [*command, "--allow-not-as-printed"])
    assert allowed.exit_code == 0, allowed.output
    (written,) = folder.glob("*.json")
    assert json.loads(written.read_text(encoding="utf-8"))["_not_as_printed"] == ["total_score"]
