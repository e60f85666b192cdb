"""Money for order changes: refunds through our own ledger, extra payments, Stripe webhooks.

Interface (used by the changes domain; everything else in this module is internal):

- stripe_enabled() -> bool
- request_refund(session, *, order, change_id, amount_minor, reason, key=None, actor=None)
      pending refund row in the caller's transaction; no Stripe call.
- execute_refunds(limit=20, *, now=None) -> int       the worker: makes due refunds.
- execute_refund_now(entry_id) -> bool                best effort right after the caller commits.
- start_payment(session, *, order, change_id, amount_minor) -> PaymentEntry   (calls Stripe)
- cancel_payment(session, *, entry) -> PaymentEntry                         (calls Stripe)
- refund_charge(session, *, entry, reason, actor=None) -> PaymentEntry
- on_charge_succeeded(handler) / on_charge_failed(handler)    registration, see below.
- handle_webhook(session, *, payload, signature) -> WebhookResult   (the webhook route)
- checkout_context(entry, *, return_url=None) -> dict    what the pay page needs.
- ledger_for_order(session, *, order_id) -> list[PaymentEntry]
- new_refunds(session) -> list[int]   refund rows this session created (execute them after commit)

Why a ledger: a refund row with a unique idempotency key is committed BEFORE Stripe is called,
and exactly one worker at a time holds a due row (FOR UPDATE SKIP LOCKED plus a lease in
`next_attempt_at`). Every attempt first lists the PaymentIntent's refunds and adopts the one an
earlier attempt made (metadata.ledger_id), because localstripe ignores idempotency keys and a
worker can die between Stripe's answer and our commit. The same listing is the final check
against refunding more than was captured.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, TypedDict

from sqlmodel import Session

from ventanilla.activity import service as activity_service
from ventanilla.changes import repository as changes_repository
from ventanilla.config import get_settings
from ventanilla.core import clock, i18n
from ventanilla.core.actors import Actor
from ventanilla.core.money import format_money
from ventanilla.db import session_scope
from ventanilla.orders.models import Order
from ventanilla.outbox import policy as outbox_policy
from ventanilla.outbox import service as outbox_service
from ventanilla.payments import policy, provider, repository
from ventanilla.payments.exceptions import (
    InvalidStripeWebhook,
    NoPaymentToRefund,
    PaymentAlreadySucceeded,
    PaymentInProgress,
    PaymentProviderUnavailable,
    PaymentRejected,
    PaymentsNotConfigured,
    RefundExceedsCaptured,
    StripeWebhooksNotConfigured,
)
from ventanilla.payments.models import PaymentEntry, StripeEvent

log = logging.getLogger("ventanilla.payments")

SYSTEM = Actor.system()
# Each attempt makes up to three calls (retrieve, list, create), each bounded by the timeout.
CALLS_PER_REFUND = 3
LEASE_MARGIN_SECONDS = 60
WEBHOOK_TOLERANCE_SECONDS = 300
_NEW_REFUNDS = "ventanilla.payments.new_refunds"

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
        raise RuntimeError(f"no on_charge_{outcome} handler registered (import changes.service)")
    return handler


# --- configuration --------------------------------------------------------------------------


def stripe_enabled() -> bool:
    """Whether this shop takes money through Stripe (a secret key is configured)."""
    key = get_settings().stripe_secret_key
    return key is not None and bool(key.get_secret_value().strip())


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


def new_refunds(session: Session) -> list[int]:
    """Ids of refund rows this session created; run `execute_refund_now` on them after commit."""
    return list(session.info.get(_NEW_REFUNDS, []))


# --- refunds --------------------------------------------------------------------------------


def request_refund(
    session: Session,
    *,
    order: Order,
    change_id: int | None,
    amount_minor: int,
    reason: str,
    key: str | None = None,
    actor: Actor | None = None,
) -> PaymentEntry:
    """Record a refund on the order's original PaymentIntent, to be made after commit.

    Writes a `pending` ledger row (idempotency key `refund:change:{change_id}`, or `key` when
    there is no change) in the caller's transaction; the caller commits it together with the
    order change, then calls `execute_refund_now(entry.id)` (the worker retries otherwise).
    Does not call Stripe. Calling again with the same key returns the existing row.

    Refuses, so the caller can settle another way (e.g. `shop_to_settle`):
    - PaymentsNotConfigured when Stripe is off,
    - NoPaymentToRefund when `order.payment_reference` is not a `pi_…`,
    - RefundExceedsCaptured when this plus the order's pending/succeeded refunds would exceed
      what the original payment took, known here as the order total before its first change
      (no Stripe call). Stripe's own figures are checked again when the refund is made; a
      refund that no longer fits then ends `failed` and the shop is told to settle it.
    """
    if key is None:
        if change_id is None:
            raise ValueError("a refund without a change needs an idempotency key")
        key = policy.refund_key_for_change(change_id)
    if policy.refunded_charge_id(key) is not None or not 0 < len(key) <= 100:
        raise ValueError(f"not a refund key for request_refund(): {key!r}")
    if amount_minor <= 0:
        raise ValueError(f"a refund must be positive, got {amount_minor}")
    existing = repository.by_key(session, key)
    if existing is not None:
        return existing
    if not stripe_enabled():
        raise PaymentsNotConfigured()
    if not (order.payment_reference or "").startswith("pi_"):
        raise NoPaymentToRefund()
    assert order.id is not None
    already = repository.refunds_total(
        session,
        order_id=order.id,
        statuses=("pending", "succeeded"),
        exclude_charge_refunds=True,
    )
    paid = _paid_before_changes(session, order)
    if already + amount_minor > paid:
        raise RefundExceedsCaptured(amount_minor=amount_minor, refundable_minor=paid - already)
    entry = PaymentEntry(
        order_id=order.id,
        change_id=change_id,
        kind="refund",
        amount_minor=amount_minor,
        currency=order.currency,
        status="pending",
        idempotency_key=key,
        next_attempt_at=clock.now(),
    )
    return _add_refund(session, entry, order=order, reason=reason, actor=actor)


def refund_charge(
    session: Session, *, entry: PaymentEntry, reason: str, actor: Actor | None = None
) -> PaymentEntry:
    """Give back a whole extra payment that succeeded but whose change can't be applied now.

    A pending refund row (key `refund:charge:{entry.id}`) on that payment's own PaymentIntent,
    in the caller's transaction; made after commit like any refund. Idempotent.
    """
    if entry.kind != "charge" or entry.status != "succeeded" or entry.id is None:
        raise ValueError("only a succeeded charge can be refunded")
    key = policy.refund_key_for_charge(entry.id)
    existing = repository.by_key(session, key)
    if existing is not None:
        return existing
    order = repository.order(session, entry.order_id)
    assert order is not None
    refund = PaymentEntry(
        order_id=entry.order_id,
        change_id=entry.change_id,
        kind="refund",
        amount_minor=entry.amount_minor,
        currency=entry.currency,
        status="pending",
        idempotency_key=key,
        next_attempt_at=clock.now(),
    )
    return _add_refund(session, refund, order=order, reason=reason, actor=actor)


def _paid_before_changes(session: Session, order: Order) -> int:
    # The original payment took the order total as placed: the total before the first change.
    assert order.id is not None
    changes = changes_repository.for_order(session, order.id)
    return changes[0].old_total_minor if changes else order.total_minor


def _add_refund(
    session: Session, entry: PaymentEntry, *, order: Order, reason: str, actor: Actor | None
) -> PaymentEntry:
    if not repository.insert(session, entry):
        # The same key committed by a concurrent request meanwhile: that row is the refund.
        existing = repository.by_key(session, entry.idempotency_key)
        assert existing is not None
        return existing
    activity_service.record(
        session,
        actor=actor or SYSTEM,
        kind="refund.requested",
        order_id=order.id,
        customer_id=order.customer_id,
        data={
            "ledger_id": entry.id,
            "change_id": entry.change_id,
            "amount_minor": entry.amount_minor,
            "currency": entry.currency,
            "reason": reason[:500],
        },
    )
    session.info.setdefault(_NEW_REFUNDS, []).append(entry.id)
    return entry


@dataclass(frozen=True)
class _Claimed:
    """What one attempt needs, copied out of the claim transaction."""

    id: int
    order_id: int
    customer_id: int
    order_number: str
    intent_id: str | None
    amount_minor: int
    currency: str
    idempotency_key: str
    change_id: int | None


@dataclass(frozen=True)
class _Outcome:
    ok: bool
    provider_id: str | None = None
    error: str | None = None
    permanent: bool = False


def execute_refunds(limit: int = 20, *, now: datetime | None = None) -> int:
    """Make the due pending refunds (own transactions; never inside a request's); returns count.

    Each row: claimed under lock with a lease and committed, then Stripe is called outside any
    transaction, then the outcome is recorded: `succeeded` with the refund id; on a network
    error, timeout or 5xx the row stays `pending` with `attempts`, `last_error` and a backed-off
    `next_attempt_at`; on a refusal that cannot succeed (4xx, or more than is left to refund)
    it becomes `failed`, and the shop gets an activity entry and an email to settle it by hand.
    """
    if not stripe_enabled():
        return 0
    claimed = _claim(now or clock.now(), limit)
    for row in claimed:
        _run(row, now)
    return len(claimed)


def execute_refund_now(entry_id: int) -> bool:
    """Make one refund now if it is due and nobody holds it (after the caller's commit).

    Best effort and safe to call from many places at once: the same claim as the worker, so it
    never makes a second refund. True when the refund has succeeded (now or before).
    """
    if not stripe_enabled():
        return False
    try:
        for row in _claim(clock.now(), 1, entry_id=entry_id):
            _run(row, None)
        with session_scope(write=False) as session:
            entry = repository.get(session, entry_id)
            return entry is not None and entry.status == "succeeded"
    except Exception:
        # The worker retries it; the shopper's request must not fail because of this.
        log.exception("refund %s: immediate attempt failed", entry_id)
        return False


def _claim(now: datetime, limit: int, *, entry_id: int | None = None) -> list[_Claimed]:
    lease = timedelta(
        seconds=limit * CALLS_PER_REFUND * get_settings().stripe_timeout_seconds
        + LEASE_MARGIN_SECONDS
    )
    claimed: list[_Claimed] = []
    with session_scope() as session:
        rows = repository.claim_due_refunds(session, now=now, limit=limit, entry_id=entry_id)
        for row in rows:
            order = repository.order(session, row.order_id)
            assert order is not None and row.id is not None and order.id is not None
            row.attempts += 1
            row.next_attempt_at = now + lease
            row.updated_at = now
            claimed.append(
                _Claimed(
                    id=row.id,
                    order_id=order.id,
                    customer_id=order.customer_id,
                    order_number=order.number,
                    intent_id=_refund_target(session, row, order),
                    amount_minor=row.amount_minor,
                    currency=row.currency,
                    idempotency_key=row.idempotency_key,
                    change_id=row.change_id,
                )
            )
        if rows:
            repository.save(session, *rows)
    return claimed


def _refund_target(session: Session, row: PaymentEntry, order: Order) -> str | None:
    charge_id = policy.refunded_charge_id(row.idempotency_key)
    if charge_id is not None:
        charge = repository.get(session, charge_id)
        return charge.provider_id if charge is not None and charge.kind == "charge" else None
    reference = order.payment_reference or ""
    return reference if reference.startswith("pi_") else None


def _run(row: _Claimed, now: datetime | None) -> None:
    try:
        outcome = _attempt(row)
    except Exception as exc:
        # A bug with one row must not hold back the others; it stays pending and is retried.
        log.exception("refund %s: unexpected error", row.id)
        outcome = _Outcome(False, error=f"internal error: {type(exc).__name__}: {exc}")
    _record(row, outcome, now or clock.now())


def _attempt(row: _Claimed) -> _Outcome:
    if row.intent_id is None:
        return _Outcome(False, error="the order has no PaymentIntent to refund", permanent=True)
    try:
        intent = provider.retrieve_intent(row.intent_id)
        refunds = provider.list_refunds(row.intent_id)
        earlier = policy.refund_for_entry(refunds, row.id)
        if earlier is not None:
            log.info("refund %s: adopting %s made by an earlier attempt", row.id, earlier["id"])
            return _Outcome(True, provider_id=str(earlier["id"]))
        if str(intent.get("currency", "")).lower() != row.currency.lower():
            return _Outcome(
                False,
                error=f"{row.intent_id} is in {intent.get('currency')}, the refund in "
                f"{row.currency}",
                permanent=True,
            )
        captured = policy.captured_minor(intent)
        refunded = policy.refunded_minor(refunds)
        if not policy.refund_fits(
            amount_minor=row.amount_minor, captured=captured, already_refunded=refunded
        ):
            return _Outcome(
                False,
                error=f"refund of {row.amount_minor} exceeds what is left on {row.intent_id} "
                f"(captured {captured}, already refunded {refunded})",
                permanent=True,
            )
        refund = provider.create_refund(
            intent_id=row.intent_id,
            amount_minor=row.amount_minor,
            metadata={"ledger_id": str(row.id), "order": row.order_number},
            idempotency_key=row.idempotency_key,
        )
    except provider.ProviderError as exc:
        return _Outcome(False, error=str(exc), permanent=exc.permanent)
    if refund.get("status") in ("failed", "canceled"):
        return _Outcome(
            False, error=f"Stripe refund {refund.get('id')} is {refund['status']}", permanent=True
        )
    return _Outcome(True, provider_id=str(refund["id"]))


def _record(row: _Claimed, outcome: _Outcome, at: datetime) -> None:
    settings = get_settings()
    with session_scope() as session:
        entry = repository.get(session, row.id, for_update=True)
        if entry is None or entry.status != "pending":
            return
        entry.updated_at = at
        kind: str | None = None
        if outcome.ok:
            entry.status = "succeeded"
            entry.provider_id = outcome.provider_id
            entry.last_error = None
            entry.next_attempt_at = None
            kind = "refund.succeeded"
            log.info("refund %s succeeded: %s", row.id, outcome.provider_id)
        elif outcome.permanent:
            entry.status = "failed"
            entry.last_error = (outcome.error or "failed")[:1000]
            entry.next_attempt_at = None
            kind = "refund.failed"
            log.error("refund %s failed for good: %s", row.id, entry.last_error)
        else:
            entry.last_error = (outcome.error or "failed")[:1000]
            entry.next_attempt_at = at + outbox_policy.retry_delay(
                entry.attempts,
                base_seconds=settings.outbox_backoff_base_seconds,
                max_seconds=settings.outbox_backoff_max_seconds,
            )
            log.warning(
                "refund %s attempt %d failed, next at %s: %s",
                row.id,
                entry.attempts,
                entry.next_attempt_at.isoformat(),
                entry.last_error,
            )
            if entry.attempts == settings.outbox_max_attempts:
                # Still retrying, but for long enough that a person should know (once).
                kind = "refund.delayed"
        repository.save(session, entry)
        if kind is None:
            return
        activity_service.record(
            session,
            actor=SYSTEM,
            kind=kind,
            order_id=row.order_id,
            customer_id=row.customer_id,
            data={
                "ledger_id": row.id,
                "change_id": row.change_id,
                "amount_minor": row.amount_minor,
                "currency": row.currency,
                "attempts": entry.attempts,
                "refund_id": entry.provider_id,
                "error": entry.last_error,
            },
        )
        if kind != "refund.succeeded":
            _email_shop(session, row, entry, failed=kind == "refund.failed")


def _email_shop(session: Session, row: _Claimed, entry: PaymentEntry, *, failed: bool) -> None:
    """Tell the shop, in its language, about a refund a person has to look at."""
    _ = i18n.gettext
    with i18n.using_locale(get_settings().default_locale):
        amount = format_money(row.amount_minor, row.currency, i18n.current_locale.get())
        params = {"number": row.order_number, "amount": amount}
        if failed:
            subject = _("Refund for order %(number)s needs your attention", **params)
            lead = _(
                "The refund of %(amount)s for order %(number)s could not be made through "
                "Stripe. Please settle it with the customer by hand.",
                **params,
            )
        else:
            subject = _("Refund for order %(number)s is still pending", **params)
            lead = _(
                "The refund of %(amount)s for order %(number)s has failed %(attempts)s times. "
                "Ventanilla keeps trying; please check the Stripe settings.",
                attempts=entry.attempts,
                **params,
            )
        detail = _("Stripe said: %(error)s", error=entry.last_error or "")
        reference = _("Ledger entry %(id)s, key %(key)s.", id=row.id, key=row.idempotency_key)
    outbox_service.enqueue_email(
        session,
        to=get_settings().shop_email,
        subject=subject,
        text=f"{lead}\n\n{detail}\n{reference}\n",
    )


# --- extra payments -------------------------------------------------------------------------


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
    if not stripe_enabled():
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


# --- webhooks -------------------------------------------------------------------------------


@dataclass(frozen=True)
class WebhookResult:
    duplicate: bool = False
    handled: bool = False
    refund_ids: list[int] = field(default_factory=list)


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
    return WebhookResult(handled=handled, refund_ids=new_refunds(session))


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
        captured = policy.captured_minor(intent)
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
