"""Refunds through our own ledger: exactly once, never more than was captured, retried.

Why a ledger: a refund row with a unique idempotency key is committed BEFORE Stripe is called,
and exactly one worker at a time holds a due row (FOR UPDATE SKIP LOCKED plus a lease in
`next_attempt_at`). Every attempt first lists the PaymentIntent's refunds and adopts the one an
earlier attempt made (metadata.ledger_id), because localstripe ignores idempotency keys and a
worker can die between Stripe's answer and our commit. The same listing is the final check
against refunding more than was captured.

`request_refund` and `refund_charge` only write the row; the refund is made right after the
caller's commit (`db.after_commit`) and by the worker's `payments.refunds` task until Stripe
confirms it.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import Session

from ventanilla.activity import service as activity_service
from ventanilla.config import get_settings
from ventanilla.core import clock, i18n
from ventanilla.core.actors import Actor
from ventanilla.core.money import format_money
from ventanilla.db import after_commit, session_scope
from ventanilla.orders import repository as orders_repository
from ventanilla.orders.models import Order
from ventanilla.outbox import policy as outbox_policy
from ventanilla.outbox import service as outbox_service
from ventanilla.payments import policy, provider, repository
from ventanilla.payments.currency import from_stripe, to_stripe
from ventanilla.payments.exceptions import (
    AmountNotPayable,
    NoPaymentToRefund,
    PaymentsNotConfigured,
    RefundExceedsCaptured,
)
from ventanilla.payments.models import PaymentEntry

log = logging.getLogger("ventanilla.payments")

SYSTEM = Actor.system()
# Each attempt makes up to three calls (retrieve, list, create), each bounded by the timeout.
CALLS_PER_REFUND = 3
LEASE_MARGIN_SECONDS = 60
_NEW_REFUNDS = "ventanilla.payments.new_refunds"


def new_refunds(session: Session) -> list[int]:
    """Ids of refund rows this session created; run `execute_refund_now` on them after commit."""
    return list(session.info.get(_NEW_REFUNDS, []))


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

    The amount is rounded down to what Stripe accepts in the currency
    (`payments.currency.to_stripe`): the row's `amount_minor` is what is sent and
    `remainder_minor` what the shop settles by hand.

    Refuses, so the caller can settle another way (e.g. `shop_to_settle`):
    - AmountNotPayable when nothing of it can be sent (0.005 KWD),
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
    if not provider.stripe_enabled():
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
    sendable = to_stripe(amount_minor, order.currency)
    if sendable.sent_minor == 0:
        raise AmountNotPayable()
    entry = PaymentEntry(
        order_id=order.id,
        change_id=change_id,
        kind="refund",
        amount_minor=sendable.sent_minor,
        remainder_minor=sendable.remainder_minor,
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
    return orders_repository.total_before_changes(session, order)


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
    # Made right after the commit (after the response, in a request); the worker retries it.
    after_commit(session, execute_refund_now, entry.id)
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
    if not provider.stripe_enabled():
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
    if not provider.stripe_enabled():
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
        captured = from_stripe(policy.captured_minor(intent), row.currency)
        refunded = from_stripe(policy.refunded_minor(refunds), row.currency)
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
            currency=row.currency,
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
