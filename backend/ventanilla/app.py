"""create_app(): routers, middleware, error handlers, templates, static files.

Routers and OpenAPI tags are found, not listed: every domain's `api` and `pages` modules
(`ventanilla.discovery`), so a new domain adds its own files and touches nothing here.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.staticfiles import StaticFiles
from starlette.responses import Response
from starlette.routing import BaseRoute

from ventanilla import __version__, discovery
from ventanilla.access import handlers as access_handlers
from ventanilla.access import policy as access_policy
from ventanilla.config import ROOT, Settings, get_settings, use_settings
from ventanilla.core import admission, handlers
from ventanilla.core.csrf import CSRFMiddleware
from ventanilla.core.deps import forbid_unknown_query
from ventanilla.core.middleware import (
    BodyLimitMiddleware,
    HeadMiddleware,
    SecurityHeadersMiddleware,
)
from ventanilla.core.templating import render
from ventanilla.media import uploads as media_uploads

log = logging.getLogger("ventanilla")

API_DESCRIPTION = """
The store integration API. The shop's systems push products, stock, orders, status changes,
shipments and invoices, and register webhooks to hear back about what shoppers did.

Authenticate with `Authorization: Bearer <key>` (create keys with `ventanilla apikey create NAME`).
Money is always an integer in minor units (cents) beside an ISO 4217 currency; times are ISO 8601
with an offset. Errors carry a stable `code` and a `detail`; validation errors list every field.
"""


API_PREFIX = "/api/v1"


def create_app(settings: Settings | None = None) -> FastAPI:
    if settings is not None:
        use_settings(settings)
    settings = get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        from ventanilla import worker

        runner = worker.start_in_background() if settings.run_worker_in_process else None
        try:
            yield
        finally:
            if runner is not None:
                runner.stop()

    app = FastAPI(
        title="Ventanilla",
        version=__version__,
        description=API_DESCRIPTION,
        lifespan=lifespan,
        # Our own /docs page: Swagger UI from npm, served by us under the strict CSP.
        docs_url=None,
        redoc_url=None,
        openapi_tags=openapi_tags(),
    )
    handlers.install(app)
    access_handlers.install(app)
    admission.install(
        app, settings, session_cookie=access_policy.session_cookie_name(settings.secure_cookies)
    )
    # Innermost of ours: a refused form post still gets the security headers.
    app.add_middleware(
        CSRFMiddleware,
        secret=settings.secret_key.get_secret_value(),
        secure=settings.secure_cookies,
        session_cookie=access_policy.session_cookie_name(settings.secure_cookies),
        base_url=settings.base_url,
    )
    app.add_middleware(HeadMiddleware)
    app.add_middleware(
        BodyLimitMiddleware,
        max_bytes=settings.max_body_bytes,
        route_limit=route_body_limits(settings),
    )
    # Outermost: every early answer (413, 403, 415) carries the security headers.
    app.add_middleware(SecurityHeadersMiddleware, hsts=settings.production)

    # Pages first: routes are matched in order, and a page request (the busiest) then never
    # tries the API's routes; the two never share a path (the API is all under API_PREFIX).
    for router in page_routers():
        app.include_router(router)
    app.include_router(api_router(), prefix=API_PREFIX)
    app.mount("/static", StaticFiles(directory=ROOT / "frontend" / "static"), name="static")

    @app.get("/docs", include_in_schema=False)
    def api_docs(request: Request) -> Response:
        """The store API reference (Swagger UI over /openapi.json)."""
        return render(request, "api_docs.html")

    return app


def api_router() -> APIRouter:
    """Every domain's JSON router (its `api.router`), in POSITION order, under one prefix."""
    router = APIRouter(
        responses=handlers.ERROR_RESPONSES, dependencies=[Depends(forbid_unknown_query)]
    )
    for module in discovery.load("api"):
        router.include_router(module.router)
    return router


def route_body_limits(settings: Settings) -> Callable[[str, BaseRoute], int | None]:
    """A route's own body limit, when it may exceed MAX_BODY_BYTES: photo uploads (routes that
    take `media.uploads.PhotoFormDep`: up to 8 x 10 MB) and the routes the domains' `api`
    modules declare (LARGER_BODIES: method, path template under /api/v1, the setting)."""
    declared = {
        (method, API_PREFIX + path): int(getattr(settings, setting))
        for module in discovery.load("api")
        for method, path, setting in getattr(module, "LARGER_BODIES", [])
    }

    def limit(path: str, route: BaseRoute) -> int | None:
        photos = media_uploads.route_body_limit(route)
        methods = getattr(route, "methods", None) or ()
        return max([photos or 0, *(declared.get((m, path), 0) for m in methods)]) or None

    return limit


def openapi_tags() -> list[dict[str, str]]:
    """The tags the domains' `api` modules declare (OPENAPI_TAGS), in the same order."""
    return [tag for module in discovery.load("api") for tag in getattr(module, "OPENAPI_TAGS", [])]


def page_routers() -> list[APIRouter]:
    """Every domain's HTML router (its `pages.router`), in POSITION order."""
    return [module.router for module in discovery.load("pages")]
