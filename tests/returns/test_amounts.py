"""Refunds never exceed what was paid for the units (a property test), and a refund with an
invoice asks the shop for a credit note."""

from __future__ import annotations

from datetime import UTC

from hypothesis import given, settings
from hypothesis import strategies as st
from sqlmodel import Session, select

from tests.invoices.support import store_invoice
from tests.returns.support import actor_for, customer_of, delivered_order, madrid, outbox
from ventanilla.core import clock
from ventanilla.core.actors import Actor
from ventanilla.db import session_scope
from ventanilla.invoices.models import CreditNoteRequest
from ventanilla.orders.models import OrderLine
from ventanilla.outbox import service as outbox_service
from ventanilla.returns import service, store
from ventanilla.returns.options import paid_for_next_units


@st.composite
def line_and_chunks(draw):  # type: ignore[no-untyped-def]
    price = draw(st.integers(min_value=0, max_value=10**6))
    quantity = draw(st.integers(min_value=1, max_value=50))
    discount = draw(st.integers(min_value=0, max_value=price * quantity))
    chunks, left = [], quantity
    while left:
        chunk = draw(st.integers(min_value=1, max_value=left))
        chunks.append(chunk)
        left -= chunk
    line = OrderLine(
        order_id=1,
        line_no=1,
        sku="S",
        name="n",
        unit_price_minor=price,
        quantity=quantity,
        total_minor=price * quantity,
        discount_minor=discount,
    )
    return line, chunks


@settings(max_examples=300, deadline=None)
@given(line_and_chunks())
def test_a_lines_refunds_in_any_split_never_exceed_and_add_up_to_what_was_paid(data) -> None:  # type: ignore[no-untyped-def]
    line, chunks = data
    before, refunds = 0, []
    for units in chunks:
        share = paid_for_next_units(line, before, units)
        assert 0 <= share <= line.unit_price_minor * units
        refunds.append(share)
        before += units
    assert sum(refunds) == line.unit_price_minor * line.quantity - line.discount_minor


def test_received_asks_for_a_credit_note_when_there_is_an_invoice(session: Session) -> None:
    shop = Actor.store("Tienda")
    with session_scope() as s:
        outbox_service.create_endpoint(s, actor=shop, url="http://127.0.0.1:9/h", events=[])
    order = delivered_order(session, delivered=[madrid(2026, 3, 7)], prices=(3000, 2000))
    store_invoice(session, order, "F2026-77")
    customer = customer_of(order)
    with clock.frozen(madrid(2026, 3, 9).astimezone(UTC)):
        with session_scope() as s:
            rma = service.withdraw(
                s,
                actor=actor_for(customer),
                customer=customer,
                number=order.number,
                selection={1: 1},
                name="L",
                email="l@example.com",
            ).case.rma
        for _ in range(2):
            with session_scope() as s:
                store.mark_received(s, actor=shop, rma=rma)
    with session_scope(write=False) as s:
        [request] = list(s.exec(select(CreditNoteRequest)))
    assert (request.reason, request.total_minor) == ("return_refunded", 3000)
    assert request.tax_minor == 3000 * 2100 // 12100
    hooks = [m.payload["type"] for m in outbox("webhook")]
    assert hooks.count("credit_note.requested") == 1
