"""Amending an order's items before packing: preview, request, confirm, pay or refund, cancel.

Every write follows the house rule for order changes: one transaction that first locks the order
row (`orders.repository.get_by_number(..., for_update=True)`; SQLite serialises writers), then
re-checks the shop policy and the order version with the locked row. The packing claim takes the
same lock, so an amendment committed before the claim is in what the warehouse gets, and none
commits after it.

Stock: raised quantities and added products are reserved when the change is requested, with one
conditional UPDATE per product (two shoppers cannot both take the last unit). A canceled or
declined change gives them back; a confirmed one keeps them and gives back what lowered
quantities and removed lines freed.

Money (`settlement`): a lower total is refunded through the payments ledger in the same
transaction (the route runs the refund after commit, the worker retries); a higher total is paid
with a Stripe PaymentIntent and the change is applied only by `on_charge_succeeded`; without
Stripe the shop settles the difference (the webhook says so); small differences can be waived.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Literal
from urllib.parse import quote

from sqlmodel import Session

from ventanilla.activity import service as activity
from ventanilla.catalog import repository as catalog_repository
from ventanilla.catalog.models import Product
from ventanilla.changes import amounts, emails, policy
from ventanilla.changes import repository as changes_repository
from ventanilla.changes.amounts import AddProduct, AmendmentRejected, SetQuantity
from ventanilla.changes.exceptions import (
    AmendmentInvalid,
    ChangeNotAllowed,
    ChangeNotFound,
    OrderChanged,
)
from ventanilla.changes.models import ACTIVE_STATUSES, OrderChange, OrderChangeAction
from ventanilla.config import get_settings
from ventanilla.core import clock, i18n
from ventanilla.core.actors import Actor
from ventanilla.core.errors import AppError
from ventanilla.customers import repository as customers_repository
from ventanilla.customers import service as customers_service
from ventanilla.customers.models import Customer
from ventanilla.db import session_scope
from ventanilla.orders import repository as orders_repository
from ventanilla.orders.exceptions import OrderNotFound
from ventanilla.orders.models import Order, OrderLine
from ventanilla.outbox import service as outbox
from ventanilla.outbox.events import EventType
from ventanilla.payments import service as payments
from ventanilla.payments.exceptions import (
    NoPaymentToRefund,
    PaymentsNotConfigured,
    RefundExceedsCaptured,
)
from ventanilla.payments.models import PaymentEntry

KIND = "items"
# A requested change nobody confirmed holds stock and the order's one change slot: after this
# long (or once the order moved on) the next request cancels it instead of being refused.
log = logging.getLogger("ventanilla.changes")
REQUEST_TTL = timedelta(minutes=30)
# A started payment the shopper walked away from: Stripe never expires it, so we do.
PAYMENT_TTL = timedelta(hours=2)
ADD_PRODUCT_LIMIT = 100

Outcome = Literal["confirmed", "awaiting_payment", "declined", "unchanged"]


# --- results ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Preview:
    """What the order would become: lines, totals, difference and how it would be settled."""

    order: Order
    amendment: amounts.Amendment
    settlement: amounts.Settlement

    @property
    def difference_minor(self) -> int:
        return self.amendment.difference_minor

    def as_dict(self) -> dict[str, Any]:
        return {**self.amendment.as_dict(), "settlement": self.settlement}


@dataclass(frozen=True)
class ConfirmResult:
    """The change after a confirm click.

    outcome: confirmed (applied now), awaiting_payment (pay on the page, applied by the webhook),
    declined (the order can no longer take it: `reason` says why, stock given back) or unchanged
    (it was no longer waiting for confirmation: another click or tab got there first).
    """

    change: OrderChange
    order: Order
    outcome: Outcome
    refund: PaymentEntry | None = None
    payment: PaymentEntry | None = None
    reason: policy.Decision | None = None


@dataclass(frozen=True)
class ItemsForm:
    """What the "change the items" page shows: the order's lines and what could be added."""

    order: Order
    lines: list[OrderLine]
    products: list[Product]
    decision: policy.Decision
    active_change: OrderChange | None


# --- reading ------------------------------------------------------------------------------------


def items_form(session: Session, *, customer: Customer, order: Order) -> ItemsForm:
    """The order's lines, the in-stock products that could be added, and whether it may change."""
    _check_owner(order, customer)
    order_id = _id(order)
    return ItemsForm(
        order=order,
        lines=orders_repository.lines(session, order_id),
        products=catalog_repository.in_stock(
            session, currency=order.currency, limit=ADD_PRODUCT_LIMIT
        ),
        decision=_decision(order),
        active_change=changes_repository.active_for_order(session, order_id),
    )


def get_change(
    session: Session, *, customer: Customer, order: Order, change_id: int
) -> OrderChange:
    """One change of the customer's order; anyone else's is not found."""
    _check_owner(order, customer)
    change = changes_repository.get_for_order(session, order_id=_id(order), change_id=change_id)
    if change is None:
        raise ChangeNotFound()
    return change


def change_actions(session: Session, *, change: OrderChange) -> list[OrderChangeAction]:
    return changes_repository.actions(session, _id(change))


def payment_for(session: Session, *, change: OrderChange) -> PaymentEntry | None:
    """The extra payment of a change (a charge in the ledger), if it has one."""
    if change.settlement != "payment":
        return None
    return _charge_of(session, change)


def _charge_of(session: Session, change: OrderChange) -> PaymentEntry | None:
    entries = payments.ledger_for_order(session, order_id=change.order_id)
    return next((e for e in entries if e.kind == "charge" and e.change_id == change.id), None)


def preview_amendment(
    session: Session,
    *,
    customer: Customer,
    order: Order,
    version: int,
    actions: Sequence[amounts.Action],
) -> Preview:
    """The order as it would be after `actions`, with tax, totals and difference; writes nothing."""
    _check_owner(order, customer)
    _check_allowed(order)
    if version != order.version:
        raise OrderChanged()
    return _compute(session, order, actions)


# --- writing ------------------------------------------------------------------------------------


def request_amendment(
    session: Session,
    *,
    actor: Actor,
    customer: Customer,
    number: str,
    version: int,
    actions: Sequence[amounts.Action],
) -> OrderChange:
    """Record the amendment (status requested) and reserve the extra stock, under the order lock."""
    order = _lock_order(session, number=number, customer=customer)
    _check_allowed(order)
    if version != order.version:
        raise OrderChanged()
    # An abandoned or outdated change of the shopper's own goes first, so its stock counts again.
    _expire_stale_change(session, actor=actor, order=order)
    preview = _compute(session, order, actions)
    # A savepoint: a refusal half-way (no stock left) leaves nothing behind, even for a caller
    # that goes on using the session (a page that shows the form again).
    with session.begin_nested():
        amendment = preview.amendment
        products = catalog_repository.by_skus(session, amendment.stock_delta)
        reserve = {
            sku: (products[sku], quantity)
            for sku, quantity in amendment.stock_delta.items()
            if quantity > 0
        }
        # By SKU, net: two lines of one product moving in opposite ways release nothing.
        release = [
            [_id(products[sku]), -quantity]
            for sku, quantity in amendment.stock_delta.items()
            if quantity < 0 and sku in products
        ]
        data = preview.as_dict()
        data["stock"] = {
            "reserved": [[_id(product), quantity] for product, quantity in reserve.values()],
            "release_on_apply": release,
        }
        change = OrderChange(
            order_id=_id(order),
            kind=KIND,
            status="requested",
            base_version=order.version,
            actor_type=actor.type,
            actor_id=actor.id,
            on_behalf_of=actor.on_behalf_of,
            currency=order.currency,
            old_total_minor=amendment.old.total_minor,
            new_total_minor=amendment.new.total_minor,
            difference_minor=amendment.difference_minor,
            settlement=preview.settlement,
            preview=data,
        )
        changes_repository.add_change(session, change, _action_rows(amendment))
        # Products in id order: two transactions reserving the same products never deadlock.
        index_of = {sku: i for i, sku in _action_skus(order, actions, amendment)}
        for sku, (product, quantity) in sorted(reserve.items(), key=lambda kv: _id(kv[1][0])):
            if not catalog_repository.reserve_stock(session, _id(product), quantity):
                session.refresh(product)
                info = _product_info(product)
                # Leaving the savepoint by raising undoes the change and earlier reservations.
                raise AmendmentInvalid([amounts.stock_problem(index_of.get(sku, 0), info)])
    return change


def confirm_amendment(
    session: Session,
    *,
    actor: Actor,
    customer: Customer,
    number: str,
    change_id: int,
    version: int,
) -> ConfirmResult:
    """Confirm a requested amendment: apply it (refund, waive, shop settles) or start paying."""
    order = _lock_order(session, number=number, customer=customer)
    change = _items_change(session, order=order, change_id=change_id, for_update=True)
    if change.status != "requested":
        return ConfirmResult(change=change, order=order, outcome="unchanged")
    decision = _decision(order)
    if not decision.ok:
        _decline(session, actor=actor, order=order, change=change, code=decision.reason_code)
        return ConfirmResult(change=change, order=order, outcome="declined", reason=decision)
    if order.version != change.base_version:
        # The shop or another change moved the order on: this preview can never be right again.
        reason = policy.Decision.no(OrderChanged.message, code="order_changed")
        _decline(session, actor=actor, order=order, change=change, code="order_changed")
        return ConfirmResult(change=change, order=order, outcome="declined", reason=reason)
    if version != order.version:
        raise OrderChanged()

    difference = change.difference_minor
    settlement = amounts.settlement_for(
        difference,
        waive_under_minor=get_settings().policy().waive_difference_under_minor,
        stripe_enabled=payments.stripe_enabled(),
        has_payment_reference=_paid_with_stripe(order),
    )
    now = clock.now()
    if settlement == "payment":
        # The guard: of many concurrent clicks exactly one moves it on (the lock already
        # serialises them; this also holds for any caller that forgot the lock).
        if not changes_repository.transition(
            session, change, from_status="requested", to_status="awaiting_payment"
        ):
            return ConfirmResult(change=change, order=order, outcome="unchanged")
        change.settlement = "payment"
        session.add(change)
        entry = payments.start_payment(
            session, order=order, change_id=_id(change), amount_minor=difference
        )
        return ConfirmResult(change=change, order=order, outcome="awaiting_payment", payment=entry)

    if not changes_repository.transition(
        session, change, from_status="requested", to_status="confirmed", decided_at=now
    ):
        return ConfirmResult(change=change, order=order, outcome="unchanged")
    refund = None
    if settlement == "refund":
        try:
            refund = payments.request_refund(
                session,
                order=order,
                change_id=_id(change),
                amount_minor=-difference,
                reason="order_amended",
                actor=actor,
            )
        except (PaymentsNotConfigured, NoPaymentToRefund, RefundExceedsCaptured):
            # Nothing was written: the shop refunds by hand, and the webhook tells it so.
            settlement = "shop_to_settle"
    _apply(session, actor=actor, order=order, change=change, settlement=settlement)
    return ConfirmResult(change=change, order=order, outcome="confirmed", refund=refund)


def cancel_change(
    session: Session, *, actor: Actor, customer: Customer, number: str, change_id: int
) -> OrderChange:
    """Withdraw an amendment not applied yet: stock goes back, a started payment is canceled."""
    order = _lock_order(session, number=number, customer=customer)
    change = _items_change(session, order=order, change_id=change_id, for_update=True)
    if change.status not in ACTIVE_STATUSES:
        return change  # already settled one way or another: nothing to withdraw
    if change.status == "awaiting_payment":
        entry = _charge_of(session, change)
        if entry is not None:
            # Raises PaymentAlreadySucceeded when the shopper paid meanwhile: the webhook will
            # apply the change, and nothing here is written.
            payments.cancel_payment(session, entry=entry)
    from_status = change.status
    if changes_repository.transition(
        session, change, from_status=from_status, to_status="canceled", decided_at=clock.now()
    ):
        _release_reserved(session, change)
    return change


# --- payment callbacks (registered with payments.service) -------------------------------------


def on_charge_succeeded(session: Session, entry: PaymentEntry) -> None:
    """Stripe says the extra payment went through: apply the change, or give the money back."""
    located = _locate(session, entry)
    if located is None:
        return
    order, change = located
    actor = _actor_of(change)
    if change.status == "confirmed":
        return  # a replayed event: applied already
    if change.status != "awaiting_payment":
        # Canceled or declined while the shopper was paying: the money goes back.
        payments.refund_charge(session, entry=entry, reason="change_not_applied")
        return
    decision = _decision(order)
    code = None if decision.ok else decision.reason_code
    if code is None and order.version != change.base_version:
        code = "order_changed"
    if code is not None:
        _decline(session, actor=actor, order=order, change=change, code=code)
        payments.refund_charge(session, entry=entry, reason="change_not_applied")
        return
    if changes_repository.transition(
        session,
        change,
        from_status="awaiting_payment",
        to_status="confirmed",
        decided_at=clock.now(),
    ):
        _apply(session, actor=actor, order=order, change=change, settlement="payment")


def on_charge_failed(session: Session, entry: PaymentEntry) -> None:
    """The extra payment failed: the change is declined and its stock given back."""
    located = _locate(session, entry)
    if located is None:
        return
    order, change = located
    if change.status == "awaiting_payment":
        _decline(
            session, actor=_actor_of(change), order=order, change=change, code="payment_failed"
        )


def _locate(session: Session, entry: PaymentEntry) -> tuple[Order, OrderChange] | None:
    if entry.change_id is None:
        return None
    # The order lock first, as for every write to an order, then the change.
    order = orders_repository.get_by_id(session, entry.order_id, for_update=True)
    change = changes_repository.get(session, entry.change_id, for_update=True)
    if order is None or change is None or change.kind != KIND or change.order_id != order.id:
        return None
    return order, change


# --- internals ----------------------------------------------------------------------------------


def _id(row: Order | Customer | Product | OrderChange) -> int:
    if row.id is None:
        raise ValueError("unsaved row")
    return row.id


def _check_owner(order: Order, customer: Customer) -> None:
    if order.customer_id != customer.id:  # routes scope already; never trust one layer
        raise OrderNotFound()


def _lock_order(session: Session, *, number: str, customer: Customer) -> Order:
    order = orders_repository.get_by_number(session, number, for_update=True)
    if order is None or order.customer_id != customer.id:
        raise OrderNotFound()
    return order


def _paid_with_stripe(order: Order) -> bool:
    # Only a Stripe PaymentIntent can be refunded through Stripe.
    return (order.payment_reference or "").startswith("pi_")


def _decision(order: Order) -> policy.Decision:
    return policy.can_edit(order, now=clock.now(), policy=get_settings().policy())


def _check_allowed(order: Order) -> None:
    decision = _decision(order)
    if not decision.ok:
        raise not_allowed(decision)


def not_allowed(decision: policy.Decision) -> ChangeNotAllowed:
    """The refusal for a policy "no": English text for JSON, the msgid for pages to translate."""
    params = dict(decision.params)
    text = decision.message % params if params else decision.message
    return ChangeNotAllowed(
        text or None,
        code=decision.reason_code or ChangeNotAllowed.code,
        msgid=decision.message,
        msg_params=params,
    )


def _items_change(
    session: Session, *, order: Order, change_id: int, for_update: bool = False
) -> OrderChange:
    change = changes_repository.get_for_order(
        session, order_id=_id(order), change_id=change_id, for_update=for_update
    )
    if change is None or change.kind != KIND:
        raise ChangeNotFound()
    return change


def _compute(session: Session, order: Order, actions: Sequence[amounts.Action]) -> Preview:
    lines = orders_repository.lines(session, _id(order))
    current = [
        amounts.CurrentLine(
            line_no=line.line_no,
            sku=line.sku,
            name=line.name,
            unit_price_minor=line.unit_price_minor,
            quantity=line.quantity,
            tax_rate_bp=line.tax_rate_bp,
            product_id=line.product_id,
        )
        for line in lines
    ]
    by_no = {line.line_no: line for line in lines}
    skus = {a.sku for a in actions if isinstance(a, AddProduct)}
    skus |= {
        by_no[a.line_no].sku for a in actions if isinstance(a, SetQuantity) and a.line_no in by_no
    }
    products = catalog_repository.by_skus(session, skus)
    try:
        amendment = amounts.compute(
            currency=order.currency,
            lines=current,
            actions=actions,
            products={sku: _product_info(p) for sku, p in products.items()},
            subtotal_minor=order.subtotal_minor,
            shipping_minor=order.shipping_minor,
            discount_minor=order.discount_minor,
            tax_minor=order.tax_minor,
            total_minor=order.total_minor,
        )
    except AmendmentRejected as exc:
        raise AmendmentInvalid(exc.problems) from None
    settlement = amounts.settlement_for(
        amendment.difference_minor,
        waive_under_minor=get_settings().policy().waive_difference_under_minor,
        stripe_enabled=payments.stripe_enabled(),
        has_payment_reference=_paid_with_stripe(order),
    )
    return Preview(order=order, amendment=amendment, settlement=settlement)


def _product_info(product: Product) -> amounts.ProductInfo:
    return amounts.ProductInfo(
        sku=product.sku,
        name=product.name,
        price_minor=product.price_minor,
        currency=product.currency,
        stock_on_hand=product.stock_on_hand,
        product_id=product.id,
    )


def _action_skus(
    order: Order, actions: Sequence[amounts.Action], amendment: amounts.Amendment
) -> list[tuple[int, str]]:
    """(index, sku) of each action, to point a failed reservation at the field that asked."""
    sku_of_line = {line.line_no: line.sku for line in amendment.lines}
    result = []
    for index, action in enumerate(actions):
        sku = action.sku if isinstance(action, AddProduct) else sku_of_line.get(action.line_no)
        if sku:
            result.append((index, sku))
    return result


def _action_rows(amendment: amounts.Amendment) -> list[OrderChangeAction]:
    rows = []
    for line in amendment.changed_lines:
        kind = {"removed": "remove_line", "added": "add_product"}.get(line.state, "set_quantity")
        rows.append(
            OrderChangeAction(
                change_id=0,  # set by add_change
                action=kind,
                line_no=line.line_no,
                sku=line.sku,
                name=line.name,
                quantity_before=line.quantity_before,
                quantity_after=line.quantity,
                unit_price_minor=line.unit_price_minor,
                tax_rate_bp=line.tax_rate_bp,
            )
        )
    return rows


def _stock(change: OrderChange, key: str) -> list[tuple[int, int]]:
    raw = (change.preview or {}).get("stock", {}).get(key, [])
    return sorted((int(product_id), int(quantity)) for product_id, quantity in raw)


def _release_reserved(session: Session, change: OrderChange) -> None:
    for product_id, quantity in _stock(change, "reserved"):
        catalog_repository.release_stock(session, product_id, quantity)


def expire_abandoned(*, limit: int = 50) -> int:
    """Withdraw items changes nobody finished, so their reserved stock goes back.

    Unconfirmed ones after REQUEST_TTL; unpaid ones (awaiting_payment) after PAYMENT_TTL, their
    PaymentIntent canceled first (if the shopper paid meanwhile, the webhook applies it and this
    leaves it alone). Run by the worker; each order in its own transaction under its row lock.
    """
    now = clock.now()
    with session_scope(write=False) as session:
        unconfirmed = changes_repository.stale_changes(
            session, kind=KIND, status="requested", before=now - REQUEST_TTL, limit=limit
        )
        unpaid = changes_repository.stale_changes(
            session, kind=KIND, status="awaiting_payment", before=now - PAYMENT_TTL, limit=limit
        )
    for order_id, _change_id in unconfirmed:
        with session_scope() as session:
            order = orders_repository.get_by_id(session, order_id, for_update=True)
            if order is not None:
                _expire_stale_change(session, actor=Actor.system(), order=order)
    for order_id, change_id in unpaid:
        try:
            with session_scope() as session:
                order = orders_repository.get_by_id(session, order_id, for_update=True)
                customer = customers_repository.get(session, order.customer_id) if order else None
                if order is not None and customer is not None:
                    change = cancel_change(
                        session,
                        actor=Actor.system(),
                        customer=customer,
                        number=order.number,
                        change_id=change_id,
                    )
                    if change.status == "canceled" and change.decline_code is None:
                        change.decline_code = "expired"
                        session.add(change)
        except AppError:
            log.info("unpaid change %s not withdrawn: payment under way or done", change_id)
    return len(unconfirmed) + len(unpaid)


def _expire_stale_change(session: Session, *, actor: Actor, order: Order) -> None:
    """Cancel an unconfirmed items change that can no longer be confirmed or was abandoned."""
    active = changes_repository.active_for_order(session, _id(order))
    if active is None or active.kind != KIND or active.status != "requested":
        return
    stale = active.base_version != order.version
    abandoned = clock.now() - active.created_at > REQUEST_TTL
    if not (stale or abandoned):
        return  # add_change will refuse the new one: ChangeInProgress
    if changes_repository.transition(
        session, active, from_status="requested", to_status="canceled", decided_at=clock.now()
    ):
        active.decline_code = "order_changed" if stale else "expired"
        session.add(active)
        _release_reserved(session, active)
        session.flush()


def _decline(
    session: Session, *, actor: Actor, order: Order, change: OrderChange, code: str | None
) -> None:
    from_status = change.status
    if not changes_repository.transition(
        session, change, from_status=from_status, to_status="declined", decided_at=clock.now()
    ):
        return
    change.decline_code = code
    session.add(change)
    _release_reserved(session, change)
    session.flush()
    activity.record(
        session,
        actor=actor,
        kind="order.amendment_declined",
        order_id=order.id,
        customer_id=order.customer_id,
        data={"change_id": change.id, "reason": code, "number": order.number},
    )


def _actor_of(change: OrderChange) -> Actor:
    return Actor(change.actor_type, change.actor_id, on_behalf_of=change.on_behalf_of)


def _apply(
    session: Session, *, actor: Actor, order: Order, change: OrderChange, settlement: str
) -> None:
    """Write the amended lines and totals, bump the version, tell the customer and the shop."""
    preview = change.preview or {}
    current = {line.line_no: line for line in orders_repository.lines(session, _id(order))}
    removed: list[OrderLine] = []
    added: list[OrderLine] = []
    for raw in preview.get("lines", []):
        state = raw["state"]
        if state == "unchanged":
            continue
        if state == "added":
            added.append(
                OrderLine(
                    order_id=_id(order),
                    line_no=raw["line_no"],
                    product_id=raw.get("product_id"),
                    sku=raw["sku"],
                    name=raw["name"],
                    unit_price_minor=raw["unit_price_minor"],
                    quantity=raw["quantity"],
                    tax_rate_bp=raw["tax_rate_bp"],
                    total_minor=raw["total_minor"],
                )
            )
            continue
        line = current[raw["line_no"]]
        if state == "removed":
            removed.append(line)
        else:
            line.quantity = raw["quantity"]
            line.total_minor = raw["total_minor"]
            session.add(line)
    orders_repository.delete_all(session, removed)
    orders_repository.flush(session)  # free the numbers before new lines take any
    orders_repository.add_all(session, added)

    new = preview["new"]
    now = clock.now()
    order.subtotal_minor = new["subtotal_minor"]
    order.tax_minor = new["tax_minor"]
    order.total_minor = new["total_minor"]
    order.version += 1
    order.updated_at = now
    session.add(order)
    for product_id, quantity in _stock(change, "release_on_apply"):
        catalog_repository.release_stock(session, product_id, quantity)
    change.settlement = settlement
    change.decided_at = change.decided_at or now
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
        for row in changes_repository.actions(session, _id(change))
    ]
    activity.record(
        session,
        actor=actor,
        kind="order.amended",
        order_id=order.id,
        customer_id=order.customer_id,
        data={
            "change_id": change.id,
            "number": order.number,
            "version": order.version,
            "actions": actions,
            "old_total_minor": change.old_total_minor,
            "new_total_minor": change.new_total_minor,
            "difference_minor": change.difference_minor,
            "settlement": settlement,
        },
    )
    lines = sorted(orders_repository.lines(session, _id(order)), key=lambda line: line.line_no)
    _email_customer(session, actor=actor, order=order, change=change, lines=lines)
    outbox.emit_event(
        session,
        type=EventType.ORDER_AMENDED.value,
        data=_event_data(order=order, change=change, lines=lines, actions=actions),
    )


def _event_data(
    *, order: Order, change: OrderChange, lines: list[OrderLine], actions: list[dict[str, Any]]
) -> dict[str, Any]:
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
        # Without Stripe (or below nothing we can refund to) the shop settles by hand:
        # > 0 collect from the customer, < 0 refund to them.
        "shop_must_settle": settle,
        "settle_minor": change.difference_minor if settle else 0,
    }


def _email_customer(
    session: Session, *, actor: Actor, order: Order, change: OrderChange, lines: list[OrderLine]
) -> None:
    settings = get_settings()
    customer = customers_service.get_customer(session, order.customer_id)
    if customer is None:
        return
    locale = i18n.choose(customer.locale, order.locale, default=settings.default_locale)
    email = emails.amended_email(
        locale=locale,
        shop_name=settings.shop_name,
        shop_email=settings.shop_email,
        customer_name=customer.name,
        order_number=order.number,
        currency=order.currency,
        lines=[(line.name, line.quantity, line.total_minor) for line in lines],
        new_total_minor=order.total_minor,
        difference_minor=change.difference_minor,
        settlement=change.settlement,
        by_agent=actor.type == "agent",
        order_url=f"{settings.base_url.rstrip('/')}/orders/{quote(order.number, safe='')}",
    )
    outbox.enqueue_email(
        session, to=customer.email, subject=email.subject, text=email.text, html=email.html
    )


# The payments webhook calls these for every extra payment (only amendments take payments).
payments.on_charge_succeeded(on_charge_succeeded)
payments.on_charge_failed(on_charge_failed)
