"""The tester's findings on the returns pages: money promises, a second withdrawal, Spanish
texts, the note limit, a fault reason at review, and delivered-order wording."""

from __future__ import annotations

from datetime import UTC

from fastapi.testclient import TestClient
from sqlmodel import Session

from tests.access.helpers import login, post_form
from tests.returns.support import cases, delivered_order, madrid
from ventanilla.core import clock
from ventanilla.orders.models import Order
from ventanilla.returns.emails import return_update

NOW = madrid(2026, 3, 9, 10, 15).astimezone(UTC)


def base(order: Order) -> str:
    return f"/orders/{order.number}"


def test_without_stripe_the_review_does_not_promise_the_card(
    client: TestClient, session: Session
) -> None:
    order = delivered_order(session, delivered=[madrid(2026, 3, 7)], payment_reference="pi_x1")
    login(client, order.customer_id)
    client.cookies.set("lang", "en")
    with clock.frozen(NOW):
        review = post_form(
            client, f"{base(order)}/returns/review", {"reason": "wrong_size", "qty_2": "1"}
        )
        fields = {"qty_1": "1", "name": "Lucía", "email": "l@example.com"}
        withdrawal = post_form(client, f"{base(order)}/withdrawal/review", fields)
    for page in (review, withdrawal):
        assert page.status_code == 200
        assert "to the card you paid with" not in page.text
        assert "the shop will contact you to refund" in page.text


def test_a_zero_refund_after_inspection_is_not_a_refund_in_progress() -> None:
    email = return_update(
        "en",
        name="Ana",
        rma="R-ZERO",
        status="received",
        amount_minor=0,
        currency="EUR",
        reason=None,
        url="/orders/X/returns/R-ZERO",
        settlement="none",
    )
    assert "refunding" not in email.text and "nothing to refund" in email.text
    by_hand = return_update(
        "es",
        name="Ana",
        rma="R-HAND",
        status="received",
        amount_minor=1500,
        currency="EUR",
        reason=None,
        url="/orders/X/returns/R-HAND",
        settlement="shop_to_settle",
    )
    assert "la tienda se pondrá en contacto contigo" in by_hand.text


def test_a_second_withdrawal_with_other_items_is_refused_and_names_the_first(
    client: TestClient, session: Session
) -> None:
    order = delivered_order(session, delivered=[madrid(2026, 3, 7)])
    login(client, order.customer_id)
    client.cookies.set("lang", "es")
    first = {"qty_1": "1", "name": "Lucía", "email": "l@example.com"}
    other = {"qty_2": "1", "name": "Lucía", "email": "l@example.com"}
    with clock.frozen(NOW):
        done = post_form(client, f"{base(order)}/withdrawal/confirm", first)
        assert done.status_code == 303
        [case] = cases(order)
        review = post_form(client, f"{base(order)}/withdrawal/review", other)
        confirm = post_form(client, f"{base(order)}/withdrawal/confirm", other)
        same = post_form(client, f"{base(order)}/withdrawal/review", first)
        entry = client.get(f"{base(order)}/withdrawal", follow_redirects=False)
    for refused in (review, confirm):
        assert refused.status_code == 409
        assert "Ya desististe de este pedido" in refused.text and case.rma in refused.text
        assert "Confirmar desistimiento" not in refused.text
    assert same.status_code == 303 and same.headers["location"].endswith(case.rma)
    assert entry.status_code == 303 and entry.headers["location"].endswith(case.rma)
    assert len(cases(order)) == 1


def test_spanish_pages_and_json_say_errors_in_spanish(client: TestClient, session: Session) -> None:
    order = delivered_order(session, delivered=[madrid(2026, 3, 7)], quantities=(1, 3))
    login(client, order.customer_id)
    client.cookies.set("lang", "es")
    with clock.frozen(NOW):
        no_reason = post_form(client, f"{base(order)}/returns/confirm", {"qty_1": "1"})
        missing = client.get(f"{base(order)}/returns/R-NOPE2345")
        form = client.get(f"{base(order)}/returns/new")
        api = client.post(
            f"/api/v1/me/orders/{order.number}/returns",
            json={"lines": [{"line_no": 1, "quantity": 1}], "reason": "nope"},
        )
    assert no_reason.status_code == 422 and "Choose one of the reasons" not in no_reason.text
    assert "Elige un motivo" in no_reason.text
    assert (
        missing.status_code == 404 and "No hay ninguna devolución con este número" in missing.text
    )
    assert "comprados" not in form.text and "1 unidad pedida" in form.text
    assert "3 unidades pedidas" in form.text
    assert api.status_code == 422 and api.json()["code"] == "return_invalid"
    assert api.json()["reason"] == "Revisa los artículos y las cantidades."
    assert "Elige un motivo." in api.text


def test_the_page_form_keeps_the_same_note_limit_as_the_json_route(
    client: TestClient, session: Session
) -> None:
    order = delivered_order(session, delivered=[madrid(2026, 3, 7)])
    login(client, order.customer_id)
    client.cookies.set("lang", "en")
    fields = {"reason": "wrong_size", "qty_1": "1", "note": "x" * 5000}
    with clock.frozen(NOW):
        review = post_form(client, f"{base(order)}/returns/review", fields)
        confirm = post_form(client, f"{base(order)}/returns/confirm", fields)
        ok = post_form(client, f"{base(order)}/returns/review", {**fields, "note": "x" * 1000})
    for refused in (review, confirm):
        assert refused.status_code == 422 and "1000 characters" in refused.text
    assert ok.status_code == 200
    assert cases(order) == []


def test_a_fault_reason_is_refused_at_review_without_promising_a_claim(
    client: TestClient, session: Session
) -> None:
    order = delivered_order(session, delivered=[madrid(2026, 3, 7)])
    login(client, order.customer_id)
    for lang in ("en", "es"):
        client.cookies.set("lang", lang)
        with clock.frozen(NOW):
            review = post_form(
                client, f"{base(order)}/returns/review", {"reason": "broken", "qty_1": "1"}
            )
        assert review.status_code == 409
        text = review.text.lower()
        assert "claim" not in text and "reclamación" not in text
        assert ("contact the shop" if lang == "en" else "contacta con la tienda") in text


def test_a_delivered_order_does_not_say_after_delivery(
    client: TestClient, session: Session
) -> None:
    order = delivered_order(session, delivered=[madrid(2026, 3, 7)])
    login(client, order.customer_id)
    client.cookies.set("lang", "es")
    with clock.frozen(NOW):
        pages = [client.get(base(order)).text, client.get(f"{base(order)}/cancel").text]
    for html in pages:
        assert "después de la entrega" not in html and "Tras la entrega" not in html
    assert "ya se ha entregado" in pages[1]
