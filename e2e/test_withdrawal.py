"""A shopper withdraws from a delivered order in Chromium (Spanish, no help from JavaScript):
the labelled entry, the short form, the separate confirm step, the acknowledgement read from
the real SMTP server; the other item returned under the policy (axe clean); the shop marks the
withdrawn goods received through the API and the refund is
made in localstripe."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from playwright.sync_api import Page, expect
from sqlmodel import Session

from e2e.conftest import run_axe, screenshot
from tests.servers import SMTPServer, wait_for
from tests.stripe_server import LocalStripe, localstripe_fixture  # noqa: F401
from ventanilla.apikeys import service as apikeys_service
from ventanilla.db import engine_for

pytestmark = pytest.mark.e2e

NUMBER = "ES-4001"
EMAIL = "lucia.garcia@example.com"


def order_body(intent: str, placed: datetime) -> dict[str, Any]:
    lines = [("TREN-01", "Tren de madera", 4995), ("PELOTA-02", "Pelota de playa", 1500)]
    subtotal = sum(price for _sku, _name, price in lines)
    return {
        "customer": {"email": EMAIL, "name": "Lucía García", "locale": "es"},
        "shipping_address": {
            "name": "Lucía García",
            "line1": "Calle Mayor 1",
            "postcode": "28013",
            "city": "Madrid",
            "country": "ES",
        },
        "lines": [
            {"sku": s, "name": n, "unit_price_minor": p, "quantity": 1, "tax_rate": "21"}
            for s, n, p in lines
        ],
        "totals": {
            "subtotal_minor": subtotal,
            "tax_minor": subtotal - round(subtotal / 1.21),
            "total_minor": subtotal,
        },
        "currency": "EUR",
        "status": "paid",
        "placed_at": placed.isoformat(),
        "payment_reference": intent,
    }


def test_withdraw_from_a_delivered_order_then_the_shop_refunds(  # type: ignore[no-untyped-def]
    page: Page, start_server, smtp: SMTPServer, localstripe: LocalStripe, db_url: str
) -> None:
    localstripe.reset()
    stripe_env = {
        f"VENTANILLA_{name.upper()}": (
            value.get_secret_value() if hasattr(value, "get_secret_value") else str(value)
        )
        for name, value in localstripe.settings().items()
    }
    server = start_server(
        VENTANILLA_SMTP_HOST=smtp.host, VENTANILLA_SMTP_PORT=str(smtp.port), **stripe_env
    )
    with Session(engine_for(db_url)) as session:
        key = apikeys_service.create_key(session, name="e2e").key
        session.commit()
    intent = localstripe.paid_intent(6495, "eur")
    now = datetime.now(UTC)
    headers = {"Authorization": f"Bearer {key}"}
    with httpx.Client(base_url=server.url + "/api/v1", headers=headers, timeout=10) as api:
        for sku, name, price in (("TREN-01", "Tren", 4995), ("PELOTA-02", "Pelota", 1500)):
            body = {"name": name, "price_minor": price, "currency": "EUR", "stock_on_hand": 5}
            assert api.put(f"/products/{sku}", json=body).status_code == 201
        placed = now - timedelta(days=4)
        assert api.put(f"/orders/{NUMBER}", json=order_body(intent, placed)).status_code == 201
        parcel = api.post(
            f"/orders/{NUMBER}/shipments",
            json={
                "carrier": "Correos",
                "tracking_number": "PK1",
                "shipped_at": (now - timedelta(days=3)).isoformat(),
            },
        )
        assert parcel.status_code == 201, parcel.text
        delivered_at = (now - timedelta(days=2)).isoformat()
        events = {"events": [{"occurred_at": delivered_at, "status": "delivered"}]}
        assert api.post(f"/shipments/{parcel.json()['id']}/events", json=events).is_success
        for status, days in (("shipped", 3), ("delivered", 2)):
            at = (now - timedelta(days=days)).isoformat()
            moved = api.post(f"/orders/{NUMBER}/status", json={"status": status, "at": at})
            assert moved.is_success, moved.text
        link = api.post(f"/orders/{NUMBER}/links").json()["url"]

    page.goto(link)
    page.get_by_role("button", name="Continuar a tu pedido").click()
    page.get_by_role("link", name="Desistir del contrato aquí").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Desistir del contrato aquí")
    assert run_axe(page) == []
    screenshot(page, "40-withdrawal-form-es")
    page.get_by_label("Cantidad de Pelota de playa que devuelves").fill("1")
    page.get_by_role("button", name="Continuar").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Confirmar desistimiento")
    expect(page.locator("main")).to_contain_text("15,00")
    assert run_axe(page) == []
    screenshot(page, "41-withdrawal-confirm-es")
    page.get_by_role("button", name="Confirmar desistimiento").click()
    expect(page.locator("main")).to_contain_text("Registrada: envía los artículos de vuelta")
    assert run_axe(page) == []
    screenshot(page, "42-withdrawal-case-es")
    rma = page.url.rsplit("/", 1)[1]

    wait_for(lambda: len(smtp.messages) >= 1, timeout=20, what="the acknowledgement")
    [ack] = [m for m in smtp.messages if rma in str(m["Subject"]) or NUMBER in str(m["Subject"])]
    assert ack["To"] == EMAIL
    text = ack.get_body(preferencelist=("plain",)).get_content()  # type: ignore[union-attr]
    assert rma in text and "Pelota de playa" in text and "Europe/Madrid" in text

    # The other item goes back as a commercial return under the shop's (default) policy.
    page.goto(f"{server.url}/orders/{NUMBER}/returns/new")
    expect(page.get_by_role("heading", level=1)).to_have_text("Devolver artículos")
    assert run_axe(page) == []
    page.get_by_label("Motivo").select_option("wrong_size")
    page.get_by_label("Cantidad de Tren de madera que devuelves").fill("1")
    page.get_by_role("button", name="Ver el resumen").click()
    expect(page.locator("main")).to_contain_text("49,95")
    assert run_axe(page) == []
    screenshot(page, "43-return-review-es")
    page.get_by_role("button", name="Confirmar devolución").click()
    expect(page.locator("main")).to_contain_text("Cómo enviarlo de vuelta")
    assert run_axe(page) == []

    received = httpx.post(
        f"{server.url}/api/v1/returns/{rma}/received", json={}, headers=headers, timeout=10
    )
    assert received.status_code == 200, received.text
    wait_for(lambda: len(localstripe.refunds(intent)) == 1, timeout=20, what="the refund")
    assert localstripe.refunds(intent)[0].amount == 1500
