"""The edit skeleton: the one way a change to an order by a shopper, an agent acting for one, the
shop or the system is made and recorded. Address changes, item amendments and cancellations use
it; returns, claims and withdrawals will.

    with edits.edit_order(
        session, actor=actor, customer=customer, number=number, policy=orders_policy.can_edit
    ) as edit:
        ...                                   # check the request (422s)
        edit.expect_version(version)          # 409 order_changed if the shopper saw an older one
        ...                                   # write rows; edit.order is locked
        edit.bump_version()                   # only if what is packed or shown changed
        edit.record(
            "order.address_changed", {...},   # the activity row, with the actor
            email=lambda locale: emails.address_changed_email(locale=locale, ...),
            webhook=(EventType.ORDER_ADDRESS_CHANGED, {...}),
        )

On entry the order row is locked (`SELECT ... FOR UPDATE`; SQLite serialises writers), so the
packing claim, which takes the same lock, either sees the edit or is seen by it. Someone else's
order raises OrderNotFound (404), exactly like a missing one. `policy(order, now)` is asked with
the locked row; a "no" raises ChangeNotAllowed carrying the decision's code (409). Everything
then happens in the caller's transaction: the email and the webhook are outbox rows, sent after
commit, and work that must follow the commit is scheduled with `db.after_commit`.

Keep one edit inside one service call: the lock is held until the transaction ends.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlmodel import Session

from ventanilla.activity import service as activity_service
from ventanilla.core import clock, i18n
from ventanilla.core.actors import Actor
from ventanilla.core.decisions import Decision
from ventanilla.core.emails import Email
from ventanilla.customers import repository as customers_repository
from ventanilla.customers.models import Customer
from ventanilla.orders import repository
from ventanilla.orders.exceptions import ChangeNotAllowed, OrderChanged, OrderNotFound
from ventanilla.orders.models import Order
from ventanilla.outbox import service as outbox_service

Policy = Callable[[Order, datetime], Decision]
EmailBuilder = Callable[[str], Email]  # the language -> the email


@dataclass
class OrderEdit:
    """One edit in progress: the locked order, its customer, who acts, and when."""

    session: Session
    actor: Actor
    order: Order
    customer: Customer
    now: datetime

    @property
    def order_id(self) -> int:
        assert self.order.id is not None
        return self.order.id

    def refuse_unless(self, decision: Decision) -> None:
        """Raise the decision's "no" as ChangeNotAllowed (409, its reason code)."""
        if not decision.ok:
            raise ChangeNotAllowed(decision)

    def expect_version(self, version: int) -> None:
        """Refuse (409 order_changed) unless the shopper saw the order as it is now."""
        if version != self.order.version:
            raise OrderChanged(version=self.order.version)

    def bump_version(self) -> None:
        """What the warehouse packs or the shopper sees changed: a new version of the order."""
        self.order.version += 1
        self.order.updated_at = self.now
        self.session.add(self.order)
        repository.flush(self.session)

    def email_language(self) -> str:
        """The shopper's own action: the language they were using; anyone else's: the
        customer's stored language (then the order's, then the shop's default)."""
        if self.actor.type == "customer" and self.actor.locale:
            return i18n.choose(self.actor.locale)
        return i18n.stored_language(self.customer.locale, self.order.locale)

    def record(
        self,
        kind: str,
        data: Mapping[str, Any],
        *,
        email: EmailBuilder | None = None,
        webhook: tuple[str, Mapping[str, Any]] | None = None,
    ) -> None:
        """Write the activity row (with the actor) and queue the customer's email and the
        shop's webhook in the outbox, in the caller's transaction."""
        activity_service.record(
            self.session,
            actor=self.actor,
            kind=kind,
            order_id=self.order.id,
            customer_id=self.order.customer_id,
            occurred_at=self.now,
            data=dict(data),
        )
        if email is not None:
            message = email(self.email_language())
            outbox_service.enqueue_email(
                self.session,
                to=self.customer.email,
                subject=message.subject,
                text=message.text,
                html=message.html,
            )
        if webhook is not None:
            event_type, event_data = webhook
            outbox_service.emit_event(self.session, type=str(event_type), data=dict(event_data))


@contextmanager
def edit_order(
    session: Session,
    *,
    actor: Actor,
    policy: Policy | None,
    customer: Customer | None = None,
    number: str | None = None,
    order_id: int | None = None,
) -> Iterator[OrderEdit]:
    """Lock the order (by `number` or `order_id`), check it is `customer`'s, ask `policy`.

    `customer` is required for shoppers and agents (anyone else's order is OrderNotFound); the
    store and the system may pass None (a Stripe callback, the worker) and the order's own
    customer is loaded. `policy=None` only where the caller decides with the locked row itself
    (confirming a change declines it instead of refusing). Raises OrderNotFound (404) and
    ChangeNotAllowed (409, the decision's code).
    """
    if customer is None and actor.type not in ("store", "system"):
        raise ValueError("a shopper's or an agent's edit names the customer it is for")
    if number is not None:
        order = repository.get_by_number(session, number, for_update=True)
    elif order_id is not None:
        order = repository.get_by_id(session, order_id, for_update=True)
    else:
        raise ValueError("edit_order needs the order's number or id")
    if order is None or order.id is None:
        raise OrderNotFound()
    if customer is None:
        customer = customers_repository.get(session, order.customer_id)
        if customer is None:  # pragma: no cover - a foreign key guarantees it
            raise OrderNotFound()
    elif order.customer_id != customer.id:
        raise OrderNotFound()
    edit = OrderEdit(session=session, actor=actor, order=order, customer=customer, now=clock.now())
    if policy is not None:
        edit.refuse_unless(policy(order, edit.now))
    yield edit
