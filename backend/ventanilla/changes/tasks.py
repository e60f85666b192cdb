"""Amendments' job in the worker: withdraw the changes nobody finished, so their stock goes back.

Unconfirmed ones after `service.REQUEST_TTL`; unpaid ones (awaiting_payment) after
`service.PAYMENT_TTL`, their PaymentIntent canceled first (if the shopper paid meanwhile, the
webhook applies the change and this leaves it alone). Each order in its own transaction, as an
edit by the system under the order's row lock.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from ventanilla.changes import service
from ventanilla.core import clock, tasks
from ventanilla.core.actors import Actor
from ventanilla.core.errors import AppError
from ventanilla.db import session_scope
from ventanilla.orders import edits
from ventanilla.orders import repository as orders_repository

log = logging.getLogger("ventanilla.changes")
SYSTEM = Actor.system()


@tasks.register("changes.expire_abandoned", every=timedelta(minutes=1), position=20)
def expire_abandoned_task(now: datetime) -> int:
    """The worker's entry: see `expire_abandoned`."""
    return expire_abandoned()


def expire_abandoned(*, limit: int = 50) -> int:
    """Withdraw abandoned items changes; returns how many were looked at."""
    now = clock.now()
    with session_scope(write=False) as session:
        unconfirmed = orders_repository.stale_changes(
            session,
            kind=service.KIND,
            status="requested",
            before=now - service.REQUEST_TTL,
            limit=limit,
        )
        unpaid = orders_repository.stale_changes(
            session,
            kind=service.KIND,
            status="awaiting_payment",
            before=now - service.PAYMENT_TTL,
            limit=limit,
        )
    for order_id, _change_id in unconfirmed:
        with (
            session_scope() as session,
            edits.edit_order(session, actor=SYSTEM, order_id=order_id, policy=None) as edit,
        ):
            service.expire_stale_change(session, order=edit.order)
    for order_id, change_id in unpaid:
        try:
            with (
                session_scope() as session,
                edits.edit_order(session, actor=SYSTEM, order_id=order_id, policy=None) as edit,
            ):
                _withdraw_unpaid(edit, change_id)
        except AppError:
            log.info("unpaid change %s not withdrawn: payment under way or done", change_id)
    return len(unconfirmed) + len(unpaid)


def _withdraw_unpaid(edit: edits.OrderEdit, change_id: int) -> None:
    change = orders_repository.change_of_order(
        edit.session, order_id=edit.order_id, change_id=change_id, for_update=True
    )
    if change is None:
        return
    service.withdraw(edit, change)
    if change.status == "canceled" and change.decline_code is None:
        change.decline_code = "expired"
        edit.session.add(change)
