"""`StoreClient`: the shop's systems, authenticated by a Bearer API key with a scope."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from ventanilla.apikeys import service
from ventanilla.core.actors import Actor
from ventanilla.core.deps import SessionDep
from ventanilla.db import session_scope

bearer = HTTPBearer(auto_error=False, description="API key from `ventanilla apikey create`")


def store_actor(scope: str) -> Callable[..., Actor]:
    def dependency(
        request: Request,
        session: SessionDep,
        credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
    ) -> Actor:
        record = service.authenticate(
            session, key=credentials.credentials if credentials else None, scope=scope
        )
        request.state.api_key_id = record.id
        return Actor.store(record.name)

    return dependency


def store_actor_before_transaction(scope: str) -> Callable[..., Actor]:
    """The same check in a short read-only session of its own, for a route that reads a large
    body after authenticating: the upload then does not hold the request's write transaction
    (on SQLite, the database's one write lock)."""

    def dependency(
        request: Request,
        credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
    ) -> Actor:
        with session_scope(write=False) as session:
            record = service.authenticate(
                session, key=credentials.credentials if credentials else None, scope=scope
            )
        request.state.api_key_id = record.id
        return Actor.store(record.name)

    return dependency


CatalogWriter = Annotated[Actor, Depends(store_actor("catalog:write"))]
OrdersWriter = Annotated[Actor, Depends(store_actor("orders:write"))]
ShipmentsWriter = Annotated[Actor, Depends(store_actor("shipments:write"))]
InvoicesWriter = Annotated[Actor, Depends(store_actor("invoices:write"))]
LinksCreator = Annotated[Actor, Depends(store_actor("links:create"))]
WebhooksManager = Annotated[Actor, Depends(store_actor("webhooks:manage"))]
InvoicesUploader = Annotated[Actor, Depends(store_actor_before_transaction("invoices:write"))]
