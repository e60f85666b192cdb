"""The shopper's "change the items" pages, without JavaScript (plain forms) and with HTMX."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session

from tests.access.helpers import login, post_form
from tests.changes.support import changes_of, reload_order, shop, snapshot, stock_of
from tests.factories import make_customer
from ventanilla.core.actors import Actor
from ventanilla.customers.models import Customer
from ventanilla.db import session_scope
from ventanilla.orders import service as orders_service
from ventanilla.orders.models import Order


@pytest.fixture(autouse=True)
def english(client: TestClient) -> None:
    """English pages (the test customers' own language is Spanish): the language switch."""
    client.cookies.set("lang", "en")


def signed_in(client: TestClient, order: Order) -> None:
    login(client, order.customer_id)


def preview(client: TestClient, order: Order, **fields: str):  # type: ignore[no-untyped-def]
    data = {"version": str(order.version), "qty_1": "1", "qty_2": "1", **fields}
    return post_form(client, f"/orders/{order.number}/items/preview", data)


def change_id_from(location: str) -> int:
    match = re.search(r"/changes/(\d+)$", location)
    assert match, location
    return int(match.group(1))


class TestItemsForm:
    def test_the_form_lists_lines_and_products_to_add(
        self, client: TestClient, session: Session
    ) -> None:
        order, products, _extras = shop(
            session, extra_products=(("NUEVO", 1000, 5), ("AGOTADO", 500, 0))
        )
        signed_in(client, order)
        page = client.get(f"/orders/{order.number}/items")
        assert page.status_code == 200
        html = page.text
        assert 'name="qty_1"' in html and 'name="remove_2"' in html
        assert f'name="version" value="{order.version}"' in html
        assert '<option value="NUEVO">' in html
        assert "AGOTADO" not in html  # out of stock is not offered
        assert f'<option value="{products[0].sku}"' not in html  # already on the order
        assert 'name="csrf_token"' in html
        # Raising works too, so the page does not say only "lower" (issue 10).
        assert "Change a quantity, remove an item or add a product." in html
        assert "Lower a quantity" not in html

    def test_the_order_page_offers_the_action(self, client: TestClient, session: Session) -> None:
        order, _products, _extras = shop(session)
        signed_in(client, order)
        html = client.get(f"/orders/{order.number}").text
        assert f'href="/orders/{order.number}/items"' in html
        assert "Change items" in html

    def test_after_the_packing_claim_the_page_says_why(
        self, client: TestClient, session: Session
    ) -> None:
        order, _products, _extras = shop(session)
        with session_scope() as s:
            orders_service.claim_for_packing(s, actor=Actor.store("Almacén"), number=order.number)
        signed_in(client, order)
        html = client.get(f"/orders/{order.number}/items").text
        assert "The warehouse started packing your order" in html
        assert 'name="qty_1"' not in html
        order_page = client.get(f"/orders/{order.number}").text
        assert f'href="/orders/{order.number}/items"' not in order_page

    def test_in_spanish_by_default(self, client: TestClient, session: Session) -> None:
        order, _products, _extras = shop(session)
        signed_in(client, order)
        client.cookies.delete("lang")
        html = client.get(f"/orders/{order.number}/items").text
        assert "Cambiar los artículos" in html and "Añadir un producto" in html


class TestAmendWithoutJavaScript:
    def test_preview_confirm_and_the_order_page_says_so(
        self, client: TestClient, session: Session
    ) -> None:
        order, products, _extras = shop(session, prices=(1210, 2420))
        signed_in(client, order)
        response = preview(client, order, remove_2="1", add_sku="NUEVO", add_quantity="2")
        assert response.status_code == 303
        change_url = response.headers["location"]
        change_id = change_id_from(change_url)

        page = client.get(change_url)
        assert page.status_code == 200
        html = page.text
        assert "Waiting for your confirmation" in html
        assert "32,10" in html or "32.10" in html  # the new total
        assert "The shop will contact you to refund" in html  # no Stripe: the shop settles
        assert f'name="change_id" value="{change_id}"' in html

        confirmed = post_form(
            client,
            f"/orders/{order.number}/items/confirm",
            {"change_id": str(change_id), "version": str(order.version)},
        )
        assert confirmed.status_code == 303
        assert confirmed.headers["location"] == f"/orders/{order.number}?changed=items"
        stored, lines = reload_order(order.number)
        assert (stored.version, stored.total_minor) == (2, 3210)
        assert [(ln.sku, ln.quantity) for ln in lines] == [(products[0].sku, 1), ("NUEVO", 2)]
        html = client.get(confirmed.headers["location"]).text
        assert "Your order is updated" in html
        assert "The items in your order changed" in html  # the timeline

        # A second click (the back button) shows the state instead of applying it again.
        again = post_form(
            client,
            f"/orders/{order.number}/items/confirm",
            {"change_id": str(change_id), "version": str(order.version)},
        )
        assert again.status_code == 303 and again.headers["location"] == change_url
        assert reload_order(order.number)[0].version == 2

    def test_form_errors_are_shown_at_their_fields_and_nothing_is_written(
        self, client: TestClient, session: Session, engine: Engine
    ) -> None:
        order, _products, _extras = shop(session)
        signed_in(client, order)
        before = snapshot(engine)
        response = preview(client, order, qty_1="abc", qty_2="100")
        assert response.status_code == 422
        assert "Enter a whole number" in response.text
        assert 'aria-invalid="true"' in response.text
        response = preview(client, order, qty_2="100")
        assert response.status_code == 422
        assert "At most 99 units per item." in response.text
        assert 'id="items-qty_2-error"' in response.text
        response = preview(client, order, add_sku="NUEVO", add_quantity="50")
        assert response.status_code == 422
        assert "Only 5 more of Producto NUEVO in stock." in response.text
        assert snapshot(engine) == before

    def test_a_second_change_is_refused_with_a_link_to_the_first(
        self, client: TestClient, session: Session
    ) -> None:
        order, _products, _extras = shop(session)
        signed_in(client, order)
        first = preview(client, order, qty_1="2")
        response = preview(client, order, qty_2="2")
        assert response.status_code == 409
        assert "Another change to this order is in progress" in response.text
        assert first.headers["location"] in response.text
        # The order page points at it too.
        html = client.get(f"/orders/{order.number}").text
        assert "waiting for your confirmation" in html
        assert first.headers["location"] in html

    def test_cancel_withdraws_it_and_gives_the_stock_back(
        self, client: TestClient, session: Session
    ) -> None:
        order, products, _extras = shop(session, stock=3)
        signed_in(client, order)
        response = preview(client, order, qty_1="3")
        change_id = change_id_from(response.headers["location"])
        assert stock_of(products[0].sku) == 1
        canceled = post_form(
            client, f"/orders/{order.number}/items/cancel", {"change_id": str(change_id)}
        )
        assert canceled.status_code == 303
        assert stock_of(products[0].sku) == 3
        html = client.get(canceled.headers["location"]).text
        assert "Withdrawn" in html and "Nothing in your order was changed." in html

    def test_confirm_after_the_packing_claim_is_a_clear_refusal(
        self, client: TestClient, session: Session
    ) -> None:
        order, products, _extras = shop(session, stock=3)
        signed_in(client, order)
        change_id = change_id_from(preview(client, order, qty_1="2").headers["location"])
        with session_scope() as s:
            orders_service.claim_for_packing(s, actor=Actor.store("Almacén"), number=order.number)
        response = post_form(
            client,
            f"/orders/{order.number}/items/confirm",
            {"change_id": str(change_id), "version": "1"},
        )
        assert response.status_code == 409
        assert "The warehouse started packing your order" in response.text
        assert "Nothing was changed." in response.text
        assert stock_of(products[0].sku) == 3
        [change] = changes_of(order)
        assert (change.status, change.decline_code) == ("declined", "packing_started")

    def test_a_stale_form_is_told_the_order_changed(
        self, client: TestClient, session: Session
    ) -> None:
        order, _products, _extras = shop(session)
        signed_in(client, order)
        response = post_form(
            client,
            f"/orders/{order.number}/items/preview",
            {"version": "7", "qty_1": "2", "qty_2": "1"},
        )
        assert response.status_code == 409
        assert "The order changed while you were editing it" in response.text


class TestHtmx:
    def test_the_estimate_shows_the_new_total_and_writes_nothing(
        self, client: TestClient, session: Session, engine: Engine
    ) -> None:
        order, _products, _extras = shop(session, prices=(1210, 2420))
        signed_in(client, order)
        before = snapshot(engine)
        response = post_form(
            client,
            f"/orders/{order.number}/items/estimate",
            {"version": "1", "qty_1": "1", "qty_2": "0"},
            headers={"HX-Request": "true"},
        )
        assert response.status_code == 200
        assert "<html" not in response.text
        assert "New total: €12.10" in response.text
        assert snapshot(engine) == before

    def test_the_estimate_on_a_stale_form_says_the_order_changed(
        self, client: TestClient, session: Session
    ) -> None:
        order, _products, _extras = shop(session)
        signed_in(client, order)
        response = post_form(
            client,
            f"/orders/{order.number}/items/estimate",
            {"version": "5", "qty_1": "2", "qty_2": "1"},
            headers={"HX-Request": "true"},
        )
        assert response.status_code == 200
        assert "The order changed while you were editing it" in response.text

    def test_htmx_submit_gets_a_redirect_header(self, client: TestClient, session: Session) -> None:
        order, _products, _extras = shop(session)
        signed_in(client, order)
        response = post_form(
            client,
            f"/orders/{order.number}/items/preview",
            {"version": "1", "qty_1": "2", "qty_2": "1"},
            headers={"HX-Request": "true"},
        )
        assert response.status_code == 204
        assert "/changes/" in response.headers["HX-Redirect"]


class TestAccess:
    def test_another_customer_gets_404_everywhere(
        self, client: TestClient, session: Session
    ) -> None:
        order, _products, _extras = shop(session)
        signed_in(client, order)
        change_id = change_id_from(preview(client, order, qty_1="2").headers["location"])
        stranger = make_customer(session)
        session.commit()
        login(client, stranger.id or 0)
        assert client.get(f"/orders/{order.number}/items").status_code == 404
        assert client.get(f"/orders/{order.number}/changes/{change_id}").status_code == 404
        assert client.get(f"/orders/{order.number}/changes/{change_id}/pay").status_code == 404
        response = post_form(
            client,
            f"/orders/{order.number}/items/confirm",
            {"change_id": str(change_id), "version": "1"},
        )
        assert response.status_code == 404
        assert reload_order(order.number)[0].version == 1

    def test_a_change_of_another_order_of_mine_is_404(
        self, client: TestClient, session: Session
    ) -> None:
        order, _products, _extras = shop(session)
        customer = session.get(Customer, order.customer_id)
        other, _p, _e = shop(session, customer=customer, extra_products=())
        signed_in(client, order)
        change_id = change_id_from(preview(client, order, qty_1="2").headers["location"])
        assert client.get(f"/orders/{other.number}/changes/{change_id}").status_code == 404
        assert client.get(f"/orders/{order.number}/changes/{change_id}").status_code == 200
