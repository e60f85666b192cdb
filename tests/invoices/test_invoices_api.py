"""Invoices and credit notes: validated, stored once, never changed."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlmodel import Session

from tests.factories import make_order
from ventanilla.apikeys import service as apikeys_service
from ventanilla.orders.models import Order

TABLES = ("invoices", "activity")


def snapshot(engine: Engine) -> dict[str, Any]:
    with engine.connect() as conn:
        state: dict[str, Any] = {
            t: conn.execute(text(f"SELECT count(*) FROM {t}")).scalar_one() for t in TABLES
        }
        state["rows"] = [
            tuple(row)
            for row in conn.execute(
                text("SELECT number, content_hash, total_minor FROM invoices ORDER BY id")
            ).all()
        ]
    return state


def invoice_body(
    order_number: str,
    *,
    lines: tuple[tuple[int, int], ...] = ((4128, 867), (826, 174)),
    rate: Any = "21",
    **overrides: Any,
) -> dict[str, Any]:
    """A consistent invoice: (net, tax) per line, all at one rate."""
    net = sum(n for n, _ in lines)
    tax = sum(t for _, t in lines)
    body: dict[str, Any] = {
        "order_number": order_number,
        "kind": "invoice",
        "issue_date": "2026-11-20",
        "currency": "EUR",
        "seller": {"name": "Juguetería La Peonza S.L.", "tax_id": "B12345678"},
        "buyer": {"name": "Lucía García", "address": "Calle Mayor 3\n28013 Madrid"},
        "lines": [
            {
                "description": f"Artículo {i}",
                "quantity": 1,
                "unit_price_minor": n + t,
                "tax_rate": rate,
                "net_minor": n,
                "tax_minor": t,
                "total_minor": n + t,
            }
            for i, (n, t) in enumerate(lines, start=1)
        ],
        "tax_breakdown": [{"rate": rate, "base_minor": net, "tax_minor": tax}],
        "totals": {"net_minor": net, "tax_minor": tax, "total_minor": net + tax},
    }
    body.update(overrides)
    return body


def credit_note(order_number: str, corrects: str | None, net: int, tax: int) -> dict[str, Any]:
    return invoice_body(
        order_number, lines=((net, tax),), kind="credit_note", corrects_number=corrects
    )


@pytest.fixture
def order(session: Session) -> Order:
    order = make_order(session)
    session.commit()
    return order


class TestPutInvoice:
    def test_a_new_invoice_is_stored_and_can_be_read_back(
        self, store: TestClient, order: Order, engine: Engine
    ) -> None:
        body = invoice_body(order.number)
        response = store.put("/api/v1/invoices/F-2026-1", json=body)
        assert response.status_code == 201, response.text
        stored = response.json()
        assert stored["number"] == "F-2026-1"
        assert stored["order_number"] == order.number
        assert stored["lines"][0]["tax_rate"] == "21.00"
        assert stored["tax_breakdown"] == [{"rate": "21.00", "base_minor": 4954, "tax_minor": 1041}]
        assert stored["totals"] == {"net_minor": 4954, "tax_minor": 1041, "total_minor": 5995}
        assert stored["buyer"] == {
            "name": "Lucía García",
            "tax_id": None,
            "address": "Calle Mayor 3\n28013 Madrid",
        }
        assert store.get("/api/v1/invoices/F-2026-1").json() == stored
        with engine.connect() as conn:
            activity = conn.execute(text("SELECT kind, actor_type, order_id FROM activity")).all()
        assert [tuple(a) for a in activity] == [("invoice.issued", "store", order.id)]

    @pytest.mark.parametrize("rate", ["21", 21, "21.00", 21.0])
    def test_the_same_content_again_is_unchanged(
        self, store: TestClient, order: Order, engine: Engine, rate: Any
    ) -> None:
        store.put("/api/v1/invoices/F-1", json=invoice_body(order.number))
        before = snapshot(engine)
        again = store.put("/api/v1/invoices/F-1", json=invoice_body(order.number, rate=rate))
        assert again.status_code == 200, again.text
        assert again.json()["number"] == "F-1"
        assert snapshot(engine) == before

    @pytest.mark.parametrize(
        "change",
        [
            lambda b: b["buyer"].update(name="Otra Persona"),
            lambda b: b.update(issue_date="2026-11-21"),
            lambda b: b["lines"][0].update(description="Otra cosa"),
        ],
    )
    def test_other_content_for_a_stored_number_is_refused(
        self,
        store: TestClient,
        order: Order,
        engine: Engine,
        change: Callable[[dict[str, Any]], None],
    ) -> None:
        body = invoice_body(order.number)
        store.put("/api/v1/invoices/F-1", json=body)
        before = snapshot(engine)
        changed = copy.deepcopy(body)
        change(changed)
        response = store.put("/api/v1/invoices/F-1", json=changed)
        assert response.status_code == 409
        assert response.json()["code"] == "invoice_immutable"
        assert "credit note" in response.json()["detail"]
        assert snapshot(engine) == before
        assert store.get("/api/v1/invoices/F-1").json()["buyer"]["name"] == "Lucía García"

    @pytest.mark.parametrize(
        ("change", "loc"),
        [
            (lambda b: b.update(order_number="NOPE-1"), ["body", "order_number"]),
            (lambda b: b.update(currency="USD"), ["body", "currency"]),
            (lambda b: b["lines"][0].update(total_minor=1), ["body", "lines", 0, "total_minor"]),
            (lambda b: b["totals"].update(total_minor=1), ["body", "totals", "total_minor"]),
            (
                lambda b: b["totals"].update(net_minor=1, total_minor=1 + 1041),
                ["body", "totals", "net_minor"],
            ),
            (
                lambda b: b["tax_breakdown"][0].update(tax_minor=1),
                ["body", "totals", "tax_minor"],
            ),
            (
                lambda b: b["tax_breakdown"][0].update(base_minor=1),
                ["body", "tax_breakdown", 0, "base_minor"],
            ),
            (lambda b: b["lines"][1].update(tax_rate="10"), ["body", "lines", 1, "tax_rate"]),
            (
                lambda b: b["tax_breakdown"].append(dict(b["tax_breakdown"][0])),
                ["body", "tax_breakdown", 1, "rate"],
            ),
            (lambda b: b.update(corrects_number="F-0"), ["body", "corrects_number"]),
            (lambda b: b.update(kind="credit_note"), ["body", "corrects_number"]),
            (lambda b: b.update(kind="proforma"), ["body", "kind"]),
            (lambda b: b.update(surprise=True), ["body", "surprise"]),
            (lambda b: b["seller"].pop("tax_id"), ["body", "seller", "tax_id"]),
            (lambda b: b["lines"][0].update(net_minor=-1), ["body", "lines", 0, "net_minor"]),
            (lambda b: b["lines"][0].update(tax_rate="21.005"), ["body", "lines", 0, "tax_rate"]),
            (lambda b: b["lines"][0].update(tax_rate="NaN"), ["body", "lines", 0, "tax_rate"]),
            (lambda b: b["lines"][0].update(tax_rate=101), ["body", "lines", 0, "tax_rate"]),
            (lambda b: b["lines"][0].update(quantity=0), ["body", "lines", 0, "quantity"]),
            (lambda b: b["totals"].update(total_minor=10**15), ["body", "totals", "total_minor"]),
            (lambda b: b.update(lines=[]), ["body", "lines"]),
            (lambda b: b.update(issue_date="20-11-2026"), ["body", "issue_date"]),
            (lambda b: b.update(issue_date="1900-01-01"), ["body", "issue_date"]),
            (lambda b: b.update(currency="eur"), ["body", "currency"]),
            (lambda b: b["buyer"].update(name="Lu\x00cía"), ["body", "buyer", "name"]),
        ],
    )
    def test_invalid_invoices_get_field_errors_and_change_nothing(
        self,
        store: TestClient,
        order: Order,
        engine: Engine,
        change: Callable[[dict[str, Any]], None],
        loc: list[Any],
    ) -> None:
        body = invoice_body(order.number)
        change(body)
        before = snapshot(engine)
        response = store.put("/api/v1/invoices/F-9", json=body)
        assert response.status_code == 422, response.text
        assert response.json()["code"] == "validation_error"
        assert loc in [e["loc"] for e in response.json()["detail"]], response.json()
        assert snapshot(engine) == before

    def test_several_rates_add_up_per_rate(self, store: TestClient, order: Order) -> None:
        body = invoice_body(order.number)
        body["lines"][1].update(tax_rate="10", net_minor=909, tax_minor=91, total_minor=1000)
        body["tax_breakdown"] = [
            {"rate": "21", "base_minor": 4128, "tax_minor": 867},
            {"rate": 10, "base_minor": 909, "tax_minor": 91},
        ]
        body["totals"] = {"net_minor": 5037, "tax_minor": 958, "total_minor": 5995}
        response = store.put("/api/v1/invoices/F-2", json=body)
        assert response.status_code == 201, response.text
        assert [r["rate"] for r in response.json()["tax_breakdown"]] == ["21.00", "10.00"]

    def test_unknown_invoice_is_404(self, store: TestClient) -> None:
        response = store.get("/api/v1/invoices/F-404")
        assert response.status_code == 404
        assert response.json()["code"] == "invoice_not_found"


class TestCreditNotes:
    def test_credit_notes_correct_an_invoice_up_to_its_total(
        self, store: TestClient, order: Order, engine: Engine
    ) -> None:
        assert store.put("/api/v1/invoices/F-1", json=invoice_body(order.number)).status_code == 201
        first = store.put("/api/v1/invoices/R-1", json=credit_note(order.number, "F-1", 826, 174))
        assert first.status_code == 201, first.text
        assert first.json()["kind"] == "credit_note"
        assert first.json()["corrects_number"] == "F-1"

        before = snapshot(engine)
        too_much = store.put(
            "/api/v1/invoices/R-2", json=credit_note(order.number, "F-1", 4129, 867)
        )
        assert too_much.status_code == 422
        error = too_much.json()["detail"][0]
        assert error["loc"] == ["body", "totals", "total_minor"]
        assert "Only 4995" in error["msg"]
        assert snapshot(engine) == before

        rest = store.put("/api/v1/invoices/R-2", json=credit_note(order.number, "F-1", 4128, 867))
        assert rest.status_code == 201
        with engine.connect() as conn:
            kinds = conn.execute(text("SELECT kind FROM activity ORDER BY id")).scalars().all()
        assert kinds == ["invoice.issued"] * 3

    def test_a_credit_note_must_correct_an_invoice_of_the_same_order(
        self, store: TestClient, order: Order, session: Session, engine: Engine
    ) -> None:
        other = make_order(session)
        session.commit()
        store.put("/api/v1/invoices/F-1", json=invoice_body(order.number))
        store.put("/api/v1/invoices/R-1", json=credit_note(order.number, "F-1", 826, 174))
        before = snapshot(engine)
        for corrects, expected in [
            (None, "must name"),
            ("F-404", "no invoice"),
            ("R-1", "not another credit note"),
        ]:
            response = store.put(
                "/api/v1/invoices/R-2", json=credit_note(order.number, corrects, 10, 2)
            )
            assert response.status_code == 422
            assert response.json()["detail"][0]["loc"] == ["body", "corrects_number"]
            assert expected in response.json()["detail"][0]["msg"]
        elsewhere = store.put("/api/v1/invoices/R-2", json=credit_note(other.number, "F-1", 10, 2))
        assert elsewhere.status_code == 422
        assert "another order" in elsewhere.json()["detail"][0]["msg"]
        assert snapshot(engine) == before


class TestInvoicesAccess:
    def test_a_key_without_the_scope_gets_403(
        self, client: TestClient, order: Order, session: Session, engine: Engine
    ) -> None:
        key = apikeys_service.create_key(session, name="Envíos", scopes=["shipments:write"])
        session.commit()
        client.headers["Authorization"] = f"Bearer {key.key}"
        before = snapshot(engine)
        put = client.put("/api/v1/invoices/F-1", json=invoice_body(order.number))
        get = client.get("/api/v1/invoices/F-1")
        assert (put.status_code, get.status_code) == (403, 403)
        assert snapshot(engine) == before

    @pytest.mark.parametrize("header", [None, "Bearer vk_not-a-key", "Bearer "])
    def test_a_bad_key_gets_401(
        self, client: TestClient, order: Order, engine: Engine, header: str | None
    ) -> None:
        headers = {"Authorization": header} if header else {}
        before = snapshot(engine)
        put = client.put("/api/v1/invoices/F-1", json=invoice_body(order.number), headers=headers)
        get = client.get("/api/v1/invoices/F-1", headers=headers)
        assert (put.status_code, get.status_code) == (401, 401)
        assert snapshot(engine) == before
