"""Orders as the shop pushes them: idempotent upserts, status events and the packing claim."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from sqlmodel import Session

from ventanilla.activity import service as activity
from ventanilla.catalog import service as catalog_service
from ventanilla.catalog.models import Product
from ventanilla.core import clock
from ventanilla.core.actors import Actor
from ventanilla.core.errors import AppError, FieldErrors
from ventanilla.customers import service as customers_service
from ventanilla.customers.models import Customer
from ventanilla.orders import canonical, discounts, policy, repository
from ventanilla.orders.checks import check_order, normalised_addresses
from ventanilla.orders.exceptions import (
    AlreadyClaimed,
    IllegalTransition,
    OrderCancelled,
    OrderLocked,
    OrderNotFound,
    OrderNotPaid,
)
from ventanilla.orders.models import Order, OrderAddress, OrderLine
from ventanilla.orders.schemas import OrderCreate, OrderStatusUpdate

ADDRESS_KINDS = ("shipping", "billing")
# Parts of the pushed order compared with what is stored, to say what changed.
ORDER_PARTS = (
    "customer_email",
    "shipping_address",
    "billing_address",
    "lines",
    "totals",
    "currency",
    "placed_at",
    "payment_reference",
    "locale",
    "status",
)

Result = Literal["created", "updated", "unchanged", "stale"]


@dataclass(frozen=True)
class OrderView:
    """An order with everything the API returns about it."""

    order: Order
    customer: Customer
    lines: list[OrderLine]
    addresses: dict[str, OrderAddress]


@dataclass(frozen=True)
class OrderWrite:
    result: Result
    view: OrderView


def load_view(session: Session, order: Order) -> OrderView:
    """Customer, lines and addresses with one query each (the count never grows with lines)."""
    assert order.id is not None
    customer = customers_service.get_customer(session, order.customer_id)
    assert customer is not None  # a foreign key guarantees it
    return OrderView(
        order=order,
        customer=customer,
        lines=repository.lines(session, order.id),
        addresses=repository.addresses(session, order.id),
    )


def get_order(session: Session, *, number: str) -> OrderView:
    """The order with this number, or OrderNotFound."""
    order = repository.get_by_number(session, number)
    if order is None:
        raise OrderNotFound(f"No order with number {number!r}.")
    return load_view(session, order)


# --- PUT /orders/{number} ---------------------------------------------------------------------


def put_order(session: Session, *, actor: Actor, number: str, data: OrderCreate) -> OrderWrite:
    """Create or update an order from the shop's whole view of it; the same push is a no-op.

    Addresses are normalised by the shopper's rules first (`checks.normalised_addresses`).
    """
    data = normalised_addresses(data)
    wanted = canonical.canonical(data)
    digest = canonical.digest(wanted)
    products = catalog_service.products_by_sku(session, (line.sku for line in data.lines))
    check_order(data, products)

    order = repository.get_by_number(session, number, for_update=True)
    if order is None:
        created = _create(
            session,
            actor=actor,
            number=number,
            data=data,
            digest=digest,
            wanted=wanted,
            products=products,
        )
        if created is not None:
            return OrderWrite("created", load_view(session, created))
        # A concurrent push created this number first: ours is an update of theirs.
        order = repository.get_by_number(session, number, for_update=True)
        if order is None:  # pragma: no cover - the unique index said it exists
            raise RuntimeError(f"order {number} vanished")
    if order.content_hash == digest:
        return OrderWrite("unchanged", load_view(session, order))
    return _update(
        session,
        actor=actor,
        order=order,
        data=data,
        digest=digest,
        wanted=wanted,
        products=products,
    )


def _create(
    session: Session,
    *,
    actor: Actor,
    number: str,
    data: OrderCreate,
    digest: str,
    wanted: dict[str, Any],
    products: dict[str, Product],
) -> Order | None:
    """Insert a new order; None when a concurrent push inserted the same number first."""
    if data.status == "packing":
        raise FieldErrors(
            [
                (
                    ("body", "status"),
                    "An order enters packing only through the packing claim "
                    "(POST /api/v1/orders/{number}/packing).",
                    "packing_needs_claim",
                )
            ]
        )
    customer = customers_service.upsert_customer(session, data=data.customer).customer
    assert customer.id is not None
    order = Order(
        number=number,
        customer_id=customer.id,
        status=data.status,
        version=1,
        currency=data.currency,
        subtotal_minor=data.totals.subtotal_minor,
        shipping_minor=data.totals.shipping_minor,
        discount_minor=data.totals.discount_minor,
        tax_minor=data.totals.tax_minor,
        total_minor=data.totals.total_minor,
        locale=data.locale,
        payment_reference=data.payment_reference,
        placed_at=data.placed_at,
        # What the shop says is the state as of placing; any later event may move it on.
        status_at=data.placed_at,
        content_hash=digest,
    )
    if not repository.insert_order(session, order):
        return None
    assert order.id is not None
    rows = _line_rows(order.id, wanted["lines"], products)
    allocate_discount(order, rows)
    repository.add_all(session, rows)
    repository.add_all(
        session,
        (
            _address_row(order.id, kind, wanted[f"{kind}_address"])
            for kind in ADDRESS_KINDS
            if wanted[f"{kind}_address"] is not None
        ),
    )
    repository.flush(session)
    activity.record(
        session,
        actor=actor,
        kind="order.created",
        order_id=order.id,
        customer_id=customer.id,
        occurred_at=order.placed_at,
        data={"number": number, "status": order.status, "version": 1},
    )
    return order


def _update(
    session: Session,
    *,
    actor: Actor,
    order: Order,
    data: OrderCreate,
    digest: str,
    wanted: dict[str, Any],
    products: dict[str, Product],
) -> OrderWrite:
    assert order.id is not None
    view = load_view(session, order)
    stored = canonical.stored_canonical(view)
    changed = [part for part in ORDER_PARTS if wanted[part] != stored[part]]
    # Decide everything before writing anything: a refusal must leave no trace.
    if any(part != "status" for part in changed):
        decision = policy.can_update_content(order.status)
        if not decision.ok:
            raise OrderLocked(
                f"Order {order.number} cannot be changed. {decision.message}",
                reason=decision.reason_code,
            )
    old_status = order.status
    if "status" in changed:
        _check_transition(order, data.status)

    upsert = customers_service.upsert_customer(session, data=data.customer)
    # A frozen order stays as it is; the customer's own record still follows the shop's data.
    if (
        upsert.result != "unchanged"
        and "customer_email" not in changed
        and policy.can_update_content(order.status).ok
    ):
        changed.append("customer")
    order.content_hash = digest
    if not changed:
        repository.flush(session)
        return OrderWrite("unchanged", view)

    now = clock.now()
    assert upsert.customer.id is not None
    order.customer_id = upsert.customer.id
    order.currency = data.currency
    order.subtotal_minor = data.totals.subtotal_minor
    order.shipping_minor = data.totals.shipping_minor
    order.discount_minor = data.totals.discount_minor
    order.tax_minor = data.totals.tax_minor
    order.total_minor = data.totals.total_minor
    order.placed_at = data.placed_at
    order.payment_reference = data.payment_reference
    order.locale = data.locale
    if "lines" in changed:
        _replace_lines(session, order.id, view.lines, wanted["lines"], products)
    if "lines" in changed or "totals" in changed:
        repository.flush(session)
        allocate_discount(order, repository.lines(session, order.id))
    for kind in ADDRESS_KINDS:
        if f"{kind}_address" in changed:
            _replace_address(
                session, order.id, kind, view.addresses.get(kind), wanted[f"{kind}_address"]
            )
    if "status" in changed:
        order.status = data.status
        order.status_at = max(now, order.status_at)
    order.version += 1
    order.updated_at = now
    repository.flush(session)
    activity.record(
        session,
        actor=actor,
        kind="order.updated",
        order_id=order.id,
        customer_id=order.customer_id,
        data={"number": order.number, "version": order.version, "changed": changed},
    )
    if "status" in changed:
        _record_status_move(
            session, actor=actor, order=order, old_status=old_status, via="order_push"
        )
    return OrderWrite("updated", load_view(session, order))


def _replace_lines(
    session: Session,
    order_id: int,
    current: list[OrderLine],
    wanted: list[dict[str, Any]],
    products: dict[str, Product],
) -> None:
    """Rewrite lines in place by line number, so rows others refer to keep their ids."""
    by_no = {line.line_no: line for line in current}
    fresh = _line_rows(order_id, wanted, products)
    for row in fresh:
        existing = by_no.pop(row.line_no, None)
        if existing is None:
            repository.add_all(session, [row])
            continue
        for field in (
            "product_id",
            "sku",
            "name",
            "unit_price_minor",
            "quantity",
            "tax_rate_bp",
            "total_minor",
        ):
            setattr(existing, field, getattr(row, field))
    repository.delete_all(session, by_no.values())


def allocate_discount(order: Order, lines: list[OrderLine]) -> None:
    """Store each line's share of the order discount (`orders.discounts.allocate`)."""
    ordered = sorted(lines, key=lambda line: line.line_no)
    shares = discounts.allocate(order.discount_minor, [line.total_minor for line in ordered])
    for line, share in zip(ordered, shares, strict=True):
        line.discount_minor = share


def _replace_address(
    session: Session,
    order_id: int,
    kind: str,
    current: OrderAddress | None,
    wanted: dict[str, Any] | None,
) -> None:
    if wanted is None:
        if current is not None:
            repository.delete_all(session, [current])
        return
    if current is None:
        repository.add_all(session, [_address_row(order_id, kind, wanted)])
        return
    for field, value in wanted.items():
        setattr(current, field, value)


def _line_rows(
    order_id: int, lines: list[dict[str, Any]], products: dict[str, Product]
) -> list[OrderLine]:
    return [
        OrderLine(
            order_id=order_id,
            line_no=line_no,
            product_id=products[line["sku"]].id,
            total_minor=line["unit_price_minor"] * line["quantity"],
            **line,
        )
        for line_no, line in enumerate(lines, start=1)
    ]


def _address_row(order_id: int, kind: str, fields: dict[str, Any]) -> OrderAddress:
    return OrderAddress(order_id=order_id, kind=kind, **fields)


# --- status events and the packing claim ------------------------------------------------------


def _check_transition(order: Order, target: str) -> None:
    decision = policy.can_transition(order.status, target)
    if not decision.ok:
        raise IllegalTransition(
            f"Order {order.number} cannot move from {order.status} to {target}. {decision.message}",
            reason=decision.reason_code,
        )


def change_status(
    session: Session, *, actor: Actor, number: str, data: OrderStatusUpdate
) -> OrderWrite:
    """Apply a status event; the same status is a no-op and an older event is only recorded."""
    at = data.at  # in the store API's window (core.fields.UTCDatetime)
    order = repository.get_by_number(session, number, for_update=True)
    if order is None:
        raise OrderNotFound(f"No order with number {number!r}.")
    assert order.id is not None
    if data.status == order.status:
        return OrderWrite("unchanged", load_view(session, order))
    # Older than the newest applied event: recorded only, unless it moves the order forward (a
    # warehouse whose clock runs a little behind ours still gets its `packed` after the claim).
    if (
        policy.is_stale(order.status_at, at)
        and not policy.can_transition(order.status, data.status).ok
    ):
        activity.record(
            session,
            actor=actor,
            kind="order.status_event_stale",
            order_id=order.id,
            customer_id=order.customer_id,
            occurred_at=at,
            data={
                "status": data.status,
                "at": canonical.iso(at),
                "current_status": order.status,
                "current_status_at": canonical.iso(order.status_at),
                "note": data.note,
            },
        )
        return OrderWrite("stale", load_view(session, order))
    _check_transition(order, data.status)
    old_status = order.status
    order.status = data.status
    order.status_at = max(order.status_at, at)
    order.version += 1
    order.updated_at = clock.now()
    repository.flush(session)
    _record_status_move(
        session, actor=actor, order=order, old_status=old_status, occurred_at=at, note=data.note
    )
    return OrderWrite("updated", load_view(session, order))


def _record_status_move(
    session: Session,
    *,
    actor: Actor,
    order: Order,
    old_status: str,
    occurred_at: datetime | None = None,
    **extra: Any,
) -> None:
    """The timeline entry for a status move; every path that moves the status writes this."""
    activity.record(
        session,
        actor=actor,
        kind="order.status_changed",
        order_id=order.id,
        customer_id=order.customer_id,
        occurred_at=occurred_at or order.status_at,
        data={"from": old_status, "to": order.status, "version": order.version, **extra},
    )


def claim_for_packing(session: Session, *, actor: Actor, number: str) -> OrderView:
    """The warehouse claims the order: under a row lock it moves to packing, content frozen."""
    # The row lock makes a concurrent claim or push wait for our commit (SQLite: the writer lock).
    order = repository.get_by_number(session, number, for_update=True)
    if order is None:
        raise OrderNotFound(f"No order with number {number!r}.")
    assert order.id is not None
    decision = policy.can_claim_for_packing(order.status)
    if not decision.ok:
        error: type[AppError] = {
            "not_paid": OrderNotPaid,
            "cancelled": OrderCancelled,
        }.get(decision.reason_code or "", AlreadyClaimed)
        raise error(
            f"Order {order.number} cannot be claimed. {decision.message}",
            reason=decision.reason_code,
        )
    now = clock.now()
    old_status = order.status
    order.status = "packing"
    order.packing_claimed_at = now
    order.status_at = max(now, order.status_at)
    order.version += 1
    order.updated_at = now
    repository.flush(session)
    _record_status_move(
        session, actor=actor, order=order, old_status=old_status, via="packing_claim"
    )
    # Lines and addresses are read after the lock: exactly what the warehouse must pack.
    return load_view(session, order)
