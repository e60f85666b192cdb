"""Extra payments: the PaymentIntent a shopper confirms on the page when a change costs more.

Stripe is called inside the caller's transaction (the intent must exist before the page can show
the card form), so keep that transaction short. Whether the payment went through is told by
Stripe's webhook (`payments.webhooks`).
"""

from __future__ import annotations

import logging

from sqlmodel import Session

from ventanilla.activity import service as activity_service
from ventanilla.core import clock
from ventanilla.core.actors import Actor
from ventanilla.orders.models import Order
from ventanilla.payments import policy, provider, repository
from ventanilla.payments.exceptions import (
    PaymentAlreadySucceeded,
    PaymentInProgress,
    PaymentProviderUnavailable,
    PaymentRejected,
    PaymentsNotConfigured,
)
from ventanilla.payments.models import PaymentEntry

log = logging.getLogger("ventanilla.payments")

SYSTEM = Actor.system()


def start_payment(
    session: Session, *, order: Order, change_id: int, amount_minor: int
) -> PaymentEntry:
    """Create (once) the PaymentIntent the shopper confirms on the page for a higher total.

    Returns the `charge` ledger row (pending, with `provider_id` pi_… and `client_secret`); a
    row that exists for `charge:change:{change_id}` is returned as it is (page reloads). Calls
    Stripe inside the caller's transaction, so keep that transaction short (no order lock held
    if you can). Raises PaymentProviderUnavailable (503) when Stripe does not answer, and
    PaymentRejected (422) when it refuses the amount; nothing is recorded then.
    """
    key = policy.charge_key_for_change(change_id)
    existing = repository.by_key(session, key)
    if existing is not None:
        return existing
    if not provider.stripe_enabled():
        raise PaymentsNotConfigured()
    if amount_minor <= 0:
        raise ValueError(f"a payment must be positive, got {amount_minor}")
    assert order.id is not None
    try:
        intent = provider.create_intent(
            amount_minor=amount_minor,
            currency=order.currency,
            metadata={"change_id": str(change_id), "order": order.number},
            idempotency_key=key,
        )
    except provider.ProviderError as exc:
        log.warning("payment for change %s: %s", change_id, exc)
        raise PaymentRejected() if exc.permanent else PaymentProviderUnavailable() from exc
    entry = PaymentEntry(
        order_id=order.id,
        change_id=change_id,
        kind="charge",
        amount_minor=amount_minor,
        currency=order.currency,
        status="pending",
        idempotency_key=key,
        provider_id=str(intent["id"]),
        client_secret=intent.get("client_secret"),
        attempts=1,
    )
    if not repository.insert(session, entry):
        # Another request started this payment meanwhile: keep theirs, drop ours.
        _cancel_quietly(str(intent["id"]))
        existing = repository.by_key(session, key)
        assert existing is not None
        return existing
    return entry


def _cancel_quietly(intent_id: str) -> None:
    try:
        provider.cancel_intent(intent_id)
    except provider.ProviderError as exc:
        log.warning("could not cancel the unused PaymentIntent %s: %s", intent_id, exc)


def cancel_payment(session: Session, *, entry: PaymentEntry) -> PaymentEntry:
    """Cancel an extra payment that has not gone through, and mark it `canceled`.

    Raises PaymentAlreadySucceeded when the shopper paid meanwhile (the webhook applies the
    change), PaymentInProgress while Stripe is still processing, PaymentProviderUnavailable
    when Stripe does not answer. Lock the order first (the webhook does the same).
    """
    if entry.kind != "charge" or entry.id is None:
        raise ValueError("only a charge can be canceled")
    locked = repository.get(session, entry.id, for_update=True)
    assert locked is not None
    if locked.status == "canceled":
        return locked
    if locked.status == "succeeded":
        raise PaymentAlreadySucceeded()
    if locked.provider_id:
        try:
            intent = provider.retrieve_intent(locked.provider_id)
            status = intent.get("status")
            if status == "succeeded":
                raise PaymentAlreadySucceeded()
            if status == "processing":
                raise PaymentInProgress()
            if status != "canceled":
                provider.cancel_intent(locked.provider_id)
        except provider.ProviderError as exc:
            if exc.status != 404:  # a PaymentIntent Stripe doesn't know can't be paid either
                raise PaymentProviderUnavailable() from exc
    locked.status = "canceled"
    locked.updated_at = clock.now()
    repository.save(session, locked)
    order = repository.order(session, locked.order_id)
    activity_service.record(
        session,
        actor=SYSTEM,
        kind="payment.canceled",
        order_id=locked.order_id,
        customer_id=order.customer_id if order else None,
        data={"ledger_id": locked.id, "change_id": locked.change_id},
    )
    return locked


def payment_captured(order: Order) -> bool | None:
    """What Stripe says about the order's own PaymentIntent: True when it took the money
    (`succeeded`), False when it holds it authorised but not captured (`requires_capture`),
    None when Stripe is off, there is no `pi_…`, Stripe does not answer or says anything else
    (the caller then goes by the order's status). Calls Stripe inside the caller's transaction:
    keep it short.
    """
    reference = order.payment_reference or ""
    if not provider.stripe_enabled() or not reference.startswith("pi_"):
        return None
    try:
        intent = provider.retrieve_intent(reference)
    except provider.ProviderError as exc:
        log.warning("could not ask Stripe about %s: %s", reference, exc)
        return None
    return {"succeeded": True, "requires_capture": False}.get(str(intent.get("status")))
