"""The edit skeleton: lock, ownership, policy, version; then version, activity, email, webhook."""

from __future__ import annotations

import pytest
from sqlmodel import Session

from tests.addresses.helpers import activities, add_webhook_endpoint, outbox
from tests.factories import make_customer, make_order
from ventanilla.core.actors import Actor
from ventanilla.core.decisions import Decision
from ventanilla.core.emails import Email
from ventanilla.customers.models import Customer
from ventanilla.db import session_scope
from ventanilla.orders import edits
from ventanilla.orders import policy as orders_policy
from ventanilla.orders.exceptions import ChangeNotAllowed, OrderChanged, OrderNotFound
from ventanilla.orders.models import Order
from ventanilla.outbox.events import EventType


@pytest.fixture
def order(session: Session) -> Order:
    made = make_order(session, customer=make_customer(session, locale="es"), status="paid")
    session.commit()
    add_webhook_endpoint()
    return made


def customer_of(order: Order) -> Customer:
    with session_scope(write=False) as s:
        customer = s.get(Customer, order.customer_id)
        assert customer is not None
        return customer


def email(locale: str) -> Email:
    return Email(subject=f"subject in {locale}", text=locale, html=f"<p>{locale}</p>")


def record_an_edit(order: Order, actor: Actor, *, customer: Customer | None = None) -> int:
    with (
        session_scope() as s,
        edits.edit_order(
            s, actor=actor, customer=customer, number=order.number, policy=orders_policy.can_edit
        ) as edit,
    ):
        edit.expect_version(order.version)
        edit.bump_version()
        edit.record(
            "order.test_edit",
            {"version": edit.order.version},
            email=email,
            webhook=(EventType.ORDER_AMENDED, {"order_number": order.number}),
        )
        return edit.order.version


class TestEntry:
    def test_someone_elses_order_is_not_found_like_a_missing_one(self, order: Order) -> None:
        stranger = make_customer_committed()
        for number in (order.number, "ES-NO-SUCH"):
            with pytest.raises(OrderNotFound), session_scope() as s:
                with edits.edit_order(
                    s,
                    actor=Actor.customer(stranger.id or 0),
                    customer=stranger,
                    number=number,
                    policy=None,
                ):
                    pass  # pragma: no cover - never entered

    def test_the_policy_is_asked_with_the_locked_row_and_its_code_is_the_refusal(
        self, order: Order
    ) -> None:
        def closed(_order: Order, _now: object) -> Decision:
            return Decision.no("Closed for %(why)s.", code="closed", params=(("why", "tests"),))

        customer = customer_of(order)
        with pytest.raises(ChangeNotAllowed) as refused, session_scope() as s:
            with edits.edit_order(
                s,
                actor=Actor.customer(customer.id or 0),
                customer=customer,
                number=order.number,
                policy=closed,
            ):
                pass  # pragma: no cover - never entered
        assert (refused.value.code, refused.value.message) == ("closed", "Closed for tests.")

    def test_a_stale_version_is_order_changed(self, order: Order) -> None:
        customer = customer_of(order)
        with pytest.raises(OrderChanged), session_scope() as s:
            with edits.edit_order(
                s,
                actor=Actor.customer(customer.id or 0),
                customer=customer,
                number=order.number,
                policy=None,
            ) as edit:
                edit.expect_version(order.version + 1)

    def test_a_shopper_or_agent_edit_must_name_the_customer(self, order: Order) -> None:
        with pytest.raises(ValueError), session_scope() as s:
            with edits.edit_order(s, actor=Actor.customer(1), number=order.number, policy=None):
                pass  # pragma: no cover - never entered


class TestRecord:
    def test_version_activity_email_and_webhook_in_one_transaction(self, order: Order) -> None:
        customer = customer_of(order)
        version = record_an_edit(order, Actor.customer(customer.id or 0), customer=customer)
        assert version == order.version + 1
        [entry] = activities("order.test_edit")
        assert (entry.actor_type, entry.actor_id, entry.data) == (
            "customer",
            str(customer.id),
            {"version": version},
        )
        [mail] = outbox("email")
        assert mail.payload["to"] == customer.email
        [hook] = outbox("webhook")
        assert hook.payload["type"] == "order.amended"

    def test_the_shoppers_own_action_emails_in_the_language_they_are_using(
        self, order: Order
    ) -> None:
        customer = customer_of(order)  # stored language: Spanish
        record_an_edit(order, Actor.customer(customer.id or 0, locale="en"), customer=customer)
        assert outbox("email")[0].payload["subject"] == "subject in en"

    def test_an_agent_and_the_system_email_in_the_customers_stored_language(
        self, order: Order
    ) -> None:
        customer = customer_of(order)
        agent = Actor("agent", "ana@shop.example", on_behalf_of=customer.id, locale="en")
        record_an_edit(order, agent, customer=customer)
        record_an_edit(
            Order(number=order.number, customer_id=order.customer_id, version=order.version + 1),
            Actor.system(),
        )
        assert [m.payload["subject"] for m in outbox("email")] == ["subject in es"] * 2
        [by_agent, _by_system] = activities("order.test_edit")
        assert (by_agent.actor_type, by_agent.on_behalf_of) == ("agent", customer.id)


def make_customer_committed() -> Customer:
    with session_scope() as s:
        customer = make_customer(s)
        s.commit()
        s.refresh(customer)
        return customer
