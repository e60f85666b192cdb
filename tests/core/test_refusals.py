"""One refusal path: a policy's "no" is one error type; JSON answers {code, detail, reason} with
the same code for the same reason on every route; pages say it translated; HTMX gets it inline."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from tests.access.helpers import post_form
from tests.addresses.helpers import NEW_ADDRESS, login
from tests.factories import make_customer, make_order
from ventanilla.core.actors import Actor
from ventanilla.core.decisions import Decision
from ventanilla.core.errors import Refused
from ventanilla.db import session_scope
from ventanilla.orders import service as orders_service
from ventanilla.orders.exceptions import ChangeNotAllowed
from ventanilla.orders.models import Order

WAREHOUSE = Actor.store("Almacén")


@pytest.fixture
def packing(session: Session) -> Order:
    """A Spanish customer's order the warehouse has just claimed for packing."""
    order = make_order(session, customer=make_customer(session, locale="es"), status="paid")
    session.commit()
    with session_scope() as s:
        orders_service.claim_for_packing(s, actor=WAREHOUSE, number=order.number)
    return order


class TestRefusedFromADecision:
    def test_the_code_is_the_reason_code_and_the_message_is_filled_in(self) -> None:
        decision = Decision.no(
            "Orders can be changed up to %(hours)s hours after they are placed.",
            code="edit_window_closed",
            params=(("hours", "2"),),
        )
        error = ChangeNotAllowed(decision)
        assert isinstance(error, Refused) and error.status_code == 409
        assert error.code == "edit_window_closed"
        assert error.message == "Orders can be changed up to 2 hours after they are placed."
        assert (error.msgid, error.msg_params) == (decision.message, {"hours": "2"})
        assert error.params["reason"] == "edit_window_closed"

    def test_a_yes_is_not_a_refusal(self) -> None:
        with pytest.raises(ValueError):
            Refused(Decision.yes())


class TestSameReasonSameCode:
    def test_packing_started_from_the_address_and_the_items_apis(
        self, client: TestClient, packing: Order
    ) -> None:
        login(client, packing.customer_id)
        base = f"/api/v1/me/orders/{packing.number}"
        address = client.put(f"{base}/address", json={"version": 2, "address": NEW_ADDRESS})
        items = client.post(
            f"{base}/amendments",
            json={"version": 2, "actions": [{"action": "remove_line", "line_no": 2}]},
        )
        assert address.status_code == items.status_code == 409
        assert address.json()["code"] == items.json()["code"] == "packing_started"
        assert address.json()["detail"] == items.json()["detail"]
        assert set(address.json()) == {"code", "detail", "reason"}

    def test_reason_is_in_the_customers_language_detail_in_english(
        self, client: TestClient, packing: Order
    ) -> None:
        login(client, packing.customer_id)
        body = client.put(
            f"/api/v1/me/orders/{packing.number}/address",
            json={"version": 2, "address": NEW_ADDRESS},
            headers={"Accept-Language": "en"},  # the customer's own language (es) comes first
        ).json()
        assert "started packing" in body["detail"]
        assert "empezado a preparar" in body["reason"]


class TestPagesAndHtmx:
    def test_a_page_says_it_in_the_shoppers_language_with_a_way_back(
        self, client: TestClient, packing: Order
    ) -> None:
        login(client, packing.customer_id)
        client.cookies.set("lang", "en")
        response = post_form(client, f"/orders/{packing.number}/address", {**NEW_ADDRESS})
        assert response.status_code == 409
        assert "The warehouse started packing your order" in response.text
        assert f'href="/orders/{packing.number}"' in response.text

    def test_an_htmx_request_gets_the_message_inline(
        self, client: TestClient, packing: Order
    ) -> None:
        login(client, packing.customer_id)
        response = post_form(
            client,
            f"/orders/{packing.number}/items/preview",
            {"version": "2", "qty_1": "2", "qty_2": "1"},
            headers={"HX-Request": "true"},
        )
        assert response.status_code == 409
        html = response.text.strip()
        assert html.startswith('<p class="notice notice--warning" role="alert"')
        assert 'data-code="packing_started"' in html and "<html" not in html
        assert "empezado a preparar" in html
