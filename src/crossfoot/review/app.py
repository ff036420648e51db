"""The review web app: FastAPI + Jinja2 + htmx, no JavaScript build step.

Pages render whole on GET; a field edit posts one value with htmx and gets
back the record panel plus out-of-band swaps of the findings, the source
highlights, the status bar and the audit trail, so the checks re-run on
every change. Status changes (approve, reject, skip) are ordinary form
posts that redirect to the next item.

Documents are untrusted input: every text goes through Jinja autoescape,
and a Content-Security-Policy lets only the app's own scripts run. The app
answers only to the host names it was started for (no DNS rebinding),
refuses cross-site posts in every mode, and, when a token or named
reviewers are configured, serves nothing but the login page without one
(``access.py``). A busy store answers 503 with a message to retry.
"""

from __future__ import annotations

import io
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlsplit

from fastapi import Depends, FastAPI, Form, HTTPException, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response, StreamingResponse
from fastapi.staticfiles import StaticFiles
from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.background import BackgroundTask
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.trustedhost import TrustedHostMiddleware

from crossfoot.errors import ConflictError, CrossfootError, StoreError
from crossfoot.model import FUNDING_COLUMNS, FUNDING_ROWS, LEVEL1_LABELS, LEVEL2_LABELS
from crossfoot.review.access import Access
from crossfoot.review.edits import (
    apply_repair,
    approve_as_printed,
    save_field,
    set_status,
    skip,
    start_record,
    undo,
)
from crossfoot.review.export import (
    EXPORT_FORMATS,
    ExportItem,
    iter_export_items,
    promote,
    write_csv,
    write_jsonl,
    write_xlsx,
)
from crossfoot.review.images import SourceImages, served_roots, source_of
from crossfoot.review.locks import FormLockedError, claim, guard, holders, take_over
from crossfoot.review.queue import (
    PAGE_SIZE,
    STATUSES,
    Progress,
    QueueFilters,
    QueueKey,
    counts,
    neighbours,
    progress,
    queue_page,
    recent_activity,
)
from crossfoot.review.store import Store, StoreBusyError
from crossfoot.review.view import (
    FUNDING_COLUMN_LABELS,
    FUNDING_ROW_LABELS,
    HEADER_FIELDS,
    INDICATOR_COLUMNS,
    banner,
    conflict_view,
    form_view,
    image_pane,
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
    "undone": "Undone",
    "token": "Token accepted",
}
#: only the app's own files; no inline script, no framing, no plugins
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    ),
    "X-Frame-Options": "DENY",
    # not no-referrer: with it, browsers send "Origin: null" on form posts, which the
    # cross-site guard must refuse
    "Referrer-Policy": "same-origin",
    "X-Content-Type-Options": "nosniff",
    "Cross-Origin-Opener-Policy": "same-origin",
}
#: forms per batch of a streamed CSV / JSONL download
EXPORT_BATCH = 200
#: what anyone may fetch without a token: the login page and what it needs
OPEN_PATHS = ("/token", "/healthz", "/static/")


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


async def _same_site_only(request: Request) -> None:
    if not _same_origin(request):
        raise HTTPException(403, "cross-site request refused")


def _client(request: Request) -> str:
    return request.client.host if request.client else "?"


def _offered_token(request: Request) -> str | None:
    return request.headers.get("x-crossfoot-token") or request.cookies.get(TOKEN_COOKIE)


def create_app(
    store: Store,
    settings: Settings,
    *,
    fixtures_dir: Path | None = None,
    access: Access | None = None,
    page_size: int = PAGE_SIZE,
) -> FastAPI:
    """The app over one store. ``fixtures_dir`` enables "promote to fixture";
    ``access`` sets tokens, named reviewers and trusted hosts (by default:
    the settings' host and shared token); ``page_size``: forms on a page of the queue."""
    app = FastAPI(title="crossfoot review", docs_url=None, redoc_url=None, openapi_url=None)
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    env = _environment()
    if access is None:
        token = settings.review_token.get_secret_value() if settings.review_token else None
        access = Access.build(host=settings.review_host, shared_token=token, reviewers=None)
    rules = access
    guarded = [Depends(_same_site_only)]
    token_required = rules.required

    @app.middleware("http")
    async def gatekeeper(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        request.state.reviewer = None
        path = request.url.path
        if rules.required and not path.startswith(OPEN_PATHS):
            response = _admit(request)
            if response is not None:
                return _secured(response)
        return _secured(await call_next(request))

    def _secured(response: Response) -> Response:
        response.headers.update(SECURITY_HEADERS)
        return response

    def _admit(request: Request) -> Response | None:
        """None when the request carries a good token; else the answer to give."""
        client = _client(request)
        wait = rules.throttle.wait_s(client)
        if wait:
            seconds = str(int(wait) + 1)
            return _refused(request, 429, f"too many wrong tokens: wait {seconds} s", {"Retry-After": seconds})
        offered = _offered_token(request)
        accepted, name = rules.identify(offered)
        if accepted:
            request.state.reviewer = name
            return None
        if offered:
            rules.throttle.failed(client)
        answer: Response
        if request.method == "GET" and not is_htmx(request):
            answer = RedirectResponse("/token", status_code=303)
        else:
            answer = _refused(request, 401, "this review server needs a token: open /token first")
        if request.cookies.get(TOKEN_COOKIE):
            answer.delete_cookie(TOKEN_COOKIE)  # a revoked or replaced token: ask once, not on every page
        return answer

    def _refused(request: Request, status: int, detail: str, headers: dict[str, str] | None = None) -> Response:
        answer = http_error(request, StarletteHTTPException(status, detail))
        answer.headers.update(headers or {})
        return answer

    def page(name: str, status_code: int = 200, headers: dict[str, str] | None = None, **context: Any) -> HTMLResponse:
        context.setdefault("db", store.display_url)
        context.setdefault("token_required", token_required)
        context.setdefault("named_reviewers", rules.named)
        context.setdefault("signed_in", None)
        context.setdefault("fixtures_dir", fixtures_dir)
        return HTMLResponse(env.get_template(name).render(**context), status_code=status_code, headers=headers)

    def who(request: Request, reviewer: str | None) -> str | None:
        # A named reviewer's token says who they are; nothing the browser sends can.
        if rules.named:
            named: str | None = request.state.reviewer
            return named
        return reviewer or request.cookies.get(REVIEWER_COOKIE)

    def enforce(form_id: int, name: str | None) -> None:
        """Refuse a change to a form another reviewer has open (409 until they take it over).

        Only with named reviewers, whose name comes from their token: a typed
        name is anyone's to type, so without them the lock is advisory (the
        banner and the page's disabled buttons), not a refusal the server
        could not back."""
        if rules.named:
            guard(store, form_id, name)

    def viewer(request: Request) -> str | None:
        """Who is looking (for presence): the token's name, else the name the browser keeps."""
        return who(request, None)

    def is_htmx(request: Request) -> bool:
        return request.headers.get("hx-request") == "true"

    def current_filters(request: Request) -> QueueFilters:
        """The filtered queue the reviewer is working through: htmx says which page it posts from."""
        return QueueFilters.parse(urlsplit(request.headers.get("hx-current-url", "")).query)

    def after_change(request: Request, form_id: int) -> Response:
        if not is_htmx(request):
            return RedirectResponse(f"/forms/{form_id}", status_code=303)
        filters = current_filters(request)
        view = form_view(store, form_id, filters)
        return page("form_update.html", view=view, saved=True, nav=filters, progress=progress(store, filters))

    def moved_on(form_id: int, done: str, filters: QueueFilters) -> RedirectResponse:
        """After a decision or a skip: the next form of the same filtered queue, or that queue's page."""
        _, following = neighbours(store, form_id, filters)
        query = f"msg={done}&of={form_id}" + (f"&{filters.query()}" if filters.suffix else "")
        return RedirectResponse(f"/forms/{following}?{query}" if following else f"/?{query}", status_code=303)

    def problem(
        request: Request,
        form_id: int,
        exc: StoreError,
        seen: int | None,
        field: str | None = None,
        mine: str | None = None,
    ) -> Response:
        if isinstance(exc, StoreBusyError):
            return busy(request, exc)
        if isinstance(exc, FormLockedError):  # someone else has the form open: read-only until taken over
            if is_htmx(request):
                return page("_flash.html", 409, {"HX-Retarget": "#flash", "HX-Reswap": "innerHTML"}, error=exc.message)
            return page(
                "message.html",
                409,
                title="Someone else is reviewing this form",
                message=exc.message,
                back=f"/forms/{form_id}",
            )
        if isinstance(exc, ConflictError):
            conflict = conflict_view(store, form_id, seen if seen is not None else exc.current_version - 1, field, mine)
            if is_htmx(request):
                retarget = {"HX-Retarget": "#conflict-slot", "HX-Reswap": "innerHTML"}
                return page("_conflict.html", 409, retarget, c=conflict)
            return page("conflict.html", 409, c=conflict, signed_in=request.state.reviewer)
        if is_htmx(request):
            return page("_flash.html", 422, {"HX-Retarget": "#flash", "HX-Reswap": "innerHTML"}, error=exc.message)
        return page("message.html", 422, title="Not saved", message=exc.message, back=f"/forms/{form_id}")

    def busy(request: Request, exc: StoreBusyError) -> Response:
        return _refused(request, 503, exc.message, {"Retry-After": "2"})

    @app.exception_handler(StoreBusyError)
    def busy_anywhere(request: Request, exc: StoreBusyError) -> Response:
        return busy(request, exc)

    @app.get("/healthz")
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/", response_class=HTMLResponse)
    def queue_view(
        request: Request,
        status: str = "needs_review",
        code: str | None = None,
        severity: str | None = None,
        document: int | None = None,
        q: str | None = None,
        after: str | None = None,
        before: str | None = None,
        msg: str | None = None,
        of: int | None = None,
        n: int | None = None,
        refused: int = 0,
    ) -> HTMLResponse:
        search = (q or "").strip()[:200] or None
        filters = QueueFilters(status, code or None, severity or None, document, search)
        text = MESSAGES.get(msg or "")
        if msg == "bulk" and n is not None:
            text = f"Approved {n} form{'s' if n != 1 else ''} as printed" + (
                f"; {refused} left as they were (changed meanwhile, or the check is no longer open)" if refused else ""
            )
        # keyset pagination: a page link carries the key of the last (or first) form shown
        shown = queue_page(store, filters, after=QueueKey.decode(after), before=QueueKey.decode(before), size=page_size)
        numbers = counts(store, filters)
        return page(
            "queue.html",
            rows=shown.rows,
            shown=shown,
            reviewing=holders(store, [row.form_id for row in shown.rows]),
            progress=Progress.of(numbers.by_status),
            counts=numbers,
            activity=recent_activity(store),
            filters=filters,
            message=text,
            banner=banner(store, text, of),
            signed_in=request.state.reviewer,
        )

    @app.get("/next")
    def next_item() -> RedirectResponse:
        rows = queue_page(store, size=1).rows
        return RedirectResponse(f"/forms/{rows[0].form_id}" if rows else "/?msg=", status_code=303)

    @app.get("/forms/{form_id}", response_class=HTMLResponse)
    def form_page(request: Request, form_id: int, msg: str | None = None, of: int | None = None) -> HTMLResponse:
        filters = QueueFilters.parse(request.url.query)
        try:
            view = form_view(store, form_id, filters)
        except StoreError as exc:
            return page("message.html", 404, title="Not found", message=exc.message, back="/")
        text = MESSAGES.get(msg or "")
        held = claim(store, form_id, viewer(request))  # opening the form claims it (or says who has it)
        return page(
            "form.html",
            presence=held,
            # never from the browser's cache: Back must not show a stale page that can act
            headers={"Cache-Control": "no-store"},
            view=view,
            nav=filters,
            progress=progress(store, filters),
            message=text,
            banner=banner(store, text, of if of is not None else form_id),
            signed_in=request.state.reviewer,
        )

    # --- the page image of a scan or PDF, rendered on demand (issue 11, item 4; images.py) ---
    images = SourceImages(settings.review_image_cache, served_roots(store), max_pixels=settings.max_image_pixels)

    @app.get("/forms/{form_id}/pages", response_class=HTMLResponse)
    def page_pane(form_id: int) -> HTMLResponse:
        try:
            pane = image_pane(store, form_id, images)
        except StoreError as exc:
            return page("_flash.html", 404, error=exc.message)
        return page("_pages.html", headers={"Cache-Control": "no-store"}, pane=pane)

    @app.get("/forms/{form_id}/pages/{number}.png")
    def page_png(form_id: int, number: int) -> Response:
        try:
            path, sha256 = source_of(store, form_id)
            png = images.render(path, sha256, number)
        except CrossfootError as exc:
            return Response(str(exc), 404, media_type="text/plain; charset=utf-8")
        # keyed by content: the same URL may show another file only if the form's document changes
        return FileResponse(png, media_type="image/png", headers={"Cache-Control": "private, max-age=300"})

    @app.post("/forms/{form_id}/field", dependencies=guarded)
    def edit_field(
        request: Request,
        form_id: int,
        field: Annotated[str, Form()],
        version: Annotated[int, Form()],
        value: Annotated[str, Form()] = "",
        reviewer: Annotated[str | None, Form()] = None,
        reason: Annotated[str | None, Form()] = None,
        unprinted: Annotated[bool, Form()] = False,
    ) -> Response:
        # "unprinted": the reviewer says the document does not print this value
        action = "unprinted" if unprinted else "edit"
        try:
            name = who(request, reviewer)
            enforce(form_id, name)
            save_field(store, form_id, field, value, version=version, reviewer=name, reason=reason, action=action)
        except StoreError as exc:
            return problem(request, form_id, exc, version, field, value)
        return after_change(request, form_id)

    @app.post("/forms/{form_id}/repair", dependencies=guarded)
    def repair(
        request: Request,
        form_id: int,
        field: Annotated[str, Form()],
        version: Annotated[int, Form()],
        value: Annotated[str | None, Form()] = None,
        reviewer: Annotated[str | None, Form()] = None,
    ) -> Response:
        try:
            enforce(form_id, who(request, reviewer))
            apply_repair(store, form_id, field, version=version, reviewer=who(request, reviewer), value=value)
        except StoreError as exc:
            # the conflict panel offers exactly the value the reviewer clicked
            return problem(request, form_id, exc, version, field, value)
        return after_change(request, form_id)

    @app.post("/bulk/approve", dependencies=guarded)
    def bulk_approve(
        request: Request,
        code: Annotated[str, Form()],
        reason: Annotated[str, Form()] = "",
        pick: Annotated[list[str] | None, Form()] = None,
        reviewer: Annotated[str | None, Form()] = None,
        queue_filter: Annotated[str, Form(alias="queue")] = "",
    ) -> Response:
        """Approve the ticked forms as printed, with one reason (issue 11, item 8)."""
        picks = []
        for value in pick or []:
            form_id, _, version = value.partition(":")
            if not (form_id.isdigit() and version.isdigit()):
                raise HTTPException(422, f"pick: {value!r} is not form:version")
            picks.append((int(form_id), int(version)))
        if not picks:
            raise HTTPException(422, "tick the forms to approve first")
        try:
            name = who(request, reviewer)
            # a form another reviewer has open is left to them (counted as left as it was)
            locked = holders(store, [form for form, _ in picks]) if rules.named else {}
            others = {form for form, holder in locked.items() if holder != name}
            free = [(form, version) for form, version in picks if form not in others]
            outcome = approve_as_printed(store, free, code=code, reviewer=name, reason=reason)
        except StoreError as exc:
            return page("message.html", 422, title="Not approved", message=exc.message, back="/")
        filters = QueueFilters.parse(queue_filter)
        query = f"msg=bulk&n={len(outcome.approved)}&refused={len(outcome.refused) + len(others)}"
        return RedirectResponse(f"/?{filters.query()}&{query}" if filters.suffix else f"/?{query}", status_code=303)

    @app.post("/forms/{form_id}/start", dependencies=guarded)
    def start(
        request: Request,
        form_id: int,
        version: Annotated[int, Form()],
        reviewer: Annotated[str | None, Form()] = None,
    ) -> Response:
        try:
            enforce(form_id, who(request, reviewer))
            start_record(store, form_id, version=version, reviewer=who(request, reviewer))
        except StoreError as exc:
            return problem(request, form_id, exc, version)
        return RedirectResponse(f"/forms/{form_id}", status_code=303)

    @app.post("/forms/{form_id}/presence", dependencies=guarded)
    def heartbeat(request: Request, form_id: int) -> dict[str, object]:
        """The open page renews its reviewer's claim (static/presence.js)."""
        try:
            held = claim(store, form_id, viewer(request))
        except StoreError as exc:
            raise HTTPException(404, exc.message) from exc
        if held is None:
            return {"reviewer": None, "read_only": False}
        return {"reviewer": held.reviewer, "since": held.since.isoformat(), "read_only": held.read_only}

    @app.post("/forms/{form_id}/takeover", dependencies=guarded)
    def takeover(
        request: Request,
        form_id: int,
        reviewer: Annotated[str | None, Form()] = None,
        queue_filter: Annotated[str, Form(alias="queue")] = "",
    ) -> Response:
        """Take a form over from the reviewer who has it open (audited)."""
        name = who(request, reviewer)
        if not name:
            return page("message.html", 422, title="Not taken over", message="say who you are first", back="/")
        try:
            take_over(store, form_id, name)
        except StoreError as exc:
            return problem(request, form_id, exc, None)
        filters = QueueFilters.parse(queue_filter)
        return RedirectResponse(f"/forms/{form_id}{filters.suffix}", status_code=303)

    @app.post("/forms/{form_id}/{action}", dependencies=guarded)
    def decide(
        request: Request,
        form_id: int,
        action: str,
        version: Annotated[int | None, Form()] = None,
        reviewer: Annotated[str | None, Form()] = None,
        reason: Annotated[str | None, Form()] = None,
        as_printed: Annotated[bool, Form()] = False,
        override: Annotated[bool, Form()] = False,
        queue_filter: Annotated[str, Form(alias="queue")] = "",
    ) -> Response:
        filters = QueueFilters.parse(queue_filter)
        try:
            if action == "skip":
                skip(store, form_id, reviewer=who(request, reviewer))
                return moved_on(form_id, "skipped", filters)
            if action == "undo" and version is not None:
                enforce(form_id, who(request, reviewer))
                undo(store, form_id, version=version, reviewer=who(request, reviewer))
                return RedirectResponse(f"/forms/{form_id}?msg=undone", status_code=303)
            if action == "promote":
                return _promote(request, form_id, reviewer, override)
            enforce(form_id, who(request, reviewer))
            if action not in ("approve", "reject", "reopen") or version is None:
                raise HTTPException(404)
            by = who(request, reviewer)
            set_status(store, form_id, action, version=version, reviewer=by, reason=reason, as_printed=as_printed)
        except StoreError as exc:
            return problem(request, form_id, exc, version)
        done = {"approve": "approved", "reject": "rejected", "reopen": "reopened"}[action]
        if action == "reopen":
            return RedirectResponse(f"/forms/{form_id}?msg={done}", status_code=303)
        return moved_on(form_id, done, filters)

    def _promote(request: Request, form_id: int, reviewer: str | None, override: bool) -> Response:
        if fixtures_dir is None:
            raise StoreError("start `crossfoot review --fixtures DIR` to promote records to fixtures")
        name = who(request, reviewer)
        promote(store, form_id, fixtures_dir, by=name or "", allow_not_as_printed=override)
        return RedirectResponse(f"/forms/{form_id}?msg=promoted", status_code=303)

    @app.get("/export")
    def export(
        format: Annotated[str, Query(pattern="^(jsonl|csv|xlsx)$")] = "jsonl",
        status: str = "approved",
    ) -> Response:
        name = f"crossfoot-{status}.{format}"
        headers = {"Content-Disposition": f'attachment; filename="{name}"'}
        if format == "xlsx":
            import os
            import tempfile

            handle, temporary = tempfile.mkstemp(suffix=".xlsx")
            os.close(handle)
            write_xlsx(iter_export_items(store, status), Path(temporary), store=store)
            media = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
            cleanup = BackgroundTask(Path(temporary).unlink, missing_ok=True)
            return FileResponse(temporary, media_type=media, headers=headers, background=cleanup)

        def writer(chunk: list[ExportItem], out: io.StringIO, first: bool) -> None:
            if format == "jsonl":
                write_jsonl(chunk, out)
                return
            if first:
                out.write("\ufeff")  # a BOM so Excel reads the Chinese as UTF-8
            write_csv(chunk, out, header=first)  # one header, not one per batch

        def lines() -> Iterator[str]:
            # Written a batch of forms at a time, never the whole export in memory.
            buffer = io.StringIO()
            chunk: list[ExportItem] = []
            first = True
            for item in iter_export_items(store, status):
                chunk.append(item)
                if len(chunk) == EXPORT_BATCH:
                    writer(chunk, buffer, first)
                    first = False
                    yield buffer.getvalue()
                    buffer.seek(0), buffer.truncate()
                    chunk = []
            writer(chunk, buffer, first)
            yield buffer.getvalue()

        media = "text/csv; charset=utf-8" if format == "csv" else "application/x-ndjson; charset=utf-8"
        return StreamingResponse(lines(), media_type=media, headers=headers)

    @app.get("/token", response_class=HTMLResponse)
    def token_page() -> HTMLResponse:
        return page("token.html")

    @app.post("/token")
    def token_login(request: Request, token: Annotated[str, Form()]) -> Response:
        client = _client(request)
        wait = rules.throttle.wait_s(client)
        if wait:
            retry = {"Retry-After": str(int(wait) + 1)}
            return page("token.html", 429, retry, error="Too many wrong tokens: wait a minute.")
        accepted, _ = rules.identify(token)
        if not _same_origin(request) or not accepted:
            rules.throttle.failed(client)
            return page("token.html", 401, error="That is not a token of this server.")
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

    # Outermost: a request for any other host name never reaches the app.
    app.add_middleware(TrustedHostMiddleware, allowed_hosts=rules.allowed_hosts)
    return app
