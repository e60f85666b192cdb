"""The shopper's JSON API for amendments: same services, JSON in and out, session cookie."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session

from tests.access.helpers import login, post_form
from tests.changes.support import reload_order, shop, snapshot, stock_of
from tests.factories import make_customer, make_product
from ventanilla.core.actors import Actor
from ventanilla.db import session_scope
from ventanilla.orders import service as orders_service
from ventanilla.orders.models import Order


def base(order: Order) -> str:
    return f"/api/v1/me/orders/{order.number}/amendments"


def body(order: Order, *actions: dict[str, Any]) -> dict[str, Any]:
    return {"version": order.version, "actions": list(actions)}


class TestAmendmentApi:
    def test_preview_answers_with_the_new_order_and_writes_nothing(
        self, client: TestClient, session: Session, engine: Engine
    ) -> None:
        order, _products, _extras = shop(session, prices=(1210, 2420))
        login(client, order.customer_id)
        before = snapshot(engine)
        response = client.post(
            base(order) + "/preview",
            json=body(
                order,
                {"action": "remove_line", "line_no": 2},
                {"action": "add_product", "sku": "NUEVO", "quantity": 2},
            ),
        )
        assert response.status_code == 200, response.text
        data = response.json()
        assert data["difference_minor"] == -420
        assert data["settlement"] == "shop_to_settle"
        assert data["new"]["total_minor"] == 3210
        assert data["new"]["tax_by_rate"] == [
            {"rate_bp": 2100, "tax_minor": 3210 - round(3210 * 100 / 121)}
        ]
        assert [(ln["line_no"], ln["state"]) for ln in data["lines"]] == [
            (1, "unchanged"),
            (2, "removed"),
            (3, "added"),
        ]
        assert snapshot(engine) == before

    def test_request_confirm_and_read(self, client: TestClient, session: Session) -> None:
        order, products, _extras = shop(session, stock=4)
        login(client, order.customer_id)
        created = client.post(
            base(order), json=body(order, {"action": "set_quantity", "line_no": 1, "quantity": 3})
        )
        assert created.status_code == 201, created.text
        change = created.json()
        assert (change["status"], change["kind"], change["difference_minor"]) == (
            "requested",
            "items",
            2420,
        )
        assert stock_of(products[0].sku) == 2
        read = client.get(f"{base(order)}/{change['id']}")
        assert read.status_code == 200 and read.json()["status"] == "requested"

        confirmed = client.post(f"{base(order)}/{change['id']}/confirm", json={"version": 1})
        assert confirmed.status_code == 200, confirmed.text
        data = confirmed.json()
        assert (data["status"], data["settlement"], data["order_version"]) == (
            "confirmed",
            "shop_to_settle",
            2,
        )
        assert reload_order(order.number)[0].total_minor == 3630 + 2420
        # Confirming again answers with the state; nothing is applied twice.
        again = client.post(f"{base(order)}/{change['id']}/confirm", json={"version": 2})
        assert (again.status_code, again.json()["status"]) == (200, "confirmed")
        assert reload_order(order.number)[0].version == 2

    def test_cancel(self, client: TestClient, session: Session) -> None:
        order, products, _extras = shop(session, stock=4)
        login(client, order.customer_id)
        change = client.post(
            base(order), json=body(order, {"action": "set_quantity", "line_no": 1, "quantity": 3})
        ).json()
        response = client.post(f"{base(order)}/{change['id']}/cancel", json={})
        assert (response.status_code, response.json()["status"]) == (200, "canceled")
        assert stock_of(products[0].sku) == 4

    def test_refusals_are_409_with_a_code(self, client: TestClient, session: Session) -> None:
        order, _products, _extras = shop(session)
        login(client, order.customer_id)
        one = {"action": "set_quantity", "line_no": 1, "quantity": 2}
        stale = client.post(base(order), json={"version": 9, "actions": [one]})
        assert (stale.status_code, stale.json()["code"]) == (409, "order_changed")
        assert client.post(base(order), json=body(order, one)).status_code == 201
        busy = client.post(base(order), json=body(order, one))
        assert (busy.status_code, busy.json()["code"]) == (409, "change_in_progress")
        with session_scope() as s:
            orders_service.claim_for_packing(s, actor=Actor.store("Almacén"), number=order.number)
        late = client.post(base(order) + "/preview", json={"version": 2, "actions": [one]})
        assert late.status_code == 409
        assert late.json()["code"] == "packing_started"
        assert "started packing" in late.json()["detail"]

    def test_confirm_after_the_claim_is_409_and_the_change_is_declined(
        self, client: TestClient, session: Session
    ) -> None:
        order, products, _extras = shop(session, stock=4)
        login(client, order.customer_id)
        change = client.post(
            base(order), json=body(order, {"action": "set_quantity", "line_no": 1, "quantity": 3})
        ).json()
        with session_scope() as s:
            orders_service.claim_for_packing(s, actor=Actor.store("Almacén"), number=order.number)
        response = client.post(f"{base(order)}/{change['id']}/confirm", json={"version": 1})
        assert (response.status_code, response.json()["code"]) == (409, "packing_started")
        assert stock_of(products[0].sku) == 4
        read = client.get(f"{base(order)}/{change['id']}").json()
        assert (read["status"], read["decline_code"]) == ("declined", "packing_started")

    def test_a_product_without_a_vat_rate_is_refused_with_a_translated_reason(
        self, client: TestClient, session: Session, engine: Engine
    ) -> None:
        order, _products, _extras = shop(session)
        make_product(session, sku="SIN-IVA", name="Puzle", price_minor=999, tax_rate_bp=None)
        session.commit()
        login(client, order.customer_id)
        before = snapshot(engine)
        response = client.post(
            base(order),
            json=body(order, {"action": "add_product", "sku": "SIN-IVA", "quantity": 1}),
            headers={"Accept-Language": "es"},
        )
        assert response.status_code == 422
        [problem] = response.json()["detail"]
        assert (problem["loc"], problem["type"]) == (["body", "actions", 0, "sku"], "no_tax_rate")
        assert "has not given its VAT rate" in problem["msg"]  # detail: for the developer
        # The page says it in the shopper's language.
        client.cookies.set("lang", "es")
        page = post_form(
            client,
            f"/orders/{order.number}/items/preview",
            {"version": "1", "qty_1": "1", "qty_2": "1", "add_sku": "SIN-IVA", "add_quantity": "1"},
        )
        assert page.status_code == 422
        assert "Puzle no se puede añadir en línea: la tienda no ha indicado su tipo de IVA" in (
            page.text
        )
        assert snapshot(engine) == before

    def test_invalid_actions_are_422_with_locations(
        self, client: TestClient, session: Session, engine: Engine
    ) -> None:
        order, _products, _extras = shop(session, extra_products=(("AGOTADO", 100, 0),))
        login(client, order.customer_id)
        before = snapshot(engine)
        response = client.post(
            base(order),
            json=body(
                order,
                {"action": "set_quantity", "line_no": 1, "quantity": 100},
                {"action": "add_product", "sku": "AGOTADO", "quantity": 1},
            ),
        )
        assert response.status_code == 422
        detail = response.json()["detail"]
        assert [(d["loc"], d["type"]) for d in detail] == [
            (["body", "actions", 0, "quantity"], "quantity_too_high"),
            (["body", "actions", 1, "quantity"], "out_of_stock"),
        ]
        for bad in (
            {"version": 1, "actions": []},
            {"version": 1, "actions": [{"action": "explode"}]},
            {"version": 1, "actions": [{"action": "add_product", "sku": "a b"}]},
            {"version": "1", "actions": [{"action": "remove_line", "line_no": 1}]},
            {"version": 1, "actions": [{"action": "remove_line", "line_no": 2**40}]},
            {"version": 1, "actions": [{"action": "remove_line", "line_no": 1}], "x": 1},
        ):
            assert client.post(base(order), json=bad).status_code == 422, bad
        assert client.get(f"{base(order)}/{2**40}").status_code == 422
        assert snapshot(engine) == before

    def test_only_json_bodies_are_accepted(
        self, client: TestClient, session: Session, engine: Engine
    ) -> None:
        order, _products, _extras = shop(session)
        login(client, order.customer_id)
        before = snapshot(engine)
        form = client.post(base(order), data={"version": "1"})
        assert form.status_code == 415
        text = client.post(
            base(order),
            content='{"version": 1, "actions": [{"action": "remove_line", "line_no": 1}]}',
            headers={"Content-Type": "text/plain"},
        )
        assert text.status_code == 415
        assert client.post(f"{base(order)}/1/cancel").status_code == 422
        assert snapshot(engine) == before

    def test_another_customer_gets_404(self, client: TestClient, session: Session) -> None:
        order, _products, _extras = shop(session)
        login(client, order.customer_id)
        change = client.post(
            base(order), json=body(order, {"action": "set_quantity", "line_no": 1, "quantity": 2})
        ).json()
        stranger = make_customer(session)
        session.commit()
        login(client, stranger.id or 0)
        assert client.get(f"{base(order)}/{change['id']}").status_code == 404
        response = client.post(f"{base(order)}/{change['id']}/confirm", json={"version": 1})
        assert (response.status_code, response.json()["code"]) == (404, "order_not_found")
        assert client.post(f"{base(order)}/{change['id']}/cancel", json={}).status_code == 404
        assert reload_order(order.number)[0].version == 1

    def test_without_a_session_401(self, client: TestClient, session: Session) -> None:
        order, _products, _extras = shop(session)
        response = client.post(base(order) + "/preview", json={"version": 1, "actions": []})
        assert response.status_code == 401

    def test_documented_in_openapi(self, client: TestClient) -> None:
        paths = client.get("/openapi.json").json()["paths"]
        prefix = "/api/v1/me/orders/{number}/amendments"
        assert {"post"} <= set(paths[prefix])
        assert "post" in paths[prefix + "/preview"]
        assert "get" in paths[prefix + "/{change_id}"]
        assert "409" in paths[prefix + "/{change_id}/confirm"]["post"]["responses"]
