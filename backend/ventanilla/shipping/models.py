from __future__ import annotations

from datetime import datetime

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel

from ventanilla.core.models import created_at_field, utc_field


class Shipment(SQLModel, table=True):
    __tablename__ = "shipments"
    __table_args__ = (UniqueConstraint("order_id", "carrier", "tracking_number"),)

    id: int | None = Field(default=None, primary_key=True)
    order_id: int = Field(foreign_key="orders.id", index=True)
    carrier: str = Field(max_length=100)
    tracking_number: str = Field(max_length=100)
    tracking_url: str | None = Field(default=None, max_length=2000)
    status: str | None = Field(default=None, max_length=40)
    shipped_at: datetime | None = utc_field()
    created_at: datetime = created_at_field()


class ShipmentLine(SQLModel, table=True):
    __tablename__ = "shipment_lines"

    id: int | None = Field(default=None, primary_key=True)
    shipment_id: int = Field(foreign_key="shipments.id", index=True)
    order_line_id: int = Field(foreign_key="order_lines.id", index=True)
    quantity: int


class TrackingEvent(SQLModel, table=True):
    __tablename__ = "tracking_events"
    __table_args__ = (UniqueConstraint("shipment_id", "occurred_at", "status"),)

    id: int | None = Field(default=None, primary_key=True)
    shipment_id: int = Field(foreign_key="shipments.id", index=True)
    occurred_at: datetime = utc_field(nullable=False)
    status: str = Field(max_length=40)
    location: str | None = Field(default=None, max_length=200)
    text: str | None = Field(default=None, max_length=500)
    created_at: datetime = created_at_field()
