"""What Stripe's answer about an extra payment does to the change it pays for.

Registered with payments (`payments.on_charge_succeeded` / `on_charge_failed`) when this module
is imported, which `changes.service` does: nothing can start a payment for a change without
these being registered. Payments knows nothing about changes. Both run inside the Stripe
webhook's transaction, as an edit by the system in the name of whoever asked for the change.
"""

from __future__ import annotations

from sqlmodel import Session

from ventanilla.changes.apply import KIND, actor_of, apply_change, decline_change
from ventanilla.core.actors import Actor
from ventanilla.orders import edits
from ventanilla.orders import policy as orders_policy
from ventanilla.orders import repository as orders_repository
from ventanilla.orders.models import OrderChange
from ventanilla.payments import service as payments
from ventanilla.payments.models import PaymentEntry


def on_charge_succeeded(session: Session, entry: PaymentEntry) -> None:
    """Stripe says the extra payment went through: apply the change, or give the money back."""
    if entry.change_id is None:
        return
    with edits.edit_order(
        session, actor=Actor.system(), order_id=entry.order_id, policy=None
    ) as edit:
        change = _change_paid_by(edit, entry)
        if change is None or change.status == "confirmed":
            return  # not a change of ours, or a replayed event: applied already
        if change.status != "awaiting_payment":
            # Canceled or declined while the shopper was paying: the money goes back.
            payments.refund_charge(session, entry=entry, reason="change_not_applied")
            return
        # The policy is asked here, not at the door: a "no" declines and refunds.
        decision = orders_policy.can_edit(edit.order, edit.now)
        code = None if decision.ok else decision.reason_code
        if code is None and edit.order.version != change.base_version:
            code = "order_changed"
        if code is not None:
            decline_change(edit, change, code=code)
            payments.refund_charge(session, entry=entry, reason="change_not_applied")
            return
        if orders_repository.transition_change(
            session,
            change,
            from_status="awaiting_payment",
            to_status="confirmed",
            decided_at=edit.now,
        ):
            apply_change(edit, change, settlement="payment")


def on_charge_failed(session: Session, entry: PaymentEntry) -> None:
    """The extra payment failed: the change is declined and its stock given back."""
    if entry.change_id is None:
        return
    with edits.edit_order(
        session, actor=Actor.system(), order_id=entry.order_id, policy=None
    ) as edit:
        change = _change_paid_by(edit, entry)
        if change is not None and change.status == "awaiting_payment":
            decline_change(edit, change, code="payment_failed")


def _change_paid_by(edit: edits.OrderEdit, entry: PaymentEntry) -> OrderChange | None:
    """The items change `entry` pays for, locked after the order (the order lock comes first)."""
    change = orders_repository.change_by_id(edit.session, entry.change_id or 0, for_update=True)
    if change is None or change.kind != KIND or change.order_id != edit.order_id:
        return None
    edit.actor = actor_of(change)  # the callback acts in the name of who asked for the change
    return change


payments.on_charge_succeeded(on_charge_succeeded)
payments.on_charge_failed(on_charge_failed)
