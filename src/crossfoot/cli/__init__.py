"""The `crossfoot` command line: one module per command."""

from __future__ import annotations

import importlib
import importlib.util
import os
import sys
import traceback

import click

from crossfoot.cli.app import ExitCode, app, fail_line
from crossfoot.errors import CrossfootError

__all__ = ["app", "main"]

# Each module registers its commands on `app` when imported.
_COMMAND_MODULES = ("extract", "check", "run", "eval", "review", "export", "audit")
for _name in _COMMAND_MODULES:
    if importlib.util.find_spec(f"crossfoot.cli.{_name}") is not None:
        importlib.import_module(f"crossfoot.cli.{_name}")


def main() -> None:
    """Console-script entry point: user errors are one line and their own
    code; anything else is a bug (exit 4), never 1 ("forms need review")."""
    try:
        code = app(standalone_mode=False)
    except click.ClickException as exc:  # a wrong option or argument: click's usage message, exit 2
        exc.show()
        code = exc.exit_code
    except (click.Abort, KeyboardInterrupt):
        fail_line("interrupted; run the same command again to resume")
        code = ExitCode.INTERRUPTED
    except BrokenPipeError:  # `crossfoot extract ... | head`: the reader has what it wanted
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        code = ExitCode.OK
    except CrossfootError as exc:
        fail_line(str(exc))
        code = exc.exit_code
    except Exception as exc:
        if os.environ.get("CROSSFOOT_DEBUG"):
            traceback.print_exc()
        fail_line(
            f"internal error: {type(exc).__name__}: {exc} — this is a bug in crossfoot; "
            "please report it (CROSSFOOT_DEBUG=1 shows the traceback)"
        )
        code = ExitCode.INTERNAL
    sys.exit(int(code) if isinstance(code, int) else 0)
