"""The order's timeline, told to the shopper: shop events, their own requests and the carrier's
tracking, newest first. Labels are English msgids; templates translate them at render time.

Also the labels of statuses and carrier events that the order page shows elsewhere.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from ventanilla.activity.models import Activity
from ventanilla.core import clock
from ventanilla.core.i18n import N_
from ventanilla.portal import actions

if TYPE_CHECKING:
    from ventanilla.portal.view import ShipmentView

FLOW = ("placed", "paid", "processing", "packing", "packed", "shipped", "delivered")

STATUS_LABELS = {
    "placed": N_("Order placed"),
    "paid": N_("Paid"),
    "processing": N_("Being prepared"),
    "packing": N_("Being packed"),
    "packed": N_("Packed"),
    "shipped": N_("Shipped"),
    "delivered": N_("Delivered"),
    "cancelled": N_("Cancelled"),
}

# What a status change means to the shopper, told as news in the timeline.
STATUS_NEWS = {
    "placed": N_("Order placed"),
    "paid": N_("Payment received"),
    "processing": N_("The shop is preparing your order"),
    "packing": N_("The warehouse is packing your order"),
    "packed": N_("Your order is packed and waiting for the carrier"),
    "shipped": N_("Your order has shipped"),
    "delivered": N_("Your order was delivered"),
    "cancelled": N_("Your order was cancelled"),
}

# Activity kinds the shopper sees in the timeline (shopper actions name their own kinds with
# `portal.actions.tell_in_timeline`). Anything else that is not internal gets the
# generic label, so a new kind shows up as "Update on your order" until someone names it.
ACTIVITY_LABELS = {
    "order.placed": N_("Order placed"),
    "order.created": N_("Order placed"),
    "order.packing_claimed": STATUS_NEWS["packing"],
    "shipment.created": N_("Handed to the carrier %(carrier)s"),
    "invoice.issued": N_("Invoice %(number)s issued"),
    "invoice.created": N_("Invoice %(number)s issued"),
    "invoice.stored": N_("Invoice %(number)s issued"),
    "credit_note.issued": N_("Credit note %(number)s issued"),
}
INVOICE_KINDS = frozenset({"invoice.issued", "invoice.created", "invoice.stored"})
GENERIC_ACTIVITY = N_("Update on your order")
# Bookkeeping the shopper has no use for (logins, links sent, deliveries to the shop's systems).
HIDDEN_ACTIVITY_PREFIXES = ("access.", "link.", "links.", "session.", "webhook.", "outbox.")
# A status event that arrived after a newer one is only recorded, never applied.
HIDDEN_ACTIVITY_KINDS = frozenset({"order.status_event_stale"})
PLACED_KINDS = frozenset({"order.placed", "order.created"})
# What a shop's order push changed, told the way a shopper cares about it (first match wins);
# other parts (payment reference, locale, ...) are not news to the shopper.
ORDER_UPDATE_LABELS = (
    ("shipping_address", N_("The shop changed the delivery address")),
    ("lines", N_("The shop changed the items in your order")),
    ("totals", N_("The shop changed the amounts of your order")),
    ("billing_address", N_("The shop updated your billing details")),
)

# Carrier statuses differ between carriers; these are the common ones, normalised.
CARRIER_LABELS = {
    "info_received": N_("The carrier has the parcel's details"),
    "label_created": N_("The carrier has the parcel's details"),
    "pre_transit": N_("The carrier has the parcel's details"),
    "picked_up": N_("Picked up by the carrier"),
    "accepted": N_("Picked up by the carrier"),
    "in_transit": N_("On its way"),
    "out_for_delivery": N_("Out for delivery"),
    "delivered": N_("Delivered"),
    "failed_attempt": N_("Delivery attempted, nobody was there"),
    "attempt_fail": N_("Delivery attempted, nobody was there"),
    "delivery_attempted": N_("Delivery attempted, nobody was there"),
    "available_for_pickup": N_("Ready for pickup"),
    "ready_for_pickup": N_("Ready for pickup"),
    "exception": N_("Delivery problem: the carrier is on it"),
    "returned": N_("Returned to the shop"),
    "return_to_sender": N_("Returned to the shop"),
}
GENERIC_CARRIER = N_("Carrier update")


@dataclass(frozen=True)
class TimelineEntry:
    at: datetime
    label: str  # msgid, formatted with params
    params: dict[str, Any]
    source: str  # shop | carrier | you | team
    detail: str | None = None  # free text from the carrier, not translated
    location: str | None = None
    day_only: bool = False  # dated by a day (an invoice's issue date), shown without a time


def timeline(
    activity: Iterable[Activity],
    shipments: Sequence[ShipmentView],
    *,
    placed_at: datetime,
    invoice_days: Mapping[str, date] | None = None,
) -> list[TimelineEntry]:
    """Shop events, the shopper's own requests and carrier tracking, newest first.

    An invoice or credit note is dated by its issue date (`invoice_days`: number -> date), not by
    when the shop pushed it: it sorts at that day's end in the shop's time zone (or when it was
    pushed, if earlier), so an invoice issued when the order was paid comes before "delivered"
    even when it was pushed later.
    """
    entries: list[TimelineEntry] = []
    placed_recorded = False
    for entry in activity:
        placed_recorded = placed_recorded or entry.kind in PLACED_KINDS
        shaped = _activity_entry(entry)
        if shaped is not None:
            entries.append(_dated_by_issue_day(shaped, entry, invoice_days or {}))
    if not placed_recorded:
        # Orders loaded before the activity log existed still start where they started.
        entries.insert(0, TimelineEntry(placed_at, STATUS_NEWS["placed"], {}, "shop"))
    for shipment in shipments:
        for event in shipment.events:
            entries.append(
                TimelineEntry(
                    at=event.occurred_at,
                    label=event.label,
                    params={"carrier": shipment.carrier},
                    source="carrier",
                    detail=event.text,
                    location=event.location,
                )
            )
    # sorted() is stable with reverse=True too: entries at the same instant keep their order.
    return sorted(entries, key=lambda e: e.at, reverse=True)


def _dated_by_issue_day(
    shaped: TimelineEntry, entry: Activity, invoice_days: Mapping[str, date]
) -> TimelineEntry:
    day = invoice_days.get(shaped.params.get("number", "")) if entry.kind in INVOICE_KINDS else None
    if day is None:
        return shaped
    at = min(clock.as_utc(shaped.at), clock.end_of_shop_day(day))
    return TimelineEntry(at, shaped.label, shaped.params, shaped.source, day_only=True)


def carrier_label(status: str) -> str:
    key = status.strip().lower().replace("-", "_").replace(" ", "_")
    return CARRIER_LABELS.get(key, GENERIC_CARRIER)


def _activity_entry(entry: Activity) -> TimelineEntry | None:
    kind = entry.kind
    if kind.startswith(HIDDEN_ACTIVITY_PREFIXES) or kind in HIDDEN_ACTIVITY_KINDS:
        return None
    data = entry.data if isinstance(entry.data, dict) else {}
    if entry.actor_type == "customer":
        source = "you"
    elif entry.actor_type == "agent":
        source = "team"
    else:
        source = "shop"
    if kind in ("order.status_changed", "order.status"):
        new = data.get("to") or data.get("status") or data.get("new_status")
        label = STATUS_NEWS.get(str(new), GENERIC_ACTIVITY)
        return TimelineEntry(at=entry.occurred_at, label=label, params={}, source=source)
    if kind == "order.updated":
        raw = data.get("changed")
        changed: list[Any] = raw if isinstance(raw, list) else []
        update = next((text for part, text in ORDER_UPDATE_LABELS if part in changed), None)
        if update is None:
            return None
        return TimelineEntry(at=entry.occurred_at, label=update, params={}, source=source)
    label = actions.timeline_label(kind) or ACTIVITY_LABELS.get(kind, GENERIC_ACTIVITY)
    params = {
        "carrier": str(data.get("carrier", "")),
        "number": str(data.get("number", data.get("invoice_number", ""))),
    }
    if kind.startswith("invoice.") and data.get("kind") == "credit_note":
        label = ACTIVITY_LABELS["credit_note.issued"]
    return TimelineEntry(at=entry.occurred_at, label=label, params=params, source=source)
