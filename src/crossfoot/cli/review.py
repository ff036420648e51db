"""`crossfoot review`: the web app for correcting records, on loopback by default."""

from __future__ import annotations

import ipaddress
from pathlib import Path
from typing import Annotated

import typer

from crossfoot.cli.app import ExitCode, app, err_console, fail_line
from crossfoot.cli.settings import build_settings
from crossfoot.errors import CrossfootError

__all__ = ["is_loopback", "require_review_extra"]

_INSTALL_HINT = "the review app needs its extra: pip install 'crossfoot[review]'"


def require_review_extra() -> None:
    """Fail with the install hint when SQLAlchemy / FastAPI are missing."""
    try:
        import fastapi  # noqa: F401
        import sqlalchemy  # noqa: F401
    except ImportError:
        fail_line(_INSTALL_HINT)
        raise typer.Exit(ExitCode.BAD_INPUT) from None


def is_loopback(host: str) -> bool:
    """True for 127.0.0.0/8, ::1 and localhost."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


DbOption = Annotated[
    str | None,
    typer.Option("--db", help="review store: a SQLite file or a database URL [default: crossfoot.db]"),
]


@app.command()
def review(
    db: DbOption = None,
    host: Annotated[str | None, typer.Option(help="address to listen on [default: 127.0.0.1]")] = None,
    port: Annotated[int | None, typer.Option(help="port [default: 8000]")] = None,
    fixtures: Annotated[
        Path | None, typer.Option(help="folder for 'promote to fixture' (e.g. eval/fixtures); off when not given")
    ] = None,
    insecure_no_token: Annotated[
        bool, typer.Option(help="allow a non-loopback address without CROSSFOOT_REVIEW_TOKEN")
    ] = False,
) -> None:
    """Review and correct records in the browser.

    Set CROSSFOOT_REVIEW_TOKEN to require a shared token for every change;
    it is required to listen on anything but loopback.
    """
    require_review_extra()
    import uvicorn

    from crossfoot.review.app import create_app
    from crossfoot.review.store import Store

    settings = build_settings(db_url=db, review_host=host, review_port=port)
    if not is_loopback(settings.review_host) and settings.review_token is None and not insecure_no_token:
        fail_line(
            f"refusing to listen on {settings.review_host} without a shared token: "
            "set CROSSFOOT_REVIEW_TOKEN (or pass --insecure-no-token)"
        )
        raise typer.Exit(ExitCode.BAD_INPUT)
    try:
        store = Store(settings.db_url)
    except CrossfootError as exc:
        fail_line(str(exc))
        raise typer.Exit(ExitCode.BAD_INPUT) from None
    web = create_app(store, settings, fixtures_dir=fixtures)
    where = f"http://{settings.review_host}:{settings.review_port}/"
    err_console.print(f"crossfoot review on [bold]{where}[/] — store {store.display_url}")
    if settings.review_token is not None:
        err_console.print(f"changes need the shared token: open {where}token once")
    try:
        uvicorn.run(web, host=settings.review_host, port=settings.review_port, log_level="warning")
    finally:
        store.close()
