"""A full invoice in exchange for a simplified one: validated, one open per invoice, webhook."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from tests.factories import make_customer, make_order
from tests.invoices.support import store_invoice
from ventanilla.activity.models import Activity
from ventanilla.core.actors import Actor
from ventanilla.core.errors import FieldErrors
from ventanilla.customers.models import Customer
from ventanilla.invoices.exceptions import FullInvoiceRefused, InvoiceNotFound
from ventanilla.invoices.full_invoices import request_full_invoice
from ventanilla.invoices.models import FullInvoiceRequest
from ventanilla.invoices.schemas import BillingAddressCreate
from ventanilla.orders.exceptions import OrderNotFound
from ventanilla.orders.models import Order
from ventanilla.outbox import service as outbox_service
from ventanilla.outbox.models import OutboxMessage

ADDRESS = BillingAddressCreate(
    line1="Calle de Alcalá 1", postcode="28014", city="Madrid", region="Madrid", country="ES"
)


@pytest.fixture
def customer(session: Session) -> Customer:
    return make_customer(session, email="empresa@example.com")


@pytest.fixture
def order(session: Session, customer: Customer) -> Order:
    order = make_order(session, customer=customer)
    store_invoice(session, order, "S-1", simplified=True, series=None)
    return order


@pytest.fixture
def webhook(session: Session) -> None:
    outbox_service.create_endpoint(
        session, actor=Actor.store("tienda"), url="http://127.0.0.1:9/hooks", events=[]
    )
    session.commit()


def ask(session: Session, customer: Customer, order: Order, **overrides: Any) -> Any:
    values: dict[str, Any] = {
        "actor": Actor.customer(customer.id or 0),
        "customer": customer,
        "order": order,
        "invoice_number": "S-1",
        "legal_name": "  Juguetes  Begoña   S.L. ",
        "tax_id": "b-1234567-4",
        "address": ADDRESS,
    }
    values.update(overrides)
    return request_full_invoice(session, **values)


def counts(engine: Engine) -> tuple[int, int, int]:
    with engine.connect() as conn:
        return tuple(  # type: ignore[return-value]
            conn.execute(text(f"SELECT count(*) FROM {t}")).scalar_one()
            for t in ("full_invoice_requests", "outbox_messages", "activity")
        )


class TestRequestFullInvoice:
    def test_the_request_is_recorded_and_the_shop_is_told(
        self, session: Session, engine: Engine, customer: Customer, order: Order, webhook: None
    ) -> None:
        request = ask(session, customer, order)
        session.commit()
        assert request.status == "open" and request.open_invoice_id == request.invoice_id
        assert (request.legal_name, request.tax_id, request.tax_id_kind) == (
            "Juguetes Begoña S.L.",
            "B12345674",
            "cif",
        )
        (message,) = session.exec(select(OutboxMessage)).all()
        assert message.kind == "webhook"
        assert message.payload["type"] == "invoice.full_requested"
        data = message.payload["data"]
        assert data["invoice"]["number"] == "S-1" and data["order_number"] == order.number
        assert data["buyer"] == {
            "legal_name": "Juguetes Begoña S.L.",
            "tax_id": "B12345674",
            "tax_id_kind": "cif",
            "tax_id_country": "ES",
            "address": {
                "line1": "Calle de Alcalá 1",
                "line2": None,
                "postcode": "28014",
                "city": "Madrid",
                "region": "Madrid",
                "country": "ES",
            },
        }
        kinds = [a.kind for a in session.exec(select(Activity)).all()]
        assert "invoice.full_requested" in kinds

    def test_an_eu_vat_number_is_accepted(
        self, session: Session, customer: Customer, order: Order
    ) -> None:
        request = ask(session, customer, order, tax_id="DE136695976")
        assert (request.tax_id_kind, request.tax_id_country) == ("eu_vat", "DE")

    def test_an_agent_acting_for_the_customer_is_recorded(
        self, session: Session, customer: Customer, order: Order
    ) -> None:
        agent = Actor("agent", "ana@tienda.example", on_behalf_of=customer.id)
        request = ask(session, customer, order, actor=agent)
        assert (request.actor_type, request.on_behalf_of) == ("agent", customer.id)

    @pytest.mark.parametrize(
        ("overrides", "field", "code"),
        [
            ({"tax_id": "12345678A"}, "tax_id", "tax_id_check_digit"),
            ({"tax_id": ""}, "tax_id", "tax_id_missing"),
            ({"tax_id": "GB123456789"}, "tax_id", "tax_id_not_eu"),
            ({"legal_name": "   "}, "legal_name", "legal_name"),
        ],
    )
    def test_invalid_details_are_refused_and_nothing_is_written(
        self,
        session: Session,
        engine: Engine,
        customer: Customer,
        order: Order,
        webhook: None,
        overrides: dict[str, Any],
        field: str,
        code: str,
    ) -> None:
        before = counts(engine)
        with pytest.raises(FieldErrors) as refused:
            ask(session, customer, order, **overrides)
        session.rollback()
        assert [(e["loc"], e["type"]) for e in refused.value.errors] == [(["body", field], code)]
        assert counts(engine) == before

    def test_one_open_request_per_invoice(
        self, session: Session, customer: Customer, order: Order
    ) -> None:
        ask(session, customer, order)
        session.commit()
        with pytest.raises(FullInvoiceRefused) as refused:
            ask(session, customer, order, tax_id="12345678Z")
        assert refused.value.code == "full_invoice_already_requested"
        assert "S-1" in refused.value.message

    def test_the_database_allows_one_open_request_per_invoice(
        self, session: Session, customer: Customer, order: Order
    ) -> None:
        first = ask(session, customer, order)
        session.commit()
        fields = first.model_dump(exclude={"id"})
        session.add(FullInvoiceRequest(**fields))
        with pytest.raises(IntegrityError):
            session.flush()
        session.rollback()
        closed = FullInvoiceRequest(**{**fields, "open_invoice_id": None, "status": "fulfilled"})
        session.add(closed)
        session.flush()  # closed requests never collide

    @pytest.mark.parametrize(
        ("number", "overrides", "code"),
        [
            ("F-1", {"simplified": False}, "already_full_invoice"),
            ("R-1", {"kind": "credit_note", "corrects_number": "S-1"}, "not_an_invoice"),
        ],
    )
    def test_a_full_invoice_or_a_credit_note_is_not_exchanged(
        self,
        session: Session,
        customer: Customer,
        order: Order,
        number: str,
        overrides: dict[str, Any],
        code: str,
    ) -> None:
        small = {
            "lines": [
                {
                    "description": "Tren",
                    "quantity": 1,
                    "unit_price_minor": 121,
                    "tax_rate": "21",
                    "net_minor": 100,
                    "tax_minor": 21,
                    "total_minor": 121,
                }
            ],
            "tax_breakdown": [{"rate": "21", "base_minor": 100, "tax_minor": 21}],
            "totals": {"net_minor": 100, "tax_minor": 21, "total_minor": 121},
        }
        store_invoice(session, order, number, series=None, **small, **overrides)
        with pytest.raises(FullInvoiceRefused) as refused:
            ask(session, customer, order, invoice_number=number)
        assert refused.value.code == code

    def test_another_customers_invoice_or_order_is_not_found(
        self, session: Session, customer: Customer, order: Order
    ) -> None:
        other = make_customer(session, email="otro@example.com")
        theirs = make_order(session, customer=other)
        session.commit()
        with pytest.raises(OrderNotFound):
            ask(session, other, order, actor=Actor.customer(other.id or 0))
        with pytest.raises(InvoiceNotFound):
            ask(session, other, theirs, actor=Actor.customer(other.id or 0))
        mine_too = make_order(session, customer=customer)
        with pytest.raises(InvoiceNotFound):  # my invoice, filed under another of my orders
            ask(session, customer, mine_too)
