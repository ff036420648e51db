"""`crossfoot review`: the web app for correcting records, on loopback by default."""

from __future__ import annotations

import errno
import ipaddress
import socket
from pathlib import Path
from typing import Annotated

import typer

from crossfoot.cli.app import ExitCode, app, console, err_console, fail_line
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


ReviewersOption = Annotated[
    Path | None,
    typer.Option(
        "--reviewers",
        envvar="CROSSFOOT_REVIEWERS",
        help="named reviewers: a file made by `crossfoot review-token NAME` (one token per person)",
    ),
]


def _listen(host: str, port: int) -> socket.socket:
    """The listening socket, bound before anything starts: a port in use is
    one line and exit 2, not a traceback."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        reason = "is in use" if exc.errno == errno.EADDRINUSE else f"cannot be used ({exc.strerror})"
        fail_line(f"{host}:{port} {reason}: stop what listens there or pick another --port")
        raise typer.Exit(ExitCode.BAD_INPUT) from None
    sock.listen(128)
    sock.set_inheritable(True)
    return sock


@app.command()
def review(
    db: DbOption = None,
    host: Annotated[str | None, typer.Option(help="address to listen on [default: 127.0.0.1]")] = None,
    port: Annotated[int | None, typer.Option(help="port [default: 8000]")] = None,
    fixtures: Annotated[
        Path | None, typer.Option(help="folder for 'promote to fixture' (e.g. eval/fixtures); off when not given")
    ] = None,
    reviewers: ReviewersOption = None,
    allowed_host: Annotated[
        list[str] | None,
        typer.Option("--allowed-host", help="another host name the server answers to (e.g. its DNS name); repeatable"),
    ] = None,
    insecure_no_token: Annotated[
        bool, typer.Option(help="allow a non-loopback address without a token (anyone who reaches it can review)")
    ] = False,
) -> None:
    """Review and correct records in the browser.

    On loopback no token is needed. Set CROSSFOOT_REVIEW_TOKEN (one shared
    token) or --reviewers FILE (one token per person, names in the audit
    trail come from the token) and every page needs a token; one of them is
    required to listen on anything but loopback. Exit 2: the store, the
    reviewers file or the port cannot be used.
    """
    require_review_extra()
    import uvicorn

    from crossfoot.review.access import Access, load_reviewers
    from crossfoot.review.app import create_app
    from crossfoot.review.store import Store

    settings = build_settings(db_url=db, review_host=host, review_port=port)
    shared = settings.review_token.get_secret_value() if settings.review_token else None
    try:
        named = load_reviewers(reviewers) if reviewers is not None else None
    except CrossfootError as exc:
        fail_line(str(exc))
        raise typer.Exit(ExitCode.BAD_INPUT) from None
    access = Access.build(
        host=settings.review_host, shared_token=shared, reviewers=named, extra_hosts=tuple(allowed_host or ())
    )
    loopback = is_loopback(settings.review_host)
    if not loopback and not access.required and not insecure_no_token:
        fail_line(
            f"refusing to listen on {settings.review_host} without a token: "
            "set CROSSFOOT_REVIEW_TOKEN or --reviewers FILE (or pass --insecure-no-token)"
        )
        raise typer.Exit(ExitCode.BAD_INPUT)
    if not loopback and not access.required:
        err_console.print(
            "[bold white on red] WARNING [/] [bold red]--insecure-no-token: anyone who can reach "
            f"{settings.review_host}:{settings.review_port} can read every document and approve forms "
            "under any name[/]",
            soft_wrap=True,
        )
    try:
        store = Store(settings.db_url, must_exist=True)
    except CrossfootError as exc:
        fail_line(f"{exc} — `crossfoot run` creates the store")
        raise typer.Exit(ExitCode.BAD_INPUT) from None
    try:
        sock = _listen(settings.review_host, settings.review_port)
    except typer.Exit:
        store.close()
        raise
    if not loopback and settings.review_host in ("0.0.0.0", "::"):
        # Any address of this machine: answer to whatever Host the token holders use.
        access.allowed_hosts.append("*")
    web = create_app(store, settings, fixtures_dir=fixtures, access=access)
    where = f"http://{settings.review_host}:{settings.review_port}/"
    err_console.print(f"crossfoot review on [bold]{where}[/] — store {store.display_url}")
    if access.named:
        err_console.print(f"{len(access.reviewers)} named reviewers: each opens {where}token once with their token")
    elif access.required:
        err_console.print(f"every page needs the shared token: open {where}token once")
    server = uvicorn.Server(uvicorn.Config(web, log_level="warning"))
    try:
        server.run(sockets=[sock])
    finally:
        sock.close()
        store.close()


@app.command("review-token")
def review_token(
    name: Annotated[str, typer.Argument(help="the reviewer's name, as the audit trail will show it")],
    reviewers: Annotated[
        Path, typer.Option("--reviewers", envvar="CROSSFOOT_REVIEWERS", help="the reviewers file (created if missing)")
    ] = Path("reviewers.json"),
) -> None:
    """Give a named reviewer a new token (replacing their old one).

    The token is printed once; the file keeps only its hash. Start the app
    with `crossfoot review --reviewers FILE`.
    """
    from crossfoot.review.access import add_reviewer

    try:
        token = add_reviewer(reviewers, name)
    except CrossfootError as exc:
        fail_line(str(exc))
        raise typer.Exit(ExitCode.BAD_INPUT) from None
    err_console.print(f"token for {' '.join(name.split())} written to {reviewers} (only its hash); give it to them:")
    console.print(token, highlight=False, soft_wrap=True)
