"""How shopper-access refusals answer: a redirect to "find my order", a link page, a 429 page."""

from __future__ import annotations

from urllib.parse import quote, urlencode

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, RedirectResponse
from starlette.responses import Response

from ventanilla.access import policy
from ventanilla.access.exceptions import LinkRejected, NoShopperSession
from ventanilla.core.handlers import error_body, wants_json
from ventanilla.core.ratelimit import RateLimited
from ventanilla.core.templating import render


def _back_here(request: Request) -> str:
    path = quote(request.url.path)
    if request.method == "GET" and request.url.query:
        path += "?" + request.url.query
    return policy.safe_next(path, default="")


def install(app: FastAPI) -> None:
    """Register the handlers (they win over the generic AppError one: a closer class)."""

    @app.exception_handler(NoShopperSession)
    async def no_session(request: Request, exc: NoShopperSession) -> Response:
        if wants_json(request):
            return JSONResponse(error_body(request, exc), status_code=401)
        back = _back_here(request)
        target = "/find" + ("?" + urlencode({"next": back}) if back else "")
        if request.headers.get("hx-request"):
            # HTMX would follow a 303 inside the page; ask it to navigate instead.
            return Response(status_code=200, headers={"HX-Redirect": target})
        return RedirectResponse(target, status_code=303)

    @app.exception_handler(RateLimited)
    async def rate_limited(request: Request, exc: RateLimited) -> Response:
        headers = {"Retry-After": str(exc.retry_after)}
        if wants_json(request):
            return JSONResponse(error_body(request, exc), status_code=429, headers=headers)
        return render(
            request,
            "access/too_many.html",
            {"minutes": exc.minutes},
            status_code=429,
            headers=headers,
        )

    @app.exception_handler(LinkRejected)
    async def link_rejected(request: Request, exc: LinkRejected) -> Response:
        if wants_json(request):
            return JSONResponse(error_body(request, exc), status_code=exc.status_code)
        return render(
            request,
            "access/link_problem.html",
            {"reason": exc.code, "values": {"order_number": exc.order_number or ""}, "errors": {}},
            status_code=exc.status_code,
            headers={"X-Robots-Tag": "noindex, nofollow"},
        )
