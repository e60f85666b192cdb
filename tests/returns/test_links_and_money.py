"""Return/withdrawal emails link to the portal with the host; the order page lists its cases."""

from __future__ import annotations

from sqlmodel import Session

from tests.returns.support import actor_for, customer_of, delivered_order, madrid, outbox
from ventanilla.config import get_settings
from ventanilla.core import clock
from ventanilla.core.actors import Actor
from ventanilla.db import session_scope
from ventanilla.returns import service, store

SHOP = Actor.store("Tienda")


def test_withdrawal_return_and_received_emails_link_with_the_base_url(session: Session) -> None:
    first = delivered_order(session, delivered=[madrid(2026, 3, 7)])
    second = delivered_order(session, delivered=[madrid(2026, 3, 7)])
    base = get_settings().base_url.rstrip("/")
    with clock.frozen(madrid(2026, 3, 9)):
        with session_scope() as s:
            customer = customer_of(first)
            withdrawn = service.withdraw(
                s,
                actor=actor_for(customer),
                customer=customer,
                number=first.number,
                selection={1: 1},
                name="Lucía",
                email="lucia@example.com",
            ).case.rma
        with session_scope() as s:
            customer = customer_of(second)
            returned = service.request_return(
                s,
                actor=actor_for(customer),
                customer=customer,
                number=second.number,
                selection={1: 1},
                reason="changed_mind",
            ).case.rma
        with session_scope() as s:
            store.mark_received(s, actor=SHOP, rma=returned)
    texts = [m.payload["text"] + m.payload["html"] for m in outbox("email")]
    for number, rma in ((first.number, withdrawn), (second.number, returned)):
        mine = [t for t in texts if rma in t]
        assert len(mine) >= 2 if number == second.number else len(mine) >= 1
        for text in mine:
            assert f"{base}/orders/{number}/returns/{rma}" in text
            assert f" /orders/{number}" not in text and f'"/orders/{number}' not in text
