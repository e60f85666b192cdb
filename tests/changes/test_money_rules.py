"""Issue 10's money kinds through the whole amendment, on SQLite and PostgreSQL, against
localstripe: discounts follow their lines (1), added products carry their own rate (3), nothing
is refunded that was not captured (4), amounts follow each currency's rules at Stripe (5)."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from tests.access.helpers import login, post_form
from tests.changes.support import (
    actor_for,
    add_webhook_endpoint,
    customer_of,
    outbox_messages,
    reload_order,
)
from tests.factories import make_product, order_payload
from tests.stripe_server import LocalStripe
from ventanilla.catalog.models import Product
from ventanilla.changes import service
from ventanilla.changes.amounts import AddProduct, SetQuantity
from ventanilla.changes.exceptions import AmendmentInvalid
from ventanilla.config import Settings
from ventanilla.core.actors import Actor
from ventanilla.db import session_scope
from ventanilla.orders import service as orders_service
from ventanilla.orders.discounts import paid_for_line, paid_for_units
from ventanilla.orders.models import Order, OrderChange
from ventanilla.orders.schemas import OrderCreate
from ventanilla.payments import service as payments
from ventanilla.payments.models import PaymentEntry

STORE = Actor.store("tienda")


def push(session: Session, number: str, lines: list[tuple[str, int, int, str]], **kw: Any) -> Order:
    """Push an order through the store's service (so the discount is allocated as in life);
    lines are (sku, unit price, quantity, VAT rate in percent)."""
    for sku, price, _qty, rate in lines:
        if session.exec(select(Product).where(Product.sku == sku)).first() is None:
            make_product(
                session,
                sku=sku,
                price_minor=price,
                currency=kw.get("currency", "EUR"),
                tax_rate_bp=int(float(rate) * 100),
                stock_on_hand=20,
            )
    session.commit()
    payload = order_payload([(sku, price, qty) for sku, price, qty, _r in lines], **kw)
    for line, (_sku, _p, _q, rate) in zip(payload["lines"], lines, strict=True):
        line["tax_rate"] = rate
    with session_scope() as s:
        orders_service.put_order(
            s, actor=STORE, number=number, data=OrderCreate.model_validate(payload)
        )
    order, _lines = reload_order(number)
    return order


def amend(order: Order, actions: list[Any]) -> service.ConfirmResult:
    customer = customer_of(order)
    with session_scope() as s:
        change = service.request_amendment(
            s,
            actor=actor_for(customer),
            customer=customer,
            number=order.number,
            version=order.version,
            actions=actions,
        )
        change_id = change.id
    assert change_id is not None
    with session_scope() as s:
        result = service.confirm_amendment(
            s,
            actor=actor_for(customer),
            customer=customer,
            number=order.number,
            change_id=change_id,
            version=order.version,
        )
    payments.execute_refunds()  # what the request's after-commit task or the worker does
    return result


def ledger(order: Order) -> list[PaymentEntry]:
    with session_scope(write=False) as s:
        return list(s.exec(select(PaymentEntry).where(PaymentEntry.order_id == order.id)))


def last_change(order: Order) -> OrderChange:
    with session_scope(write=False) as s:
        rows = s.exec(select(OrderChange).where(OrderChange.order_id == order.id)).all()
        return sorted(rows, key=lambda c: c.id or 0)[-1]


class TestDiscountsFollowTheirLines:
    def test_the_issue_removing_one_of_two_discounted_units_refunds_its_share(
        self, session: Session, localstripe: LocalStripe, stripe_settings: Settings
    ) -> None:
        # 2 x 48,00 at 21 %, 20 % off (19,20), no shipping: 76,80 paid through Stripe.
        intent = localstripe.paid_intent(7680, "eur")
        order = push(
            session,
            "D-1",
            [("ABRIGO", 4800, 2, "21")],
            shipping_minor=0,
            discount_minor=1920,
            payment_reference=intent,
        )
        _order, [line] = reload_order("D-1")
        assert line.discount_minor == 1920
        result = amend(order, [SetQuantity(1, 1)])
        assert result.outcome == "confirmed"
        after, [line] = reload_order("D-1")
        assert (after.total_minor, after.discount_minor, line.discount_minor) == (3840, 960, 960)
        assert result.change.difference_minor == -3840
        [refund] = localstripe.refunds(intent)
        assert refund.amount == 3840
        # The tax follows what the line costs after its discount: 38,40 at 21 % holds 6,66.
        assert after.tax_minor == 3840 - round(3840 / 1.21)

    @pytest.mark.parametrize(
        ("discount", "removals"),
        [
            (1000, [(1, 1), (2, 2), (3, 0)]),  # a fixed 10,00 over three lines
            (3123, [(2, 1), (1, 2), (2, 0)]),  # a 20 % coupon on 156,15 (odd cents)
            (1, [(3, 0), (1, 1)]),  # one cent
        ],
    )
    def test_successive_removals_never_refund_more_than_was_paid_for_those_units(
        self,
        session: Session,
        discount: int,
        removals: list[tuple[int, int]],
        settings: Settings,
    ) -> None:
        push(
            session,
            "D-2",
            [("A", 2999, 3, "21"), ("B", 1999, 3, "10"), ("C", 1224, 1, "4")],
            shipping_minor=495,
            discount_minor=discount,
            status="paid",
            payment_reference=None,
        )
        _o, lines = reload_order("D-2")
        assert sum(line.discount_minor for line in lines) == discount
        paid_before = {line.line_no: paid_for_line(line) for line in lines}
        for line_no, quantity in removals:
            before, current = reload_order("D-2")
            line = next(x for x in current if x.line_no == line_no)
            units = line.quantity - quantity
            result = amend(before, [SetQuantity(line_no, quantity)])
            assert result.outcome == "confirmed"
            refunded = -result.change.difference_minor
            assert refunded == paid_for_units(line, units)
            assert refunded * line.quantity <= units * paid_for_line(line)
        after, lines = reload_order("D-2")
        gone = sum(-c for c in [ch.difference_minor for ch in _changes(after)])
        left = sum(paid_for_line(line) for line in lines)
        assert gone + left == sum(paid_before.values())
        assert after.total_minor == left + after.shipping_minor - (
            after.discount_minor - sum(line.discount_minor for line in lines)
        )

    def test_added_units_pay_the_full_price(self, session: Session, settings: Settings) -> None:
        order = push(
            session,
            "D-3",
            [("A", 5000, 1, "21")],
            shipping_minor=0,
            discount_minor=500,
            payment_reference=None,
        )
        result = amend(order, [SetQuantity(1, 2)])
        assert result.change.difference_minor == 5000
        after, [line] = reload_order("D-3")
        assert (after.total_minor, after.discount_minor, line.discount_minor) == (9500, 500, 500)


def _changes(order: Order) -> list[OrderChange]:
    with session_scope(write=False) as s:
        return list(s.exec(select(OrderChange).where(OrderChange.order_id == order.id)))


class TestProductsCarryTheirRate:
    def test_the_issue_a_toy_added_to_books_is_taxed_at_21(
        self, session: Session, settings: Settings
    ) -> None:
        order = push(
            session,
            "T-1",
            [("LIBRO", 1040, 2, "4"), ("JUGUETE", 2420, 1, "21")],
            shipping_minor=0,
            payment_reference=None,
        )
        make_product(session, sku="JUGUETE-2", price_minor=2420, tax_rate_bp=2100)
        session.commit()
        before = order.tax_minor
        result = amend(order, [AddProduct("JUGUETE-2", 1)])
        after, lines = reload_order("T-1")
        assert result.change.difference_minor == 2420
        assert lines[-1].tax_rate_bp == 2100
        assert after.tax_minor - before == 420  # 4,20 €, not 0,93 €

    def test_a_product_without_a_rate_cannot_be_added(
        self, session: Session, settings: Settings
    ) -> None:
        order = push(session, "T-2", [("LIBRO", 1040, 1, "4")], payment_reference=None)
        make_product(session, sku="SIN-IVA", price_minor=999, tax_rate_bp=None)
        session.commit()
        with pytest.raises(AmendmentInvalid) as exc:
            amend(order, [AddProduct("SIN-IVA", 1)])
        [problem] = exc.value.problems
        assert problem.code == "no_tax_rate"
        assert reload_order("T-2")[0].version == order.version


class TestNothingRefundedThatWasNotCaptured:
    def test_the_issue_an_authorised_payment_is_lowered_not_refunded(
        self, session: Session, localstripe: LocalStripe, stripe_settings: Settings
    ) -> None:
        client = localstripe.client()
        intent = client.v1.payment_intents.create(
            params={
                "amount": 9980,
                "currency": "eur",
                "payment_method": "pm_card_visa",
                "confirm": True,
                "capture_method": "manual",
            }
        )
        assert intent.status == "requires_capture"
        order = push(
            session,
            "C-1",
            [("CAFETERA", 4990, 2, "21")],
            shipping_minor=0,
            status="placed",
            payment_reference=intent.id,
        )
        add_webhook_endpoint()
        result = amend(order, [SetQuantity(1, 1)])
        assert (result.outcome, result.change.settlement) == ("confirmed", "lower_charge")
        [hook] = outbox_messages("webhook")
        data = hook.payload["data"]
        assert (data["settlement"], data["amount_to_capture_minor"]) == ("lower_charge", 4990)
        assert data["payment_reference"] == intent.id
        assert (data["shop_must_settle"], data["settle_minor"]) == (False, 0)
        assert result.refund is None and ledger(order) == []
        assert localstripe.refunds(intent.id) == []
        after, _lines = reload_order("C-1")
        assert after.amount_to_capture_minor == 4990
        [email] = outbox_messages("email")
        text = email.payload["text"]
        assert "reembols" not in text.lower()
        assert "cobraremos 49,90" in text.replace("\xa0", " ")
        # The shop captures what Ventanilla recorded; Stripe takes exactly that.
        captured = client.v1.payment_intents.capture(
            intent.id, params={"amount_to_capture": after.amount_to_capture_minor}
        )
        assert captured.status == "succeeded"

    def test_the_same_when_the_shop_says_paid_but_stripe_holds_it_uncaptured(
        self, session: Session, localstripe: LocalStripe, stripe_settings: Settings
    ) -> None:
        intent = localstripe.client().v1.payment_intents.create(
            params={
                "amount": 6000,
                "currency": "eur",
                "payment_method": "pm_card_visa",
                "confirm": True,
                "capture_method": "manual",
            }
        )
        order = push(
            session,
            "C-2",
            [("A", 1000, 1, "21"), ("B", 5000, 1, "21")],
            shipping_minor=0,
            status="paid",
            payment_reference=intent.id,
        )
        result = amend(order, [SetQuantity(2, 0)])
        assert result.change.settlement == "lower_charge"
        assert ledger(order) == [] and localstripe.refunds(intent.id) == []
        assert reload_order("C-2")[0].amount_to_capture_minor == 1000

    def test_money_stripe_took_is_refunded_even_if_the_shop_never_said_paid(
        self, session: Session, localstripe: LocalStripe, stripe_settings: Settings
    ) -> None:
        intent = localstripe.paid_intent(9980, "eur")  # captured at once
        order = push(
            session,
            "C-4",
            [("CAFETERA", 4990, 2, "21")],
            shipping_minor=0,
            status="placed",
            payment_reference=intent,
        )
        result = amend(order, [SetQuantity(1, 1)])
        assert result.change.settlement == "refund"
        [refund] = localstripe.refunds(intent)
        assert refund.amount == 4990
        assert reload_order("C-4")[0].amount_to_capture_minor is None

    def test_without_stripe_an_unpaid_order_never_promises_a_refund(
        self, session: Session, settings: Settings
    ) -> None:
        order = push(
            session,
            "C-3",
            [("A", 4990, 2, "21")],
            shipping_minor=0,
            status="placed",
            payment_reference=None,
        )
        result = amend(order, [SetQuantity(1, 1)])
        assert result.change.settlement == "lower_charge"
        [email] = outbox_messages("email")
        assert "reembols" not in email.payload["text"].lower()


class TestCurrencyRulesAtStripe:
    def test_the_issue_a_kwd_refund_ends_in_zero_and_the_rest_is_left_to_the_shop(
        self, session: Session, localstripe: LocalStripe, stripe_settings: Settings
    ) -> None:
        intent = localstripe.paid_intent(24690, "kwd")
        order = push(
            session,
            "K-1",
            [("DATILES", 12345, 2, "0")],
            shipping_minor=0,
            currency="KWD",
            payment_reference=intent,
        )
        add_webhook_endpoint()
        result = amend(order, [SetQuantity(1, 1)])
        assert result.change.difference_minor == -12345
        [hook] = outbox_messages("webhook")
        # The 0,005 KWD Stripe cannot carry is the shop's to give back, and it is told so.
        assert (hook.payload["data"]["shop_must_settle"], hook.payload["data"]["settle_minor"]) == (
            True,
            -5,
        )
        [email] = outbox_messages("email")
        assert "la tienda" in email.payload["text"]
        [refund] = localstripe.refunds(intent)
        assert refund.amount == 12340  # Stripe: three-decimal amounts end in 0
        [entry] = ledger(order)
        assert (entry.amount_minor, entry.remainder_minor) == (12340, 5)
        assert last_change(order).shop_settle_minor == 5

    def test_a_yen_refund_is_sent_in_whole_yen(
        self, session: Session, localstripe: LocalStripe, stripe_settings: Settings
    ) -> None:
        intent = localstripe.paid_intent(3000, "jpy")
        order = push(
            session,
            "J-1",
            [("TE", 1000, 3, "10")],
            shipping_minor=0,
            currency="JPY",
            payment_reference=intent,
        )
        amend(order, [SetQuantity(1, 1)])
        [refund] = localstripe.refunds(intent)
        assert refund.amount == 2000
        assert ledger(order)[0].remainder_minor == 0


class TestPagesSayWhatHappens:
    def test_an_unpaid_order_page_says_we_will_charge_the_new_total(
        self, session: Session, client: TestClient
    ) -> None:
        order = push(
            session,
            "P-1",
            [("A", 4990, 2, "21")],
            shipping_minor=0,
            status="placed",
            payment_reference=None,
        )
        login(client, order.customer_id)
        client.cookies.set("lang", "en")
        created = post_form(
            client, f"/orders/{order.number}/items/preview", {"version": "1", "qty_1": "1"}
        )
        assert created.status_code == 303, created.text
        page = client.get(created.headers["location"]).text
        assert "we will charge €49.90 instead" in page
        assert "refund" not in page.lower().replace("nothing to refund", "")
