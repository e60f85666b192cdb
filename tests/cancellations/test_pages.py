"""The shopper's "cancel the order" pages, without JavaScript (plain forms), in es and en."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session

from tests.access.helpers import login, post_form
from tests.addresses.helpers import login as login_as
from tests.changes.support import (
    changes_of,
    outbox_messages,
    reload_order,
    shop,
    snapshot,
    stock_of,
)
from tests.stripe_server import LocalStripe
from ventanilla.core.actors import Actor
from ventanilla.db import session_scope
from ventanilla.orders import service as orders_service
from ventanilla.orders.models import Order
from ventanilla.payments import provider

WAREHOUSE = Actor.store("Almacén")


def url(order: Order) -> str:
    return f"/orders/{order.number}/cancel"


def claimed(order: Order) -> Order:
    with session_scope() as s:
        orders_service.claim_for_packing(s, actor=WAREHOUSE, number=order.number)
    return reload_order(order.number)[0]


class TestConfirmationPage:
    def test_the_page_shows_what_is_cancelled_and_asks_to_confirm(
        self, client: TestClient, session: Session
    ) -> None:
        order, _products, _extras = shop(session)
        login(client, order.customer_id)
        client.cookies.set("lang", "en")
        page = client.get(url(order))
        assert page.status_code == 200
        html = page.text
        assert "Cancel order " + order.number in html
        assert f'name="version" value="{order.version}"' in html
        assert 'name="csrf_token"' in html
        assert '<option value="ordered_by_mistake">I ordered by mistake</option>' in html
        assert "36.30" in html and "goes back to the card you paid with" in html
        assert "Keep my order" in html

    def test_confirming_cancels_and_the_order_page_says_so(
        self, client: TestClient, session: Session
    ) -> None:
        order, products, _extras = shop(session)
        before = stock_of(products[0].sku)
        login(client, order.customer_id)
        client.cookies.set("lang", "en")
        data = {"version": str(order.version), "reason": "changed_mind"}
        response = post_form(client, url(order), data)
        assert response.status_code == 303
        assert response.headers["location"] == f"/orders/{order.number}?changed=cancel"
        assert reload_order(order.number)[0].status == "cancelled"
        assert stock_of(products[0].sku) == before + 1
        page = client.get(response.headers["location"]).text
        assert "Your order is cancelled." in page
        assert "The order was cancelled" in page  # the timeline entry
        assert "Update on your order" not in page  # every entry says what happened
        # The second click of an impatient shopper changes nothing and lands on the same page.
        again = post_form(client, url(order), data)
        assert again.status_code == 303
        assert len([c for c in changes_of(order) if c.kind == "cancel"]) == 1
        [change] = [c for c in changes_of(order) if c.kind == "cancel"]
        assert change.preview["reason"] == "changed_mind"

    def test_an_unknown_reason_is_a_422_and_changes_nothing(
        self, client: TestClient, session: Session, engine: Engine
    ) -> None:
        order, _products, _extras = shop(session)
        login(client, order.customer_id)
        client.cookies.set("lang", "en")
        before = snapshot(engine)
        response = post_form(client, url(order), {"version": "1", "reason": "<script>"})
        assert response.status_code == 422
        assert "Choose one of the reasons in the list" in response.text
        assert snapshot(engine) == before

    def test_someone_elses_order_is_404_and_changes_nothing(
        self, client: TestClient, session: Session, engine: Engine
    ) -> None:
        order, _products, _extras = shop(session)
        other, _p, _e = shop(session, extra_products=())
        login(client, other.customer_id)
        before = snapshot(engine)
        assert client.get(url(order)).status_code == 404
        assert post_form(client, url(order), {"version": "1"}).status_code == 404
        assert snapshot(engine) == before


class TestAgentForTheCustomer:
    def test_an_agent_acting_as_the_customer_cancels_in_their_name(
        self, client: TestClient, session: Session
    ) -> None:
        order, _products, _extras = shop(session, status="placed")
        login_as(client, order.customer_id, via="agent", agent_id="ana@tienda.example")
        client.cookies.set("lang", "en")
        response = post_form(client, url(order), {"version": str(order.version)})
        assert response.status_code == 303
        [change] = [c for c in changes_of(order) if c.kind == "cancel"]
        assert (change.actor_type, change.actor_id, change.on_behalf_of) == (
            "agent",
            "ana@tienda.example",
            order.customer_id,
        )
        # The email goes out in the customer's stored language and says who did it.
        [email] = outbox_messages("email")
        assert (
            "Nuestro equipo de atención al cliente lo ha cancelado por ti." in email.payload["text"]
        )


class TestAfterTheCutOff:
    def test_english_says_why_and_promises_no_return_without_a_returns_action(
        self, client: TestClient, session: Session, without_after_sales: None
    ) -> None:
        order = claimed(shop(session)[0])
        login(client, order.customer_id)
        client.cookies.set("lang", "en")
        html = client.get(url(order)).text
        assert "so it can no longer be cancelled" in html
        assert "please contact the shop" in html
        assert "withdraw" not in html and "return it" not in html
        assert 'name="reason"' not in html  # no form to submit
        response = post_form(client, url(order), {"version": str(order.version)})
        assert response.status_code == 409
        assert "so it can no longer be cancelled" in response.text
        assert reload_order(order.number)[0].status == "packing"
        # The order page's box shows the action off, with the same reason.
        box = client.get(f"/orders/{order.number}").text
        assert "Cancel the order" in box and "so it can no longer be cancelled" in box

    def test_spanish_says_why(
        self, client: TestClient, session: Session, without_after_sales: None
    ) -> None:
        order = claimed(shop(session)[0])
        login(client, order.customer_id)
        client.cookies.set("lang", "es")
        html = client.get(url(order)).text
        assert "ya no se puede cancelar" in html
        assert "ponte en contacto con la tienda" in html
        assert "desistir" not in html

    def test_with_a_returns_action_registered_it_points_there(
        self, client: TestClient, session: Session, returns_action: None
    ) -> None:
        order = claimed(shop(session)[0])
        login(client, order.customer_id)
        client.cookies.set("lang", "en")
        html = client.get(url(order)).text
        assert "withdraw from the purchase or return it" in html
        client.cookies.set("lang", "es")
        assert "desistir de la compra o devolverlo" in client.get(url(order)).text


class TestStripeFailsHalfWay:
    def test_a_hold_that_cannot_be_released_leaves_nothing_behind(
        self,
        stripe_client: TestClient,
        session: Session,
        engine: Engine,
        localstripe: LocalStripe,
        monkeypatch: pytest.MonkeyPatch,
    ) -> None:
        intent = localstripe.client().v1.payment_intents.create(
            params={
                "amount": 3630,
                "currency": "eur",
                "payment_method": "pm_card_visa",
                "confirm": True,
                "capture_method": "manual",
            }
        )
        order, products, _extras = shop(session, payment_reference=intent.id)
        login(stripe_client, order.customer_id)
        before = snapshot(engine)

        def stripe_down(intent_id: str) -> Any:
            raise provider.ProviderError("timed out", permanent=False)

        # Stripe answered whether it was captured, then failed to cancel the authorisation.
        monkeypatch.setattr(provider, "cancel_intent", stripe_down)
        response = post_form(stripe_client, url(order), {"version": str(order.version)})
        assert response.status_code == 503
        assert snapshot(engine) == before  # the page's own commit kept nothing of it
        assert localstripe.intent(intent.id).status == "requires_capture"
