"""JSON routes for the store integration (shipments)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Response

from ventanilla.apikeys.deps import ShipmentsWriter
from ventanilla.core.deps import SessionDep
from ventanilla.core.fields import CODE_PATTERN
from ventanilla.core.handlers import ErrorResponse
from ventanilla.shipping import service
from ventanilla.shipping.schemas import (
    DuplicateEventRead,
    ShipmentCreate,
    ShipmentLineRead,
    ShipmentList,
    ShipmentRead,
    TrackingEventRead,
    TrackingEventsCreate,
    TrackingEventsRead,
)

# A body that is not JSON at all is refused before validation, with 400.
BAD_BODY: dict[int | str, dict[str, Any]] = {
    400: {"model": ErrorResponse, "description": "The body is not valid JSON"}
}

router = APIRouter(tags=["shipments"])
POSITION = 30
OPENAPI_TAGS = [{"name": "shipments", "description": "Shipments and carrier tracking events"}]

OrderNumber = Annotated[
    str, Path(min_length=1, max_length=64, pattern=CODE_PATTERN, description="The shop's number")
]
ShipmentId = Annotated[int, Path(ge=1, le=2_147_483_647, description="Ventanilla's shipment id")]

ORDER_NOT_FOUND: dict[int | str, dict[str, Any]] = {
    404: {"model": ErrorResponse, "description": "No order with this number (`order_not_found`)"}
}
SHIPMENT_NOT_FOUND: dict[int | str, dict[str, Any]] = {
    404: {"model": ErrorResponse, "description": "No shipment with this id (`shipment_not_found`)"}
}


@router.post(
    "/orders/{number}/shipments",
    status_code=201,
    response_model=ShipmentRead,
    responses={
        200: {
            "model": ShipmentRead,
            "description": "This carrier and tracking number were already stored: unchanged",
        },
        201: {"description": "Shipment created"},
        **BAD_BODY,
        **ORDER_NOT_FOUND,
        409: {
            "model": ErrorResponse,
            "description": "The order is cancelled (`order_cancelled`), or the tracking number "
            "is already stored with other details (`shipment_conflict`)",
        },
        422: {
            "description": "Invalid fields, a SKU not on the order, or more than is left to ship"
        },
    },
)
def create_shipment(
    number: OrderNumber,
    body: ShipmentCreate,
    actor: ShipmentsWriter,
    session: SessionDep,
    response: Response,
) -> ShipmentRead:
    """Record a parcel for an order; idempotent on carrier and tracking number."""
    result = service.create_shipment(session, actor=actor, order_number=number, data=body)
    if not result.created:
        response.status_code = 200
    return shipment_read(result.shipment)


@router.get("/orders/{number}/shipments", response_model=ShipmentList, responses=ORDER_NOT_FOUND)
def list_shipments(
    number: OrderNumber, _actor: ShipmentsWriter, session: SessionDep
) -> ShipmentList:
    """List an order's shipments with their lines and tracking events."""
    views = service.list_shipments(session, order_number=number)
    return ShipmentList(data=[shipment_read(v) for v in views], count=len(views))


@router.get("/shipments/{shipment_id}", response_model=ShipmentRead, responses=SHIPMENT_NOT_FOUND)
def get_shipment(
    shipment_id: ShipmentId, _actor: ShipmentsWriter, session: SessionDep
) -> ShipmentRead:
    """Read one shipment with its lines and tracking events."""
    return shipment_read(service.get_shipment(session, shipment_id=shipment_id))


@router.post(
    "/shipments/{shipment_id}/events",
    response_model=TrackingEventsRead,
    status_code=201,
    responses={
        200: {
            "model": TrackingEventsRead,
            "description": "Every event was already stored: nothing changed",
        },
        201: {"description": "At least one event was new"},
        **BAD_BODY,
        **SHIPMENT_NOT_FOUND,
        422: {"description": "Invalid fields, or an event dated more than a day ahead"},
    },
)
def add_tracking_events(
    shipment_id: ShipmentId,
    body: TrackingEventsCreate,
    actor: ShipmentsWriter,
    session: SessionDep,
    response: Response,
) -> TrackingEventsRead:
    """Add carrier tracking events; repeats are ignored and an older event never wins."""
    result = service.add_tracking_events(
        session, actor=actor, shipment_id=shipment_id, events=body.events
    )
    if result.added == 0:
        response.status_code = 200
    return TrackingEventsRead(
        added=result.added,
        duplicates=[
            DuplicateEventRead(index=i, occurred_at=at, status=status)  # type: ignore[arg-type]
            for i, at, status in result.duplicates
        ],
        shipment=shipment_read(result.shipment),
    )


def shipment_read(view: service.ShipmentView) -> ShipmentRead:
    return ShipmentRead(
        id=view.id,
        order_number=view.order_number,
        carrier=view.carrier,
        tracking_number=view.tracking_number,
        tracking_url=view.tracking_url,
        status=view.status,  # type: ignore[arg-type]
        shipped_at=view.shipped_at,
        lines=[ShipmentLineRead(sku=x.sku, quantity=x.quantity) for x in view.lines],
        events=[
            TrackingEventRead(
                occurred_at=e.occurred_at,
                status=e.status,  # type: ignore[arg-type]
                location=e.location,
                text=e.text,
            )
            for e in view.events
        ],
    )
