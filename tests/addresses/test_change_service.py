"""change_delivery_address: the rules, and everything one change writes (or does not)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlmodel import Session

from tests.addresses.helpers import (
    NEW_ADDRESS,
    activities,
    add_webhook_endpoint,
    changes,
    order_state,
    outbox,
    snapshot,
)
from tests.factories import make_customer, make_order
from ventanilla.access import service as access_service
from ventanilla.access.exceptions import OrderNotFound
from ventanilla.access.models import ShopperSession
from ventanilla.addresses import service
from ventanilla.addresses.exceptions import AddressInvalid, VerificationRequired
from ventanilla.config import Settings, ShopPolicy, use_settings
from ventanilla.core import clock
from ventanilla.core.actors import Actor
from ventanilla.core.errors import AppError
from ventanilla.customers.models import Customer
from ventanilla.db import session_scope
from ventanilla.orders import service as orders_service
from ventanilla.orders.exceptions import ChangeInProgress, ChangeNotAllowed, OrderChanged
from ventanilla.orders.models import Order, OrderChange


@pytest.fixture
def shop(session: Session) -> tuple[Customer, Order]:
    customer = make_customer(session, email="lucia@example.com", name="Lucía", locale="es")
    order = make_order(session, customer=customer, status="paid")
    session.commit()
    add_webhook_endpoint()
    return customer, order


def shopper_session(
    customer: Customer, *, verified: bool = True, via: str = "link", agent: str | None = None
) -> ShopperSession:
    with session_scope() as s:
        token = access_service.start_session(
            s,
            customer_id=customer.id or 0,
            via=via,
            agent_id=agent,
            verified_at=clock.now() if verified else None,
        )
        active = access_service.resolve_session(s, token=token)
        assert active is not None
        return active.record


def change(
    customer: Customer,
    number: str,
    *,
    record: ShopperSession | None = None,
    version: int = 1,
    actor: Actor | None = None,
    **address: Any,
) -> service.AddressChange:
    """One change in its own transaction (committed unless it raises)."""
    record = record or shopper_session(customer)
    with session_scope() as s:
        s.add(record)
        return service.change_delivery_address(
            s,
            actor=actor or Actor.customer(customer.id or 0),
            shopper_session=record,
            customer=customer,
            number=number,
            version=version,
            data={**NEW_ADDRESS, **address},
        )


class TestChange:
    def test_a_change_replaces_the_address_and_bumps_the_version(
        self, shop: tuple[Customer, Order]
    ) -> None:
        customer, order = shop
        result = change(customer, order.number)
        assert (result.changed, result.version) == (True, 2)
        stored, shipping = order_state(order.number)
        assert stored.version == 2
        assert shipping is not None
        assert (shipping.line1, shipping.postcode, shipping.city, shipping.region) == (
            "Calle Gran Vía 12, 3º B",
            "48001",
            "Bilbao",
            "Bizkaia",
        )
        assert shipping.phone == "+34600111222" and shipping.line2 is None

    def test_the_change_set_is_recorded_and_settled_at_once(
        self, shop: tuple[Customer, Order]
    ) -> None:
        customer, order = shop
        result = change(customer, order.number)
        [recorded] = changes()
        assert recorded.id == result.change_id
        assert (recorded.kind, recorded.status, recorded.active_order_id) == (
            "address",
            "confirmed",
            None,
        )
        assert recorded.base_version == 1 and recorded.decided_at is not None
        assert recorded.difference_minor == 0 and recorded.settlement == "none"
        assert recorded.new_address is not None and recorded.new_address["region"] == "Bizkaia"
        assert recorded.actor_type == "customer" and recorded.actor_id == str(customer.id)

    def test_activity_has_the_old_and_new_address(self, shop: tuple[Customer, Order]) -> None:
        customer, order = shop
        change(customer, order.number)
        [entry] = activities("order.address_changed")
        assert entry.order_id == order.id and entry.actor_type == "customer"
        assert entry.data["old"].startswith(customer.name + ", Calle Mayor 1, 28013 Madrid")
        assert "48001 Bilbao (Bizkaia)" in entry.data["new"]
        assert entry.data["version"] == 2 and entry.data["proof"] == "recent"

    def test_one_email_to_the_customer_and_one_webhook(self, shop: tuple[Customer, Order]) -> None:
        customer, order = shop
        change(customer, order.number)
        [email] = outbox("email")
        [hook] = outbox("webhook")
        assert email.payload["to"] == "lucia@example.com"
        assert order.number in email.payload["subject"]
        assert "Nueva dirección de entrega" in email.payload["subject"]  # the customer's Spanish
        assert "48001 Bilbao (Bizkaia)" in email.payload["text"]
        assert hook.payload["type"] == "order.address_changed"
        data = hook.payload["data"]
        assert (data["number"], data["version"]) == (order.number, 2)
        assert data["address"]["postcode"] == "48001" and data["address"]["country"] == "ES"
        assert data["previous_address"]["postcode"] == "28013"

    def test_the_same_address_again_changes_nothing(self, shop: tuple[Customer, Order]) -> None:
        customer, order = shop
        change(customer, order.number)
        before = snapshot()
        again = change(customer, order.number, version=2)
        assert (again.changed, again.version) == (False, 2)
        assert snapshot() == before

    def test_an_agent_acting_for_the_customer_needs_no_code(
        self, shop: tuple[Customer, Order]
    ) -> None:
        customer, order = shop
        record = shopper_session(customer, verified=False, via="agent", agent="ana@tienda")
        actor = Actor("agent", "ana@tienda", on_behalf_of=customer.id)
        assert change(customer, order.number, record=record, actor=actor).changed
        [entry] = activities("order.address_changed")
        assert (entry.actor_type, entry.actor_id, entry.on_behalf_of) == (
            "agent",
            "ana@tienda",
            customer.id,
        )
        assert entry.data["proof"] == "agent"
        [email] = outbox("email")
        assert "atención al cliente" in email.payload["text"]

    def test_an_order_without_a_delivery_address_gets_one(
        self, shop: tuple[Customer, Order]
    ) -> None:
        customer, order = shop
        with session_scope() as s:
            from sqlalchemy import text

            s.execute(text("DELETE FROM order_addresses WHERE order_id = :id"), {"id": order.id})
        result = change(customer, order.number)
        assert result.changed and order_state(order.number)[1].city == "Bilbao"  # type: ignore[union-attr]
        [entry] = activities("order.address_changed")
        assert entry.data["old"] is None


class TestRefusals:
    def assert_refused(self, error: type[AppError], customer: Customer, number: str, **kw: Any):  # type: ignore[no-untyped-def]
        before = snapshot()
        with pytest.raises(error) as caught:
            change(customer, number, **kw)
        assert snapshot() == before
        return caught.value

    def test_without_proof_of_email_access_a_code_is_needed(
        self, shop: tuple[Customer, Order]
    ) -> None:
        customer, order = shop
        record = shopper_session(customer, verified=False)
        error = self.assert_refused(VerificationRequired, customer, order.number, record=record)
        assert (error.status_code, error.code) == (403, "verification_required")

    def test_proof_older_than_24_hours_does_not_count(self, shop: tuple[Customer, Order]) -> None:
        customer, order = shop
        record = shopper_session(customer)
        with clock.frozen(clock.now() + timedelta(hours=24, minutes=1)):
            self.assert_refused(VerificationRequired, customer, order.number, record=record)

    def test_after_the_packing_claim_the_reason_mentions_packing(
        self, shop: tuple[Customer, Order]
    ) -> None:
        customer, order = shop
        with session_scope() as s:
            orders_service.claim_for_packing(s, actor=Actor.store("Almacén"), number=order.number)
        error = self.assert_refused(ChangeNotAllowed, customer, order.number, version=2)
        assert error.status_code == 409 and error.params["reason"] == "packing_started"
        assert "packing" in error.message

    def test_after_the_policy_window_the_reason_says_so(
        self, shop: tuple[Customer, Order], settings: Settings, tmp_path: Any
    ) -> None:
        customer, order = shop
        policy_file = tmp_path / "policy.json"
        policy_file.write_text(ShopPolicy(edit_window_hours=1).model_dump_json())
        use_settings(settings.model_copy(update={"policy_file": policy_file}))
        error = self.assert_refused(ChangeNotAllowed, customer, order.number)
        assert error.params["reason"] == "edit_window_closed"
        assert "1 hours" in error.message

    def test_a_stale_version_is_order_changed_and_changes_nothing(
        self, shop: tuple[Customer, Order]
    ) -> None:
        customer, order = shop
        change(customer, order.number)
        error = self.assert_refused(OrderChanged, customer, order.number, version=1, city="Getxo")
        assert (error.status_code, error.code) == (409, "order_changed")

    def test_an_invalid_address_is_refused_with_field_problems(
        self, shop: tuple[Customer, Order]
    ) -> None:
        customer, order = shop
        error = self.assert_refused(
            AddressInvalid, customer, order.number, region="Madrid", phone="12"
        )
        assert set(error.problems) == {"region", "phone"}
        assert {tuple(e["loc"]) for e in error.errors} == {
            ("body", "address", "region"),
            ("body", "address", "phone"),
        }

    def test_another_customers_order_is_not_found(
        self, shop: tuple[Customer, Order], session: Session
    ) -> None:
        _customer, order = shop
        stranger = make_customer(session)
        session.commit()
        self.assert_refused(OrderNotFound, stranger, order.number)

    def test_an_open_change_of_the_items_blocks_an_address_change(
        self, shop: tuple[Customer, Order]
    ) -> None:
        customer, order = shop
        with session_scope() as s:
            from ventanilla.orders import repository as orders_repository

            orders_repository.add_change(
                s,
                OrderChange(
                    order_id=order.id or 0,
                    kind="items",
                    status="awaiting_payment",
                    base_version=1,
                    actor_type="customer",
                    currency="EUR",
                    old_total_minor=100,
                    new_total_minor=200,
                    difference_minor=100,
                ),
            )
        self.assert_refused(ChangeInProgress, customer, order.number)
