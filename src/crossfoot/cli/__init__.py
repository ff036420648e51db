"""The `crossfoot` command line: one module per command."""

from __future__ import annotations

from crossfoot.cli import check, extract, run  # noqa: F401  (registers commands)
from crossfoot.cli.app import app

__all__ = ["app", "main"]


def main() -> None:
    """Console-script entry point."""
    app()
