"""A shopper finds their order by number and email, follows the emailed link and reads the page."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from playwright.sync_api import Page, expect
from sqlmodel import Session

from e2e.conftest import run_axe, screenshot
from tests.servers import SMTPServer, wait_for
from ventanilla.apikeys import service as apikeys_service
from ventanilla.db import engine_for

pytestmark = pytest.mark.e2e

ORDER = {
    "customer": {"email": "lucia.garcia@example.com", "name": "Lucía García", "locale": "es"},
    "shipping_address": {
        "name": "Lucía García",
        "line1": "Calle Mayor 1, 3º B",
        "postcode": "28013",
        "city": "Madrid",
        "region": "Madrid",
        "country": "ES",
    },
    "lines": [
        {
            "sku": "TREN-01",
            "name": "Tren de madera",
            "unit_price_minor": 4995,
            "quantity": 1,
            "tax_rate": "21",
        },
    ],
    "totals": {"subtotal_minor": 4995, "shipping_minor": 0, "tax_minor": 867, "total_minor": 4995},
    "currency": "EUR",
    "status": "paid",
}


def seed_through_the_store_api(base_url: str, db_url: str) -> None:
    with Session(engine_for(db_url)) as session:
        key = apikeys_service.create_key(session, name="e2e").key
        session.commit()
    headers = {"Authorization": f"Bearer {key}"}
    with httpx.Client(base_url=base_url + "/api/v1", headers=headers, timeout=10) as api:
        product = {
            "name": "Tren de madera",
            "price_minor": 4995,
            "currency": "EUR",
            "stock_on_hand": 5,
        }
        assert api.put("/products/TREN-01", json=product).status_code == 201
        placed = (datetime.now(UTC) - timedelta(hours=3)).isoformat()
        response = api.put("/orders/ES-2001", json={**ORDER, "placed_at": placed})
        assert response.status_code == 201, response.text


def test_find_my_order_by_email_then_read_it_in_spanish_and_english(
    page: Page,
    start_server,
    smtp: SMTPServer,
    db_url: str,  # type: ignore[no-untyped-def]
) -> None:
    server = start_server(VENTANILLA_SMTP_HOST=smtp.host, VENTANILLA_SMTP_PORT=str(smtp.port))
    seed_through_the_store_api(server.url, db_url)

    page.goto(server.url + "/find")
    screenshot(page, "01-find-my-order-es")
    page.get_by_label("Número de pedido").fill("ES-2001")
    page.get_by_label("Correo electrónico").fill("Lucia.Garcia@example.com")
    page.get_by_role("button", name="Enviarme un enlace").click()
    expect(page.locator("main")).to_contain_text("enlace")
    screenshot(page, "02-link-sent-es")

    # The worker inside the server sends it through the real SMTP server.
    wait_for(lambda: len(smtp.messages) == 1, timeout=20, what="the find-my-order email")
    message = smtp.messages[0]
    assert message["To"] == "lucia.garcia@example.com"
    body = message.get_body(preferencelist=("plain",)).get_content()  # type: ignore[union-attr]
    link = re.search(r"http://127\.0\.0\.1:\d+/l/\S+", body)
    assert link, body

    page.goto(link.group(0))
    screenshot(page, "03-continue-es")
    page.get_by_role("button", name="Continuar a tu pedido").click()
    expect(page).to_have_url(server.url + "/orders/ES-2001")
    expect(page.get_by_role("heading", level=1)).to_have_text("Pedido ES-2001")
    expect(page.locator("main")).to_contain_text("Dónde está tu pedido")
    expect(page.locator("main")).to_contain_text("49,95")
    screenshot(page, "04-order-es")
    assert run_axe(page) == []

    page.get_by_role("button", name="English").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Order ES-2001")
    expect(page.locator("main")).to_contain_text("Where your order is")
    expect(page.locator("main")).to_contain_text("€49.95")
    screenshot(page, "05-order-en")
    violations = run_axe(page)
    assert violations == [], [v["id"] for v in violations]


def test_a_spent_link_shows_a_friendly_page_without_order_data(
    page: Page,
    start_server,
    db_url: str,  # type: ignore[no-untyped-def]
) -> None:
    server = start_server()
    page.goto(server.url + "/l/not-a-real-token")
    expect(page.locator("main")).not_to_contain_text("Calle Mayor")
    expect(page.get_by_role("button", name="Enviarme un enlace")).to_be_visible()
    screenshot(page, "06-bad-link-es")
    assert run_axe(page) == []
