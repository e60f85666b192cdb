"""create_app(): routers, middleware, error handlers, templates, static files."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.staticfiles import StaticFiles
from sqlalchemy import text
from starlette.responses import Response

from ventanilla import __version__
from ventanilla.access import handlers as access_handlers
from ventanilla.config import ROOT, Settings, get_settings, use_settings
from ventanilla.core import handlers
from ventanilla.core.csrf import CSRFMiddleware
from ventanilla.core.deps import SessionDep, forbid_unknown_query
from ventanilla.core.middleware import BodyLimitMiddleware, SecurityHeadersMiddleware
from ventanilla.core.templating import render

log = logging.getLogger("ventanilla")

API_DESCRIPTION = """
The store integration API. The shop's systems push products, stock, orders, status changes,
shipments and invoices, and register webhooks to hear back about what shoppers did.

Authenticate with `Authorization: Bearer <key>` (create keys with `ventanilla apikey create NAME`).
Money is always an integer in minor units (cents) beside an ISO 4217 currency; times are ISO 8601
with an offset. Errors carry a stable `code` and a `detail`; validation errors list every field.
"""


def create_app(settings: Settings | None = None) -> FastAPI:
    if settings is not None:
        use_settings(settings)
    settings = get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        from ventanilla.outbox import worker

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
        openapi_tags=[
            {"name": "catalog", "description": "Products and stock"},
            {"name": "orders", "description": "Orders, status changes and the packing claim"},
            {"name": "shipments", "description": "Shipments and carrier tracking events"},
            {"name": "invoices", "description": "Invoices and credit notes (immutable)"},
            {"name": "links", "description": 'Signed "my order" links for the shop\'s emails'},
            {"name": "webhooks", "description": "Where Ventanilla sends events, and the log"},
        ],
    )
    handlers.install(app)
    access_handlers.install(app)
    # Innermost of ours: a refused form post still gets the security headers.
    app.add_middleware(
        CSRFMiddleware,
        secret=settings.secret_key.get_secret_value(),
        secure=settings.secure_cookies,
    )
    app.add_middleware(SecurityHeadersMiddleware, hsts=settings.production)
    app.add_middleware(BodyLimitMiddleware, max_bytes=settings.max_body_bytes)

    app.include_router(api_router(), prefix="/api/v1")
    for router in page_routers():
        app.include_router(router)
    app.mount("/static", StaticFiles(directory=ROOT / "frontend" / "static"), name="static")

    @app.get("/docs", include_in_schema=False)
    def api_docs(request: Request) -> Response:
        """The store API reference (Swagger UI over /openapi.json)."""
        return render(request, "api_docs.html")

    @app.get("/healthz", include_in_schema=False)
    def healthz(session: SessionDep) -> dict[str, str]:
        session.exec(text("SELECT 1"))  # type: ignore[call-overload]
        return {"status": "ok", "version": __version__}

    return app


def api_router() -> APIRouter:
    from ventanilla.access import api as access_api
    from ventanilla.addresses import api as addresses_api
    from ventanilla.catalog import api as catalog_api
    from ventanilla.changes import api as changes_api
    from ventanilla.invoices import api as invoices_api
    from ventanilla.orders import api as orders_api
    from ventanilla.outbox import api as webhooks_api
    from ventanilla.payments import api as payments_api
    from ventanilla.shipping import api as shipping_api

    router = APIRouter(
        responses=handlers.ERROR_RESPONSES, dependencies=[Depends(forbid_unknown_query)]
    )
    for module in (
        catalog_api,
        orders_api,
        shipping_api,
        invoices_api,
        webhooks_api,
        access_api,
        addresses_api,
        payments_api,
        changes_api,
    ):
        router.include_router(module.router)
    return router


def page_routers() -> list[APIRouter]:
    from ventanilla.access import pages as access_pages
    from ventanilla.addresses import pages as addresses_pages
    from ventanilla.changes import pages as changes_pages
    from ventanilla.orders import pages as orders_pages

    return [orders_pages.router, access_pages.router, addresses_pages.router, changes_pages.router]
