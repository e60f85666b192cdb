"""Reads for the order page and the shopper's invoice page."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlmodel import Session

from tests.factories import make_customer, make_order
from tests.invoices.test_invoices_api import credit_note, invoice_body
from ventanilla.core.actors import Actor
from ventanilla.invoices import repository, service
from ventanilla.invoices.exceptions import InvoiceNotFound
from ventanilla.invoices.schemas import InvoiceCreate
from ventanilla.orders.models import Order

STORE = Actor.store("Tienda")


def put(session: Session, number: str, body: dict[str, Any]) -> None:
    service.put_invoice(
        session, actor=STORE, number=number, data=InvoiceCreate.model_validate(body)
    )


class TestInvoiceReads:
    def test_invoices_for_order_are_by_issue_date_in_one_query(
        self, session: Session, engine: Engine
    ) -> None:
        order = make_order(session)
        other: Order = make_order(session)
        put(session, "F-2", invoice_body(order.number, issue_date="2026-11-22"))
        put(session, "F-1", invoice_body(order.number, issue_date="2026-11-20"))
        put(
            session,
            "R-1",
            {**credit_note(order.number, "F-1", 826, 174), "issue_date": "2026-11-21"},
        )
        put(session, "F-9", invoice_body(other.number))
        session.commit()

        statements: list[str] = []

        def before(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
            if not statement.lstrip().upper().startswith("BEGIN"):
                statements.append(statement)

        event.listen(engine, "before_cursor_execute", before)
        try:
            with Session(engine) as fresh:
                invoices = service.invoices_for_order(fresh, order_id=order.id or 0)
        finally:
            event.remove(engine, "before_cursor_execute", before)
        assert len(statements) == 1
        assert [(i.number, i.issue_date) for i in invoices] == [
            ("F-1", date(2026, 11, 20)),
            ("R-1", date(2026, 11, 21)),
            ("F-2", date(2026, 11, 22)),
        ]

    def test_a_shopper_gets_only_their_own_invoice(self, session: Session) -> None:
        owner, stranger = make_customer(session), make_customer(session)
        order = make_order(session, customer=owner)
        put(session, "F-1", invoice_body(order.number))
        session.commit()
        mine = repository.get_for_customer(session, customer_id=owner.id or 0, number="F-1")
        assert mine is not None and mine.number == "F-1"
        assert (
            repository.get_for_customer(session, customer_id=stranger.id or 0, number="F-1") is None
        )
        assert repository.get_for_customer(session, customer_id=owner.id or 0, number="F-2") is None
        with pytest.raises(InvoiceNotFound):
            service.invoice_for_customer(session, customer_id=stranger.id or 0, number="F-1")
