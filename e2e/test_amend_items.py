"""A shopper amends an order in Chromium: removes an item and is refunded, adds one and pays on
the page through localstripe's Stripe.js stand-in, cancels the whole order (refunded in full),
and is refused after the packing claim."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from playwright.sync_api import Page, expect
from sqlmodel import Session, select

from e2e.conftest import run_axe, screenshot
from tests.servers import wait_for
from tests.stripe_server import LocalStripe, localstripe_fixture  # noqa: F401
from ventanilla.apikeys import service as apikeys_service
from ventanilla.db import engine_for
from ventanilla.orders.models import Order
from ventanilla.payments.models import PaymentEntry

pytestmark = pytest.mark.e2e

NUMBER = "ES-3001"
PRODUCTS = {
    "TREN-01": ("Tren de madera", 4995, 5),
    "PELOTA-02": ("Pelota de playa", 1500, 3),
    "COCHE-03": ("Coche de bomberos", 2000, 2),
}


def order_body(payment_reference: str) -> dict[str, Any]:
    lines = [("TREN-01", 1), ("PELOTA-02", 1)]
    subtotal = sum(PRODUCTS[sku][1] * qty for sku, qty in lines)
    return {
        "customer": {"email": "lucia.garcia@example.com", "name": "Lucía García", "locale": "es"},
        "shipping_address": {
            "name": "Lucía García",
            "line1": "Calle Mayor 1, 3º B",
            "postcode": "28013",
            "city": "Madrid",
            "country": "ES",
        },
        "lines": [
            {
                "sku": sku,
                "name": PRODUCTS[sku][0],
                "unit_price_minor": PRODUCTS[sku][1],
                "quantity": qty,
                "tax_rate": "21",
            }
            for sku, qty in lines
        ],
        "totals": {
            "subtotal_minor": subtotal,
            "tax_minor": subtotal - round(subtotal / 1.21),
            "total_minor": subtotal,
        },
        "currency": "EUR",
        "status": "paid",
        "placed_at": (datetime.now(UTC) - timedelta(hours=1)).isoformat(),
        "payment_reference": payment_reference,
    }


@pytest.fixture
def shop(start_server, db_url: str, localstripe: LocalStripe) -> Iterator[dict[str, Any]]:  # type: ignore[no-untyped-def]
    """The live server on Stripe (localstripe), its webhook registered, an order paid by card."""
    localstripe.reset()
    stripe_env = {
        f"VENTANILLA_{name.upper()}": (
            value.get_secret_value() if hasattr(value, "get_secret_value") else str(value)
        )
        for name, value in localstripe.settings().items()
    }
    server = start_server(**stripe_env)
    localstripe.register_webhook(server.url + "/api/v1/stripe/webhook")
    with Session(engine_for(db_url)) as session:
        key = apikeys_service.create_key(session, name="e2e").key
        session.commit()
    intent = localstripe.paid_intent(6495, "eur")
    headers = {"Authorization": f"Bearer {key}"}
    with httpx.Client(base_url=server.url + "/api/v1", headers=headers, timeout=10) as api:
        for sku, (name, price, stock) in PRODUCTS.items():
            product = {
                "name": name,
                "price_minor": price,
                "currency": "EUR",
                "tax_rate": "21",  # an added product is taxed at its own rate
                "stock_on_hand": stock,
            }
            assert api.put(f"/products/{sku}", json=product).status_code == 201
        assert api.put(f"/orders/{NUMBER}", json=order_body(intent)).status_code == 201
        link = api.post(f"/orders/{NUMBER}/links").json()["url"]
    try:
        yield {"url": server.url, "link": link, "intent": intent, "api": headers}
    finally:
        localstripe.unregister_webhook()


def open_order(page: Page, shop: dict[str, Any]) -> None:
    page.goto(shop["link"])
    page.get_by_role("button", name="Continuar a tu pedido").click()
    expect(page).to_have_url(f"{shop['url']}/orders/{NUMBER}")


def order_row(db_url: str) -> Order:
    with Session(engine_for(db_url)) as session:
        return session.exec(select(Order).where(Order.number == NUMBER)).one()


def test_remove_an_item_and_see_the_refund(
    page: Page, shop: dict[str, Any], localstripe: LocalStripe, db_url: str
) -> None:
    open_order(page, shop)
    page.get_by_role("link", name="Cambiar artículos").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Cambiar los artículos")
    screenshot(page, "20-items-form-es")
    assert run_axe(page) == []
    page.get_by_label("Quitar Pelota de playa").check()
    # HTMX shows the new total as the form changes, before anything is recorded.
    expect(page.locator("#estimate")).to_contain_text("Nuevo total: 49,95")
    page.get_by_role("button", name="Ver el nuevo total").click()
    expect(page.locator("main")).to_contain_text("Te devolveremos 15,00 € a tu tarjeta.")
    screenshot(page, "21-items-preview-es")
    assert run_axe(page) == []
    page.get_by_role("button", name="Confirmar el cambio").click()
    expect(page).to_have_url(f"{shop['url']}/orders/{NUMBER}?changed=items")
    expect(page.locator("main")).to_contain_text("Tu pedido se ha actualizado")
    expect(page.locator("main")).to_contain_text("49,95")
    screenshot(page, "22-items-refunded-es")
    wait_for(lambda: len(localstripe.refunds(shop["intent"])) == 1, what="the refund")
    assert localstripe.refunds(shop["intent"])[0].amount == 1500
    assert order_row(db_url).total_minor == 4995


def test_add_an_item_and_pay_on_the_page(
    page: Page, shop: dict[str, Any], localstripe: LocalStripe, db_url: str
) -> None:
    open_order(page, shop)
    page.goto(f"{shop['url']}/orders/{NUMBER}/items")
    page.get_by_label("Producto", exact=True).select_option(label="Coche de bomberos · 20,00 €")
    page.get_by_role("button", name="Ver el nuevo total").click()
    expect(page.locator("main")).to_contain_text("Pagas 20,00 € ahora, con tarjeta.")
    page.get_by_role("button", name="Confirmar el cambio").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Pagar la diferencia")
    # localstripe's card element mounted by pay.js (Stripe.js loaded under the page's CSP).
    expect(page.locator("#card-element input").first).to_be_visible()
    page.locator("#card-element input[placeholder=number]").fill("4000002760003184")
    page.locator("#card-element input[placeholder=exp_month]").fill("12")
    page.locator("#card-element input[placeholder=exp_year]").fill("30")
    page.locator("#card-element input[placeholder=cvc]").fill("123")
    screenshot(page, "23-items-pay-es")
    with Session(engine_for(db_url)) as session:
        charge = session.exec(select(PaymentEntry).where(PaymentEntry.kind == "charge")).one()
    # The stand-in performs only the 3-D Secure step (see tests/stripe_server.py).
    localstripe.require_authentication(str(charge.provider_id))
    page.get_by_role("button", name="Pagar 20,00 €").click()
    page.get_by_role("button", name="Complete authentication").click()
    # Back on the change's page, which updates itself when Stripe's webhook has applied it.
    expect(page.locator("#change-state")).to_contain_text(
        "Hecho: tu pedido se ha actualizado", timeout=20_000
    )
    expect(page.locator("#change-state")).to_contain_text("Hemos recibido tu pago de 20,00")
    screenshot(page, "24-items-paid-es")
    stored = order_row(db_url)
    assert (stored.version, stored.total_minor) == (2, 6495 + 2000)


def test_cancel_the_whole_order_and_see_the_refund(
    page: Page, shop: dict[str, Any], localstripe: LocalStripe, db_url: str
) -> None:
    open_order(page, shop)
    page.get_by_role("link", name="Cancelar el pedido").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Cancelar el pedido {NUMBER}")
    expect(page.locator("main")).to_contain_text("Te devolvemos 64,95")
    page.get_by_label("¿Por qué lo cancelas? (opcional)").select_option("ordered_by_mistake")
    screenshot(page, "26-cancel-confirm-es")
    assert run_axe(page) == []
    page.get_by_role("button", name="Cancelar el pedido").click()
    expect(page).to_have_url(f"{shop['url']}/orders/{NUMBER}?changed=cancel")
    expect(page.locator("main")).to_contain_text("Tu pedido está cancelado")
    expect(page.locator("main")).to_contain_text("El pedido se canceló")
    screenshot(page, "27-cancelled-es")
    wait_for(lambda: len(localstripe.refunds(shop["intent"])) == 1, what="the refund")
    assert localstripe.refunds(shop["intent"])[0].amount == 6495
    assert order_row(db_url).status == "cancelled"


def test_after_the_packing_claim_the_page_says_why(page: Page, shop: dict[str, Any]) -> None:
    open_order(page, shop)
    claimed = httpx.post(
        f"{shop['url']}/api/v1/orders/{NUMBER}/packing", headers=shop["api"], timeout=10
    )
    assert claimed.status_code == 200
    page.goto(f"{shop['url']}/orders/{NUMBER}/items")
    expect(page.locator("main")).to_contain_text("El almacén ya ha empezado a preparar tu pedido")
    screenshot(page, "25-items-refused-es")
