"""The order page's read model: all a shopper sees about one order, and their orders list.

Built in a constant number of statements whatever the number of lines, shipments, tracking events
or invoices (tests count them); every query is in a repository or a domain's service. Labels are
English msgids; templates translate them at render time, when the request's language is known.
The timeline is shaped in `portal.timeline`, the invoice page in `portal.invoice`, and "what you
can do now" comes from the actions registry (`portal.actions`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from sqlmodel import Session

from ventanilla.activity import service as activity_service
from ventanilla.activity.models import Activity
from ventanilla.core import clock
from ventanilla.core.i18n import N_
from ventanilla.customers.models import Customer
from ventanilla.invoices import service as invoices_service
from ventanilla.orders import repository as orders_repository
from ventanilla.orders.addresses import Address
from ventanilla.orders.exceptions import OrderNotFound
from ventanilla.orders.models import Order, OrderChange
from ventanilla.portal import actions
from ventanilla.portal.timeline import (
    FLOW,
    GENERIC_ACTIVITY,
    STATUS_LABELS,
    TimelineEntry,
    carrier_label,
    timeline,
)
from ventanilla.portal.urls import change_url, invoice_url, order_url
from ventanilla.returns import repository as returns_repository
from ventanilla.shipping import service as shipping_service

OTHER_ORDERS_LIMIT = 20
ORDERS_LIST_LIMIT = 100


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
    # Issued before a later change to the items or amounts, and nothing issued since: the
    # shopper is told it no longer matches the order.
    outdated: bool = False


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
class ReturnCaseView:
    """A return or withdrawal of the order, as the order page lists it (labels are msgids)."""

    rma: str
    kind: str  # withdrawal | return
    kind_label: str
    status: str  # requested | received | refunded | declined
    status_label: str
    url: str


CASE_KINDS = {"withdrawal": N_("Withdrawal"), "return": N_("Return")}
CASE_STATUSES = {
    "requested": N_("Registered: send the items back"),
    "received": N_("Received by the shop"),
    "refunded": N_("Refunded"),
    "declined": N_("Declined"),
}


@dataclass(frozen=True)
class OrderPageView:
    order: Order
    summary: OrderSummary
    cancelled: bool
    steps: list[Step]
    lines: list[LineView]
    shipping_address: Address | None
    shipments: list[ShipmentView]
    invoices: list[InvoiceView]
    timeline: list[TimelineEntry]
    actions: list[actions.ActionOption]
    other_orders: list[OrderSummary]
    # A self-service change still open (requested or awaiting payment), if any.
    active_change: ActiveChangeView | None = None
    # The order's returns and withdrawals, oldest first (each links to its case page).
    return_cases: list[ReturnCaseView] = field(default_factory=list)


@dataclass(frozen=True)
class ActiveChangeView:
    id: int
    kind: str  # address | items
    status: str  # requested | awaiting_payment
    url: str | None  # where the shopper finishes or cancels it


# --- public service functions -----------------------------------------------------------------


def order_page(session: Session, *, customer: Customer, order: Order) -> OrderPageView:
    """Everything the shopper's order page shows, in a fixed number of statements."""
    if order.customer_id != customer.id:  # OwnedOrder already checks; never trust one layer
        raise OrderNotFound()
    order_id = _id(order)
    lines = _lines_with_images(session, order_id)
    addresses = orders_repository.addresses(session, order_id)
    shipments = _shipments(session, order_id)
    activity = activity_service.for_order(session, order_id=order_id)
    invoices = _invoices(session, order, activity)
    others = _recent_orders(session, _id(customer), exclude_order_id=order_id)
    active = orders_repository.active_change(session, order_id)
    cases = _return_cases(session, customer, order)

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
        shipping_address=Address.of(shipping) if shipping else None,
        shipments=shipments,
        invoices=invoices,
        timeline=timeline(
            activity, shipments, placed_at=order.placed_at, invoice_days=_issue_days(invoices)
        ),
        actions=actions.options(ctx),
        other_orders=others,
        active_change=_active_change(order, active) if active else None,
        return_cases=cases,
    )


def order_timeline(session: Session, *, customer: Customer, order: Order) -> list[TimelineEntry]:
    """Only the timeline (the part of the page that refreshes itself)."""
    if order.customer_id != customer.id:
        raise OrderNotFound()
    order_id = _id(order)
    activity = activity_service.for_order(session, order_id=order_id)
    invoices = _invoices(session, order, activity)
    return timeline(
        activity,
        _shipments(session, order_id),
        placed_at=order.placed_at,
        invoice_days=_issue_days(invoices),
    )


def customer_orders(session: Session, *, customer: Customer) -> list[OrderSummary]:
    """The customer's orders, newest first."""
    return _recent_orders(session, _id(customer), limit=ORDERS_LIST_LIMIT)


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


def _active_change(order: Order, change: OrderChange) -> ActiveChangeView:
    url = None
    if change.kind == "items" and change.id is not None:
        url = change_url(order.number, change.id)
    return ActiveChangeView(id=change.id or 0, kind=change.kind, status=change.status, url=url)


def _id(row: Order | Customer) -> int:
    if row.id is None:
        raise ValueError("unsaved row")
    return row.id


# --- reading (through repositories and the domains' services) --------------------------------


def _lines_with_images(session: Session, order_id: int) -> list[LineView]:
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
        for line, image_url in orders_repository.lines_with_images(session, order_id)
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


# What changes the amounts an invoice states: the shopper's amendments, the shop's re-pushes.
_AMOUNT_CHANGES = ("order.amended",)


def _last_amount_change(activity: list[Activity]) -> datetime | None:
    times = [
        clock.as_utc(a.occurred_at)
        for a in activity
        if a.kind in _AMOUNT_CHANGES
        or (a.kind == "order.updated" and "totals" in (a.data or {}).get("changed", []))
    ]
    return max(times, default=None)


def _invoices(session: Session, order: Order, activity: list[Activity]) -> list[InvoiceView]:
    rows = invoices_service.invoices_for_order(session, order_id=_id(order))
    changed_at = _last_amount_change(activity)
    # A document issued after the last change (a credit note, a new invoice) answers it.
    answered = changed_at is None or any(clock.as_utc(r.created_at) > changed_at for r in rows)
    return [
        InvoiceView(
            number=row.number,
            kind=row.kind,
            issue_date=row.issue_date,
            currency=row.currency,
            total_minor=row.total_minor,
            url=invoice_url(order.number, row.number),
            outdated=not answered and row.kind == "invoice",
        )
        for row in reversed(rows)
    ]


def _return_cases(session: Session, customer: Customer, order: Order) -> list[ReturnCaseView]:
    rows = returns_repository.cases_of_order(
        session, customer_id=_id(customer), order_id=_id(order)
    )
    return [
        ReturnCaseView(
            rma=row.rma,
            kind=row.kind,
            kind_label=CASE_KINDS.get(row.kind, row.kind),
            status=row.status,
            status_label=CASE_STATUSES.get(row.status, row.status),
            url=f"{order_url(order.number)}/returns/{row.rma}",
        )
        for row in rows
    ]


def _issue_days(invoices: list[InvoiceView]) -> dict[str, date]:
    return {inv.number: inv.issue_date for inv in invoices}


def _recent_orders(
    session: Session,
    customer_id: int,
    *,
    exclude_order_id: int | None = None,
    limit: int = OTHER_ORDERS_LIMIT,
) -> list[OrderSummary]:
    orders = orders_repository.recent_for_customer(
        session, customer_id, limit=limit, exclude_order_id=exclude_order_id
    )
    return [summarize(order) for order in orders]
