"""Amending items through the service: preview, request, confirm (without Stripe), cancel."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from tests.changes.support import (
    actor_for,
    add_webhook_endpoint,
    changes_of,
    customer_of,
    outbox_messages,
    reload_order,
    shop,
    snapshot,
    stock_of,
    with_policy,
)
from tests.factories import make_customer, make_order, make_product
from ventanilla.activity.models import Activity
from ventanilla.changes import service
from ventanilla.changes.amounts import AddProduct, SetQuantity
from ventanilla.changes.exceptions import AmendmentInvalid, ChangeNotFound
from ventanilla.config import Settings
from ventanilla.core import clock
from ventanilla.core.actors import Actor
from ventanilla.db import session_scope
from ventanilla.orders import service as orders_service
from ventanilla.orders.exceptions import (
    ChangeInProgress,
    ChangeNotAllowed,
    OrderChanged,
    OrderNotFound,
)
from ventanilla.orders.models import Order, OrderChangeAction, OrderLine

WAREHOUSE = Actor.store("Almacén")


def request(order: Order, actions: list, *, version: int | None = None):  # type: ignore[no-untyped-def]
    customer = customer_of(order)
    with session_scope() as s:
        return service.request_amendment(
            s,
            actor=actor_for(customer),
            customer=customer,
            number=order.number,
            version=order.version if version is None else version,
            actions=actions,
        )


def confirm(order: Order, change_id: int, *, version: int | None = None) -> service.ConfirmResult:
    customer = customer_of(order)
    with session_scope() as s:
        return service.confirm_amendment(
            s,
            actor=actor_for(customer),
            customer=customer,
            number=order.number,
            change_id=change_id,
            version=order.version if version is None else version,
        )


class TestPreview:
    def test_preview_shows_the_new_order_and_writes_nothing(
        self, session: Session, engine: Engine
    ) -> None:
        order, _products, _extras = shop(session, prices=(1210, 2420))
        before = snapshot(engine)
        customer = customer_of(order)
        with session_scope() as s:
            loaded = s.get(Order, order.id)
            assert loaded is not None
            preview = service.preview_amendment(
                s,
                customer=customer,
                order=loaded,
                version=loaded.version,
                actions=[SetQuantity(2, 0), AddProduct("NUEVO", 2)],
            )
        assert preview.difference_minor == -2420 + 2000
        assert preview.settlement == "shop_to_settle"  # no Stripe in these tests
        new = preview.amendment.new
        assert (new.subtotal_minor, new.total_minor) == (3210, 3210)
        assert new.tax_minor == 3210 - round(3210 * 100 / 121)
        assert snapshot(engine) == before

    def test_problems_are_field_errors_and_nothing_is_written(
        self, session: Session, engine: Engine
    ) -> None:
        order, _products, _extras = shop(session, extra_products=(("AGOTADO", 500, 0),))
        before = snapshot(engine)
        with pytest.raises(AmendmentInvalid) as exc:
            request(order, [SetQuantity(9, 1), AddProduct("AGOTADO", 1), AddProduct("NOPE", 1)])
        assert [e["type"] for e in exc.value.errors] == [
            "unknown_line",
            "out_of_stock",
            "unknown_sku",
        ]
        assert exc.value.errors[1]["loc"] == ["body", "actions", 1, "quantity"]
        assert snapshot(engine) == before

    def test_removing_every_line_is_refused(self, session: Session, engine: Engine) -> None:
        order, _products, _extras = shop(session)
        with pytest.raises(AmendmentInvalid) as exc:
            request(order, [SetQuantity(1, 0), SetQuantity(2, 0)])
        assert exc.value.errors[0]["type"] == "empty_order"
        assert '"Cancel the order"' in exc.value.errors[0]["msg"]  # what to do instead


class TestRequest:
    def test_request_reserves_stock_and_stores_actions_and_preview(
        self, session: Session, engine: Engine
    ) -> None:
        order, products, _extras = shop(session, stock=10)
        change = request(order, [SetQuantity(1, 3), SetQuantity(2, 0), AddProduct("NUEVO", 2)])
        assert (change.kind, change.status, change.base_version) == ("items", "requested", 1)
        assert change.difference_minor == 2 * 1210 - 2420 + 2 * 1000
        assert change.settlement == "shop_to_settle"
        assert stock_of(products[0].sku) == 8  # two more units held
        assert stock_of(products[1].sku) == 10  # given back only when applied
        assert stock_of("NUEVO") == 3
        with Session(engine) as s:
            rows = s.exec(select(OrderChangeAction).order_by(OrderChangeAction.id)).all()
        assert [(r.action, r.line_no, r.quantity_before, r.quantity_after) for r in rows] == [
            ("set_quantity", 1, 1, 3),
            ("remove_line", 2, 1, 0),
            ("add_product", 3, 0, 2),
        ]
        # The order itself is untouched until confirmed.
        stored, lines = reload_order(order.number)
        assert (stored.version, stored.total_minor, len(lines)) == (1, 3630, 2)

    def test_one_active_change_per_order(self, session: Session, engine: Engine) -> None:
        order, products, _extras = shop(session)
        request(order, [SetQuantity(1, 2)])
        before = snapshot(engine)
        with pytest.raises(ChangeInProgress):
            request(order, [SetQuantity(2, 2)])
        assert snapshot(engine) == before

    def test_stale_version_is_refused_as_order_changed(self, session: Session) -> None:
        order, _products, _extras = shop(session)
        with pytest.raises(OrderChanged):
            request(order, [SetQuantity(1, 2)], version=order.version + 1)
        assert changes_of(order) == []

    def test_after_the_packing_claim_the_refusal_says_packing_started(
        self, session: Session
    ) -> None:
        order, _products, _extras = shop(session)
        with session_scope() as s:
            orders_service.claim_for_packing(s, actor=WAREHOUSE, number=order.number)
        with pytest.raises(ChangeNotAllowed) as exc:
            request(order, [SetQuantity(1, 2)], version=2)
        assert exc.value.code == "packing_started"
        assert "started packing" in exc.value.message
        assert exc.value.params["msgid"].startswith("The warehouse started packing")

    def test_another_customers_order_is_not_found(self, session: Session) -> None:
        order, _products, _extras = shop(session)
        stranger = make_customer(session)
        session.commit()
        with pytest.raises(OrderNotFound), session_scope() as s:
            service.request_amendment(
                s,
                actor=actor_for(stranger),
                customer=stranger,
                number=order.number,
                version=1,
                actions=[SetQuantity(1, 2)],
            )

    def test_an_abandoned_request_is_withdrawn_by_the_next_one(self, session: Session) -> None:
        from datetime import timedelta

        from ventanilla.core import clock

        order, products, _extras = shop(session, stock=10)
        first = request(order, [SetQuantity(1, 4)])
        assert stock_of(products[0].sku) == 7
        with clock.frozen(clock.now() + service.REQUEST_TTL + timedelta(minutes=1)):
            second = request(order, [SetQuantity(2, 2)])
        statuses = {c.id: (c.status, c.decline_code) for c in changes_of(order)}
        assert statuses[first.id] == ("canceled", "expired")
        assert statuses[second.id] == ("requested", None)
        assert stock_of(products[0].sku) == 10
        assert stock_of(products[1].sku) == 9


class TestConfirmWithoutStripe:
    def test_shop_to_settle_applies_the_change_and_tells_everyone(self, session: Session) -> None:
        order, products, _extras = shop(session, stock=10)
        add_webhook_endpoint()
        change = request(order, [SetQuantity(1, 3), SetQuantity(2, 0), AddProduct("NUEVO", 1)])
        result = confirm(order, change.id)
        assert result.outcome == "confirmed"
        assert (result.change.status, result.change.settlement) == ("confirmed", "shop_to_settle")

        stored, lines = reload_order(order.number)
        assert stored.version == 2
        assert [(ln.line_no, ln.sku, ln.quantity, ln.total_minor) for ln in lines] == [
            (1, products[0].sku, 3, 3630),
            (3, "NUEVO", 1, 1000),
        ]
        assert lines[1].tax_rate_bp == 2100 and lines[1].unit_price_minor == 1000
        assert (stored.subtotal_minor, stored.total_minor) == (4630, 4630)
        assert stored.tax_minor == 4630 - round(4630 * 100 / 121)
        # Held stock stays taken; the removed line's unit goes back.
        assert (stock_of(products[0].sku), stock_of(products[1].sku)) == (8, 11)
        assert stock_of("NUEVO") == 4

        with session_scope(write=False) as s:
            [entry] = s.exec(select(Activity).where(Activity.kind == "order.amended")).all()
        assert entry.actor_type == "customer"
        assert entry.data["difference_minor"] == 4630 - 3630
        assert entry.data["settlement"] == "shop_to_settle"
        assert [a["action"] for a in entry.data["actions"]] == [
            "set_quantity",
            "remove_line",
            "add_product",
        ]

        [email] = outbox_messages("email")
        assert email.payload["to"] == customer_of(order).email
        assert order.number in email.payload["subject"]
        assert "46,30" in email.payload["text"]  # the new total, in Spanish
        assert "la tienda" in email.payload["text"].lower()

        [hook] = outbox_messages("webhook")
        data = hook.payload["data"]
        assert hook.payload["type"] == "order.amended"
        assert (data["order_number"], data["version"]) == (order.number, 2)
        assert data["totals"]["total_minor"] == 4630
        assert (data["difference_minor"], data["settlement"]) == (1000, "shop_to_settle")
        assert (data["shop_must_settle"], data["settle_minor"]) == (True, 1000)
        assert [line["sku"] for line in data["lines"]] == [products[0].sku, "NUEVO"]

    def test_a_small_difference_is_waived(
        self, session: Session, settings: Settings, tmp_path: Path
    ) -> None:
        with_policy(settings, tmp_path, waive_difference_under_minor=1500)
        order, _products, _extras = shop(session, prices=(1210, 2420))
        change = request(order, [SetQuantity(1, 0)])
        assert change.settlement == "waived"
        result = confirm(order, change.id)
        assert (result.outcome, result.change.settlement) == ("confirmed", "waived")
        assert reload_order(order.number)[0].total_minor == 2420

    def test_no_difference_is_settled_with_nothing(self, session: Session) -> None:
        order, products, _extras = shop(session, prices=(1000, 2420))
        change = request(order, [SetQuantity(1, 0), AddProduct("NUEVO", 1)])
        assert change.difference_minor == 0
        result = confirm(order, change.id)
        assert (result.outcome, result.change.settlement) == ("confirmed", "none")
        stored, lines = reload_order(order.number)
        assert (stored.version, stored.total_minor) == (2, 3420)
        assert [ln.line_no for ln in lines] == [2, 3]  # numbers stay; the new line is appended

    def test_confirming_twice_applies_once(self, session: Session) -> None:
        order, _products, _extras = shop(session)
        change = request(order, [SetQuantity(1, 2)])
        assert confirm(order, change.id).outcome == "confirmed"
        again = confirm(order, change.id, version=2)
        assert (again.outcome, again.change.status) == ("unchanged", "confirmed")
        assert reload_order(order.number)[0].version == 2

    def test_stale_version_at_confirm_is_order_changed_and_writes_nothing(
        self, session: Session, engine: Engine
    ) -> None:
        order, _products, _extras = shop(session)
        change = request(order, [SetQuantity(1, 2)])
        before = snapshot(engine)
        with pytest.raises(OrderChanged):
            confirm(order, change.id, version=7)
        assert snapshot(engine) == before

    def test_after_the_packing_claim_confirm_declines_and_gives_the_stock_back(
        self, session: Session
    ) -> None:
        order, products, _extras = shop(session, stock=5)
        change = request(order, [SetQuantity(1, 3)])
        assert stock_of(products[0].sku) == 3
        with session_scope() as s:
            view = orders_service.claim_for_packing(s, actor=WAREHOUSE, number=order.number)
        assert [line.quantity for line in view.lines] == [1, 1]
        result = confirm(order, change.id)
        assert result.outcome == "declined"
        assert result.reason is not None and result.reason.reason_code == "packing_started"
        assert (result.change.status, result.change.decline_code) == (
            "declined",
            "packing_started",
        )
        assert stock_of(products[0].sku) == 5
        stored, lines = reload_order(order.number)
        assert (stored.version, [ln.quantity for ln in lines]) == (2, [1, 1])

    def test_a_shop_push_meanwhile_declines_the_change(self, session: Session) -> None:
        order, products, _extras = shop(session, stock=5)
        change = request(order, [SetQuantity(1, 2)])
        with session_scope() as s:
            locked = s.exec(select(Order).where(Order.id == order.id)).one()
            locked.version += 1  # what a push from the shop does
        result = confirm(order, change.id, version=2)
        assert (result.outcome, result.change.decline_code) == ("declined", "order_changed")
        assert stock_of(products[0].sku) == 5

    def test_unknown_change_is_not_found(self, session: Session) -> None:
        order, _products, _extras = shop(session)
        with pytest.raises(ChangeNotFound):
            confirm(order, 999)


class TestAtTheEdges:
    """Big discounts, one product on two lines, an abandoned reservation of one's own."""

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


class TestCancel:
    def test_cancel_gives_the_stock_back_and_frees_the_order(self, session: Session) -> None:
        order, products, _extras = shop(session, stock=5)
        change = request(order, [SetQuantity(1, 4), AddProduct("NUEVO", 2)])
        assert (stock_of(products[0].sku), stock_of("NUEVO")) == (2, 3)
        customer = customer_of(order)
        with session_scope() as s:
            canceled = service.cancel_change(
                s,
                actor=actor_for(customer),
                customer=customer,
                number=order.number,
                change_id=change.id,
            )
        assert canceled.status == "canceled" and canceled.active_order_id is None
        assert (stock_of(products[0].sku), stock_of("NUEVO")) == (5, 5)
        # Canceling again changes nothing; a new change may start.
        with session_scope() as s:
            service.cancel_change(
                s,
                actor=actor_for(customer),
                customer=customer,
                number=order.number,
                change_id=change.id,
            )
        assert (stock_of(products[0].sku), stock_of("NUEVO")) == (5, 5)
        assert request(order, [SetQuantity(2, 2)]).status == "requested"
        assert reload_order(order.number)[0].version == 1
