"""Cancelling a whole order before packing, on SQLite and PostgreSQL, against localstripe:
one refund of the full amount, a released authorisation, stock back, the shop and the shopper
told, one cancellation however many submits, and the packing claim refused afterwards."""

from __future__ import annotations

import pytest
from sqlmodel import Session, select

from tests.cancellations.support import cancel, hook_for_cancellations, ledger
from tests.changes.support import (
    actor_for,
    changes_of,
    customer_of,
    outbox_messages,
    reload_order,
    shop,
    stock_of,
)
from tests.changes.test_money_rules import amend
from tests.changes.test_races import request as request_items
from tests.invoices.support import store_invoice
from tests.stripe_server import LocalStripe
from ventanilla.activity.models import Activity
from ventanilla.cancellations import service
from ventanilla.changes.amounts import SetQuantity
from ventanilla.config import Settings
from ventanilla.core.actors import Actor
from ventanilla.db import session_scope
from ventanilla.invoices.models import CreditNoteRequest
from ventanilla.orders import service as orders_service
from ventanilla.orders.exceptions import (
    ChangeNotAllowed,
    OrderCancelled,
    OrderChanged,
    OrderNotFound,
)
from ventanilla.outbox import service as outbox_service

WAREHOUSE = Actor.store("Almacén")


def activity_kinds(order_id: int | None) -> list[str]:
    with session_scope(write=False) as s:
        rows = s.query(Activity).filter(Activity.order_id == order_id).all()  # type: ignore[attr-defined]
        return [row.kind for row in rows]


def hook_for_everything() -> None:
    with session_scope() as s:
        outbox_service.create_endpoint(
            s, actor=Actor.system(), url="http://127.0.0.1:9/hooks", events=[]
        )


class TestMoneyBack:
    def test_a_paid_order_is_refunded_in_full_once(
        self, session: Session, localstripe: LocalStripe, stripe_settings: Settings
    ) -> None:
        intent = localstripe.paid_intent(3630)
        order, products, _extras = shop(session, payment_reference=intent)
        hook_for_cancellations()
        before = [stock_of(p.sku) for p in products]

        result = cancel(order, reason="ordered_by_mistake")

        assert result.outcome == "cancelled"
        assert result.change.settlement == "refund"
        [entry] = ledger(order)
        assert (entry.kind, entry.amount_minor, entry.status) == ("refund", 3630, "succeeded")
        [refund] = localstripe.refunds(intent)
        assert refund.amount == 3630
        after, _lines = reload_order(order.number)
        assert after.status == "cancelled" and after.version == order.version + 1
        assert [stock_of(p.sku) for p in products] == [b + 1 for b in before]
        [hook] = outbox_messages("webhook")
        data = hook.payload["data"]
        assert hook.payload["type"] == "order.cancelled"
        assert (data["settlement"], data["refund_minor"], data["reason"]) == (
            "refund",
            3630,
            "ordered_by_mistake",
        )
        assert data["shop_must_settle"] is False
        [email] = outbox_messages("email")
        assert "cancelad" in email.payload["subject"].lower()  # the customer's language: es
        assert "36,30" in email.payload["text"].replace("\xa0", " ")
        assert "order.cancelled" in activity_kinds(order.id)

        # Submitting again changes nothing: no second refund, no second message.
        again = cancel(order, version=order.version)
        assert again.outcome == "unchanged"
        assert len(ledger(order)) == 1 and len(localstripe.refunds(intent)) == 1
        assert len(outbox_messages("webhook")) == 1
        assert len([c for c in changes_of(order) if c.kind == "cancel"]) == 1

    def test_after_an_amendment_refund_only_the_rest_goes_back(
        self, session: Session, localstripe: LocalStripe, stripe_settings: Settings
    ) -> None:
        intent = localstripe.paid_intent(3630)
        order, _products, _extras = shop(session, payment_reference=intent)
        amend(order, [SetQuantity(2, 0)])  # the 24,20 line goes: refunded
        amended, _lines = reload_order(order.number)
        result = cancel(amended)
        assert result.change.settlement == "refund"
        assert [(e.amount_minor, e.status) for e in ledger(order)] == [
            (2420, "succeeded"),
            (1210, "succeeded"),
        ]
        # Together exactly what was paid, never more.
        assert sorted(r.amount for r in localstripe.refunds(intent)) == [1210, 2420]

    def test_money_stripe_took_is_refunded_even_on_a_placed_order(
        self, session: Session, localstripe: LocalStripe, stripe_settings: Settings
    ) -> None:
        intent = localstripe.paid_intent(3630)
        order, _products, _extras = shop(session, payment_reference=intent, status="placed")
        assert cancel(order).change.settlement == "refund"
        assert [r.amount for r in localstripe.refunds(intent)] == [3630]

    def test_an_authorised_payment_is_released_not_refunded(
        self, session: Session, localstripe: LocalStripe, stripe_settings: Settings
    ) -> None:
        client = localstripe.client()
        intent = client.v1.payment_intents.create(
            params={
                "amount": 3630,
                "currency": "eur",
                "payment_method": "pm_card_visa",
                "confirm": True,
                "capture_method": "manual",
            }
        )
        assert intent.status == "requires_capture"
        order, _products, _extras = shop(session, payment_reference=intent.id, status="placed")
        result = cancel(order)
        assert result.change.settlement == "released"
        assert ledger(order) == [] and localstripe.refunds(intent.id) == []
        assert localstripe.intent(intent.id).status == "canceled"
        after, _lines = reload_order(order.number)
        assert after.amount_to_capture_minor == 0
        [email] = outbox_messages("email")
        assert "reembols" not in email.payload["text"].lower().replace("nada que reembolsar", "")
        assert "payment.authorisation_released" in activity_kinds(order.id)

    def test_an_unpaid_order_without_a_card_payment_moves_no_money(
        self, session: Session, settings: Settings
    ) -> None:
        order, products, _extras = shop(session, status="placed")
        before = stock_of(products[0].sku)
        result = cancel(order)
        assert (result.outcome, result.change.settlement) == ("cancelled", "none")
        assert ledger(order) == []
        assert stock_of(products[0].sku) == before + 1
        [email] = outbox_messages("email")
        assert "nada que reembolsar" in email.payload["text"]

    def test_paid_without_stripe_the_shop_refunds_by_hand(
        self, session: Session, settings: Settings
    ) -> None:
        order, _products, _extras = shop(session, status="paid")
        hook_for_cancellations()
        result = cancel(order)
        assert result.change.settlement == "shop_to_settle"
        [hook] = outbox_messages("webhook")
        data = hook.payload["data"]
        assert (data["shop_must_settle"], data["settle_minor"]) == (True, -order.total_minor)

    def test_an_open_item_change_is_withdrawn_and_its_stock_given_back(
        self, session: Session, settings: Settings
    ) -> None:
        order, products, _extras = shop(session, status="placed")
        request_items(order, [SetQuantity(1, 3)])  # holds 2 more units
        held = stock_of(products[0].sku)
        cancel(order)
        # The held units and the ordered one are all back.
        assert stock_of(products[0].sku) == held + 2 + 1
        assert [c.status for c in changes_of(order)] == ["canceled", "confirmed"]


class TestCreditNotes:
    def test_an_issued_invoice_gets_a_credit_note_request_for_all_of_it(
        self, session: Session, localstripe: LocalStripe, stripe_settings: Settings
    ) -> None:
        intent = localstripe.paid_intent(3630)
        order, _products, _extras = shop(session, payment_reference=intent)
        invoice = store_invoice(session, order, "F2026-0099", series="F2026")
        hook_for_everything()
        cancel(order)
        with session_scope(write=False) as s:
            [request] = s.exec(select(CreditNoteRequest)).all()
        assert (request.invoice_id, request.reason) == (invoice.id, "order_cancelled")
        assert request.total_minor == invoice.total_minor
        assert request.refund_ids == [ledger(order)[0].idempotency_key]
        types = [m.payload["type"] for m in outbox_messages("webhook")]
        assert sorted(types) == ["credit_note.requested", "order.cancelled"]
        [cancelled] = [
            m.payload["data"]
            for m in outbox_messages("webhook")
            if m.payload["type"] == "order.cancelled"
        ]
        assert cancelled["credit_notes_requested_for"] == ["F2026-0099"]

    def test_without_an_invoice_nothing_is_asked(
        self, session: Session, settings: Settings
    ) -> None:
        order, _products, _extras = shop(session)
        cancel(order)
        with session_scope(write=False) as s:
            assert s.exec(select(CreditNoteRequest)).all() == []


class TestRefusals:
    def test_after_the_packing_claim_it_is_refused_and_nothing_changes(
        self, session: Session, settings: Settings, without_after_sales: None
    ) -> None:
        order, _products, _extras = shop(session)
        with session_scope() as s:
            orders_service.claim_for_packing(s, actor=WAREHOUSE, number=order.number)
        claimed, _lines = reload_order(order.number)
        with pytest.raises(ChangeNotAllowed) as exc:
            cancel(claimed)
        assert exc.value.code == "packing_started"
        assert "contact the shop" in exc.value.message  # no returns action registered here
        assert "return" not in exc.value.message
        assert reload_order(order.number)[0].status == "packing"
        assert outbox_messages() == []

    def test_with_the_returns_domain_the_refusal_offers_withdrawal_or_a_return(
        self, session: Session, settings: Settings, returns_action: None
    ) -> None:
        order, _products, _extras = shop(session)
        with session_scope() as s:
            orders_service.claim_for_packing(s, actor=WAREHOUSE, number=order.number)
        with pytest.raises(ChangeNotAllowed) as exc:
            cancel(reload_order(order.number)[0])
        assert "withdraw from the purchase or return it" in exc.value.message

    def test_a_packing_claim_after_the_cancellation_is_refused(
        self, session: Session, settings: Settings
    ) -> None:
        order, _products, _extras = shop(session)
        cancel(order)
        with session_scope() as s, pytest.raises(OrderCancelled) as exc:
            orders_service.claim_for_packing(s, actor=WAREHOUSE, number=order.number)
        assert (exc.value.status_code, exc.value.code) == (409, "order_cancelled")

    def test_a_stale_version_is_refused(self, session: Session, settings: Settings) -> None:
        order, _products, _extras = shop(session)
        with pytest.raises(OrderChanged):
            cancel(order, version=order.version + 5)
        assert reload_order(order.number)[0].status == "paid"

    def test_another_customers_order_is_not_found(
        self, session: Session, settings: Settings
    ) -> None:
        order, _products, _extras = shop(session)
        other, _p, _e = shop(session, extra_products=())
        stranger = customer_of(other)
        with session_scope() as s, pytest.raises(OrderNotFound):
            service.cancel_order(
                s,
                actor=actor_for(stranger),
                customer=stranger,
                number=order.number,
                version=order.version,
            )
        assert reload_order(order.number)[0].status == "paid"

    def test_an_agent_cancels_for_the_customer_and_the_email_says_so(
        self, session: Session, settings: Settings
    ) -> None:
        order, _products, _extras = shop(session, status="placed")
        customer = customer_of(order)
        agent = Actor("agent", "ana@tienda.example", on_behalf_of=customer.id)
        result = cancel(order, actor=agent)
        assert result.change.actor_type == "agent"
        [email] = outbox_messages("email")
        assert "atención al cliente" in email.payload["text"].lower()
