"""Refusals of the shipments API."""

from __future__ import annotations

from ventanilla.core.errors import Conflict, NotFound


class ShipmentNotFound(NotFound):
    code = "shipment_not_found"
    message = "Shipment not found."


class OrderCancelled(Conflict):
    code = "order_cancelled"
    message = "This order is cancelled, so nothing can be shipped for it."


class ShipmentConflict(Conflict):
    code = "shipment_conflict"
    message = (
        "This order already has a shipment with this carrier and tracking number, with other "
        "details. Shipments cannot be changed: use a new tracking number for a new parcel."
    )
