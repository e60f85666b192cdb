"""The order page and orders list kept per revision (`portal.pagecache`, `portal.serve`): a warm
page is one statement, and every change to what the page shows gives the new page, byte for byte
what rendering it afresh gives."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlmodel import Session, select
from starlette.requests import Request

from tests.access.helpers import login
from tests.conftest import make_settings
from tests.factories import make_customer, make_order
from tests.portal.test_pages import T0, add_activity, add_invoice, add_shipment, shipped_order
from ventanilla.access import service as access_service
from ventanilla.access.models import ShopperSession
from ventanilla.catalog.models import Product
from ventanilla.config import Settings, use_settings
from ventanilla.core import clock, reads
from ventanilla.core.templating import render
from ventanilla.customers.models import Customer
from ventanilla.db import session_scope
from ventanilla.orders.models import Order
from ventanilla.portal import pagecache, view
from ventanilla.portal.urls import order_url
from ventanilla.shipping.models import TrackingEvent


@pytest.fixture
def customer(session: Session) -> Customer:
    return make_customer(session, name="Lucía García", locale=None)


@pytest.fixture
def signed_in(client: TestClient, session: Session, customer: Customer) -> Customer:
    session.commit()
    login(client, customer.id or 0)
    return customer


@pytest.fixture
def statements(engine: Engine) -> Iterator[list[str]]:
    """Every statement: the request sessions' (engine events) and the loop's (`reads`)."""
    seen: list[str] = []

    def count(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        seen.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    with reads.observe(seen.append):
        yield seen
    event.remove(engine, "before_cursor_execute", count)


def page(client: TestClient, url: str, **kwargs: Any) -> str:
    response = client.get(url, **kwargs)
    assert response.status_code == 200, response.text[:300]
    return str(response.text)


def fresh_render(app: FastAPI, client: TestClient, order: Order, html: str, **headers: str) -> str:
    """The order page as the route rendered it before it was kept: through `view.order_page`
    and `templating.render`, with the CSRF token the served page carries."""
    token = re.search(r'<meta name="csrf-token" content="([^"]*)">', html)
    assert token
    cookies = "; ".join(f"{k}={v}" for k, v in client.cookies.items())
    raw = [(b"cookie", cookies.encode())] + [
        (k.lower().encode(), v.encode()) for k, v in headers.items()
    ]
    path = order_url(order.number)
    scope = {
        "type": "http",
        "method": "GET",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "headers": raw,
        "app": app,
        "server": ("testserver", 80),
        "scheme": "http",
    }
    request = Request(scope)
    request.state.csrf_token = token.group(1)
    with session_scope(write=False) as session:
        customer = session.get(Customer, order.customer_id)
        fresh = session.get(Order, order.id)
        assert customer and fresh
        request.state.customer_locale = customer.locale
        built = view.order_page(session, customer=customer, order=fresh)
        context = {
            "customer": customer,
            "order_url": path,
            "refresh_seconds": 60,
            "notice": None,
            "page": built,
            "timeline": built.timeline,
        }
        return bytes(render(request, "orders/page.html", context).body).decode()


class TestStatements:
    def test_a_warm_order_page_is_one_statement_on_both_databases(
        self, client: TestClient, session: Session, signed_in: Customer, statements: list[str]
    ) -> None:
        order = shipped_order(session, signed_in, lines=5, events=8)
        session.commit()
        url = order_url(order.number)
        page(client, url)  # builds it
        statements.clear()
        page(client, url)
        page(client, url + "?changed=address")
        # the session with its customer, the order scoped to them and the page's revision
        assert len(statements) == 2
        assert all("shopper_sessions" in sql for sql in statements)

    def test_a_warm_orders_list_is_one_statement(
        self, client: TestClient, session: Session, signed_in: Customer, statements: list[str]
    ) -> None:
        for _ in range(3):
            make_order(session, customer=signed_in)
        session.commit()
        page(client, "/orders")
        statements.clear()
        page(client, "/orders")
        assert len(statements) == 1


class TestSameBytes:
    def test_cold_and_warm_pages_are_what_a_fresh_render_gives(
        self, app: FastAPI, client: TestClient, session: Session, signed_in: Customer
    ) -> None:
        order = shipped_order(session, signed_in, lines=3, events=4)
        make_order(session, customer=signed_in)  # another order, in "your other orders"
        session.commit()
        url = order_url(order.number)
        cold = page(client, url)
        warm = page(client, url)
        assert cold == warm == fresh_render(app, client, order, warm)
        english = page(client, url, headers={"Accept-Language": "en"})
        assert english == fresh_render(app, client, order, english, **{"Accept-Language": "en"})
        assert 'lang="en"' in english and 'lang="es"' in warm

    def test_the_language_switch_and_its_return_address_are_per_request(
        self, client: TestClient, session: Session, signed_in: Customer
    ) -> None:
        order = make_order(session, customer=signed_in)
        session.commit()
        url = order_url(order.number)
        page(client, url)
        html = page(client, url + "?changed=nothing&x=%3Cb%3E")
        assert f'name="next" value="{url}?changed=nothing&amp;x=%3Cb%3E"' in html
        client.cookies.set("lang", "en")
        assert "Where your order is" in page(client, url)
        client.cookies.set("lang", "es")
        assert "Dónde está tu pedido" in page(client, url)

    def test_csrf_tokens_are_never_shared_between_shoppers(
        self, app: FastAPI, session: Session, signed_in: Customer, client: TestClient
    ) -> None:
        order = make_order(session, customer=signed_in)
        session.commit()
        url = order_url(order.number)
        with TestClient(app, base_url="http://testserver") as other_device:
            login(other_device, signed_in.id or 0)
            first, second = page(client, url), page(other_device, url)
        tokens = [re.findall(r'name="csrf_token" value="([^"]+)"', h) for h in (first, second)]
        assert tokens[0] and tokens[1] and set(tokens[0]).isdisjoint(tokens[1])
        assert pagecache.CSRF_MARK not in first + second


class TestChangesShowAtOnce:
    """Whatever changes what the page shows changes its revision: no stale page, no invalidation."""

    @pytest.fixture
    def order(self, client: TestClient, session: Session, signed_in: Customer) -> Order:
        order = shipped_order(session, signed_in, lines=1, events=1)
        session.commit()
        page(client, order_url(order.number))  # kept
        return order

    def test_a_status_change(self, client: TestClient, session: Session, order: Order) -> None:
        order.status, order.version = "delivered", order.version + 1
        session.add(order)
        session.commit()
        html = page(client, order_url(order.number))
        assert 'steps__item--current" aria-current="step"' in html
        assert re.search(r'badge badge--delivered">Entregado<', html)

    def test_news_in_the_timeline(self, client: TestClient, session: Session, order: Order) -> None:
        add_activity(session, order, "invoice.issued", T0 + timedelta(days=3), number="F-NEW-9")
        session.commit()
        assert "Factura F-NEW-9 emitida" in page(client, order_url(order.number))

    def test_a_new_parcel_and_a_tracking_event(
        self, client: TestClient, session: Session, order: Order
    ) -> None:
        add_shipment(session, order, at=T0 + timedelta(days=2), number="PK777", events=[])
        session.commit()
        assert "PK777" in page(client, order_url(order.number))
        shipment = add_shipment(session, order, at=T0 + timedelta(days=3), number="PK888")
        session.commit()
        page(client, order_url(order.number))
        session.add(  # news on a parcel already shown
            TrackingEvent(
                shipment_id=shipment.id,  # type: ignore[arg-type]
                occurred_at=T0 + timedelta(days=4),
                status="delivered",
                location="Zaragoza",
                text="Entregado en conserjería",
            )
        )
        session.commit()
        assert "Entregado en conserjería" in page(client, order_url(order.number))

    def test_a_new_invoice(self, client: TestClient, session: Session, order: Order) -> None:
        add_invoice(session, order, number="F-LATER-2")
        session.commit()
        assert "F-LATER-2" in page(client, order_url(order.number))

    def test_a_new_product_image(
        self, client: TestClient, session: Session, order: Order
    ) -> None:
        product = session.exec(select(Product).where(Product.name == "Tren de madera 0")).one()
        product.image_url = "https://img.example/new.jpg"
        product.updated_at = product.created_at + timedelta(days=1)  # a later push
        session.add(product)
        session.commit()
        assert "https://img.example/new.jpg" in page(client, order_url(order.number))

    def test_another_order_of_the_customer(
        self, client: TestClient, session: Session, order: Order, signed_in: Customer
    ) -> None:
        other = make_order(session, customer=signed_in, number="OTRO-1")
        session.commit()
        html = page(client, order_url(order.number))
        assert "Pedido OTRO-1" in html
        other.status, other.version = "cancelled", other.version + 1
        session.add(other)
        session.commit()
        assert "Pedido OTRO-1" in page(client, "/orders")
        assert "badge--cancelled" in page(client, "/orders")

    def test_the_shops_settings(
        self, client: TestClient, session: Session, order: Order, settings: Settings
    ) -> None:
        renamed = make_settings(settings.database_url, settings.var_dir, shop_name="La Peonza")
        use_settings(renamed)
        try:
            assert "<span>La Peonza</span>" in page(client, order_url(order.number))
        finally:
            use_settings(settings)
        assert "<span>La Peonza</span>" not in page(client, order_url(order.number))

    def test_what_can_be_done_follows_the_clock(
        self,
        client: TestClient,
        session: Session,
        signed_in: Customer,
        settings: Settings,
        tmp_path: Path,
    ) -> None:
        policy = tmp_path / "policy.json"
        policy.write_text('{"edit_window_hours": 1}')
        use_settings(settings.model_copy(update={"policy_file": policy}))
        order = make_order(session, customer=signed_in, status="paid", placed_at=T0)
        session.commit()
        url = order_url(order.number)
        with clock.frozen(T0 + timedelta(minutes=5)):
            open_ = page(client, url)
            assert page(client, url) == open_
        with clock.frozen(T0 + timedelta(hours=2)):
            closed = page(client, url)
        assert f'href="{url}/address"' in open_
        assert f'href="{url}/address"' not in closed

    def test_the_customers_name_on_the_list(
        self, client: TestClient, session: Session, signed_in: Customer
    ) -> None:
        make_order(session, customer=signed_in)
        session.commit()
        assert "Lucía García" in page(client, "/orders")
        signed_in.name = "Lucía G. Pérez"
        session.add(signed_in)
        session.commit()
        assert "Lucía G. Pérez" in page(client, "/orders")


class TestSessionRules:
    def test_someone_elses_order_is_not_found_even_when_kept(
        self, app: FastAPI, client: TestClient, session: Session, signed_in: Customer
    ) -> None:
        order = make_order(session, customer=signed_in)
        stranger = make_customer(session, name="Otra Persona")
        session.commit()
        page(client, order_url(order.number))
        with TestClient(app, base_url="http://testserver") as other:
            login(other, stranger.id or 0)
            assert other.get(order_url(order.number)).status_code == 404

    def test_an_ended_session_goes_to_find_my_order(
        self, client: TestClient, session: Session, signed_in: Customer
    ) -> None:
        order = make_order(session, customer=signed_in)
        session.commit()
        page(client, order_url(order.number))
        record = session.exec(
            select(ShopperSession).where(ShopperSession.customer_id == signed_in.id)
        ).one()
        record.revoked_at = clock.now()
        session.add(record)
        session.commit()
        response = client.get(order_url(order.number), follow_redirects=False)
        assert response.status_code == 303 and response.headers["location"].startswith("/find")

    def test_activity_is_still_recorded_once_a_minute(
        self, client: TestClient, session: Session, signed_in: Customer
    ) -> None:
        order = make_order(session, customer=signed_in)
        session.commit()
        record = session.exec(
            select(ShopperSession).where(ShopperSession.customer_id == signed_in.id)
        ).one()
        record.last_seen_at = clock.now() - timedelta(minutes=5)
        session.add(record)
        session.commit()
        page(client, order_url(order.number))
        session.refresh(record)
        assert clock.now() - record.last_seen_at < timedelta(minutes=1)


class TestBounded:
    def test_the_least_recently_used_page_goes_first(self) -> None:
        cache = pagecache.LRU(2)
        for key in ("a", "b"):
            cache.put(key, pagecache.Entry(key))
        assert cache.get("a") is not None  # "b" is now the oldest
        cache.put("c", pagecache.Entry("c"))
        assert len(cache) == 2 and cache.get("b") is None and cache.get("a") is not None


class TestOneBuildAtATime:
    def test_concurrent_requests_for_a_cold_page_build_it_once(
        self, app: FastAPI, session: Session, customer: Customer, engine: Engine
    ) -> None:
        order = shipped_order(session, customer, lines=2, events=2)
        session.commit()
        with session_scope() as s:
            token = access_service.start_session(s, customer_id=customer.id or 0)
        built: list[str] = []

        def count(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
            if "FROM order_lines" in statement:  # the read model's first statement
                built.append(statement)

        async def many() -> list[int]:
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
                c.cookies.set("ventanilla_session", token)
                answers = await asyncio.gather(
                    *(c.get(order_url(order.number)) for _ in range(8))
                )
            return [a.status_code for a in answers]

        event.listen(engine, "before_cursor_execute", count)
        try:
            statuses = asyncio.run(many())
        finally:
            event.remove(engine, "before_cursor_execute", count)
        assert statuses == [200] * 8
        assert len(built) == 1
