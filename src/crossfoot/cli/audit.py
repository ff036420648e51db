"""`crossfoot audit verify`: check the review store's audit trail has not been tampered with."""

from __future__ import annotations

from typing import Annotated

import typer

from crossfoot.cli.app import ExitCode, app, console, err_console, fail_line
from crossfoot.cli.review import DbOption, require_review_extra
from crossfoot.cli.settings import build_settings
from crossfoot.errors import CrossfootError

__all__ = ["audit_app"]

#: exit code when a link of the trail is broken (like `check`: a person must look)
BROKEN = ExitCode.FINDINGS

audit_app = typer.Typer(help="The review store's tamper-evident audit trail.", no_args_is_help=True)
app.add_typer(audit_app, name="audit")


@audit_app.command()
def verify(
    db: DbOption = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="print only problems")] = False,
) -> None:
    """Walk the hash chains of the edit trail and the record versions, and
    check each form's trail accounts for every version it shows.

    Exit 0: intact (the head hashes are printed; note them elsewhere to pin
    the trail); 1: a broken link (the first one is named); 2: no such store.
    """
    require_review_extra()
    from crossfoot.review.audit import verify_session
    from crossfoot.review.store import Store

    settings = build_settings(db_url=db)
    try:
        with Store(settings.db_url, must_exist=True) as store, store.read() as session:
            report = verify_session(session)
    except CrossfootError as exc:
        fail_line(str(exc))
        raise typer.Exit(ExitCode.BAD_INPUT) from None
    for problem in report.problems:
        fail_line(f"audit trail broken: {problem}")
    if not quiet or not report.intact:
        err_console.print(
            f"{report.edits} edits, {report.record_versions} record versions, {report.forms} forms checked"
        )
    if report.intact and not quiet:
        console.print(f"edits head {report.edits_head}", highlight=False, soft_wrap=True)
        console.print(f"record_versions head {report.record_versions_head}", highlight=False, soft_wrap=True)
    raise typer.Exit(ExitCode.OK if report.intact else BROKEN)
