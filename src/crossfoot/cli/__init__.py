"""The `crossfoot` command line: one module per command."""

from __future__ import annotations

import importlib
import importlib.util

from crossfoot.cli.app import app

__all__ = ["app", "main"]

# Each module registers its commands on `app` when imported.
_COMMAND_MODULES = ("extract", "check", "run", "eval", "review", "export", "audit")
for _name in _COMMAND_MODULES:
    if importlib.util.find_spec(f"crossfoot.cli.{_name}") is not None:
        importlib.import_module(f"crossfoot.cli.{_name}")


def main() -> None:
    """Console-script entry point."""
    app()
