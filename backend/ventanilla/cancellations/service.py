"""Cancelling a whole order before packing: stock back, money back, the shop and the shopper told.

One write, `cancel_order`, inside the edit skeleton (`orders.edits.edit_order`): the order row
locked, ownership checked (404), then the cut-off asked with the locked row. The packing claim
takes the same lock, so exactly one of a cancellation and a claim wins; after a cancellation the
claim is refused (409 `order_cancelled`, `orders.policy.can_claim_for_packing`).

The cancellation is a change set of kind `cancel` (`OrderChange`, confirmed at once), so the
shop reads it back in `GET /api/v1/orders/{number}` with the other changes. Money
(`payments.whole_order`): an authorisation not captured yet is released at Stripe (nothing is
refunded); what was captured is refunded through the ledger, exactly once, after commit; without
Stripe (or without a card payment) the shop refunds by hand and the webhook says so. A second
submit finds the order cancelled by the first and changes nothing.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from sqlmodel import Session

from ventanilla.cancellations import actions as cancel_actions
from ventanilla.cancellations import credit, emails
from ventanilla.cancellations import policy as cancel_policy
from ventanilla.catalog import repository as catalog_repository
from ventanilla.changes import service as changes_service
from ventanilla.config import get_settings
from ventanilla.core import clock
from ventanilla.core.actors import Actor
from ventanilla.core.decisions import Decision
from ventanilla.customers.models import Customer
from ventanilla.orders import canonical, edits
from ventanilla.orders import repository as orders_repository
from ventanilla.orders.exceptions import ChangeInProgress, OrderNotFound
from ventanilla.orders.models import Order, OrderChange, OrderLine
from ventanilla.outbox.events import EventType
from ventanilla.payments import service as payments
from ventanilla.payments.exceptions import (
    AmountNotPayable,
    NoPaymentToRefund,
    PaymentsNotConfigured,
    RefundExceedsCaptured,
)
from ventanilla.portal.urls import order_url

KIND = "cancel"  # the kind of change set a cancellation is (`OrderChange.kind`)

Money = Literal["refund", "none"]


@dataclass(frozen=True)
class CancelForm:
    """What the confirmation page shows: the order, its lines, whether it may be cancelled, and
    what happens to the money (`refund`: goes back to the card, refunded or released;
    `none`: nothing was charged)."""

    order: Order
    lines: list[OrderLine]
    decision: Decision
    money: Money
    amount_minor: int


@dataclass(frozen=True)
class CancelResult:
    """The order after a cancel click. outcome `unchanged`: it was cancelled already (a
    double submit or another tab); nothing was written."""

    order: Order
    change: OrderChange
    outcome: Literal["cancelled", "unchanged"]


def decide(order: Order, now: datetime) -> Decision:
    """The cancellation policy, pointing to withdrawal or returns only if those actions exist
    (the portal's registry, asked at run time)."""
    return cancel_policy.can_cancel(order, now, after_sales=cancel_actions.after_sales_available())


def cancel_form(session: Session, *, customer: Customer, order: Order) -> CancelForm:
    """The order's lines, the decision and what would happen to the money (no Stripe call)."""
    if order.customer_id != customer.id:  # routes scope already; never trust one layer
        raise OrderNotFound()
    assert order.id is not None
    # Without asking Stripe: a card payment goes back to the card (refunded or, when it was only
    # authorised, released); the email says which.
    money: Money = "none" if order.status == "placed" and not _card_payment(order) else "refund"
    return CancelForm(
        order=order,
        lines=sorted(orders_repository.lines(session, order.id), key=lambda line: line.line_no),
        decision=decide(order, clock.now()),
        money=money,
        amount_minor=order.total_minor if money != "none" else 0,
    )


def cancellation_of(session: Session, order: Order) -> OrderChange | None:
    """The order's cancellation change set, if it was cancelled here."""
    assert order.id is not None
    changes = orders_repository.changes_of_order(session, order.id)
    return next((c for c in reversed(changes) if c.kind == KIND and c.status == "confirmed"), None)


def cancel_order(
    session: Session,
    *,
    actor: Actor,
    customer: Customer,
    number: str,
    version: int,
    reason: str | None = None,
) -> CancelResult:
    """Cancel the whole order (a shopper, or an agent for them), under the order lock.

    `reason`: one of `policy.REASONS` or None (the caller checks it: 422). Gives the stock back,
    releases the authorisation or refunds what was paid (after commit), bumps the version, and
    records `order.cancelled` (activity, the customer's email, the shop's webhook). An open
    item change is withdrawn first. Raises OrderNotFound (404), ChangeNotAllowed (409, the
    policy's code), OrderChanged (409), ChangeInProgress (409), PaymentAlreadySucceeded,
    PaymentInProgress (409) and PaymentProviderUnavailable (503); nothing is written then.
    """
    with edits.edit_order(
        session, actor=actor, customer=customer, number=number, policy=None
    ) as edit:
        order = edit.order
        done = cancellation_of(session, order) if order.status == "cancelled" else None
        if done is not None:
            return CancelResult(order=order, change=done, outcome="unchanged")
        edit.refuse_unless(decide(order, edit.now))
        edit.expect_version(version)
        # A savepoint: a refusal half-way (Stripe does not answer) leaves nothing behind, even
        # for a caller that goes on using the session (a page that shows the refusal).
        with session.begin_nested():
            return _cancel(edit, reason)


def _cancel(edit: edits.OrderEdit, reason: str | None) -> CancelResult:
    session, order, actor = edit.session, edit.order, edit.actor
    _withdraw_open_change(edit)
    lines = sorted(orders_repository.lines(session, edit.order_id), key=lambda x: x.line_no)
    change = orders_repository.add_change(
        session,
        OrderChange(
            order_id=edit.order_id,
            kind=KIND,
            status="confirmed",
            base_version=order.version,
            actor_type=actor.type,
            actor_id=actor.id,
            on_behalf_of=actor.on_behalf_of,
            currency=order.currency,
            old_total_minor=order.total_minor,
            new_total_minor=0,
            difference_minor=-order.total_minor,
            preview={"reason": reason, "lines": _line_data(lines)},
            decided_at=edit.now,
        ),
    )
    stock = _stock_back(session, lines)
    money, refund_keys = _money_back(edit, change)
    invoices = credit.request_credit_notes(
        session, order=order, change_id=change.id or 0, refund_keys=refund_keys, actor=actor
    )
    change.preview = {**change.preview, "stock_released": stock, **money}
    session.add(change)
    old_status = order.status
    order.status = "cancelled"
    order.status_at = max(order.status_at, edit.now)
    edit.bump_version()
    _record(
        edit,
        change,
        lines,
        old_status=old_status,
        reason=reason,
        money=money,
        credit_notes_for=invoices,
    )
    return CancelResult(order=order, change=change, outcome="cancelled")


def _card_payment(order: Order) -> bool:
    return (order.payment_reference or "").startswith("pi_")


def _withdraw_open_change(edit: edits.OrderEdit) -> None:
    """An items change still open is withdrawn (its stock back, its payment canceled)."""
    active = orders_repository.active_change(edit.session, edit.order_id)
    if active is None:
        return
    if active.kind != changes_service.KIND:
        raise ChangeInProgress()
    changes_service.withdraw(edit, active)


def _line_data(lines: list[OrderLine]) -> list[dict[str, Any]]:
    return [
        {"line_no": line.line_no, "sku": line.sku, "name": line.name, "quantity": line.quantity}
        for line in lines
    ]


def _stock_back(session: Session, lines: list[OrderLine]) -> list[list[int]]:
    """Every unit of the order back on hand, by product (in id order: no deadlocks)."""
    products = catalog_repository.by_skus(session, {line.sku for line in lines})
    units: dict[int, int] = defaultdict(int)
    for line in lines:
        product = products.get(line.sku)
        if product is not None and product.id is not None and line.quantity > 0:
            units[product.id] += line.quantity
    for product_id, quantity in sorted(units.items()):
        catalog_repository.release_stock(session, product_id, quantity)
    return [[product_id, quantity] for product_id, quantity in sorted(units.items())]


def _money_back(edit: edits.OrderEdit, change: OrderChange) -> tuple[dict[str, int], list[str]]:
    """Release the hold, refund what was captured, or leave it to the shop; sets settlement.
    Returns the figures (refund_minor, released_minor) and the refunds' ledger keys."""
    session, order = edit.session, edit.order
    figures = {"refund_minor": 0, "released_minor": 0}
    # Stripe's word on the capture wins over the order's status (`payments.payment_captured`).
    captured = payments.payment_captured(order)
    if captured is False:
        figures["released_minor"] = payments.release_authorisation(
            session, order=order, actor=edit.actor
        )
        order.amount_to_capture_minor = 0
        change.settlement = "released"
        return figures, []
    if captured is None and order.status == "placed":
        # Not charged as far as the shop says, and Stripe has nothing else to say.
        change.settlement = "none"
        return figures, []
    try:
        refund = payments.refund_whole_order(
            session,
            order=order,
            change_id=change.id or 0,
            reason="order_cancelled",
            actor=edit.actor,
        )
    except (PaymentsNotConfigured, NoPaymentToRefund, RefundExceedsCaptured, AmountNotPayable):
        # Nothing was written: the shop refunds by hand, and the webhook tells it so.
        change.settlement = "shop_to_settle"
        change.shop_settle_minor = order.total_minor
        return figures, []
    figures["refund_minor"] = refund.amount_minor
    change.settlement = "refund" if refund.entries else "none"
    change.shop_settle_minor = refund.remainder_minor
    return figures, [entry.idempotency_key for entry in refund.entries]


def _record(
    edit: edits.OrderEdit,
    change: OrderChange,
    lines: list[OrderLine],
    *,
    old_status: str,
    reason: str | None,
    money: dict[str, int],
    credit_notes_for: list[str],
) -> None:
    order = edit.order
    settings = get_settings()
    data = {
        "order_number": order.number,
        "version": order.version,
        "change_id": change.id,
        "previous_status": old_status,
        "cancelled_at": canonical.iso(edit.now),
        "reason": reason,
        "actor_type": edit.actor.type,
        "currency": order.currency,
        "total_minor": change.old_total_minor,
        "settlement": change.settlement,
        **money,
        # The shop settles by hand: all of it without Stripe, else what Stripe cannot carry.
        "shop_must_settle": bool(change.shop_settle_minor),
        "settle_minor": -change.shop_settle_minor,
        "payment_reference": order.payment_reference,
        # Invoices a credit note was asked for (`credit_note.requested` follows for each).
        "credit_notes_requested_for": credit_notes_for,
        "lines": _line_data(lines),
    }
    edit.record(
        "order.cancelled",
        {"number": order.number, **{k: v for k, v in data.items() if k != "lines"}},
        email=lambda locale: emails.cancelled_email(
            locale=locale,
            shop_name=settings.shop_name,
            shop_email=settings.shop_email,
            customer_name=edit.customer.name,
            order_number=order.number,
            currency=order.currency,
            lines=[(line.name, line.quantity) for line in lines],
            total_minor=change.old_total_minor,
            settlement=change.settlement,
            refund_minor=money["refund_minor"],
            shop_settles_minor=change.shop_settle_minor,
            by_agent=edit.actor.type == "agent",
            order_url=settings.base_url.rstrip("/") + order_url(order.number),
        ),
        webhook=(EventType.ORDER_CANCELLED, data),
    )
