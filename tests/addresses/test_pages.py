"""The address pages: the form, saving, the code step, refusals; without JavaScript."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from tests.access.helpers import post_form
from tests.addresses.helpers import (
    NEW_ADDRESS,
    activities,
    add_webhook_endpoint,
    last_code,
    login,
    order_state,
    outbox,
    snapshot,
)
from tests.factories import make_customer, make_order
from ventanilla.core.actors import Actor
from ventanilla.customers.models import Customer
from ventanilla.db import session_scope
from ventanilla.orders import service as orders_service
from ventanilla.orders.models import Order


@pytest.fixture
def shop(session: Session) -> tuple[Customer, Order]:
    customer = make_customer(session, email="lucia@example.com", name="Lucía", locale=None)
    order = make_order(session, customer=customer, status="paid")
    session.commit()
    add_webhook_endpoint()
    return customer, order


def form(version: int = 1, **overrides: str) -> dict[str, str]:
    return {**NEW_ADDRESS, "version": str(version), **overrides}


def hidden(html: str, name: str) -> str | None:
    match = re.search(rf'<input type="hidden" name="{name}" value="([^"]*)"', html)
    return match.group(1) if match else None


class TestForm:
    def test_the_form_is_prefilled_with_the_current_address(
        self, client: TestClient, shop: tuple[Customer, Order]
    ) -> None:
        customer, order = shop
        login(client, customer.id or 0)
        response = client.get(f"/orders/{order.number}/address")
        assert response.status_code == 200
        html = response.text
        assert 'value="Calle Mayor 1"' in html and 'value="28013"' in html
        assert '<option value="ES" selected>Spain</option>' in html
        assert hidden(html, "version") == "1"
        assert '<label class="field__label" for="address-postcode">Postcode</label>' in html

    def test_the_order_page_offers_the_change(
        self, client: TestClient, shop: tuple[Customer, Order]
    ) -> None:
        customer, order = shop
        login(client, customer.id or 0)
        html = client.get(f"/orders/{order.number}").text
        assert f'href="/orders/{order.number}/address"' in html
        assert "Change the delivery address" in html

    def test_without_proof_the_form_says_a_code_will_be_emailed(
        self, client: TestClient, shop: tuple[Customer, Order]
    ) -> None:
        customer, order = shop
        login(client, customer.id or 0, verified=False)
        html = client.get(f"/orders/{order.number}/address").text
        assert "6-digit code to l***@example.com" in html

    def test_the_page_is_in_spanish_for_spanish_speakers(
        self, client: TestClient, shop: tuple[Customer, Order]
    ) -> None:
        customer, order = shop
        login(client, customer.id or 0)
        html = client.get(f"/orders/{order.number}/address", headers={"Accept-Language": "es"}).text
        assert "Cambiar la dirección de entrega" in html and "Código postal" in html
        assert '<option value="ES" selected>España</option>' in html


class TestSave:
    def test_saving_goes_to_the_order_page_with_a_confirmation(
        self, client: TestClient, shop: tuple[Customer, Order]
    ) -> None:
        customer, order = shop
        login(client, customer.id or 0)
        response = post_form(client, f"/orders/{order.number}/address", form())
        assert response.status_code == 303
        assert response.headers["location"] == f"/orders/{order.number}?changed=address"
        page = client.get(response.headers["location"]).text
        assert re.search(r'role="status">\s*Your new delivery address is saved', page)
        assert "48001 Bilbao (Bizkaia)" in page
        assert "Delivery address changed" in page  # the timeline
        stored, shipping = order_state(order.number)
        assert stored.version == 2 and shipping is not None and shipping.city == "Bilbao"
        assert len(outbox("email")) == 1 and len(outbox("webhook")) == 1

    def test_the_confirmation_email_is_in_the_language_the_shopper_is_using(
        self, client: TestClient, shop: tuple[Customer, Order], session: Session
    ) -> None:
        customer, order = shop
        customer.locale = "es"  # stored: Spanish; the shopper switched the pages to English
        session.add(customer)
        session.commit()
        login(client, customer.id or 0)
        client.cookies.set("lang", "en")
        assert post_form(client, f"/orders/{order.number}/address", form()).status_code == 303
        [email] = outbox("email")
        assert email.payload["subject"].startswith("New delivery address for order")

    def test_errors_show_the_form_again_with_what_was_typed(
        self, client: TestClient, shop: tuple[Customer, Order]
    ) -> None:
        customer, order = shop
        login(client, customer.id or 0)
        before = snapshot()
        response = post_form(
            client,
            f"/orders/{order.number}/address",
            form(region="Madrid", postcode="48001", phone="12", city=""),
        )
        assert response.status_code == 422
        html = response.text
        assert "The postcode 48001 is in Bizkaia, not in Madrid." in html
        assert "Enter the town or city." in html
        assert "Enter a phone number we can call, like +34" in html
        assert 'value="Madrid"' in html and 'aria-invalid="true"' in html
        assert 'role="alert"' in html
        assert snapshot() == before

    def test_errors_are_translated(self, client: TestClient, shop: tuple[Customer, Order]) -> None:
        customer, order = shop
        login(client, customer.id or 0)
        response = post_form(
            client,
            f"/orders/{order.number}/address",
            form(region="Madrid"),
            headers={"Accept-Language": "es"},
        )
        assert response.status_code == 422
        assert "El código postal 48001 es de Bizkaia, no de Madrid." in response.text

    def test_the_same_address_again_says_nothing_changed(
        self, client: TestClient, shop: tuple[Customer, Order]
    ) -> None:
        customer, order = shop
        login(client, customer.id or 0)
        post_form(client, f"/orders/{order.number}/address", form())
        before = snapshot()
        response = post_form(client, f"/orders/{order.number}/address", form(version=2))
        assert response.status_code == 200
        assert "Nothing was changed." in response.text and 'role="status"' in response.text
        assert snapshot() == before

    def test_a_stale_form_gets_409_and_a_way_back(
        self, client: TestClient, shop: tuple[Customer, Order]
    ) -> None:
        customer, order = shop
        login(client, customer.id or 0)
        post_form(client, f"/orders/{order.number}/address", form())
        before = snapshot()
        response = post_form(client, f"/orders/{order.number}/address", form(city="Getxo"))
        assert response.status_code == 409
        assert "The order changed while you were editing it." in response.text
        assert f'href="/orders/{order.number}/address"' in response.text
        assert snapshot() == before

    def test_after_the_packing_claim_the_refusal_explains_itself(
        self, client: TestClient, shop: tuple[Customer, Order]
    ) -> None:
        customer, order = shop
        login(client, customer.id or 0)
        with session_scope() as s:
            orders_service.claim_for_packing(s, actor=Actor.store("Almacén"), number=order.number)
        before = snapshot()
        response = post_form(client, f"/orders/{order.number}/address", form(version=2))
        assert response.status_code == 409
        assert "The warehouse started packing your order" in response.text
        assert f'href="/orders/{order.number}"' in response.text
        assert snapshot() == before
        # The form itself says so too, and the order page explains why it is not offered.
        assert "started packing" in client.get(f"/orders/{order.number}/address").text
        page = client.get(f"/orders/{order.number}").text
        assert f'href="/orders/{order.number}/address"' not in page

    def test_refusals_are_in_spanish_too(
        self, client: TestClient, shop: tuple[Customer, Order]
    ) -> None:
        customer, order = shop
        login(client, customer.id or 0)
        with session_scope() as s:
            orders_service.claim_for_packing(s, actor=Actor.store("Almacén"), number=order.number)
        response = post_form(
            client,
            f"/orders/{order.number}/address",
            form(version=2),
            headers={"Accept-Language": "es"},
        )
        assert response.status_code == 409 and "empezado a preparar" in response.text

    @pytest.mark.parametrize("version", ["", "abc", "-1", "99999999999999"])
    def test_a_tampered_version_is_a_409_not_a_500(
        self, client: TestClient, shop: tuple[Customer, Order], version: str
    ) -> None:
        customer, order = shop
        login(client, customer.id or 0)
        response = post_form(
            client, f"/orders/{order.number}/address", {**form(), "version": version}
        )
        assert response.status_code == 409

    def test_a_second_customer_gets_404_and_nothing_changes(
        self, client: TestClient, shop: tuple[Customer, Order], session: Session
    ) -> None:
        _customer, order = shop
        stranger = make_customer(session)
        make_order(session, customer=stranger)
        session.commit()
        login(client, stranger.id or 0)
        before = snapshot()
        assert client.get(f"/orders/{order.number}/address").status_code == 404
        for extra in ({"code": "123456"}, {"action": "resend"}, {}):
            response = post_form(client, f"/orders/{order.number}/address", form(**extra))
            assert response.status_code == 404, extra
        assert snapshot() == before


class TestCodeStep:
    """The code is asked for in place: one post emails it, the next (with it) saves."""

    def test_without_proof_the_code_is_emailed_and_asked_for_in_the_same_form(
        self, client: TestClient, shop: tuple[Customer, Order]
    ) -> None:
        customer, order = shop
        login(client, customer.id or 0, verified=False)
        first = post_form(client, f"/orders/{order.number}/address", form())
        assert first.status_code == 200
        assert "We have emailed a code to l***@example.com" in first.text
        assert 'autocomplete="one-time-code"' in first.text and "autofocus" in first.text
        assert 'value="Calle Gran Vía 12, 3º B"' in first.text  # the typed address stays
        assert order_state(order.number)[0].version == 1  # nothing saved yet
        [code_email] = outbox("email")
        assert code_email.payload["to"] == "lucia@example.com"

        saved = post_form(client, f"/orders/{order.number}/address", form(code=last_code()))
        assert saved.status_code == 303
        assert saved.headers["location"] == f"/orders/{order.number}?changed=address"
        assert order_state(order.number)[1].postcode == "48001"  # type: ignore[union-attr]
        assert len(outbox("email")) == 2  # the code, then the confirmation

    def test_a_wrong_code_says_how_many_tries_are_left_and_saves_nothing(
        self, client: TestClient, shop: tuple[Customer, Order]
    ) -> None:
        customer, order = shop
        login(client, customer.id or 0, verified=False)
        post_form(client, f"/orders/{order.number}/address", form())
        wrong = "000000" if last_code() != "000000" else "111111"
        response = post_form(client, f"/orders/{order.number}/address", form(code=wrong))
        assert response.status_code == 422
        assert "That code is not right. You can try 4 more times." in response.text
        assert 'value="Bilbao"' in response.text
        assert order_state(order.number)[0].version == 1

    def test_a_new_code_can_be_asked_for_in_place(
        self, client: TestClient, shop: tuple[Customer, Order]
    ) -> None:
        customer, order = shop
        login(client, customer.id or 0, verified=False)
        post_form(client, f"/orders/{order.number}/address", form())
        again = post_form(client, f"/orders/{order.number}/address", form(action="resend"))
        assert again.status_code == 200 and "We have emailed a code" in again.text
        assert len(outbox("email")) == 2
        saved = post_form(client, f"/orders/{order.number}/address", form(code=last_code()))
        assert saved.status_code == 303

    def test_with_htmx_the_card_is_swapped_and_saving_redirects(
        self, client: TestClient, shop: tuple[Customer, Order]
    ) -> None:
        customer, order = shop
        login(client, customer.id or 0, verified=False)
        htmx = {"HX-Request": "true"}
        step = post_form(client, f"/orders/{order.number}/address", form(), headers=htmx)
        assert step.status_code == 200
        assert step.text.lstrip().startswith('<section class="card card--narrow" id="address-card"')
        assert "<html" not in step.text and 'id="access-code"' in step.text
        saved = post_form(
            client, f"/orders/{order.number}/address", form(code=last_code()), headers=htmx
        )
        assert saved.status_code == 204
        assert saved.headers["HX-Redirect"] == f"/orders/{order.number}?changed=address"

    def test_asking_for_codes_too_often_is_429(
        self, client: TestClient, shop: tuple[Customer, Order]
    ) -> None:
        customer, order = shop
        login(client, customer.id or 0, verified=False)
        for _ in range(5):
            response = post_form(client, f"/orders/{order.number}/address", form(action="resend"))
            assert response.status_code == 200
        response = post_form(client, f"/orders/{order.number}/address", form(action="resend"))
        assert response.status_code == 429 and "Too many attempts" in response.text
        assert len(outbox("email")) == 5

    def test_an_agent_acting_for_the_customer_saves_without_a_code(
        self, client: TestClient, shop: tuple[Customer, Order]
    ) -> None:
        customer, order = shop
        login(client, customer.id or 0, verified=False, via="agent", agent_id="ana@tienda")
        response = post_form(client, f"/orders/{order.number}/address", form())
        assert response.status_code == 303
        [entry] = activities("order.address_changed")
        assert (entry.actor_type, entry.on_behalf_of, entry.data["proof"]) == (
            "agent",
            customer.id,
            "agent",
        )
