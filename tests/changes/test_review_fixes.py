"""Amendments at the edges: big discounts, one product on two lines, an abandoned reservation."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import Session, select

from tests.changes.support import actor_for, customer_of, reload_order, shop, stock_of
from tests.factories import make_order, make_product
from ventanilla.changes import amounts, service
from ventanilla.changes.amounts import SetQuantity
from ventanilla.changes.exceptions import AmendmentInvalid
from ventanilla.core import clock
from ventanilla.db import session_scope
from ventanilla.orders.models import Order, OrderLine


def request(order: Order, actions: list) -> object:  # type: ignore[type-arg]
    customer = customer_of(order)
    with session_scope() as s:
        return service.request_amendment(
            s,
            actor=actor_for(customer),
            customer=customer,
            number=order.number,
            version=order.version,
            actions=actions,
        )


def confirm(order: Order, change_id: int) -> service.ConfirmResult:
    customer = customer_of(order)
    with session_scope() as s:
        return service.confirm_amendment(
            s,
            actor=actor_for(customer),
            customer=customer,
            number=order.number,
            change_id=change_id,
            version=order.version,
        )


class TestReviewFindings:
    def test_a_discount_bigger_than_what_is_left_refuses_the_amendment(
        self, session: Session
    ) -> None:
        a = make_product(session, price_minor=1000)
        b = make_product(session, price_minor=500)
        order = make_order(session, lines=[a, b], discount_minor=1000, total_minor=500)
        session.commit()
        with pytest.raises(AmendmentInvalid) as refused:
            request(order, [SetQuantity(1, 0)])
        assert [p.code for p in refused.value.problems] == ["discount_exceeds"]
        stored, _lines = reload_order(order.number)
        assert stored.total_minor == 500

    def test_moving_units_between_two_lines_of_one_product_creates_no_stock(
        self, session: Session
    ) -> None:
        x = make_product(session, price_minor=100, stock_on_hand=0)
        order = make_order(session, lines=[x, x])
        first = session.exec(
            select(OrderLine).where(OrderLine.order_id == order.id, OrderLine.line_no == 1)
        ).one()
        first.quantity, first.total_minor = 2, 200
        order.subtotal_minor = order.total_minor = 300
        session.add_all([first, order])
        session.commit()
        change = request(order, [SetQuantity(1, 0), SetQuantity(2, 3)])
        confirm(order, change.id)  # type: ignore[attr-defined]
        assert stock_of(x.sku) == 0

    def test_an_abandoned_reservation_of_ones_own_does_not_block_asking_again(
        self, session: Session
    ) -> None:
        order, products, _extras = shop(session, stock=1)
        request(order, [SetQuantity(1, 2)])  # takes the last unit
        assert stock_of(products[0].sku) == 0
        with clock.frozen(clock.now() + service.REQUEST_TTL + timedelta(minutes=1)):
            request(order, [SetQuantity(1, 2)])
        assert stock_of(products[0].sku) == 0


class TestTaxWithADiscount:
    def test_the_shops_lower_tax_for_a_discount_is_kept_when_lines_change(self) -> None:
        # 12100 + 1210 at 21 %, 2000 discount; the shop stated 1963 of tax (less than the
        # lines' 2310 because of the discount). One more 1210 unit adds its own 210, no more.
        lines = [
            amounts.CurrentLine(
                line_no=1,
                sku="A",
                name="A",
                product_id=1,
                unit_price_minor=12100,
                quantity=1,
                tax_rate_bp=2100,
            ),
            amounts.CurrentLine(
                line_no=2,
                sku="B",
                name="B",
                product_id=2,
                unit_price_minor=1210,
                quantity=1,
                tax_rate_bp=2100,
            ),
        ]
        result = amounts.compute(
            lines=lines,
            actions=[SetQuantity(2, 2)],
            products={
                "B": amounts.ProductInfo(
                    sku="B",
                    name="B",
                    price_minor=1210,
                    currency="EUR",
                    stock_on_hand=5,
                    product_id=2,
                )
            },
            currency="EUR",
            subtotal_minor=13310,
            shipping_minor=0,
            discount_minor=2000,
            tax_minor=1963,
            total_minor=11310,
        )
        assert result.new.tax_minor == 1963 + 210
