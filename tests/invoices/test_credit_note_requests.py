"""Credit-note requests: what the shop is asked to credit, once per idempotency key."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from tests.factories import make_order
from tests.invoices.support import store_invoice
from ventanilla.core.actors import Actor
from ventanilla.invoices.credit_notes import CreditLine, RateAmount, request_credit_note
from ventanilla.invoices.exceptions import CreditNoteRequestConflict, CreditNoteRequestInvalid
from ventanilla.invoices.models import CreditNoteRequest, Invoice
from ventanilla.orders.models import Order
from ventanilla.outbox import service as outbox_service
from ventanilla.outbox.models import OutboxMessage

TRAIN = CreditLine(description="Tren de madera con 20 vías", quantity=1, sku="TREN-01", line_no=1)
TRAIN_AMOUNTS = [RateAmount(Decimal("21"), 4128, 867)]


@pytest.fixture
def order(session: Session) -> Order:
    order = make_order(session)
    outbox_service.create_endpoint(
        session, actor=Actor.store("tienda"), url="http://127.0.0.1:9/hooks", events=[]
    )
    session.commit()
    return order


@pytest.fixture
def invoice(session: Session, order: Order) -> Invoice:
    return store_invoice(session, order, "F2026-0001", series="F2026")  # full, total 115,50


def ask(session: Session, order: Order, invoice: Invoice, **overrides: Any) -> Any:
    values: dict[str, Any] = {
        "order": order,
        "invoice": invoice,
        "lines": [TRAIN],
        "amounts_by_rate": TRAIN_AMOUNTS,
        "reason": "order_amended",
        "refund_ids": ["refund:change:42"],
        "idempotency_key": "refund:change:42",
    }
    values.update(overrides)
    return request_credit_note(session, **values)


def webhooks(session: Session) -> list[dict[str, Any]]:
    return [m.payload for m in session.exec(select(OutboxMessage)).all()]


def counts(engine: Engine) -> tuple[int, int]:
    with engine.connect() as conn:
        return tuple(  # type: ignore[return-value]
            conn.execute(text(f"SELECT count(*) FROM {t}")).scalar_one()
            for t in ("credit_note_requests", "outbox_messages")
        )


class TestRequestCreditNote:
    def test_the_request_is_stored_and_sent_as_credit_note_requested(
        self, session: Session, order: Order, invoice: Invoice
    ) -> None:
        result = ask(session, order, invoice)
        session.commit()
        assert result.created
        request = result.request
        assert (request.suggested_type, request.status, request.total_minor) == (
            "R1",
            "requested",
            4995,
        )
        (message,) = webhooks(session)
        assert message["type"] == "credit_note.requested"
        data = message["data"]
        assert data == {
            "request_id": request.id,
            "idempotency_key": "refund:change:42",
            "order_number": order.number,
            "invoice": {
                "number": "F2026-0001",
                "series": "F2026",
                "issue_date": "2026-11-20",
                "simplified": False,
                "total_minor": 11550,
            },
            "suggested_type": "R1",
            "reason": "order_amended",
            "currency": "EUR",
            "lines": [
                {
                    "description": "Tren de madera con 20 vías",
                    "quantity": 1,
                    "sku": "TREN-01",
                    "line_no": 1,
                }
            ],
            "amounts_by_rate": [
                {"rate": "21.00", "base_minor": 4128, "tax_minor": 867, "total_minor": 4995}
            ],
            "totals": {"net_minor": 4128, "tax_minor": 867, "total_minor": 4995},
            "refund_ids": ["refund:change:42"],
            "requested_at": data["requested_at"],
        }

    def test_the_same_key_and_content_again_is_the_same_request_and_no_second_webhook(
        self, session: Session, engine: Engine, order: Order, invoice: Invoice
    ) -> None:
        first = ask(session, order, invoice)
        session.commit()
        before = counts(engine)
        # A retried refund: the rate spelled differently is the same content.
        again = ask(
            session, order, invoice, amounts_by_rate=[RateAmount(Decimal("21.00"), 4128, 867)]
        )
        session.commit()
        assert not again.created and again.request.id == first.request.id
        assert counts(engine) == before

    def test_the_same_key_with_other_content_is_a_conflict(
        self, session: Session, engine: Engine, order: Order, invoice: Invoice
    ) -> None:
        ask(session, order, invoice)
        session.commit()
        before = counts(engine)
        with pytest.raises(CreditNoteRequestConflict):
            ask(session, order, invoice, amounts_by_rate=[RateAmount(Decimal("21"), 100, 21)])
        session.rollback()
        assert counts(engine) == before

    def test_the_database_keeps_one_request_per_key(
        self, session: Session, order: Order, invoice: Invoice
    ) -> None:
        request = ask(session, order, invoice).request
        session.commit()
        session.add(CreditNoteRequest(**request.model_dump(exclude={"id"})))
        with pytest.raises(IntegrityError):
            session.flush()
        session.rollback()

    def test_a_simplified_invoice_gets_r5(self, session: Session, order: Order) -> None:
        simplified = store_invoice(session, order, "S-1", simplified=True, series=None)
        result = ask(session, order, simplified, idempotency_key="k-s1")
        assert result.request.suggested_type == "R5"

    def test_an_unmarked_invoice_without_a_buyer_tax_id_gets_r5(
        self, session: Session, order: Order
    ) -> None:
        buyer = {"name": "Begoña Ibáñez"}
        unmarked = store_invoice(session, order, "T-1", simplified=None, buyer=buyer)
        assert ask(session, order, unmarked, idempotency_key="k-t1").request.suggested_type == "R5"

    def test_a_price_reduction_needs_no_lines_and_may_span_rates(
        self, session: Session, order: Order, invoice: Invoice
    ) -> None:
        amounts = [RateAmount(Decimal("21"), 826, 173), RateAmount(Decimal("4"), 150, 6)]
        result = ask(
            session, order, invoice, lines=[], amounts_by_rate=amounts, reason="price_reduction"
        )
        assert result.request.total_minor == 826 + 173 + 150 + 6
        assert [row["rate"] for row in result.request.amounts_by_rate] == ["21.00", "4.00"]

    def test_pending_requests_count_against_what_is_left_to_credit(
        self, session: Session, order: Order, invoice: Invoice
    ) -> None:
        ask(session, order, invoice, amounts_by_rate=[RateAmount(Decimal("21"), 8256, 1734)])
        ask(
            session,
            order,
            invoice,
            idempotency_key="k-2",
            amounts_by_rate=[RateAmount(Decimal("4"), 1500, 60)],
        )  # 9990 + 1560 = the whole 11550
        with pytest.raises(CreditNoteRequestInvalid) as refused:
            ask(
                session,
                order,
                invoice,
                idempotency_key="k-3",
                amounts_by_rate=[RateAmount(Decimal("21"), 1, 0)],
            )
        assert "Only 0 of invoice F2026-0001 is left" in refused.value.message

    @pytest.mark.parametrize(
        ("overrides", "fragment"),
        [
            ({"amounts_by_rate": []}, "at least one rate"),
            (
                {
                    "amounts_by_rate": [
                        RateAmount(Decimal("21"), 1, 0),
                        RateAmount(Decimal("21.0"), 1, 0),
                    ]
                },
                "each rate once",
            ),
            ({"amounts_by_rate": [RateAmount(Decimal("21"), -5, 0)]}, "never negative"),
            ({"amounts_by_rate": [RateAmount(Decimal("21"), 0, 0)]}, "more than nothing"),
            ({"lines": [CreditLine("Tren", 0)]}, "at least 1"),
            ({"reason": "because"}, "Unknown reason"),
            ({"amounts_by_rate": [RateAmount(Decimal("21"), 20000, 0)]}, "left to credit"),
        ],
    )
    def test_a_request_that_breaks_a_rule_is_refused_and_nothing_is_written(
        self,
        session: Session,
        engine: Engine,
        order: Order,
        invoice: Invoice,
        overrides: dict[str, Any],
        fragment: str,
    ) -> None:
        before = counts(engine)
        with pytest.raises(CreditNoteRequestInvalid) as refused:
            ask(session, order, invoice, **overrides)
        session.rollback()
        assert fragment in refused.value.message
        assert counts(engine) == before

    def test_an_invoice_of_another_order_or_a_credit_note_is_refused(
        self, session: Session, order: Order, invoice: Invoice
    ) -> None:
        other = make_order(session)
        with pytest.raises(CreditNoteRequestInvalid):
            ask(session, other, invoice)
        credit = store_invoice(
            session,
            order,
            "R-1",
            kind="credit_note",
            corrects_number=invoice.number,
            simplified=None,
            lines=[
                {
                    "description": "Tren",
                    "quantity": 1,
                    "unit_price_minor": 121,
                    "tax_rate": "21",
                    "net_minor": 100,
                    "tax_minor": 21,
                    "total_minor": 121,
                }
            ],
            tax_breakdown=[{"rate": "21", "base_minor": 100, "tax_minor": 21}],
            totals={"net_minor": 100, "tax_minor": 21, "total_minor": 121},
        )
        with pytest.raises(CreditNoteRequestInvalid):
            ask(session, order, credit, idempotency_key="k-cn")
