"""The shopper's JSON API for returns and withdrawals (session cookie), same services as pages."""

from __future__ import annotations

from datetime import UTC

from fastapi.testclient import TestClient
from sqlmodel import Session

from tests.access.helpers import login
from tests.returns.support import cases, delivered_order, madrid
from ventanilla.core import clock

NOW = madrid(2026, 3, 9).astimezone(UTC)


def test_options_then_withdraw_twice_gives_one_case(client: TestClient, session: Session) -> None:
    order = delivered_order(session, delivered=[madrid(2026, 3, 3), madrid(2026, 3, 7)])
    login(client, order.customer_id)
    base = f"/api/v1/me/orders/{order.number}"
    body = {"lines": [{"line_no": 1, "quantity": 1}], "name": "Lucía", "email": "l@example.com"}
    with clock.frozen(NOW):
        opts = client.get(f"{base}/returns/options", params={"kind": "withdrawal"}).json()
        assert opts["ok"] and opts["deadline"].startswith("2026-03-21T22:59:59")
        first = client.post(f"{base}/withdrawal", json=body)
        second = client.post(f"{base}/withdrawal", json=body)
        read = client.get(f"{base}/returns/{first.json()['rma']}")
    assert (first.status_code, second.status_code) == (201, 200)
    assert second.json()["rma"] == first.json()["rma"] and read.status_code == 200
    assert len(cases(order)) == 1


def test_refusals_and_bad_input_explain_themselves(client: TestClient, session: Session) -> None:
    order = delivered_order(session, delivered=[madrid(2026, 3, 7)])
    login(client, order.customer_id)
    client.cookies.set("lang", "es")
    base = f"/api/v1/me/orders/{order.number}"
    with clock.frozen(madrid(2026, 4, 30).astimezone(UTC)):
        late = client.post(
            f"{base}/withdrawal",
            json={"lines": [{"line_no": 1, "quantity": 1}], "name": "L", "email": "l@e.es"},
        )
        broken = client.post(
            f"{base}/returns", json={"lines": [{"line_no": 1, "quantity": 1}], "reason": "broken"}
        )
        bad = client.post(
            f"{base}/returns",
            json={"lines": [{"line_no": 1, "quantity": "1"}], "reason": "wrong_size"},
        )
        over = client.post(
            f"{base}/returns",
            json={"lines": [{"line_no": 1, "quantity": 9}], "reason": "wrong_size"},
        )
    assert late.status_code == 409 and late.json()["code"] == "withdrawal_window_closed"
    assert broken.status_code == 409 and broken.json()["code"] == "use_claim"
    assert bad.status_code == 422
    # 30 days from 7 March: the commercial window is over too.
    assert over.status_code == 422 and over.json()["code"] == "return_invalid"
    assert cases(order) == []


def test_someone_elses_order_is_404(client: TestClient, session: Session) -> None:
    order = delivered_order(session, delivered=[madrid(2026, 3, 7)])
    other = delivered_order(session, delivered=[madrid(2026, 3, 7)])
    login(client, other.customer_id)
    response = client.get(f"/api/v1/me/orders/{order.number}/returns/options")
    assert response.status_code == 404
