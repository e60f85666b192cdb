"""What an item amendment does to the order once it is decided, inside the edit skeleton.

- `apply_change`: write the amended lines and totals, bump the version, keep the stock the change
  held and give back what it freed, record it (activity, the customer's email, the shop's
  `order.amended` webhook).
- `decline_change`: the order can no longer take it (packing started, the order moved on, the
  payment failed): its held stock goes back and the timeline says so.
- `release_reserved`: give back the stock a withdrawn change held.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from sqlmodel import Session

from ventanilla.catalog import repository as catalog_repository
from ventanilla.changes import emails
from ventanilla.config import get_settings
from ventanilla.core.actors import Actor
from ventanilla.orders import repository as orders_repository
from ventanilla.orders.edits import OrderEdit
from ventanilla.orders.models import OrderChange, OrderLine
from ventanilla.outbox.events import EventType

KIND = "items"  # the kind of change set an item amendment is (`OrderChange.kind`)


def actor_of(change: OrderChange) -> Actor:
    """Who asked for the change (callbacks and the worker act in their name)."""
    return Actor(change.actor_type, change.actor_id, on_behalf_of=change.on_behalf_of)


def _stock(change: OrderChange, key: str) -> list[tuple[int, int]]:
    raw = (change.preview or {}).get("stock", {}).get(key, [])
    return sorted((int(product_id), int(quantity)) for product_id, quantity in raw)


def release_reserved(session: Session, change: OrderChange) -> None:
    """Give back every unit the change held (in product id order: no deadlocks)."""
    for product_id, quantity in _stock(change, "reserved"):
        catalog_repository.release_stock(session, product_id, quantity)


def decline_change(edit: OrderEdit, change: OrderChange, *, code: str | None) -> None:
    """Decline a change the order can no longer take: stock back, a line in the timeline."""
    session = edit.session
    if not orders_repository.transition_change(
        session, change, from_status=change.status, to_status="declined", decided_at=edit.now
    ):
        return
    change.decline_code = code
    session.add(change)
    release_reserved(session, change)
    session.flush()
    edit.record(
        "order.amendment_declined",
        {"change_id": change.id, "reason": code, "number": edit.order.number},
    )


def apply_change(edit: OrderEdit, change: OrderChange, *, settlement: str) -> None:
    """Write the amended lines and totals, bump the version, tell the customer and the shop."""
    session, order = edit.session, edit.order
    preview = change.preview or {}
    _write_lines(edit, preview.get("lines", []))
    new = preview["new"]
    order.subtotal_minor = new["subtotal_minor"]
    order.discount_minor = new["discount_minor"]
    order.tax_minor = new["tax_minor"]
    order.total_minor = new["total_minor"]
    edit.bump_version()
    for product_id, quantity in _stock(change, "release_on_apply"):
        catalog_repository.release_stock(session, product_id, quantity)
    change.settlement = settlement
    change.decided_at = change.decided_at or edit.now
    session.add(change)
    orders_repository.flush(session)

    actions = [
        {
            "action": row.action,
            "line_no": row.line_no,
            "sku": row.sku,
            "quantity_before": row.quantity_before,
            "quantity_after": row.quantity_after,
        }
        for row in orders_repository.change_actions(session, change.id or 0)
    ]
    lines = sorted(orders_repository.lines(session, edit.order_id), key=lambda line: line.line_no)
    edit.record(
        "order.amended",
        {
            "change_id": change.id,
            "number": order.number,
            "version": order.version,
            "actions": actions,
            "old_total_minor": change.old_total_minor,
            "new_total_minor": change.new_total_minor,
            "difference_minor": change.difference_minor,
            "settlement": settlement,
        },
        email=lambda locale: _email(edit, change, lines, locale),
        webhook=(EventType.ORDER_AMENDED, _event_data(edit, change, lines, actions)),
    )


def _write_lines(edit: OrderEdit, changed: list[dict[str, Any]]) -> None:
    session = edit.session
    current = {line.line_no: line for line in orders_repository.lines(session, edit.order_id)}
    removed: list[OrderLine] = []
    added: list[OrderLine] = []
    for raw in changed:
        state = raw["state"]
        if state == "unchanged":
            continue
        if state == "added":
            added.append(
                OrderLine(
                    order_id=edit.order_id,
                    line_no=raw["line_no"],
                    product_id=raw.get("product_id"),
                    sku=raw["sku"],
                    name=raw["name"],
                    unit_price_minor=raw["unit_price_minor"],
                    quantity=raw["quantity"],
                    tax_rate_bp=raw["tax_rate_bp"],
                    total_minor=raw["total_minor"],
                    discount_minor=raw.get("discount_minor", 0),
                )
            )
            continue
        line = current[raw["line_no"]]
        if state == "removed":
            removed.append(line)
        else:
            line.quantity = raw["quantity"]
            line.total_minor = raw["total_minor"]
            line.discount_minor = raw.get("discount_minor", line.discount_minor)
            session.add(line)
    orders_repository.delete_all(session, removed)
    orders_repository.flush(session)  # free the numbers before new lines take any
    orders_repository.add_all(session, added)


def _event_data(
    edit: OrderEdit, change: OrderChange, lines: list[OrderLine], actions: list[dict[str, Any]]
) -> dict[str, Any]:
    order = edit.order
    settle = change.settlement == "shop_to_settle"
    return {
        "order_number": order.number,
        "version": order.version,
        "change_id": change.id,
        "currency": order.currency,
        "lines": [
            {
                "line_no": line.line_no,
                "sku": line.sku,
                "name": line.name,
                "unit_price_minor": line.unit_price_minor,
                "quantity": line.quantity,
                "tax_rate_bp": line.tax_rate_bp,
                "total_minor": line.total_minor,
                "discount_minor": line.discount_minor,
            }
            for line in lines
        ],
        "actions": actions,
        "totals": {
            "subtotal_minor": order.subtotal_minor,
            "shipping_minor": order.shipping_minor,
            "discount_minor": order.discount_minor,
            "tax_minor": order.tax_minor,
            "total_minor": order.total_minor,
        },
        "old_total_minor": change.old_total_minor,
        "difference_minor": change.difference_minor,
        "settlement": change.settlement,
        # The shop settles by hand: all of it without Stripe, else what Stripe cannot carry
        # in this currency (`payments.currency`). > 0 collect from the customer, < 0 refund.
        "shop_must_settle": settle or bool(change.shop_settle_minor),
        "settle_minor": change.difference_minor if settle else _signed_remainder(change),
        # Lowered before the payment was captured: nothing is refunded; capture this instead
        # of the authorised amount on `payment_reference`.
        "amount_to_capture_minor": order.amount_to_capture_minor,
        "payment_reference": order.payment_reference,
    }


def _signed_remainder(change: OrderChange) -> int:
    """The part Stripe could not carry, signed like the difference (< 0: refund to them)."""
    return change.shop_settle_minor if change.difference_minor > 0 else -change.shop_settle_minor


def _email(
    edit: OrderEdit, change: OrderChange, lines: list[OrderLine], locale: str
) -> emails.Email:
    settings = get_settings()
    order = edit.order
    return emails.amended_email(
        locale=locale,
        shop_name=settings.shop_name,
        shop_email=settings.shop_email,
        customer_name=edit.customer.name,
        order_number=order.number,
        currency=order.currency,
        lines=[(line.name, line.quantity, line.total_minor) for line in lines],
        new_total_minor=order.total_minor,
        difference_minor=change.difference_minor,
        settlement=change.settlement,
        shop_settles_minor=change.shop_settle_minor,
        by_agent=edit.actor.type == "agent",
        order_url=f"{settings.base_url.rstrip('/')}/orders/{quote(order.number, safe='')}",
    )
