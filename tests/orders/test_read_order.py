"""GET /api/v1/orders/{number}: the store reads the order back with its version, lines and
their discount shares, totals, changes and requests; a fixed number of queries."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from tests.changes.support import actor_for, customer_of, reload_order
from tests.factories import make_product, order_payload
from tests.orders.support import bearer, key_with_scopes
from tests.shipping.test_shipping_service import count_statements
from ventanilla.changes import service as changes_service
from ventanilla.changes.amounts import SetQuantity
from ventanilla.db import session_scope


def push(store: TestClient, session: Session, number: str = "ES-2001") -> dict:  # type: ignore[type-arg]
    make_product(session, sku="ABRIGO", price_minor=4800)
    make_product(session, sku="GORRO", price_minor=1500)
    session.commit()
    body = order_payload(
        [("ABRIGO", 4800, 2), ("GORRO", 1500, 1)], shipping_minor=0, discount_minor=2220
    )
    response = store.put(f"/api/v1/orders/{number}", json=body)
    assert response.status_code == 201, response.text
    return response.json()


class TestReadOrder:
    def test_an_order_reads_back_with_its_discount_shares(
        self, store: TestClient, session: Session
    ) -> None:
        push(store, session)
        response = store.get("/api/v1/orders/ES-2001")
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["version"] == 1
        assert [(x["line_no"], x["total_minor"], x["discount_minor"]) for x in body["lines"]] == [
            (1, 9600, 1920),
            (2, 1500, 300),
        ]
        assert body["totals"]["total_minor"] == 11100 - 2220
        assert (body["changes"], body["requests"]) == ([], [])
        assert body["amount_to_capture_minor"] is None

    def test_after_an_amendment_it_shows_the_new_version_and_the_change(
        self, store: TestClient, session: Session
    ) -> None:
        push(store, session)
        order, _lines = reload_order("ES-2001")
        customer = customer_of(order)
        with session_scope() as s:
            change = changes_service.request_amendment(
                s,
                actor=actor_for(customer),
                customer=customer,
                number="ES-2001",
                version=1,
                actions=[SetQuantity(1, 1)],
            )
            change_id = change.id
        with session_scope() as s:
            changes_service.confirm_amendment(
                s,
                actor=actor_for(customer),
                customer=customer,
                number="ES-2001",
                change_id=change_id or 0,
                version=1,
            )
        body = store.get("/api/v1/orders/ES-2001").json()
        assert body["version"] == 2
        [change_read] = body["changes"]
        assert (change_read["kind"], change_read["status"]) == ("items", "confirmed")
        # One coat of 48,00 carried 9,60 of the discount: 38,40 goes back.
        assert change_read["difference_minor"] == -3840
        assert body["lines"][0]["discount_minor"] == 960
        assert body["totals"]["discount_minor"] == 960 + 300

    def test_the_query_count_does_not_grow_with_lines_or_changes(
        self, store: TestClient, session: Session, engine: Engine
    ) -> None:
        push(store, session)
        with count_statements(engine) as few:
            store.get("/api/v1/orders/ES-2001")
        for n in range(3, 9):
            make_product(session, sku=f"X{n}", price_minor=100)
        session.commit()
        body = order_payload([(f"X{n}", 100, 1) for n in range(3, 9)], shipping_minor=0)
        assert store.put("/api/v1/orders/ES-2002", json=body).status_code == 201
        with count_statements(engine) as many:
            store.get("/api/v1/orders/ES-2002")
        assert len(many) == len(few)

    def test_unknown_orders_keys_and_scopes(
        self, store: TestClient, session: Session, client: TestClient
    ) -> None:
        assert store.get("/api/v1/orders/NOPE-1").json()["code"] == "order_not_found"
        assert store.get("/api/v1/orders/NOPE-1").status_code == 404
        push(store, session)
        anonymous = TestClient(client.app)
        assert anonymous.get("/api/v1/orders/ES-2001").status_code == 401
        catalog_only = key_with_scopes("catalog:write")
        response = anonymous.get("/api/v1/orders/ES-2001", headers=bearer(catalog_only))
        assert response.status_code == 403


class TestReadOrderRequests:
    def test_a_credit_note_request_is_listed_with_its_invoice(
        self, store: TestClient, session: Session
    ) -> None:
        from tests.invoices.support import store_invoice
        from tests.invoices.test_credit_note_requests import ask
        from ventanilla.orders.models import Order

        push(store, session)
        order = session.exec(select(Order).where(Order.number == "ES-2001")).one()
        invoice = store_invoice(session, order, "F2026-0001", series="F2026")
        ask(session, order, invoice)
        session.commit()
        [request] = store.get("/api/v1/orders/ES-2001").json()["requests"]
        assert (request["kind"], request["status"], request["invoice_number"]) == (
            "credit_note",
            "requested",
            "F2026-0001",
        )
        assert request["total_minor"] == 4128 + 867
