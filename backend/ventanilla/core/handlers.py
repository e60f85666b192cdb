"""One set of error handlers: JSON under /api, a fragment for HTMX, a page otherwise.

The refusal contract (every AppError, including a policy's `Refused`):
- JSON: `{code, detail, reason}`: `code` the stable machine code (for a policy "no", the reason
  code, the same on every route), `detail` the English sentence for the developer (a list of
  field errors for 422), `reason` the same sentence in the request's language, for a headless
  front end to show as it is.
- HTMX request: an inline message fragment (`components/refusal.html`) with the same status.
- Page: the error page with the translated message (routes that offer a better way back render
  their own refusal page with `refusal_text`).
"""

from __future__ import annotations

import logging
import re
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response

from ventanilla.core import i18n, middleware
from ventanilla.core.errors import AppError, FieldErrors

log = logging.getLogger("ventanilla")


class ErrorResponse(BaseModel):
    """Every refusal: a stable machine code, an English sentence, and the sentence translated."""

    code: str = Field(description="Stable machine code: the same reason has the same code")
    detail: str = Field(description="Why, in English, for the developer")
    reason: str | None = Field(
        default=None,
        description="Why, in the request's language (the customer's, else Accept-Language), "
        "ready to show to the shopper",
    )


ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    400: {"model": ErrorResponse, "description": "The body is not valid JSON"},
    401: {"model": ErrorResponse, "description": "Missing or invalid API key"},
    403: {"model": ErrorResponse, "description": "The key lacks the scope"},
    413: {"model": ErrorResponse, "description": "Body too large"},
}


def wants_json(request: Request) -> bool:
    return request.url.path.startswith("/api/") or request.url.path == "/api"


def is_htmx(request: Request) -> bool:
    return request.headers.get("hx-request") == "true"


def refusal_text(request: Request, exc: AppError) -> str:
    """The error's message in the request's language (JSON `reason`, pages, fragments): the
    shopper's wording of its code if it has one (`ERROR_TITLES`), else its own msgid."""
    from ventanilla.core.pages_common import ERROR_TITLES

    i18n.activate(request)
    title = ERROR_TITLES.get(exc.code)
    return i18n.gettext(title) if title else i18n.translate_error(exc)


def refusal_response(
    request: Request, exc: AppError, *, template: str, context: dict[str, Any]
) -> Response:
    """A refusal on a page that offers its own ways back: the inline message for an HTMX
    request, else `template` with `reason` (translated) and `code`; the error's status."""
    if is_htmx(request):
        return _fragment(request, exc)
    from ventanilla.core.templating import render  # templates load lazily

    page = {**context, "reason": refusal_text(request, exc), "code": exc.code}
    return render(request, template, page, status_code=exc.status_code)


def error_body(request: Request, exc: AppError) -> dict[str, Any]:
    """The JSON body of every AppError: {code, detail, reason}."""
    detail: Any = exc.errors if isinstance(exc, FieldErrors) else exc.message
    return {"code": exc.code, "detail": detail, "reason": refusal_text(request, exc)}


def _clean(errors: Any) -> list[dict[str, Any]]:
    return [
        {
            "loc": list(e.get("loc", [])),
            "msg": str(e.get("msg", "")),
            "type": str(e.get("type", "")),
        }
        for e in errors
    ]


def allowed_methods(request: Request) -> str:
    """Every method any route (pages and JSON alike) takes at this path, HEAD wherever GET is
    (HeadMiddleware): Starlette names only the first matching route's."""
    app = request.app
    table: list[tuple[re.Pattern[str], set[str]]] | None = getattr(app.state, "allow_table", None)
    if table is None:
        by_path: dict[str, set[str]] = {}
        for path, route_methods, _route in middleware.routes_of(app):
            if route_methods:
                by_path.setdefault(path, set()).update(m.upper() for m in route_methods)
        table = [
            (
                re.compile("^" + re.sub(r"\{[^}]+\}", "[^/]+", path) + "$"),
                ops | ({"HEAD"} if "GET" in ops else set()),
            )
            for path, ops in by_path.items()
        ]
        app.state.allow_table = table
    methods: set[str] = set()
    # A literal segment beats a parameter: /amendments/preview is not /amendments/{change_id}.
    best = -1
    for pattern, ops in table:
        if pattern.match(request.url.path):
            params = pattern.pattern.count("[^/]+")
            literal = pattern.pattern.count("/") - 2 * params  # each "[^/]+" holds a "/" too
            if literal > best:
                best, methods = literal, set(ops)
            elif literal == best:
                methods |= ops
    return ", ".join(sorted(methods))


def _html_error(request: Request, status: int, code: str, message: str) -> Response:
    from ventanilla.core.pages_common import render_error  # templates load lazily

    return render_error(request, status_code=status, code=code, message=message)


def _fragment(request: Request, exc: AppError) -> Response:
    from ventanilla.core.templating import render  # templates load lazily

    context = {"code": exc.code, "message": refusal_text(request, exc)}
    return render(request, "components/refusal.html", context, status_code=exc.status_code)


def install(app: FastAPI) -> None:
    @app.exception_handler(AppError)
    async def app_error(request: Request, exc: AppError) -> Response:
        headers = {"WWW-Authenticate": "Bearer"} if exc.status_code == 401 else None
        if wants_json(request):
            body = error_body(request, exc)
            return JSONResponse(body, status_code=exc.status_code, headers=headers)
        if is_htmx(request):
            return _fragment(request, exc)
        return _html_error(request, exc.status_code, exc.code, refusal_text(request, exc))

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError) -> Response:
        if wants_json(request):
            return JSONResponse(
                {"code": "validation_error", "detail": _clean(exc.errors())}, status_code=422
            )
        return _html_error(request, 422, "validation_error", "Some fields are not valid.")

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        headers = getattr(exc, "headers", None)
        if exc.status_code == 405:
            headers = {**(headers or {}), "Allow": allowed_methods(request)}
        code = {400: "bad_request", 404: "not_found", 405: "method_not_allowed"}.get(
            exc.status_code, "http_error"
        )
        if wants_json(request):
            return JSONResponse(
                {"code": code, "detail": str(exc.detail)},
                status_code=exc.status_code,
                headers=headers,
            )
        page = _html_error(request, exc.status_code, code, str(exc.detail))
        for name, value in (headers or {}).items():
            page.headers[name] = value
        return page

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> Response:
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        if wants_json(request):
            return JSONResponse(
                {"code": "internal_error", "detail": "Something went wrong on our side."},
                status_code=500,
            )
        return _html_error(request, 500, "internal_error", "Something went wrong on our side.")
