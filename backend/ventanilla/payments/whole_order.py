"""Giving back everything an order took, for a cancellation of the whole order.

- `release_authorisation`: the PaymentIntent is only authorised (manual capture, not captured
  yet): cancel it at Stripe, so the hold on the shopper's card goes away and nothing is refunded.
- `refund_whole_order`: what was captured and not refunded yet goes back through the ledger
  (exactly once: the original payment under the cancellation's own key, each extra payment under
  `refund:charge:{id}`), made after commit like every refund.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from sqlmodel import Session

from ventanilla.activity import service as activity_service
from ventanilla.core.actors import Actor
from ventanilla.orders import repository as orders_repository
from ventanilla.orders.models import Order
from ventanilla.payments import policy, provider, repository
from ventanilla.payments.exceptions import PaymentProviderUnavailable
from ventanilla.payments.models import PaymentEntry
from ventanilla.payments.refunds import refund_charge, request_refund

log = logging.getLogger("ventanilla.payments")


@dataclass
class WholeRefund:
    """The refund rows a whole-order refund wrote, and what the shop must settle by hand."""

    entries: list[PaymentEntry] = field(default_factory=list)
    remainder_minor: int = 0

    @property
    def amount_minor(self) -> int:
        return sum(entry.amount_minor for entry in self.entries)


def release_authorisation(session: Session, *, order: Order, actor: Actor) -> int:
    """Cancel the order's uncaptured PaymentIntent at Stripe; returns the amount released.

    Call under the order lock, after `payment_captured(order)` said False (authorised only).
    Calls Stripe in the caller's transaction (keep it short). An intent already canceled counts
    as released
    (a retry after a lost commit). Raises PaymentProviderUnavailable (503) when Stripe does not
    answer; nothing is written then. Records `payment.authorisation_released`.
    """
    reference = order.payment_reference or ""
    try:
        intent = provider.retrieve_intent(reference)
        if intent.get("status") != "canceled":
            intent = provider.cancel_intent(reference)
    except provider.ProviderError as exc:
        log.warning("could not release the authorisation %s: %s", reference, exc)
        raise PaymentProviderUnavailable() from exc
    amount = int(intent.get("amount_capturable") or intent.get("amount") or 0)
    activity_service.record(
        session,
        actor=actor,
        kind="payment.authorisation_released",
        order_id=order.id,
        customer_id=order.customer_id,
        data={"payment_reference": reference, "amount_minor": amount, "currency": order.currency},
    )
    return amount


def refund_whole_order(
    session: Session, *, order: Order, change_id: int, reason: str, actor: Actor
) -> WholeRefund:
    """Refund everything the order's payments took and that was not refunded yet.

    The original payment: what it captured (the authorised total before any change, or the
    lowered `amount_to_capture_minor`) minus its refunds pending or made, under the key of
    `change_id`; then every extra payment that succeeded, whole. Raises what `request_refund`
    raises (PaymentsNotConfigured, NoPaymentToRefund, AmountNotPayable, RefundExceedsCaptured)
    before writing anything for the original payment, so the caller can leave it to the shop.
    """
    assert order.id is not None
    result = WholeRefund()
    captured = order.amount_to_capture_minor
    if captured is None:
        captured = orders_repository.total_before_changes(session, order)
    already = repository.refunds_total(
        session, order_id=order.id, statuses=("pending", "succeeded"), exclude_charge_refunds=True
    )
    if captured - already > 0:
        entry = request_refund(
            session,
            order=order,
            change_id=change_id,
            amount_minor=captured - already,
            reason=reason,
            actor=actor,
        )
        result.entries.append(entry)
        result.remainder_minor += entry.remainder_minor
    for charge in repository.for_order(session, order.id):
        if charge.kind == "charge" and charge.status == "succeeded":
            key = policy.refund_key_for_charge(charge.id or 0)
            if repository.by_key(session, key) is None:
                result.entries.append(
                    refund_charge(session, entry=charge, reason=reason, actor=actor)
                )
    return result
