"""Request and response models of the shipments API."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    HttpUrl,
    StringConstraints,
    TypeAdapter,
    ValidationError,
)

from ventanilla.core.fields import Code, StrictModel, UTCDatetime

# One line of text: no control characters (PostgreSQL refuses NUL, and nobody means them).
SINGLE_LINE = r"^[^\x00-\x1f\x7f]*$"

TRACKING_STATUSES = (
    "label_created",
    "in_transit",
    "out_for_delivery",
    "delivered",
    "exception",
    "returned_to_sender",
)
TrackingStatus = Literal[
    "label_created",
    "in_transit",
    "out_for_delivery",
    "delivered",
    "exception",
    "returned_to_sender",
]
TRACKING_STATUS_HELP = (
    "Normalised carrier status: `label_created` (the carrier has the parcel's data), "
    "`in_transit`, `out_for_delivery`, `delivered`, `exception` (a failed attempt, a delay, "
    "damage: say what in `text`), `returned_to_sender`. Put the carrier's own wording in `text`."
)


_HTTP_URL: TypeAdapter[HttpUrl] = TypeAdapter(HttpUrl)


def _http_url(value: str) -> str:
    try:
        _HTTP_URL.validate_python(value)
    except ValidationError as exc:
        raise ValueError("must be an http or https URL") from exc
    return value


Carrier = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100, pattern=SINGLE_LINE)
]
TrackingNumber = Carrier
Location = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200, pattern=SINGLE_LINE)
]
EventText = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500, pattern=SINGLE_LINE)
]
TrackingUrl = Annotated[
    str,
    StringConstraints(
        strip_whitespace=True, max_length=2000, pattern=r"^https?://[^\s\x00-\x1f\x7f]+$"
    ),
    AfterValidator(_http_url),
]
Quantity = Annotated[int, Field(ge=1, le=1_000_000)]

SHIPMENT_EXAMPLE: dict[str, Any] = {
    "carrier": "SEUR",
    "tracking_number": "0123456789",
    "tracking_url": "https://www.seur.com/livetracking/?segOnlineIdentificador=0123456789",
    "shipped_at": "2026-11-20T09:30:00+01:00",
    "lines": [{"sku": "TREN-01", "quantity": 1}],
}
EVENTS_EXAMPLE: dict[str, Any] = {
    "events": [
        {
            "occurred_at": "2026-11-20T18:02:00+01:00",
            "status": "in_transit",
            "location": "Madrid",
            "text": "En tránsito",
        },
        {
            "occurred_at": "2026-11-21T08:15:00+01:00",
            "status": "out_for_delivery",
            "location": "Sevilla",
            "text": "En reparto",
        },
    ]
}


class ShipmentLineCreate(StrictModel):
    sku: Code
    quantity: Quantity


class ShipmentCreate(StrictModel):
    """A parcel on its way. Without `lines` it carries everything on the order not shipped yet."""

    model_config = ConfigDict(json_schema_extra={"examples": [SHIPMENT_EXAMPLE]})

    carrier: Carrier
    tracking_number: TrackingNumber
    tracking_url: TrackingUrl | None = Field(
        default=None, description="Where the shopper follows the parcel (http or https)."
    )
    shipped_at: UTCDatetime | None = Field(
        default=None, description="When the parcel left; defaults to the time of the request."
    )
    lines: list[ShipmentLineCreate] | None = Field(
        default=None,
        min_length=1,
        max_length=500,
        description="What is in the parcel; omit it when everything not yet shipped is in it.",
    )


class TrackingEventCreate(StrictModel):
    occurred_at: UTCDatetime = Field(description="When the carrier saw it, with an offset.")
    status: TrackingStatus = Field(description=TRACKING_STATUS_HELP)
    location: Location | None = None
    text: EventText | None = Field(default=None, description="The carrier's own words.")


class TrackingEventsCreate(StrictModel):
    """Carrier tracking events, 1 to 100 at a time, in any order."""

    model_config = ConfigDict(json_schema_extra={"examples": [EVENTS_EXAMPLE]})

    events: list[TrackingEventCreate] = Field(min_length=1, max_length=100)


class ShipmentLineRead(BaseModel):
    sku: str
    quantity: int


class TrackingEventRead(BaseModel):
    occurred_at: datetime
    status: TrackingStatus
    location: str | None
    text: str | None


class ShipmentRead(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": 41,
                    "order_number": "LP-1001",
                    "carrier": "SEUR",
                    "tracking_number": "0123456789",
                    "tracking_url": SHIPMENT_EXAMPLE["tracking_url"],
                    "status": "in_transit",
                    "shipped_at": "2026-11-20T08:30:00Z",
                    "lines": [{"sku": "TREN-01", "quantity": 1}],
                    "events": [
                        {
                            "occurred_at": "2026-11-20T17:02:00Z",
                            "status": "in_transit",
                            "location": "Madrid",
                            "text": "En tránsito",
                        }
                    ],
                }
            ]
        }
    )

    id: int
    order_number: str
    carrier: str
    tracking_number: str
    tracking_url: str | None
    status: TrackingStatus | None = Field(
        description="Status of the newest tracking event by time; null before the first one."
    )
    shipped_at: datetime | None
    lines: list[ShipmentLineRead]
    events: list[TrackingEventRead] = Field(description="Oldest first.")


class ShipmentList(BaseModel):
    data: list[ShipmentRead]
    count: int


class DuplicateEventRead(BaseModel):
    index: int = Field(description="Position of the ignored event in the request's `events`.")
    occurred_at: datetime
    status: TrackingStatus


class TrackingEventsRead(BaseModel):
    added: int = Field(description="How many events were new.")
    duplicates: list[DuplicateEventRead] = Field(
        description="Events already stored (same time and status), ignored."
    )
    shipment: ShipmentRead
