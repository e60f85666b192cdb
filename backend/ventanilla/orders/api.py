"""JSON routes for the store integration (orders)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Response

from ventanilla.apikeys.deps import OrdersWriter
from ventanilla.core.deps import SessionDep
from ventanilla.core.fields import CODE_PATTERN
from ventanilla.core.handlers import ErrorResponse
from ventanilla.orders import readback, service
from ventanilla.orders.schemas import (
    OrderCreate,
    OrderDetailRead,
    OrderRead,
    OrderStatusRead,
    OrderStatusUpdate,
    OrderWriteRead,
)

router = APIRouter(tags=["orders"])
POSITION = 20
OPENAPI_TAGS = [{"name": "orders", "description": "Orders, status changes and the packing claim"}]

OrderNumber = Annotated[
    str,
    Path(
        min_length=1,
        max_length=64,
        pattern=CODE_PATTERN,
        description="The shop's order number: 1-64 letters, digits, '.', '_' or '-'",
        examples=["ES-2025-001234"],
    ),
]

NOT_FOUND: dict[int | str, dict[str, Any]] = {
    404: {"model": ErrorResponse, "description": "No order with this number (order_not_found)"}
}


def _conflict(description: str) -> dict[int | str, dict[str, Any]]:
    return {409: {"model": ErrorResponse, "description": description}}


@router.get("/orders/{number}", response_model=OrderDetailRead, responses={**NOT_FOUND})
def get_order(number: OrderNumber, actor: OrdersWriter, session: SessionDep) -> OrderDetailRead:
    """Read the order back as Ventanilla holds it: version, lines, totals, changes, requests."""
    return readback.read_order(session, number=number)


@router.put(
    "/orders/{number}",
    response_model=OrderWriteRead,
    responses={
        201: {"model": OrderWriteRead, "description": "Created"},
        **_conflict(
            "order_locked: packing has started (or the order is cancelled), so its content "
            "cannot change; illegal_transition: the status in the push is not allowed"
        ),
    },
)
def put_order(
    number: OrderNumber,
    body: OrderCreate,
    actor: OrdersWriter,
    session: SessionDep,
    response: Response,
) -> OrderWriteRead:
    """Create or update the whole order; pushing the same order again changes nothing."""
    written = service.put_order(session, actor=actor, number=number, data=body)
    if written.result == "created":
        response.status_code = 201
    read = OrderRead.from_view(written.view)
    return OrderWriteRead(**dict(read), result=written.result)


@router.post(
    "/orders/{number}/status",
    response_model=OrderStatusRead,
    responses={
        **NOT_FOUND,
        **_conflict("illegal_transition: the order cannot move to this status (detail says why)"),
    },
)
def post_status(
    number: OrderNumber, body: OrderStatusUpdate, actor: OrdersWriter, session: SessionDep
) -> OrderStatusRead:
    """Record a status event; an event older than the current status is kept but not applied."""
    written = service.change_status(session, actor=actor, number=number, data=body)
    read = OrderRead.from_view(written.view)
    return OrderStatusRead(**dict(read), result=written.result)  # type: ignore[arg-type]


@router.post(
    "/orders/{number}/packing",
    response_model=OrderRead,
    responses={
        **NOT_FOUND,
        **_conflict(
            "already_claimed: packing already started (or later); order_not_paid: the order "
            "is not paid yet; order_cancelled"
        ),
    },
)
def claim_packing(number: OrderNumber, actor: OrdersWriter, session: SessionDep) -> OrderRead:
    """Claim the order for packing: it moves to packing and this is the final content to pack."""
    view = service.claim_for_packing(session, actor=actor, number=number)
    return OrderRead.from_view(view)
