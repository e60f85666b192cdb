"""Stripe's webhooks: verified, stored by event id, applied once; and the charge handlers.

The changes domain registers what applies a change once its extra payment succeeded (and what
happens when it failed); payments knows nothing about changes.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlmodel import Session

from ventanilla.activity import service as activity_service
from ventanilla.config import get_settings
from ventanilla.core import clock
from ventanilla.core.actors import Actor
from ventanilla.payments import policy, provider, repository
from ventanilla.payments.currency import from_stripe
from ventanilla.payments.exceptions import InvalidStripeWebhook, StripeWebhooksNotConfigured
from ventanilla.payments.models import PaymentEntry, StripeEvent

log = logging.getLogger("ventanilla.payments")

SYSTEM = Actor.system()
WEBHOOK_TOLERANCE_SECONDS = 300

ChargeHandler = Callable[[Session, PaymentEntry], None]
_handlers: dict[str, ChargeHandler] = {}


# --- registry -------------------------------------------------------------------------------


def on_charge_succeeded(handler: ChargeHandler) -> ChargeHandler:
    """Register what applies a change once its extra payment succeeded.

    Called inside the webhook's transaction with the order row locked and the entry already
    `succeeded`; it runs once per entry. It may also run for an entry that had `failed` before
    (the shopper retried with another card): if the change can no longer be applied, call
    `refund_charge`. Usable as a decorator; registering again replaces the handler.
    """
    _handlers["succeeded"] = handler
    return handler


def on_charge_failed(handler: ChargeHandler) -> ChargeHandler:
    """Register what happens when an extra payment failed or was canceled at Stripe.

    Called inside the webhook's transaction with the order row locked and the entry already
    `failed` or `canceled`.
    """
    _handlers["failed"] = handler
    return handler


def _handler(outcome: str) -> ChargeHandler:
    handler = _handlers.get(outcome)
    if handler is None:
        # Without it a paid change would never be applied: refuse the event, Stripe retries it.
        raise RuntimeError(
            f"no on_charge_{outcome} handler registered (changes.settlement registers it)"
        )
    return handler


# --- webhooks -------------------------------------------------------------------------------


@dataclass(frozen=True)
class WebhookResult:
    duplicate: bool = False
    handled: bool = False


def handle_webhook(session: Session, *, payload: bytes, signature: str | None) -> WebhookResult:
    """Verify a Stripe webhook, store it by event id, and apply it once.

    Bad signature, stale timestamp (over 5 minutes) or a body that is not an event raise
    InvalidStripeWebhook (400) and change nothing; a replayed event id is a duplicate and
    changes nothing. payment_intent.succeeded / payment_failed / canceled for one of our
    charges update its ledger row and call the registered handler; other events are ignored.
    """
    secret = get_settings().stripe_webhook_secret
    if secret is None or not secret.get_secret_value():
        raise StripeWebhooksNotConfigured()
    try:
        provider.verify_webhook(
            payload, signature, secret.get_secret_value(), tolerance=WEBHOOK_TOLERANCE_SECONDS
        )
    except provider.InvalidSignature as exc:
        raise InvalidStripeWebhook(f"The webhook could not be verified: {exc}") from exc
    event = _parse_event(payload)
    stored = StripeEvent(id=event["id"], type=event["type"])
    if not repository.insert(session, stored):
        return WebhookResult(duplicate=True)
    handled = False
    if event["type"] in _INTENT_OUTCOMES:
        handled = _apply_intent_event(session, event["type"], event["data"]["object"])
    stored.processed_at = clock.now()
    repository.save(session, stored)
    return WebhookResult(handled=handled)


def _parse_event(payload: bytes) -> dict[str, Any]:
    try:
        event = json.loads(payload)
    except ValueError as exc:
        raise InvalidStripeWebhook("The webhook body is not JSON.") from exc
    if not isinstance(event, dict):
        raise InvalidStripeWebhook("The webhook body is not a Stripe event.")
    event_id, event_type, data = event.get("id"), event.get("type"), event.get("data")
    if not (isinstance(event_id, str) and 0 < len(event_id) <= 255):
        raise InvalidStripeWebhook("The event has no valid id.")
    if not (isinstance(event_type, str) and 0 < len(event_type) <= 100):
        raise InvalidStripeWebhook("The event has no valid type.")
    if not (isinstance(data, dict) and isinstance(data.get("object"), dict)):
        raise InvalidStripeWebhook("The event has no data.object.")
    return event


_INTENT_OUTCOMES = {
    "payment_intent.succeeded": "succeeded",
    "payment_intent.payment_failed": "failed",
    "payment_intent.canceled": "canceled",
}


def _apply_intent_event(session: Session, event_type: str, intent: dict[str, Any]) -> bool:
    intent_id = intent.get("id")
    if not isinstance(intent_id, str):
        return False
    found = repository.charge_by_intent(session, intent_id)
    if found is None or found.id is None:
        return False  # not one of our extra payments (e.g. the order's original payment)
    # The order first, then the entry: the same order as confirm and cancel take them.
    order = repository.order(session, found.order_id, for_update=True)
    entry = repository.get(session, found.id, for_update=True)
    assert order is not None and entry is not None
    outcome = _INTENT_OUTCOMES[event_type]
    if outcome == "succeeded":
        if entry.status == "succeeded":
            return False
        captured = from_stripe(policy.captured_minor(intent), entry.currency)
        if captured < entry.amount_minor:
            log.error(
                "payment %s: %s reports %d captured for a charge of %d; not applied",
                entry.id,
                intent_id,
                captured,
                entry.amount_minor,
            )
            return False
        entry.last_error = None
    else:
        if entry.status not in ("pending", "failed") or entry.status == outcome:
            return False
        error = intent.get("last_payment_error")
        message = error.get("message") if isinstance(error, dict) else None
        entry.last_error = str(message or event_type)[:1000]
    entry.status = outcome
    entry.updated_at = clock.now()
    repository.save(session, entry)
    activity_service.record(
        session,
        actor=SYSTEM,
        kind=f"payment.{outcome}",
        order_id=order.id,
        customer_id=order.customer_id,
        data={
            "ledger_id": entry.id,
            "change_id": entry.change_id,
            "amount_minor": entry.amount_minor,
            "currency": entry.currency,
            "payment_intent": intent_id,
        },
    )
    _handler("succeeded" if outcome == "succeeded" else "failed")(session, entry)
    return True
