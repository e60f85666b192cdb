"""The shopper's portal pages: list, order page, timeline partial, invoices."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from tests.access.helpers import login
from tests.factories import make_customer, make_order, make_product
from ventanilla.activity.models import Activity
from ventanilla.customers.models import Customer
from ventanilla.invoices.models import Invoice
from ventanilla.orders.models import Order, OrderLine
from ventanilla.portal import view
from ventanilla.shipping.models import Shipment, ShipmentLine, TrackingEvent

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


# --- builders (shipments, tracking, invoices, activity: only what these pages read) -----------


def add_activity(
    session: Session, order: Order, kind: str, at: datetime, actor: str = "store", **data: Any
) -> None:
    session.add(
        Activity(
            order_id=order.id,
            customer_id=order.customer_id,
            actor_type=actor,
            actor_id="Tienda" if actor == "store" else str(order.customer_id),
            kind=kind,
            occurred_at=at,
            data=data,
        )
    )
    session.flush()


def add_shipment(
    session: Session,
    order: Order,
    *,
    at: datetime,
    events: list[tuple[datetime, str, str | None]] | None = None,
    tracking_url: str | None = "https://tracking.example/track?n=PK123",
    number: str = "PK123",
) -> Shipment:
    shipment = Shipment(
        order_id=order.id,  # type: ignore[arg-type]
        carrier="Correos Express",
        tracking_number=number,
        tracking_url=tracking_url,
        shipped_at=at,
        status="in_transit",
    )
    session.add(shipment)
    session.flush()
    lines = session.exec(select(OrderLine).where(OrderLine.order_id == order.id)).all()
    for line in lines:
        session.add(
            ShipmentLine(shipment_id=shipment.id, order_line_id=line.id, quantity=line.quantity)  # type: ignore[arg-type]
        )
    for occurred, status, location in events or []:
        session.add(
            TrackingEvent(
                shipment_id=shipment.id,  # type: ignore[arg-type]
                occurred_at=occurred,
                status=status,
                location=location,
                text=f"Evento {status}",
            )
        )
    session.flush()
    return shipment


def add_invoice(session: Session, order: Order, number: str = "F-2026-0001") -> Invoice:
    invoice = Invoice(
        number=number,
        order_id=order.id,  # type: ignore[arg-type]
        kind="invoice",
        issue_date=date(2026, 3, 3),
        currency="EUR",
        seller_name="Juguetería La Peonza S.L.",
        seller_tax_id="B12345678",
        seller_address="Calle del Juego 7, 28004 Madrid",
        buyer_name="Lucía García",
        lines=[
            {
                "description": "Tren de madera",
                "quantity": 1,
                "unit_price_minor": 4995,
                "tax_rate": "21.00",
                "net_minor": 4128,
                "tax_minor": 867,
                "total_minor": 4995,
            }
        ],
        tax_breakdown=[{"rate": "21.00", "base_minor": 4128, "tax_minor": 867}],
        net_minor=4128,
        tax_minor=867,
        total_minor=4995,
        content_hash="test",
    )
    session.add(invoice)
    session.flush()
    return invoice


def shipped_order(
    session: Session, customer: Customer, *, lines: int = 2, events: int = 3
) -> Order:
    """A shipped order with a tracked parcel, `events` carrier events and an invoice."""
    products = [
        make_product(session, name=f"Tren de madera {i}", image_url=f"https://img.example/{i}.jpg")
        for i in range(lines)
    ]
    order = make_order(session, customer=customer, status="shipped", lines=products, placed_at=T0)
    add_activity(session, order, "order.status_changed", T0 + timedelta(hours=1), to="paid")
    add_activity(session, order, "order.status_changed", T0 + timedelta(days=1), to="shipped")
    statuses = ["picked_up", "in_transit", "out_for_delivery"]
    add_shipment(
        session,
        order,
        at=T0 + timedelta(days=1),
        events=[
            (T0 + timedelta(days=1, hours=2 + i), statuses[i % 3], "Madrid") for i in range(events)
        ],
    )
    add_invoice(session, order, number=f"F-{order.number}")
    return order


# --- fixtures ---------------------------------------------------------------------------------


@pytest.fixture
def customer(session: Session) -> Customer:
    return make_customer(session, name="Lucía García", locale=None)


@pytest.fixture
def signed_in(client: TestClient, session: Session, customer: Customer) -> Customer:
    """The shopper's session cookie (the pages check it themselves, on the event loop)."""
    session.commit()
    login(client, customer.id or 0)
    return customer


@pytest.fixture
def statements(engine: Engine) -> Iterator[list[str]]:
    seen: list[str] = []

    def count(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        seen.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    yield seen
    event.remove(engine, "before_cursor_execute", count)


def html_of(response: Any) -> str:
    assert response.status_code == 200, response.text[:500]
    assert response.headers["content-type"].startswith("text/html")
    return str(response.text)


# --- the order page ---------------------------------------------------------------------------


class TestOrderPage:
    def test_shows_status_lines_address_tracking_and_invoice_in_spanish(
        self, client: TestClient, session: Session, signed_in: Customer
    ) -> None:
        order = shipped_order(session, signed_in)
        session.commit()

        html = html_of(client.get(f"/orders/{order.number}"))

        assert '<html lang="es">' in html
        assert f"Pedido {order.number}" in html
        assert "Enviado" in html  # the status
        assert 'aria-current="step"' in html
        assert "Tren de madera 0" in html and "Tren de madera 1" in html
        assert 'src="https://img.example/0.jpg"' in html
        assert "Calle Mayor 1" in html and "28013 Madrid" in html and "España" in html
        assert 'href="https://tracking.example/track?n=PK123"' in html
        assert "PK123" in html
        assert f"Factura F-{order.number}" in html
        assert f'href="/orders/{order.number}/invoices/F-{order.number}"' in html
        assert "19,99\xa0€" in html  # money formatted for Spanish

    def test_english_with_the_language_cookie(
        self, client: TestClient, session: Session, signed_in: Customer
    ) -> None:
        order = shipped_order(session, signed_in)
        session.commit()
        client.cookies.set("lang", "en")

        html = html_of(client.get(f"/orders/{order.number}"))

        assert '<html lang="en">' in html
        assert f"Order {order.number}" in html
        assert "What you can do now" in html
        assert "Shipped" in html
        assert "€19.99" in html

    def test_timeline_merges_shop_and_carrier_events_newest_first(
        self, client: TestClient, session: Session, signed_in: Customer
    ) -> None:
        order = shipped_order(session, signed_in, events=3)
        session.commit()
        client.cookies.set("lang", "en")

        html = html_of(client.get(f"/orders/{order.number}"))
        timeline = html[html.index('id="timeline"') :]
        labels = re.findall(r'<p class="timeline__label">([^<]+)</p>', timeline)

        assert labels == [
            "Out for delivery",  # carrier, day 1 + 4h
            "On its way",  # carrier, day 1 + 3h
            "Picked up by the carrier",  # carrier, day 1 + 2h
            "Your order has shipped",  # shop, day 1
            "Payment received",  # shop, hour 1
            "Order placed",  # the order itself
        ]
        assert "Madrid" in timeline and "Evento in_transit" in timeline

    def test_unknown_activity_gets_a_generic_label_and_internal_activity_is_hidden(
        self, client: TestClient, session: Session, signed_in: Customer
    ) -> None:
        order = make_order(session, customer=signed_in, status="paid", placed_at=T0)
        add_activity(session, order, "loyalty.points_added", T0 + timedelta(hours=1))
        add_activity(session, order, "access.link_used", T0 + timedelta(hours=2))
        session.commit()
        client.cookies.set("lang", "en")

        html = html_of(client.get(f"/orders/{order.number}"))

        assert "Update on your order" in html
        assert "link_used" not in html

    def test_order_updates_are_told_as_news_and_stale_events_are_hidden(
        self, client: TestClient, session: Session, signed_in: Customer
    ) -> None:
        order = make_order(session, customer=signed_in, status="paid", placed_at=T0)
        add_activity(session, order, "order.created", T0, number=order.number, status="paid")
        at = T0 + timedelta(hours=1)
        add_activity(session, order, "order.updated", at, changed=["shipping_address", "lines"])
        add_activity(session, order, "order.updated", at, changed=["payment_reference"])
        add_activity(session, order, "order.status_event_stale", at, status="placed")
        session.commit()
        client.cookies.set("lang", "en")

        html = html_of(client.get(f"/orders/{order.number}"))
        labels = re.findall(r'<p class="timeline__label">([^<]+)</p>', html)

        assert labels == ["The shop changed the delivery address", "Order placed"]

    def test_unavailable_actions_show_why(
        self, client: TestClient, session: Session, signed_in: Customer
    ) -> None:
        order = make_order(session, customer=signed_in, status="paid")
        session.commit()

        html = html_of(client.get(f"/orders/{order.number}"))
        box = html[html.index('id="actions-heading"') : html.index('id="items-heading"')]

        assert "La factura aparecerá aquí en cuanto la tienda la emita." in box
        assert "Disponible cuando tu pedido salga del almacén." in box
        # Nothing offered that cannot be done (self-service changes of a paid order can be).
        assert "/invoices/" not in box and "external" not in box

    def test_available_actions_link_to_the_invoice_and_the_carrier(
        self, client: TestClient, session: Session, signed_in: Customer
    ) -> None:
        order = shipped_order(session, signed_in)
        session.commit()

        html = html_of(client.get(f"/orders/{order.number}"))
        box = html[html.index('id="actions-heading"') : html.index('id="items-heading"')]

        assert f'href="/orders/{order.number}/invoices/F-{order.number}"' in box
        assert 'href="https://tracking.example/track?n=PK123"' in box

    def test_cancelled_order_is_its_own_state(
        self, client: TestClient, session: Session, signed_in: Customer
    ) -> None:
        order = make_order(session, customer=signed_in, status="cancelled")
        session.commit()
        client.cookies.set("lang", "en")

        html = html_of(client.get(f"/orders/{order.number}"))
        steps = html[html.index('<ol class="steps') : html.index("</ol>")]

        assert "steps--cancelled" in steps
        assert re.search(r'steps__item--cancelled" aria-current="step"', steps)
        assert "Shipped" not in steps
        assert "This order was cancelled, so nothing will be shipped." in html

    def test_steps_mark_done_current_and_upcoming(self) -> None:
        states = {s.key: s.state for s in view.steps("packing")}
        assert states == {
            "placed": "done",
            "paid": "done",
            "processing": "done",
            "packing": "current",
            "packed": "upcoming",
            "shipped": "upcoming",
            "delivered": "upcoming",
        }

    def test_other_customers_order_is_404_like_a_missing_one(
        self, client: TestClient, session: Session, signed_in: Customer
    ) -> None:
        stranger = make_order(session, customer=make_customer(session), status="paid")
        session.commit()

        theirs = client.get(f"/orders/{stranger.number}")
        missing = client.get("/orders/ES-NOPE")

        assert theirs.status_code == missing.status_code == 404
        assert f"Pedido {stranger.number}" not in theirs.text
        assert "Juguete" not in theirs.text and "Calle Mayor" not in theirs.text
        assert "Ir a mis pedidos" in theirs.text  # a friendly page with a way back

    def test_a_shop_link_that_is_not_a_web_url_is_not_rendered(
        self, client: TestClient, session: Session, signed_in: Customer
    ) -> None:
        order = make_order(session, customer=signed_in, status="shipped")
        add_shipment(session, order, at=T0, tracking_url="javascript:alert(1)")
        session.commit()

        html = html_of(client.get(f"/orders/{order.number}"))

        assert "javascript:" not in html

    def test_page_has_no_inline_styles_or_scripts(
        self, client: TestClient, session: Session, signed_in: Customer
    ) -> None:
        order = shipped_order(session, signed_in)
        session.commit()

        html = html_of(client.get(f"/orders/{order.number}"))

        assert " style=" not in html and "<style" not in html
        assert all("src=" in tag for tag in re.findall(r"<script[^>]*>", html))
        assert re.search(r'<main id="main"', html) and 'href="#main"' in html

    def test_bad_partial_is_a_clear_4xx(
        self, client: TestClient, session: Session, signed_in: Customer
    ) -> None:
        order = make_order(session, customer=signed_in)
        session.commit()

        response = client.get(f"/orders/{order.number}?partial=everything")

        assert response.status_code == 422


class TestTimelinePartial:
    def test_htmx_partial_returns_only_the_timeline_block(
        self, client: TestClient, session: Session, signed_in: Customer
    ) -> None:
        order = shipped_order(session, signed_in)
        session.commit()

        response = client.get(
            f"/orders/{order.number}?partial=timeline", headers={"HX-Request": "true"}
        )
        html = html_of(response)

        assert html.lstrip().startswith('<section class="card" id="timeline"')
        assert html.rstrip().endswith("</section>")
        assert "<html" not in html and "Dirección de entrega" not in html
        assert "Tu pedido ha salido del almacén" in html
        assert 'hx-trigger="every 60s"' in html


class TestStatementCount:
    def test_order_page_statement_count_does_not_grow_with_lines_events_or_documents(
        self, session: Session, customer: Customer, statements: list[str]
    ) -> None:
        small = shipped_order(session, customer, lines=1, events=1)
        large = shipped_order(session, customer, lines=20, events=30)
        add_shipment(session, large, at=T0 + timedelta(days=2), number="PK999", events=[])
        add_invoice(session, large, number="F-EXTRA")
        session.commit()
        session.exec(select(Order.id).limit(1)).all()  # open the transaction outside the count

        counts = []
        for order in (small, large):
            statements.clear()
            page = view.order_page(session, customer=customer, order=order)
            counts.append(len(statements))
        assert len(page.lines) == 20 and len(page.shipments) == 2 and len(page.invoices) == 2
        assert sum(len(s.events) for s in page.shipments) == 30
        # lines+images, addresses, shipments, shipment lines, tracking events, invoices,
        # activity, the customer's other orders, the open self-service change (if any), the
        # order's returns and withdrawals
        assert counts == [10, 10]

    def test_whole_page_request_does_not_grow_either(
        self, client: TestClient, session: Session, signed_in: Customer, statements: list[str]
    ) -> None:
        small = shipped_order(session, signed_in, lines=1, events=1)
        large = shipped_order(session, signed_in, lines=20, events=30)
        session.commit()

        counts = []
        for order in (small, large):
            statements.clear()
            html_of(client.get(f"/orders/{order.number}"))
            counts.append(len(statements))

        assert counts[0] == counts[1]

    def test_orders_list_is_one_statement_whatever_the_number_of_orders(
        self, session: Session, customer: Customer, statements: list[str]
    ) -> None:
        make_order(session, customer=customer)
        session.commit()
        session.exec(select(Order.id).limit(1)).all()  # open the transaction outside the count
        counts = []
        for more in (0, 15):
            for _ in range(more):
                make_order(session, customer=customer)
            session.commit()
            session.exec(select(Order.id).limit(1)).all()
            statements.clear()
            listed = view.customer_orders(session, customer=customer)
            counts.append((len(listed), len(statements)))
        assert counts == [(1, 1), (16, 1)]


# --- the orders list --------------------------------------------------------------------------


class TestOrdersList:
    def test_lists_only_the_customers_orders_newest_first(
        self, client: TestClient, session: Session, signed_in: Customer
    ) -> None:
        older = make_order(session, customer=signed_in, placed_at=T0)
        newer = make_order(session, customer=signed_in, placed_at=T0 + timedelta(days=3))
        stranger = make_order(session, customer=make_customer(session))
        session.commit()

        html = html_of(client.get("/orders"))

        assert newer.number in html and older.number in html
        assert stranger.number not in html
        assert html.index(newer.number) < html.index(older.number)
        assert "Mis pedidos" in html

    def test_order_page_lists_the_other_orders_but_no_one_elses(
        self, client: TestClient, session: Session, signed_in: Customer
    ) -> None:
        order = make_order(session, customer=signed_in)
        mine = make_order(session, customer=signed_in)
        stranger = make_order(session, customer=make_customer(session))
        session.commit()

        html = html_of(client.get(f"/orders/{order.number}"))
        others = html[html.index('id="others-heading"') :]

        assert mine.number in others
        assert stranger.number not in html

    def test_logout_is_a_post_form_with_the_csrf_token(
        self, client: TestClient, signed_in: Customer
    ) -> None:
        html = html_of(client.get("/orders"))

        form = re.search(r'<form[^>]*action="/logout"[^>]*>.*?</form>', html, re.S)
        assert form is not None
        assert 'method="post"' in form.group(0)
        assert 'name="csrf_token"' in form.group(0)


# --- invoices ---------------------------------------------------------------------------------


class TestInvoicePage:
    def test_own_invoice_is_a_printable_page(
        self, client: TestClient, session: Session, signed_in: Customer
    ) -> None:
        order = shipped_order(session, signed_in)
        session.commit()

        html = html_of(client.get(f"/orders/{order.number}/invoices/F-{order.number}"))

        assert f"Factura F-{order.number}" in html
        assert "B12345678" in html and "Tren de madera" in html
        assert "49,95\xa0€" in html and "21\xa0%" in html
        assert "<caption>" in html and 'scope="col"' in html
        # A print button, shown by the page's script (without JavaScript the hint says how).
        button = '<button class="button button--primary" type="button" data-print hidden>'
        assert button + "Imprimir" in html
        assert re.search(r'<script src="/static/js/print.js" nonce="[^"]+" defer>', html)
        assert client.get("/static/js/print.js").status_code == 200

    def test_another_customers_invoice_is_404(
        self, client: TestClient, session: Session, signed_in: Customer
    ) -> None:
        mine = make_order(session, customer=signed_in)
        theirs = shipped_order(session, make_customer(session))
        session.commit()

        # Their invoice through my order, and through their order: both exactly like a missing one.
        via_mine = client.get(f"/orders/{mine.number}/invoices/F-{theirs.number}")
        via_theirs = client.get(f"/orders/{theirs.number}/invoices/F-{theirs.number}")
        missing = client.get(f"/orders/{mine.number}/invoices/F-NOPE")

        assert via_mine.status_code == via_theirs.status_code == missing.status_code == 404
        assert "B12345678" not in via_mine.text + via_theirs.text

    def test_invoice_of_another_of_my_orders_is_404_under_the_wrong_order(
        self, client: TestClient, session: Session, signed_in: Customer
    ) -> None:
        first = make_order(session, customer=signed_in)
        second = shipped_order(session, signed_in)
        session.commit()

        response = client.get(f"/orders/{first.number}/invoices/F-{second.number}")

        assert response.status_code == 404


class TestHome:
    def test_the_front_door_leads_to_find_my_order_without_a_session(
        self, client: TestClient
    ) -> None:
        response = client.get("/", follow_redirects=True)
        assert response.status_code == 200
        assert response.url.path == "/find"
        assert "Enviarme un enlace" in response.text
