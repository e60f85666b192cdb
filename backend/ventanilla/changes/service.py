"""Amending an order's items before packing: preview, request, confirm, pay or refund, cancel.

Every write goes through the edit skeleton (`orders.edits.edit_order`): the order row locked
(SQLite serialises writers), ownership checked, then the shop policy and the order version
re-checked with the locked row. The packing claim takes the same lock, so an amendment committed
before the claim is in what the warehouse gets, and none commits after it. What a decided change
does to the order is in `changes.apply`; the payment callbacks in `changes.settlement`; the
worker's clean-up of abandoned changes in `changes.tasks`.

Stock: raised quantities and added products are reserved when the change is requested, with one
conditional UPDATE per product (two shoppers cannot both take the last unit). A canceled or
declined change gives them back; a confirmed one keeps them and gives back what lowered
quantities and removed lines freed.

Money (`settlement`): a lower total is refunded through the payments ledger in the same
transaction (the refund is made after commit, the worker retries); a higher total is paid with a
Stripe PaymentIntent and the change is applied only once Stripe says it was paid; without Stripe
the shop settles the difference (the webhook says so); small differences can be waived.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Literal

from sqlmodel import Session

from ventanilla.catalog import repository as catalog_repository
from ventanilla.catalog.models import Product
from ventanilla.changes import amounts
from ventanilla.changes import settlement as _settlement  # noqa: F401  (registers with payments)
from ventanilla.changes.apply import KIND, apply_change, decline_change, release_reserved
from ventanilla.changes.exceptions import AmendmentInvalid, ChangeNotFound
from ventanilla.changes.preview import (
    Preview,
    action_rows,
    action_skus,
    compute_preview,
    product_info,
    settlement_for,
)
from ventanilla.core import clock
from ventanilla.core.actors import Actor
from ventanilla.core.decisions import Decision
from ventanilla.customers.models import Customer
from ventanilla.orders import edits
from ventanilla.orders import policy as orders_policy
from ventanilla.orders import repository as orders_repository
from ventanilla.orders.exceptions import ChangeNotAllowed, OrderChanged, OrderNotFound
from ventanilla.orders.models import (
    ACTIVE_STATUSES,
    Order,
    OrderChange,
    OrderChangeAction,
    OrderLine,
)
from ventanilla.payments import service as payments
from ventanilla.payments.currency import to_stripe
from ventanilla.payments.exceptions import (
    AmountNotPayable,
    NoPaymentToRefund,
    PaymentsNotConfigured,
    RefundExceedsCaptured,
)
from ventanilla.payments.models import PaymentEntry

# A requested change nobody confirmed holds stock and the order's one change slot: after this
# long (or once the order moved on) the next request cancels it instead of being refused.
REQUEST_TTL = timedelta(minutes=30)
# A started payment the shopper walked away from: Stripe never expires it, so we do.
PAYMENT_TTL = timedelta(hours=2)
ADD_PRODUCT_LIMIT = 100

Outcome = Literal["confirmed", "awaiting_payment", "declined", "unchanged"]


# --- results ------------------------------------------------------------------------------------


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
    reason: Decision | None = None


@dataclass(frozen=True)
class ItemsForm:
    """What the "change the items" page shows: the order's lines and what could be added."""

    order: Order
    lines: list[OrderLine]
    products: list[Product]
    decision: Decision
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
        decision=orders_policy.can_edit(order, clock.now()),
        active_change=orders_repository.active_change(session, order_id),
    )


def get_change(
    session: Session, *, customer: Customer, order: Order, change_id: int
) -> OrderChange:
    """One change of the customer's order; anyone else's is not found."""
    _check_owner(order, customer)
    change = orders_repository.change_of_order(session, order_id=_id(order), change_id=change_id)
    if change is None:
        raise ChangeNotFound()
    return change


def change_actions(session: Session, *, change: OrderChange) -> list[OrderChangeAction]:
    return orders_repository.change_actions(session, _id(change))


def payment_for(session: Session, *, change: OrderChange) -> PaymentEntry | None:
    """The extra payment of a change (a charge in the ledger), if it has one."""
    if change.settlement != "payment":
        return None
    return charge_of(session, change)


def charge_of(session: Session, change: OrderChange) -> PaymentEntry | None:
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
    """The order as it would be after `actions`, with tax, totals and difference; writes nothing.

    Raises ChangeNotAllowed (409, the policy's code), OrderChanged (409), AmendmentInvalid (422).
    """
    _check_owner(order, customer)
    decision = orders_policy.can_edit(order, clock.now())
    if not decision.ok:
        raise ChangeNotAllowed(decision)
    if version != order.version:
        raise OrderChanged()
    return compute_preview(session, order, actions)


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
    """Record the amendment (status requested) and reserve the extra stock, under the order lock.

    Raises OrderNotFound, ChangeNotAllowed, OrderChanged, ChangeInProgress, AmendmentInvalid.
    """
    with edits.edit_order(
        session, actor=actor, customer=customer, number=number, policy=orders_policy.can_edit
    ) as edit:
        edit.expect_version(version)
        # An abandoned or outdated change of the shopper's own goes first, so its stock counts.
        expire_stale_change(session, order=edit.order)
        preview = compute_preview(session, edit.order, actions)
        # A savepoint: a refusal half-way (no stock left) leaves nothing behind, even for a
        # caller that goes on using the session (a page that shows the form again).
        with session.begin_nested():
            return _record_request(edit, preview, actions)


def _record_request(
    edit: edits.OrderEdit, preview: Preview, actions: Sequence[amounts.Action]
) -> OrderChange:
    session, order, actor = edit.session, edit.order, edit.actor
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
        order_id=edit.order_id,
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
    orders_repository.add_change(session, change, action_rows(amendment))
    # Products in id order: two transactions reserving the same products never deadlock.
    index_of = {sku: i for i, sku in action_skus(actions, amendment)}
    for sku, (product, quantity) in sorted(reserve.items(), key=lambda kv: _id(kv[1][0])):
        if not catalog_repository.reserve_stock(session, _id(product), quantity):
            session.refresh(product)
            info = product_info(product)
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
    """Confirm a requested amendment: apply it (refund, waive, shop settles) or start paying.

    A policy "no" at this point declines the change (committed: its stock goes back) and is
    returned as `outcome="declined"` with the reason; a stale `version` raises OrderChanged.
    """
    # policy=None: here a "no" declines the change instead of refusing the request.
    with edits.edit_order(
        session, actor=actor, customer=customer, number=number, policy=None
    ) as edit:
        order = edit.order
        change = _items_change(session, order=order, change_id=change_id, for_update=True)
        if change.status != "requested":
            return ConfirmResult(change=change, order=order, outcome="unchanged")
        decision = orders_policy.can_edit(order, edit.now)
        if decision.ok and order.version != change.base_version:
            # The shop or another change moved the order on: this preview can never be right.
            decision = Decision.no(OrderChanged.message, code="order_changed")
        if not decision.ok:
            decline_change(edit, change, code=decision.reason_code)
            return ConfirmResult(change=change, order=order, outcome="declined", reason=decision)
        edit.expect_version(version)
        return _settle(edit, change)


def _settle(edit: edits.OrderEdit, change: OrderChange) -> ConfirmResult:
    session, order = edit.session, edit.order
    difference = change.difference_minor
    settlement = settlement_for(order, difference)
    if settlement in ("refund", "lower_charge"):
        # Stripe knows better than the order's status whether the money was taken: nothing is
        # refunded that was not captured (the shop captures less), and what was is refunded.
        captured = payments.payment_captured(order)
        if captured is not None:
            settlement = settlement_for(order, difference, captured=captured)
    sendable = to_stripe(max(difference, 0), order.currency)
    if settlement == "payment" and sendable.sent_minor == 0:
        settlement = "shop_to_settle"  # too small for a card payment in this currency
    if settlement == "payment":
        # The guard: of many concurrent clicks exactly one moves it on (the lock already
        # serialises them; this also holds for any caller that forgot the lock).
        if not orders_repository.transition_change(
            session, change, from_status="requested", to_status="awaiting_payment"
        ):
            return ConfirmResult(change=change, order=order, outcome="unchanged")
        change.settlement = "payment"
        change.shop_settle_minor = sendable.remainder_minor
        session.add(change)
        entry = payments.start_payment(
            session, order=order, change_id=_id(change), amount_minor=sendable.sent_minor
        )
        return ConfirmResult(change=change, order=order, outcome="awaiting_payment", payment=entry)

    if not orders_repository.transition_change(
        session, change, from_status="requested", to_status="confirmed", decided_at=edit.now
    ):
        return ConfirmResult(change=change, order=order, outcome="unchanged")
    refund = None
    if settlement == "refund":
        try:
            # Made right after the commit (payments schedules it), retried by the worker.
            refund = payments.request_refund(
                session,
                order=order,
                change_id=_id(change),
                amount_minor=-difference,
                reason="order_amended",
                actor=edit.actor,
            )
            change.shop_settle_minor = refund.remainder_minor
        except (PaymentsNotConfigured, NoPaymentToRefund, RefundExceedsCaptured, AmountNotPayable):
            # Nothing was written: the shop refunds by hand, and the webhook tells it so.
            settlement = "shop_to_settle"
    elif settlement == "lower_charge":
        authorised = order.amount_to_capture_minor
        if authorised is None:
            authorised = orders_repository.total_before_changes(session, order)
        order.amount_to_capture_minor = max(0, authorised + difference)
    apply_change(edit, change, settlement=settlement)
    return ConfirmResult(change=change, order=order, outcome="confirmed", refund=refund)


def cancel_change(
    session: Session, *, actor: Actor, customer: Customer, number: str, change_id: int
) -> OrderChange:
    """Withdraw an amendment not applied yet: stock goes back, a started payment is canceled.

    Raises PaymentAlreadySucceeded when the shopper paid meanwhile (the webhook applies it),
    PaymentInProgress, PaymentProviderUnavailable; nothing is written then.
    """
    # policy=None: withdrawing one's own unapplied change is always allowed.
    with edits.edit_order(
        session, actor=actor, customer=customer, number=number, policy=None
    ) as edit:
        change = _items_change(session, order=edit.order, change_id=change_id, for_update=True)
        return withdraw(edit, change)


def withdraw(edit: edits.OrderEdit, change: OrderChange) -> OrderChange:
    """Cancel `change` inside an edit (the shopper's cancel, the worker's expiry)."""
    session = edit.session
    if change.status not in ACTIVE_STATUSES:
        return change  # already settled one way or another: nothing to withdraw
    if change.status == "awaiting_payment":
        entry = charge_of(session, change)
        if entry is not None:
            # Raises PaymentAlreadySucceeded when the shopper paid meanwhile: the webhook will
            # apply the change, and nothing here is written.
            payments.cancel_payment(session, entry=entry)
    if orders_repository.transition_change(
        session, change, from_status=change.status, to_status="canceled", decided_at=clock.now()
    ):
        release_reserved(session, change)
    return change


def expire_stale_change(session: Session, *, order: Order) -> None:
    """Cancel an unconfirmed items change that can no longer be confirmed or was abandoned.

    Call with the order row locked (inside an edit).
    """
    active = orders_repository.active_change(session, _id(order))
    if active is None or active.kind != KIND or active.status != "requested":
        return
    stale = active.base_version != order.version
    abandoned = clock.now() - active.created_at > REQUEST_TTL
    if not (stale or abandoned):
        return  # add_change will refuse the new one: ChangeInProgress
    if orders_repository.transition_change(
        session, active, from_status="requested", to_status="canceled", decided_at=clock.now()
    ):
        active.decline_code = "order_changed" if stale else "expired"
        session.add(active)
        release_reserved(session, active)
        session.flush()


# --- internals ----------------------------------------------------------------------------------


def _id(row: Order | Customer | Product | OrderChange) -> int:
    if row.id is None:
        raise ValueError("unsaved row")
    return row.id


def _check_owner(order: Order, customer: Customer) -> None:
    if order.customer_id != customer.id:  # routes scope already; never trust one layer
        raise OrderNotFound()


def _items_change(
    session: Session, *, order: Order, change_id: int, for_update: bool = False
) -> OrderChange:
    change = orders_repository.change_of_order(
        session, order_id=_id(order), change_id=change_id, for_update=for_update
    )
    if change is None or change.kind != KIND:
        raise ChangeNotFound()
    return change
