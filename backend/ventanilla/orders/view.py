"""The order page's read model: all a shopper sees about one order.

Built in a constant number of statements whatever the number of lines, shipments, tracking events
or invoices (tests count them). Labels are English msgids; templates translate them at render time,
when the request's language is known.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from urllib.parse import quote

from babel import Locale
from babel.numbers import format_percent
from sqlmodel import Session, col, select

from ventanilla.activity import service as activity_service
from ventanilla.activity.models import Activity
from ventanilla.catalog.models import Product
from ventanilla.changes import repository as changes_repository
from ventanilla.changes.models import OrderChange
from ventanilla.core import clock, i18n
from ventanilla.core.i18n import N_
from ventanilla.customers.models import Customer
from ventanilla.invoices import service as invoices_service
from ventanilla.invoices.exceptions import InvoiceNotFound
from ventanilla.invoices.models import Invoice
from ventanilla.orders import actions
from ventanilla.orders import repository as orders_repository
from ventanilla.orders.exceptions import OrderNotFound
from ventanilla.orders.models import Order, OrderAddress, OrderLine
from ventanilla.shipping import service as shipping_service

OTHER_ORDERS_LIMIT = 20
ORDERS_LIST_LIMIT = 100

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

# Activity kinds the shopper sees in the timeline. Anything else that is not internal gets the
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
    "order.address_changed": N_("Delivery address changed"),
    "order.amended": N_("The items in your order changed"),
    "order.amendment_declined": N_("A change to your items was not applied"),
}
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
class LineView:
    line_no: int
    sku: str
    name: str
    quantity: int
    unit_price_minor: int
    total_minor: int
    image_url: str | None


@dataclass(frozen=True)
class AddressView:
    name: str
    line1: str
    line2: str | None
    postcode: str
    city: str
    region: str | None
    country: str
    phone: str | None

    @property
    def country_name(self) -> str:
        # Read at render time, when the request's language is active.
        names = Locale.parse(i18n.current_locale.get()).territories
        return str(names.get(self.country.upper(), self.country))


@dataclass(frozen=True)
class TrackingEventView:
    occurred_at: datetime
    status: str
    label: str
    location: str | None
    text: str | None


@dataclass(frozen=True)
class ShipmentView:
    id: int
    carrier: str
    tracking_number: str
    tracking_url: str | None
    status: str | None
    shipped_at: datetime | None
    lines: list[tuple[str, int]] = field(default_factory=list)  # (name, quantity)
    events: list[TrackingEventView] = field(default_factory=list)  # newest first


@dataclass(frozen=True)
class InvoiceView:
    number: str
    kind: str  # invoice | credit_note
    issue_date: date
    currency: str
    total_minor: int
    url: str


@dataclass(frozen=True)
class TimelineEntry:
    at: datetime
    label: str  # msgid, formatted with params
    params: dict[str, Any]
    source: str  # shop | carrier | you | team
    detail: str | None = None  # free text from the carrier, not translated
    location: str | None = None


@dataclass(frozen=True)
class Step:
    key: str
    label: str
    state: str  # done | current | upcoming | cancelled


@dataclass(frozen=True)
class OrderSummary:
    number: str
    status: str
    status_label: str
    placed_at: datetime
    total_minor: int
    currency: str
    url: str


@dataclass(frozen=True)
class OrderPageView:
    order: Order
    summary: OrderSummary
    cancelled: bool
    steps: list[Step]
    lines: list[LineView]
    shipping_address: AddressView | None
    shipments: list[ShipmentView]
    invoices: list[InvoiceView]
    timeline: list[TimelineEntry]
    actions: list[actions.ActionOption]
    other_orders: list[OrderSummary]
    # A self-service change still open (requested or awaiting payment), if any.
    active_change: ActiveChangeView | None = None


@dataclass(frozen=True)
class ActiveChangeView:
    id: int
    kind: str  # address | items
    status: str  # requested | awaiting_payment
    url: str | None  # where the shopper finishes or cancels it


def percent_text(rate: Decimal | None) -> str:
    """A VAT rate in percent, formatted for the active language (21 % / 21%)."""
    if rate is None:
        return ""
    value = rate / Decimal(100)
    locale = i18n.current_locale.get()
    return str(format_percent(value, locale=locale, decimal_quantization=False))


@dataclass(frozen=True)
class InvoiceLineView:
    description: str
    quantity: int | None
    unit_price_minor: int | None
    tax_rate: Decimal | None  # percent
    net_minor: int | None
    total_minor: int | None

    @property
    def tax_rate_text(self) -> str:
        return percent_text(self.tax_rate)


@dataclass(frozen=True)
class TaxLineView:
    rate: Decimal | None  # percent
    base_minor: int | None
    tax_minor: int | None

    @property
    def rate_text(self) -> str:
        return percent_text(self.rate)


@dataclass(frozen=True)
class InvoiceDocument:
    invoice: Invoice
    order: Order
    lines: list[InvoiceLineView]
    taxes: list[TaxLineView]


# --- public service functions -----------------------------------------------------------------


def order_page(session: Session, *, customer: Customer, order: Order) -> OrderPageView:
    """Everything the shopper's order page shows, in a fixed number of statements."""
    if order.customer_id != customer.id:  # OwnedOrder already checks; never trust one layer
        raise OrderNotFound()
    order_id = _id(order)
    lines = _lines_with_images(session, order_id)
    addresses = orders_repository.addresses(session, order_id)
    shipments = _shipments(session, order_id)
    invoices = _invoices(session, order)
    activity = activity_service.for_order(session, order_id=order_id)
    others = _recent_orders(session, _id(customer), exclude_order_id=order_id)
    active = changes_repository.active_for_order(session, order_id)

    ctx = actions.ActionContext(
        order=order, shipments=shipments, invoices=invoices, now=clock.now()
    )
    shipping = addresses.get("shipping")
    return OrderPageView(
        order=order,
        summary=summarize(order),
        cancelled=order.status == "cancelled",
        steps=steps(order.status),
        lines=lines,
        shipping_address=_address(shipping) if shipping else None,
        shipments=shipments,
        invoices=invoices,
        timeline=timeline(activity, shipments, placed_at=order.placed_at),
        actions=actions.options(ctx),
        other_orders=others,
        active_change=_active_change(order, active) if active else None,
    )


def order_timeline(session: Session, *, customer: Customer, order: Order) -> list[TimelineEntry]:
    """Only the timeline (the part of the page that refreshes itself)."""
    if order.customer_id != customer.id:
        raise OrderNotFound()
    order_id = _id(order)
    activity = activity_service.for_order(session, order_id=order_id)
    return timeline(activity, _shipments(session, order_id), placed_at=order.placed_at)


def customer_orders(session: Session, *, customer: Customer) -> list[OrderSummary]:
    """The customer's orders, newest first."""
    return _recent_orders(session, _id(customer), limit=ORDERS_LIST_LIMIT)


def invoice_document(
    session: Session, *, customer: Customer, order: Order, invoice_number: str
) -> InvoiceDocument:
    """One invoice of the customer's order; anyone else's is 404 exactly like a missing one."""
    if order.customer_id != customer.id:
        raise OrderNotFound()
    invoice = invoices_service.invoice_for_customer(
        session, customer_id=_id(customer), number=invoice_number
    )
    if invoice.order_id != order.id:  # the customer's, but filed under another of their orders
        raise InvoiceNotFound()
    return InvoiceDocument(
        invoice=invoice,
        order=order,
        lines=[_invoice_line(raw) for raw in invoice.lines if isinstance(raw, dict)],
        taxes=[_tax_line(raw) for raw in invoice.tax_breakdown if isinstance(raw, dict)],
    )


# --- pure shaping (unit-testable without a database) ------------------------------------------


def status_label(status: str) -> str:
    return STATUS_LABELS.get(status, GENERIC_ACTIVITY)


def summarize(order: Order) -> OrderSummary:
    return OrderSummary(
        number=order.number,
        status=order.status,
        status_label=status_label(order.status),
        placed_at=order.placed_at,
        total_minor=order.total_minor,
        currency=order.currency,
        url=order_url(order.number),
    )


def order_url(number: str) -> str:
    return f"/orders/{quote(number, safe='')}"


def invoice_url(order_number: str, invoice_number: str) -> str:
    return f"{order_url(order_number)}/invoices/{quote(invoice_number, safe='')}"


def steps(status: str) -> list[Step]:
    """The step bar: done up to the current status; a cancelled order is its own state."""
    if status == "cancelled":
        return [
            Step("placed", STATUS_LABELS["placed"], "done"),
            Step("cancelled", STATUS_LABELS["cancelled"], "cancelled"),
        ]
    current = FLOW.index(status) if status in FLOW else 0
    result = []
    for index, key in enumerate(FLOW):
        state = "done" if index < current else "current" if index == current else "upcoming"
        result.append(Step(key, STATUS_LABELS[key], state))
    return result


def timeline(
    activity: Iterable[Activity], shipments: Sequence[ShipmentView], *, placed_at: datetime
) -> list[TimelineEntry]:
    """Shop events, the shopper's own requests and carrier tracking, newest first."""
    entries: list[TimelineEntry] = []
    placed_recorded = False
    for entry in activity:
        placed_recorded = placed_recorded or entry.kind in PLACED_KINDS
        shaped = _activity_entry(entry)
        if shaped is not None:
            entries.append(shaped)
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


def carrier_label(status: str) -> str:
    key = status.strip().lower().replace("-", "_").replace(" ", "_")
    return CARRIER_LABELS.get(key, GENERIC_CARRIER)


def safe_url(url: str | None) -> str | None:
    """Links and images from the shop's data only when they are plain web URLs."""
    if not url:
        return None
    lowered = url.strip().lower()
    if lowered.startswith(("https://", "http://")) or (
        lowered.startswith("/") and not lowered.startswith("//")
    ):
        return url.strip()
    return None


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
    label = ACTIVITY_LABELS.get(kind, GENERIC_ACTIVITY)
    params = {
        "carrier": str(data.get("carrier", "")),
        "number": str(data.get("number", data.get("invoice_number", ""))),
    }
    if kind.startswith("invoice.") and data.get("kind") == "credit_note":
        label = ACTIVITY_LABELS["credit_note.issued"]
    return TimelineEntry(at=entry.occurred_at, label=label, params=params, source=source)


def _active_change(order: Order, change: OrderChange) -> ActiveChangeView:
    url = None
    if change.kind == "items" and change.id is not None:
        url = f"{order_url(order.number)}/changes/{change.id}"
    return ActiveChangeView(id=change.id or 0, kind=change.kind, status=change.status, url=url)


def _address(row: OrderAddress) -> AddressView:
    return AddressView(
        name=row.name,
        line1=row.line1,
        line2=row.line2,
        postcode=row.postcode,
        city=row.city,
        region=row.region,
        country=row.country,
        phone=row.phone,
    )


def _int(raw: dict[str, Any], *keys: str) -> int | None:
    """The first integer among `keys` (stored invoice JSON; read defensively)."""
    for key in keys:
        value = raw.get(key)
        if isinstance(value, int) and not isinstance(value, bool):
            return value
    return None


def _percent(raw: dict[str, Any], key: str) -> Decimal | None:
    value = raw.get(key)
    if value is None or isinstance(value, bool):
        return None
    try:
        return Decimal(str(value))
    except ArithmeticError:
        return None


def _tax_line(raw: dict[str, Any]) -> TaxLineView:
    return TaxLineView(
        rate=_percent(raw, "rate"),
        base_minor=_int(raw, "base_minor"),
        tax_minor=_int(raw, "tax_minor"),
    )


def _invoice_line(raw: dict[str, Any]) -> InvoiceLineView:
    return InvoiceLineView(
        description=str(raw.get("description") or ""),
        quantity=_int(raw, "quantity"),
        unit_price_minor=_int(raw, "unit_price_minor"),
        tax_rate=_percent(raw, "tax_rate"),
        net_minor=_int(raw, "net_minor"),
        total_minor=_int(raw, "total_minor"),
    )


def _id(row: Order | Customer) -> int:
    if row.id is None:
        raise ValueError("unsaved row")
    return row.id


# --- reading ----------------------------------------------------------------------------------
# Shipments and invoices come from their domains' services; the two order queries the
# repositories do not offer (lines beside product images, the customer's recent orders) are
# single statements here, built on the customer-scoped `customer_orders`.


def _lines_with_images(session: Session, order_id: int) -> list[LineView]:
    stmt = (
        select(OrderLine, Product.image_url)
        .join(Product, col(Product.id) == col(OrderLine.product_id), isouter=True)
        .where(OrderLine.order_id == order_id)
        .order_by(col(OrderLine.line_no))
    )
    return [
        LineView(
            line_no=line.line_no,
            sku=line.sku,
            name=line.name,
            quantity=line.quantity,
            unit_price_minor=line.unit_price_minor,
            total_minor=line.total_minor,
            image_url=safe_url(image_url),
        )
        for line, image_url in session.exec(stmt).all()
    ]


def _shipments(session: Session, order_id: int) -> list[ShipmentView]:
    """Shipments newest first, each with its lines and its tracking events newest first."""
    shipped = shipping_service.shipments_for_order(session, order_id=order_id)
    views = [
        ShipmentView(
            id=s.id,
            carrier=s.carrier,
            tracking_number=s.tracking_number,
            tracking_url=safe_url(s.tracking_url),
            status=s.status,
            shipped_at=s.shipped_at,
            lines=[(line.name, line.quantity) for line in s.lines],
            events=[
                TrackingEventView(
                    occurred_at=e.occurred_at,
                    status=e.status,
                    label=carrier_label(e.status),
                    location=e.location,
                    text=e.text,
                )
                for e in reversed(s.events)
            ],
        )
        for s in shipped
    ]
    return views[::-1]


def _invoices(session: Session, order: Order) -> list[InvoiceView]:
    rows = invoices_service.invoices_for_order(session, order_id=_id(order))
    return [
        InvoiceView(
            number=row.number,
            kind=row.kind,
            issue_date=row.issue_date,
            currency=row.currency,
            total_minor=row.total_minor,
            url=invoice_url(order.number, row.number),
        )
        for row in reversed(rows)
    ]


def _recent_orders(
    session: Session,
    customer_id: int,
    *,
    exclude_order_id: int | None = None,
    limit: int = OTHER_ORDERS_LIMIT,
) -> list[OrderSummary]:
    stmt = orders_repository.customer_orders(customer_id)
    if exclude_order_id is not None:
        stmt = stmt.where(Order.id != exclude_order_id)
    stmt = stmt.order_by(col(Order.placed_at).desc(), col(Order.id).desc()).limit(limit)
    return [summarize(order) for order in session.exec(stmt).all()]
