"""Odd characters a browser or a script can send never give a 500 (PostgreSQL refuses NUL)."""

from __future__ import annotations

import base64
import json

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from tests.access.helpers import login, post_form
from tests.factories import make_customer, make_order


@pytest.fixture
def shopper(client: TestClient, session: Session) -> str:
    customer = make_customer(session)
    order = make_order(session, customer=customer)
    session.commit()
    login(client, customer.id or 0)
    return order.number


class TestOddInput:
    @pytest.mark.parametrize(
        "path", ["/orders/%00", "/orders/A%00B/invoices/F-1", "/api/v1/me/orders/%00/address"]
    )
    def test_nul_in_an_order_number_is_not_found(
        self, client: TestClient, shopper: str, path: str
    ) -> None:
        assert client.get(path).status_code == 404

    def test_nul_in_the_invoice_number_is_not_found(self, client: TestClient, shopper: str) -> None:
        assert client.get(f"/orders/{shopper}/invoices/F%00").status_code == 404

    def test_nul_in_a_link_token_is_an_invalid_link(self, client: TestClient) -> None:
        claims = {"v": 2, "o": "\u0000", "iat": 1, "exp": 2, "jti": "abcdefghij", "u": 1}
        payload = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
        assert client.get(f"/l/{payload}.AAAA").status_code == 400

    def test_nul_in_find_my_order_changes_nothing(self, client: TestClient) -> None:
        response = post_form(client, "/find", {"order_number": "A\x00B", "email": "a@b.co"})
        assert response.status_code in (200, 303, 422)

    @pytest.mark.parametrize("field", [("qty_1", "²"), ("qty_²", "1"), ("version", "①")])
    def test_digits_that_are_not_ascii_are_a_form_error(
        self, client: TestClient, shopper: str, field: tuple[str, str]
    ) -> None:
        name, value = field
        response = post_form(
            client, f"/orders/{shopper}/items/preview", {"version": "1", name: value}
        )
        assert response.status_code < 500

    def test_a_nul_sku_to_add_is_a_form_error(self, client: TestClient, shopper: str) -> None:
        response = post_form(
            client,
            f"/orders/{shopper}/items/preview",
            {"version": "1", "add_sku": "A\x00", "add_qty": "1"},
        )
        assert response.status_code < 500
