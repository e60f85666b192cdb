"""The shopper's withdrawal and return pages without JavaScript, in English and Spanish."""

from __future__ import annotations

from datetime import UTC

from fastapi.testclient import TestClient
from sqlmodel import Session

from tests.access.helpers import login, post_form
from tests.returns.support import cases, delivered_order, madrid, outbox
from ventanilla.core import clock
from ventanilla.orders.models import Order

NOW = madrid(2026, 3, 9, 10, 15).astimezone(UTC)


def base(order: Order) -> str:
    return f"/orders/{order.number}"


class TestWithdrawalPages:
    def test_the_order_page_offers_the_labelled_entry(
        self, client: TestClient, session: Session
    ) -> None:
        order = delivered_order(session, delivered=[madrid(2026, 3, 7)])
        login(client, order.customer_id)
        client.cookies.set("lang", "es")
        with clock.frozen(NOW):
            page = client.get(base(order))
        assert "Desistir del contrato aquí" in page.text
        assert f'href="{base(order)}/withdrawal"' in page.text

    def test_form_then_a_separate_confirm_step_then_the_case(
        self, client: TestClient, session: Session
    ) -> None:
        order = delivered_order(session, delivered=[madrid(2026, 3, 7)])
        login(client, order.customer_id)
        client.cookies.set("lang", "en")
        with clock.frozen(NOW):
            form = client.get(f"{base(order)}/withdrawal")
            assert form.status_code == 200
            assert "March 21, 2026, 11:59:59" in form.text  # the deadline, shop time
            fields = {"qty_1": "1", "qty_2": "0", "name": "Lucía", "email": "l@example.com"}
            review = post_form(client, f"{base(order)}/withdrawal/review", fields)
            assert review.status_code == 200
            assert "Confirm withdrawal" in review.text
            assert cases(order) == []  # nothing recorded before the confirm step
            done = post_form(client, f"{base(order)}/withdrawal/confirm", fields)
            assert done.status_code == 303
            [case] = cases(order)
            assert done.headers["location"] == f"{base(order)}/returns/{case.rma}"
            shown = client.get(done.headers["location"])
            assert case.rma in shown.text and "30.00" in shown.text.replace(",", ".")
            again = post_form(client, f"{base(order)}/withdrawal/confirm", fields)
            assert again.headers["location"] == done.headers["location"]
            assert (
                client.get(f"{base(order)}/withdrawal", follow_redirects=False).status_code == 303
            )
        assert len(cases(order)) == 1
        [email] = [
            m
            for m in outbox("email")
            if order.number in m.payload["subject"] and m.payload["to"] == "l@example.com"
        ]
        assert "09/03/2026 10:15:00" in email.payload["text"] and case.rma in email.payload["text"]

    def test_bad_input_shows_the_form_again_and_records_nothing(
        self, client: TestClient, session: Session
    ) -> None:
        order = delivered_order(session, delivered=[madrid(2026, 3, 7)])
        login(client, order.customer_id)
        client.cookies.set("lang", "en")
        with clock.frozen(NOW):
            for fields in (
                {"qty_1": "x", "name": "L", "email": "l@example.com"},
                {"qty_1": "5", "name": "L", "email": "l@example.com"},
                {"qty_1": "0", "name": "L", "email": "l@example.com"},
                {"qty_1": "1", "name": "", "email": "nope"},
                {"qty_99": "1", "name": "L", "email": "l@example.com"},
            ):
                response = post_form(client, f"{base(order)}/withdrawal/review", fields)
                assert response.status_code == 422, fields
                assert "error-summary" in response.text
                confirm = post_form(client, f"{base(order)}/withdrawal/confirm", fields)
                assert confirm.status_code in (409, 422), fields
        assert cases(order) == []

    def test_after_the_window_the_page_says_until_when_and_what_to_do(
        self, client: TestClient, session: Session
    ) -> None:
        order = delivered_order(session, delivered=[madrid(2026, 3, 7)])
        login(client, order.customer_id)
        client.cookies.set("lang", "es")
        with clock.frozen(madrid(2026, 3, 22, 0, 0, 1).astimezone(UTC)):
            page = client.get(f"{base(order)}/withdrawal")
            fields = {"qty_1": "1", "name": "L", "email": "l@example.com"}
            refused = post_form(client, f"{base(order)}/withdrawal/confirm", fields)
        assert "21/03/2026" in page.text
        assert refused.status_code == 409 and "21/03/2026" in refused.text
        assert cases(order) == []

    def test_someone_elses_order_is_not_found(self, client: TestClient, session: Session) -> None:
        order = delivered_order(session, delivered=[madrid(2026, 3, 7)])
        other = delivered_order(session, delivered=[madrid(2026, 3, 7)])
        login(client, other.customer_id)
        assert client.get(f"{base(order)}/withdrawal").status_code == 404


class TestReturnPages:
    def test_a_return_shows_the_amount_before_and_the_rma_after(
        self, client: TestClient, session: Session
    ) -> None:
        order = delivered_order(session, delivered=[madrid(2026, 3, 7)], discount_minor=1000)
        login(client, order.customer_id)
        client.cookies.set("lang", "en")
        with clock.frozen(NOW):
            form = client.get(f"{base(order)}/returns/new")
            assert "Yes, until" in form.text
            fields = {"reason": "wrong_size", "qty_2": "1"}
            review = post_form(client, f"{base(order)}/returns/review", fields)
            assert review.status_code == 200 and "16.00" in review.text.replace(",", ".")
            done = post_form(client, f"{base(order)}/returns/confirm", fields)
            assert done.status_code == 303
            page = client.get(done.headers["location"])
        [case] = cases(order)
        assert case.refund_minor == 1600 and case.rma in page.text
        assert "How to send it back" in page.text

    def test_a_broken_item_goes_to_a_claim_not_a_return(
        self, client: TestClient, session: Session
    ) -> None:
        order = delivered_order(session, delivered=[madrid(2026, 3, 7)])
        login(client, order.customer_id)
        client.cookies.set("lang", "en")
        with clock.frozen(NOW):
            response = post_form(
                client, f"{base(order)}/returns/confirm", {"reason": "broken", "qty_1": "1"}
            )
        assert response.status_code == 409 and "legal guarantee" in response.text
        assert cases(order) == []
