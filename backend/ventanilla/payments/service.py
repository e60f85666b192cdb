"""Money for order changes: the interface other domains call (the work is in the modules named).

- stripe_enabled() -> bool
- request_refund(session, *, order, change_id, amount_minor, reason, key=None, actor=None)
      a pending refund row in the caller's transaction; made after commit (`refunds`).
- refund_charge(session, *, entry, reason, actor=None) -> PaymentEntry          (`refunds`)
- execute_refunds(limit=20, *, now=None) -> int     the worker's task: makes due refunds.
- execute_refund_now(entry_id) -> bool              best effort right after a commit.
- new_refunds(session) -> list[int]                 refund rows this session created.
- start_payment(session, *, order, change_id, amount_minor) -> PaymentEntry   (`charges`)
- cancel_payment(session, *, entry) -> PaymentEntry                         (`charges`)
- payment_captured(order) -> bool | None   did Stripe take the order's payment (`charges`)
- on_charge_succeeded(handler) / on_charge_failed(handler)    registration (`webhooks`).
- handle_webhook(session, *, payload, signature) -> WebhookResult   (`webhooks`)
- checkout_context(entry, *, return_url=None) -> dict    what the pay page needs.
- ledger_for_order(session, *, order_id) -> list[PaymentEntry]
- release_authorisation(session, *, order, actor) -> int    cancel an uncaptured intent
                                                              (`whole_order`)
- refund_whole_order(session, *, order, change_id, reason, actor) -> WholeRefund
      everything captured and not refunded yet, through the ledger (`whole_order`).
"""

from __future__ import annotations

from typing import TypedDict

from sqlmodel import Session

from ventanilla.config import get_settings
from ventanilla.payments import repository
from ventanilla.payments.charges import cancel_payment, payment_captured, start_payment
from ventanilla.payments.models import PaymentEntry
from ventanilla.payments.provider import stripe_enabled
from ventanilla.payments.refunds import (
    execute_refund_now,
    execute_refunds,
    new_refunds,
    refund_charge,
    request_refund,
)
from ventanilla.payments.webhooks import (
    WebhookResult,
    _handlers,
    handle_webhook,
    on_charge_failed,
    on_charge_succeeded,
)
from ventanilla.payments.whole_order import (
    WholeRefund,
    refund_whole_order,
    release_authorisation,
)

__all__ = [
    "CheckoutContext",
    "WebhookResult",
    "_handlers",
    "cancel_payment",
    "checkout_context",
    "execute_refund_now",
    "execute_refunds",
    "handle_webhook",
    "ledger_for_order",
    "new_refunds",
    "on_charge_failed",
    "on_charge_succeeded",
    "payment_captured",
    "refund_charge",
    "refund_whole_order",
    "release_authorisation",
    "WholeRefund",
    "request_refund",
    "start_payment",
    "stripe_enabled",
]


class CheckoutContext(TypedDict):
    js_url: str
    publishable_key: str | None
    client_secret: str | None
    return_url: str | None


def checkout_context(entry: PaymentEntry, *, return_url: str | None = None) -> CheckoutContext:
    """What the pay page needs to confirm `entry` with Stripe.js."""
    settings = get_settings()
    return {
        "js_url": settings.stripe_js_url,
        "publishable_key": settings.stripe_publishable_key,
        "client_secret": entry.client_secret,
        "return_url": return_url,
    }


def ledger_for_order(session: Session, *, order_id: int) -> list[PaymentEntry]:
    """Every refund and extra payment of an order, oldest first."""
    return repository.for_order(session, order_id)
