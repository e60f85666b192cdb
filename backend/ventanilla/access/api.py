"""JSON routes: signed "my order" links for the shop's emails."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body

from ventanilla.access import service
from ventanilla.access.schemas import LinkCreate, LinkRead
from ventanilla.apikeys.deps import LinksCreator
from ventanilla.core.deps import SessionDep
from ventanilla.core.handlers import ErrorResponse

router = APIRouter(tags=["links"])
POSITION = 50
OPENAPI_TAGS = [{"name": "links", "description": 'Signed "my order" links for the shop\'s emails'}]


@router.post(
    "/orders/{number}/links",
    status_code=201,
    response_model=LinkRead,
    responses={404: {"model": ErrorResponse, "description": "No order with this number"}},
)
def create_order_link(
    number: str,
    session: SessionDep,
    actor: LinksCreator,
    body: Annotated[LinkCreate | None, Body()] = None,
) -> LinkRead:
    """Create a "my order" link for the order's customer (or sign one offline, see the docs)."""
    options = body or LinkCreate()
    issued = service.create_link(
        session,
        actor=actor,
        order_number=number,
        ttl_days=options.ttl_days,
        max_uses=options.max_uses,
    )
    return LinkRead(url=issued.url, expires_at=issued.expires_at)
