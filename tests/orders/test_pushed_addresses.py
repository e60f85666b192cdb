"""Kind 7: what the shop pushes is validated like what a shopper types (orders.address_rules).

An ES order pushed with postcode `8001` is stored as `08001`, so "find my order" with `08001`
finds it; a province that is not the postcode's is refused with 422 and nothing is written; the
same push written two ways is one content (no new version).
"""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from tests.access.helpers import post_form
from tests.factories import make_product, order_payload
from tests.orders.support import snapshot
from ventanilla.orders.models import Order, OrderAddress
from ventanilla.outbox.models import OutboxMessage

LINES = [("TREN-01", 2495, 1)]


@pytest.fixture
def catalog(session: Session) -> None:
    make_product(session, sku="TREN-01", price_minor=2495)
    session.commit()


def push(store: TestClient, number: str, **address: Any) -> Any:
    body = order_payload(LINES)
    body["shipping_address"].update(address)
    body["billing_address"] = None
    return store.put(f"/api/v1/orders/{number}", json=body)


def stored(engine: Engine, number: str) -> OrderAddress:
    with Session(engine) as s:
        order = s.exec(select(Order).where(Order.number == number)).one()
        return s.exec(
            select(OrderAddress).where(
                OrderAddress.order_id == order.id, OrderAddress.kind == "shipping"
            )
        ).one()


BARCELONA = {"postcode": "8001", "city": "Barcelona", "region": "Barcelona"}


@pytest.mark.usefixtures("catalog")
class TestPushedAddresses:
    def test_es_8001_is_stored_as_08001_and_find_my_order_finds_it(
        self, store: TestClient, client: TestClient, engine: Engine, session: Session
    ) -> None:
        response = push(store, "ES-7001", **BARCELONA)
        assert response.status_code == 201, response.text
        assert response.json()["shipping_address"]["postcode"] == "08001"
        assert stored(engine, "ES-7001").postcode == "08001"

        post_form(client, "/find", {"order_number": "ES-7001", "postcode": "08001"})
        session.commit()
        sent = session.exec(select(OutboxMessage).where(OutboxMessage.kind == "email")).all()
        assert [m.payload["to"] for m in sent] == ["lucia.garcia@example.com"]

    @pytest.mark.parametrize(
        ("address", "expected"),
        [
            # Spaces, a missing province filled in, a phone in E.164.
            (
                {"postcode": " 28 013 ", "region": None, "phone": "600 111 222"},
                ("28013", "Madrid", "+34600111222"),
            ),
            (
                {"postcode": "7001", "city": "Palma", "region": "Baleares"},
                ("07001", "Illes Balears", "+34600111222"),
            ),
            # Other countries by their own shape; outside the EU the shop may deliver too.
            (
                {"postcode": "1012ab", "city": "Amsterdam", "region": None, "country": "NL"},
                ("1012 AB", None, "+34600111222"),
            ),
            (
                {"postcode": "sw1a 1aa", "city": "London", "region": None, "country": "GB"},
                ("SW1A 1AA", None, "+34600111222"),
            ),
        ],
    )
    def test_other_addresses_are_normalised_the_same_way(
        self, store: TestClient, engine: Engine, address: dict[str, Any], expected: tuple[Any, ...]
    ) -> None:
        assert push(store, "ES-7002", **address).status_code == 201
        row = stored(engine, "ES-7002")
        assert (row.postcode, row.region, row.phone) == expected

    @pytest.mark.parametrize(
        ("address", "field", "kind"),
        [
            ({"postcode": "8001", "region": "Madrid"}, "region", "region_mismatch"),
            ({"postcode": "99999"}, "postcode", "postcode_unknown"),
            ({"postcode": "28O13"}, "postcode", "postcode_format"),
            ({"postcode": "75001", "country": "FR", "phone": "12"}, "phone", "phone_invalid"),
        ],
    )
    def test_what_a_shopper_could_not_type_is_refused_and_nothing_is_written(
        self, store: TestClient, engine: Engine, address: dict[str, Any], field: str, kind: str
    ) -> None:
        before = snapshot(engine)
        response = push(store, "ES-7003", **address)
        assert response.status_code == 422
        [error] = response.json()["detail"]
        assert (error["loc"], error["type"]) == (["body", "shipping_address", field], kind)
        assert snapshot(engine) == before

    def test_the_same_address_written_two_ways_is_one_content(
        self, store: TestClient, engine: Engine
    ) -> None:
        assert push(store, "ES-7004", **BARCELONA).status_code == 201
        again = push(store, "ES-7004", **{**BARCELONA, "postcode": "08001"})
        assert again.json()["result"] == "unchanged"
