"""Helpers shared by the review tests, the screenshot script and the load
benchmark (no pytest here, so scripts can import them): a real rules run
over sample files, and a throwaway PostgreSQL database."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import create_engine

from crossfoot.extract import get_extractor
from crossfoot.ingest import Document
from crossfoot.model import Envelope
from crossfoot.pipeline import process_path
from crossfoot.settings import Settings
from tests.forms import HEAD, STANDARD_ROWS

Run = tuple[list[Document], list[Envelope]]


def rules_run(paths: list[Path]) -> Run:
    """What `crossfoot run` hands the store: documents and their envelopes."""
    settings = Settings()
    extractor = get_extractor("rules", settings)
    documents: list[Document] = []
    envelopes: list[Envelope] = []
    for path in paths:
        document, found = process_path(path, extractor, settings)
        documents.append(document)
        envelopes.extend(found)
    return documents, envelopes


@contextmanager
def throwaway_database(admin_url: str, prefix: str = "crossfoot_test") -> Iterator[str]:
    """Create an empty database next to ``admin_url``'s; drop it afterwards."""
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    try:
        yield admin_url.rsplit("/", 1)[0] + "/" + name
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


SCRIPT = "<script>window.__xss=1</script>"


def write_hostile_dump(folder: Path) -> Path:
    head = HEAD.replace("测试项目", f"测试{SCRIPT}项目").replace("完成目标", '"><img src=x onerror=alert(1)>')
    path = folder / "hostile.txt"
    path.write_text(head + STANDARD_ROWS + "总分\t\t\t\t\t\t100\t100\t\n", encoding="utf-8")
    return path
