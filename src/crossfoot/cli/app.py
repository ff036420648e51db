"""The typer app and the shared pieces every command uses."""

from __future__ import annotations

import sys
from enum import IntEnum

import typer
from rich.console import Console

__all__ = ["ExitCode", "app", "console", "err_console", "fail_line"]

app = typer.Typer(
    name="crossfoot",
    help="Turn messy 财政项目支出绩效自评表 (text dumps, PDFs, scans, HTML, XLSX/XLS, DOCX, CSV) into checked records.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
#: stdout carries data (JSONL) when no -o is given; humans read stderr.
console = Console()
err_console = Console(stderr=True)


class ExitCode(IntEnum):
    """Exit codes scripts can rely on (the worst condition wins)."""

    OK = 0
    FINDINGS = 1  #: error-severity findings: forms need review
    BAD_INPUT = 2  #: an input could not be used (the rest of the batch still ran)
    LLM_UNAVAILABLE = 3  #: no API key, or the endpoint cannot be reached
    INTERNAL = 4  #: a bug in crossfoot (never a user error): the message asks for a report
    INTERRUPTED = 130  #: Ctrl-C / SIGINT (128 + 2, the shell's convention); resumable


def fail_line(message: str) -> None:
    """One line on stderr naming the file and the place."""
    err_console.print(f"[bold red]error[/]: {message}", highlight=False, soft_wrap=True)


def is_tty() -> bool:
    return sys.stderr.isatty()
