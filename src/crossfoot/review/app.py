"""The review web app: FastAPI + Jinja2 + htmx, no JavaScript build step.

Pages render whole on GET; a field edit posts one value with htmx and gets
back the record panel plus out-of-band swaps of the findings, the source
highlights, the status bar and the audit trail, so the checks re-run on
every change. Status changes (approve, reject, skip) are ordinary form
posts that redirect to the next item.

Documents are untrusted input: every text goes through Jinja autoescape.
Every data-changing endpoint checks the shared token when one is set and
refuses cross-site posts.
"""

from __future__ import annotations

import hmac
import io
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlsplit

from fastapi import Depends, FastAPI, Form, HTTPException, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.exceptions import HTTPException as StarletteHTTPException

from crossfoot.errors import ConflictError, StoreError
from crossfoot.model import FUNDING_COLUMNS, FUNDING_ROWS, LEVEL1_LABELS, LEVEL2_LABELS
from crossfoot.review.edits import apply_repair, save_field, set_status, skip, start_record
from crossfoot.review.export import EXPORT_FORMATS, export_items, promote, write_csv, write_jsonl, write_xlsx
from crossfoot.review.queue import STATUSES, QueueFilters, counts, neighbours, queue, recent_activity
from crossfoot.review.store import Store
from crossfoot.review.view import (
    FUNDING_COLUMN_LABELS,
    FUNDING_ROW_LABELS,
    HEADER_FIELDS,
    INDICATOR_COLUMNS,
    conflict_view,
    form_view,
)
from crossfoot.settings import Settings

__all__ = ["create_app"]

HERE = Path(__file__).parent
TOKEN_COOKIE = "crossfoot_token"
REVIEWER_COOKIE = "crossfoot_reviewer"
MESSAGES = {
    "approved": "Approved",
    "rejected": "Rejected",
    "skipped": "Skipped",
    "reopened": "Reopened",
    "promoted": "Written as a gold fixture",
    "token": "Token accepted: you can make changes now",
}


def _environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(HERE / "templates"),
        autoescape=select_autoescape(default=True, default_for_string=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["dash"] = lambda value: "" if value is None else value
    env.filters["when"] = lambda value: value.strftime("%Y-%m-%d %H:%M") if value else ""
    env.globals.update(
        HEADER_FIELDS=HEADER_FIELDS,
        FUNDING_ROWS=FUNDING_ROWS,
        FUNDING_COLUMNS=FUNDING_COLUMNS,
        FUNDING_ROW_LABELS=FUNDING_ROW_LABELS,
        FUNDING_COLUMN_LABELS=FUNDING_COLUMN_LABELS,
        INDICATOR_COLUMNS=INDICATOR_COLUMNS,
        LEVEL1_LABELS=list(LEVEL1_LABELS),
        LEVEL2_LABELS=list(LEVEL2_LABELS),
        STATUSES=STATUSES,
        EXPORT_FORMATS=EXPORT_FORMATS,
    )
    return env


def _same_origin(request: Request) -> bool:
    """A browser posting from another site sends its Origin; refuse it."""
    if request.headers.get("sec-fetch-site") == "cross-site":
        return False
    origin = request.headers.get("origin")
    if not origin or origin == "null":
        return origin is None
    return urlsplit(origin).netloc == request.headers.get("host")


def _guard(settings: Settings) -> Callable[[Request], Awaitable[None]]:
    async def guard(request: Request) -> None:
        if not _same_origin(request):
            raise HTTPException(403, "cross-site request refused")
        expected = settings.review_token.get_secret_value() if settings.review_token else None
        if not expected:
            return
        form = await request.form()
        offered = (
            request.headers.get("x-crossfoot-token")
            or request.cookies.get(TOKEN_COOKIE)
            or str(form.get("token") or "")
        )
        if not hmac.compare_digest(offered.encode(), expected.encode()):
            raise HTTPException(401, "this review server needs its token: open /token first")

    return guard


def create_app(store: Store, settings: Settings, *, fixtures_dir: Path | None = None) -> FastAPI:
    """The app over one store. ``fixtures_dir`` enables "promote to fixture"."""
    app = FastAPI(title="crossfoot review", docs_url=None, redoc_url=None, openapi_url=None)
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    env = _environment()
    guarded = [Depends(_guard(settings))]
    token_required = settings.review_token is not None

    def page(name: str, status_code: int = 200, headers: dict[str, str] | None = None, **context: Any) -> HTMLResponse:
        context.setdefault("db", store.display_url)
        context.setdefault("token_required", token_required)
        context.setdefault("fixtures_dir", fixtures_dir)
        return HTMLResponse(env.get_template(name).render(**context), status_code=status_code, headers=headers)

    def who(request: Request, reviewer: str | None) -> str | None:
        return reviewer or request.cookies.get(REVIEWER_COOKIE)

    def is_htmx(request: Request) -> bool:
        return request.headers.get("hx-request") == "true"

    def after_change(request: Request, form_id: int) -> Response:
        if not is_htmx(request):
            return RedirectResponse(f"/forms/{form_id}", status_code=303)
        return page("form_update.html", view=form_view(store, form_id), saved=True)

    def problem(
        request: Request,
        form_id: int,
        exc: StoreError,
        seen: int | None,
        field: str | None = None,
        mine: str | None = None,
    ) -> Response:
        if isinstance(exc, ConflictError):
            conflict = conflict_view(store, form_id, seen if seen is not None else exc.current_version - 1, field, mine)
            if is_htmx(request):
                retarget = {"HX-Retarget": "#conflict-slot", "HX-Reswap": "innerHTML"}
                return page("_conflict.html", 409, retarget, c=conflict)
            return page("conflict.html", 409, c=conflict)
        if is_htmx(request):
            return page("_flash.html", 422, {"HX-Retarget": "#flash", "HX-Reswap": "innerHTML"}, error=exc.message)
        return page("message.html", 422, title="Not saved", message=exc.message, back=f"/forms/{form_id}")

    @app.get("/healthz")
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/", response_class=HTMLResponse)
    def queue_page(
        status: str = "needs_review",
        code: str | None = None,
        severity: str | None = None,
        document: int | None = None,
        msg: str | None = None,
    ) -> HTMLResponse:
        filters = QueueFilters(status=status, code=code or None, severity=severity or None, document=document)
        rows = queue(store, filters)
        return page(
            "queue.html",
            rows=rows,
            counts=counts(store),
            activity=recent_activity(store),
            filters=filters,
            message=MESSAGES.get(msg or ""),
        )

    @app.get("/next")
    def next_item() -> RedirectResponse:
        rows = queue(store)
        return RedirectResponse(f"/forms/{rows[0].form_id}" if rows else "/?msg=", status_code=303)

    @app.get("/forms/{form_id}", response_class=HTMLResponse)
    def form_page(form_id: int, msg: str | None = None) -> HTMLResponse:
        try:
            view = form_view(store, form_id)
        except StoreError as exc:
            return page("message.html", 404, title="Not found", message=exc.message, back="/")
        return page("form.html", view=view, message=MESSAGES.get(msg or ""))

    @app.post("/forms/{form_id}/field", dependencies=guarded)
    def edit_field(
        request: Request,
        form_id: int,
        field: Annotated[str, Form()],
        version: Annotated[int, Form()],
        value: Annotated[str, Form()] = "",
        reviewer: Annotated[str | None, Form()] = None,
        reason: Annotated[str | None, Form()] = None,
    ) -> Response:
        try:
            save_field(store, form_id, field, value, version=version, reviewer=who(request, reviewer), reason=reason)
        except StoreError as exc:
            return problem(request, form_id, exc, version, field, value)
        return after_change(request, form_id)

    @app.post("/forms/{form_id}/repair", dependencies=guarded)
    def repair(
        request: Request,
        form_id: int,
        field: Annotated[str, Form()],
        version: Annotated[int, Form()],
        reviewer: Annotated[str | None, Form()] = None,
    ) -> Response:
        try:
            apply_repair(store, form_id, field, version=version, reviewer=who(request, reviewer))
        except StoreError as exc:
            return problem(request, form_id, exc, version, field)
        return after_change(request, form_id)

    @app.post("/forms/{form_id}/start", dependencies=guarded)
    def start(
        request: Request,
        form_id: int,
        version: Annotated[int, Form()],
        reviewer: Annotated[str | None, Form()] = None,
    ) -> Response:
        try:
            start_record(store, form_id, version=version, reviewer=who(request, reviewer))
        except StoreError as exc:
            return problem(request, form_id, exc, version)
        return RedirectResponse(f"/forms/{form_id}", status_code=303)

    @app.post("/forms/{form_id}/{action}", dependencies=guarded)
    def decide(
        request: Request,
        form_id: int,
        action: str,
        version: Annotated[int | None, Form()] = None,
        reviewer: Annotated[str | None, Form()] = None,
        reason: Annotated[str | None, Form()] = None,
    ) -> Response:
        try:
            if action == "skip":
                skip(store, form_id, reviewer=who(request, reviewer))
                _, following = neighbours(store, form_id)
                target = f"/forms/{following}?msg=skipped" if following else "/?msg=skipped"
                return RedirectResponse(target, status_code=303)
            if action == "promote":
                return _promote(request, form_id, reviewer)
            if action not in ("approve", "reject", "reopen") or version is None:
                raise HTTPException(404)
            set_status(store, form_id, action, version=version, reviewer=who(request, reviewer), reason=reason)
        except StoreError as exc:
            return problem(request, form_id, exc, version)
        done = {"approve": "approved", "reject": "rejected", "reopen": "reopened"}[action]
        if action == "reopen":
            return RedirectResponse(f"/forms/{form_id}?msg={done}", status_code=303)
        _, following = neighbours(store, form_id)
        target = f"/forms/{following}?msg={done}" if following else f"/?msg={done}"
        return RedirectResponse(target, status_code=303)

    def _promote(request: Request, form_id: int, reviewer: str | None) -> Response:
        if fixtures_dir is None:
            raise StoreError("start `crossfoot review --fixtures DIR` to promote records to fixtures")
        name = who(request, reviewer)
        promote(store, form_id, fixtures_dir, by=name or "")
        return RedirectResponse(f"/forms/{form_id}?msg=promoted", status_code=303)

    @app.get("/export")
    def export(
        format: Annotated[str, Query(pattern="^(jsonl|csv|xlsx)$")] = "jsonl",
        status: str = "approved",
    ) -> Response:
        items = export_items(store, status)
        name = f"crossfoot-{status}.{format}"
        headers = {"Content-Disposition": f'attachment; filename="{name}"'}
        if format == "xlsx":
            import tempfile

            with tempfile.TemporaryDirectory() as tmp:
                path = Path(tmp) / name
                write_xlsx(items, path)
                data = path.read_bytes()
            media = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
            return Response(data, media_type=media, headers=headers)
        buffer = io.StringIO()
        (write_csv if format == "csv" else write_jsonl)(items, buffer)
        media = "text/csv; charset=utf-8" if format == "csv" else "application/x-ndjson; charset=utf-8"
        return Response(buffer.getvalue(), media_type=media, headers=headers)

    @app.get("/token", response_class=HTMLResponse)
    def token_page() -> HTMLResponse:
        return page("token.html")

    @app.post("/token")
    def token_login(request: Request, token: Annotated[str, Form()]) -> Response:
        expected = settings.review_token.get_secret_value() if settings.review_token else ""
        if not _same_origin(request) or not hmac.compare_digest(token.encode(), expected.encode()):
            return page("token.html", 401, error="That is not this server's token.")
        response = RedirectResponse("/?msg=token", status_code=303)
        response.set_cookie(TOKEN_COOKIE, token, httponly=True, samesite="strict")
        return response

    @app.exception_handler(RequestValidationError)
    def bad_request(request: Request, exc: RequestValidationError) -> Response:
        first = exc.errors()[0] if exc.errors() else {"loc": (), "msg": "bad request"}
        where = ".".join(str(part) for part in first["loc"][1:])
        detail = f"{where}: {first['msg']}" if where else str(first["msg"])
        return http_error(request, StarletteHTTPException(422, detail))

    @app.exception_handler(StarletteHTTPException)
    def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        if is_htmx(request):
            headers = {"HX-Retarget": "#flash", "HX-Reswap": "innerHTML"}
            return page("_flash.html", exc.status_code, headers, error=str(exc.detail))
        return page("message.html", exc.status_code, title=f"{exc.status_code}", message=str(exc.detail), back="/")

    return app
