"""A shopper changes the delivery address: the link they open is days old, so the page asks for a
code, which arrives through a real SMTP server; then the order shows the new address."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from playwright.sync_api import Page, expect
from sqlmodel import Session, select

from e2e.conftest import run_axe, screenshot
from tests.servers import SMTPServer, wait_for
from ventanilla.access import tokens
from ventanilla.apikeys import service as apikeys_service
from ventanilla.core import clock
from ventanilla.db import engine_for
from ventanilla.orders.models import Order, OrderAddress

pytestmark = pytest.mark.e2e

NUMBER = "ES-4001"
EMAIL = "lucia.garcia@example.com"


def seed(base_url: str, db_url: str) -> dict[str, str]:
    with Session(engine_for(db_url)) as session:
        key = apikeys_service.create_key(session, name="e2e").key
        session.commit()
    headers = {"Authorization": f"Bearer {key}"}
    with httpx.Client(base_url=base_url + "/api/v1", headers=headers, timeout=10) as api:
        product = {"name": "Tren de madera", "price_minor": 4995, "currency": "EUR"}
        assert api.put("/products/TREN-01", json=product).status_code == 201
        order = {
            "customer": {"email": EMAIL, "name": "Lucía García", "locale": "es"},
            "shipping_address": {
                "name": "Lucía García",
                "line1": "Calle Mayor 1",
                "postcode": "28013",
                "city": "Madrid",
                "country": "ES",
            },
            "lines": [
                {
                    "sku": "TREN-01",
                    "name": "Tren de madera",
                    "unit_price_minor": 4995,
                    "quantity": 1,
                    "tax_rate": "21",
                }
            ],
            "totals": {"subtotal_minor": 4995, "tax_minor": 867, "total_minor": 4995},
            "currency": "EUR",
            "status": "paid",
            "placed_at": (datetime.now(UTC) - timedelta(days=3)).isoformat(),
        }
        assert api.put(f"/orders/{NUMBER}", json=order).status_code == 201
    return headers


def shop_confirmation_link(base_url: str, link_secret: str) -> str:
    """The "my order" link from the shop's confirmation email, signed offline three days ago."""
    with clock.frozen(datetime.now(UTC) - timedelta(days=3)):
        token, _claims = tokens.issue(
            order_number=NUMBER,
            email=EMAIL,
            now=clock.now(),
            ttl=timedelta(days=15),
            max_uses=5,
            secret=link_secret.encode(),
        )
    return f"{base_url}/l/{token}"


def test_change_the_address_with_a_code_from_the_email_then_refused_after_packing(
    page: Page,
    start_server,
    smtp: SMTPServer,
    db_url: str,  # type: ignore[no-untyped-def]
) -> None:
    server = start_server(VENTANILLA_SMTP_HOST=smtp.host, VENTANILLA_SMTP_PORT=str(smtp.port))
    api = seed(server.url, db_url)

    page.goto(shop_confirmation_link(server.url, server.env["VENTANILLA_LINK_SECRET"]))
    page.get_by_role("button", name="Continuar a tu pedido").click()
    page.get_by_role("link", name="Cambiar la dirección de entrega").click()
    page.get_by_label("Calle y número").fill("Calle de Alcalá 20, 2º A")
    page.get_by_label("Código postal").fill("41001")
    page.get_by_label("Localidad").fill("Sevilla")
    screenshot(page, "30-address-form-es")
    assert run_axe(page) == []
    page.get_by_role("button", name="Guardar la nueva dirección").click()

    # The link is three days old: moving goods needs a fresh proof that this is the customer.
    # The code is emailed at once and asked for in place (HTMX swaps the form's card only): the
    # typed address stays, and the right code saves it in the same step.
    expect(page.get_by_label("Código del correo")).to_be_focused()
    expect(page.locator("main")).to_contain_text("Te hemos enviado un código")
    expect(page.get_by_label("Código postal")).to_have_value("41001")
    assert page.url.endswith(f"/orders/{NUMBER}/address")  # no other page was loaded
    wait_for(lambda: len(smtp.messages) == 1, timeout=20, what="the code email")
    message = smtp.messages[0]
    assert message["To"] == EMAIL
    body = message.get_body(preferencelist=("plain",)).get_content()  # type: ignore[union-attr]
    code = re.search(r"\b(\d{6})\b", body)
    assert code, body
    wrong = "000000" if code.group(1) != "000000" else "111111"
    page.get_by_label("Código del correo").fill(wrong)
    page.get_by_role("button", name="Confirmar y guardar la dirección").click()
    expect(page.get_by_role("alert")).to_contain_text("Ese código no es correcto")
    expect(page.get_by_label("Localidad")).to_have_value("Sevilla")
    page.get_by_label("Código del correo").fill(code.group(1))
    screenshot(page, "31-address-code-es")
    assert run_axe(page) == []
    page.get_by_role("button", name="Confirmar y guardar la dirección").click()

    expect(page).to_have_url(re.compile(rf"/orders/{NUMBER}\?changed=address$"))
    expect(page.locator("[role=status]")).to_contain_text("Hemos guardado tu nueva dirección")
    expect(page.locator("main")).to_contain_text("Calle de Alcalá 20, 2º A")
    expect(page.locator("main")).to_contain_text("41001 Sevilla")
    screenshot(page, "32-address-changed-es")

    with Session(engine_for(db_url)) as session:
        order = session.exec(select(Order).where(Order.number == NUMBER)).one()
        address = session.exec(
            select(OrderAddress).where(
                OrderAddress.order_id == order.id, OrderAddress.kind == "shipping"
            )
        ).one()
    assert (order.version, address.postcode, address.region) == (2, "41001", "Sevilla")
    # The confirmation email follows the code email.
    wait_for(lambda: len(smtp.messages) == 2, timeout=20, what="the confirmation email")

    # The warehouse claims the order: the same page now explains why it is too late.
    claimed = httpx.post(f"{server.url}/api/v1/orders/{NUMBER}/packing", headers=api, timeout=10)
    assert claimed.status_code == 200
    assert "41001" in claimed.text
    page.goto(f"{server.url}/orders/{NUMBER}/address")
    expect(page.locator("main")).to_contain_text("El almacén ya ha empezado a preparar tu pedido")
    screenshot(page, "33-address-refused-es")
