"""Kind 2: a delivery that moves into another indirect-tax area would change the order's taxes.

The rule (`addresses.tax_areas`) first, then the service on both databases: refused by default
with `tax_area_changed` (nothing written), allowed and re-taxed kind for kind when the shop's
policy names the rates of both areas.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from tests.access.helpers import post_form
from tests.addresses.helpers import (
    NEW_ADDRESS,
    add_webhook_endpoint,
    changes,
    login,
    order_state,
    outbox,
)
from tests.addresses.test_change_service import change
from tests.factories import make_customer, make_order
from ventanilla.addresses import tax_areas
from ventanilla.addresses.exceptions import AddressInvalid
from ventanilla.config import Settings, ShopPolicy, use_settings
from ventanilla.customers.models import Customer
from ventanilla.orders.addresses import Address
from ventanilla.orders.exceptions import ChangeNotAllowed
from ventanilla.orders.models import Order


def address(postcode: str, country: str = "ES", city: str = "X") -> Address:
    return Address("Ana", "Calle 1", None, postcode, city, None, country, None)


TENERIFE = {"postcode": "38002", "city": "Santa Cruz de Tenerife", "region": ""}


class TestTaxArea:
    @pytest.mark.parametrize(
        ("postcode", "country", "area"),
        [
            ("28013", "ES", "ES"),  # Madrid: VAT
            ("07001", "ES", "ES"),  # Palma: the Balearics are VAT too
            ("38002", "ES", "ES-CN"),  # Santa Cruz de Tenerife: IGIC
            ("35001", "ES", "ES-CN"),  # Las Palmas: IGIC
            ("51001", "ES", "ES-CE"),  # Ceuta: IPSI
            ("52001", "ES", "ES-ML"),  # Melilla: IPSI, another area than Ceuta
            ("8001", "ES", "ES"),  # read by the address rules first: 08001 Barcelona
            ("97200", "FR", "FR-972"),  # Martinique: outside the EU VAT area
            ("75001", "FR", "FR"),
            ("27498", "DE", "DE-HELGOLAND"),
            ("10115", "DE", "DE"),
            ("00184", "IT", "IT"),
            ("SW1A 1AA", "GB", "GB"),
        ],
    )
    def test_the_area_of_an_address(self, postcode: str, country: str, area: str) -> None:
        assert tax_areas.tax_area(address(postcode, country)) == area

    def test_a_move_inside_one_area_is_fine_and_across_areas_is_not(self) -> None:
        madrid, bilbao, tenerife = address("28013"), address("48001"), address("38002")
        assert tax_areas.can_move_delivery(madrid, bilbao, rates_by_area={}).ok
        refused = tax_areas.can_move_delivery(madrid, tenerife, rates_by_area={})
        assert (refused.ok, refused.reason_code) == (False, "tax_area_changed")
        assert refused.text() == "The taxes of your order would change; please contact the shop."
        to_france = tax_areas.can_move_delivery(madrid, address("75001", "FR"), rates_by_area={})
        assert not to_france.ok

    def test_a_policy_with_both_areas_allows_and_maps_rates_kind_for_kind(self) -> None:
        rates: dict[str, Any] = {
            "ES": {"standard": 21, "reduced": 10, "super_reduced": 4},
            "ES-CN": {"standard": 7, "reduced": 3, "super_reduced": 0},
        }
        assert tax_areas.can_move_delivery(
            address("28013"), address("38002"), rates_by_area=rates
        ).ok
        plan = tax_areas.retax_plan(
            [(1, 2100), (2, 400)], old_area="ES", new_area="ES-CN", rates_by_area=rates
        )
        assert plan is not None
        assert [(p.line_no, p.old_rate_bp, p.new_rate_bp) for p in plan] == [
            (1, 2100, 700),
            (2, 400, 0),
        ]
        # A rate the policy does not name (5 %): no plan, the shop must decide.
        assert (
            tax_areas.retax_plan([(1, 500)], old_area="ES", new_area="ES-CN", rates_by_area=rates)
            is None
        )


@pytest.fixture
def shop(session: Session) -> tuple[Customer, Order]:
    customer = make_customer(session, email="lucia@example.com", name="Lucía", locale="es")
    order = make_order(session, customer=customer, status="paid")  # delivered in Madrid
    session.commit()
    add_webhook_endpoint()
    return customer, order


@pytest.fixture
def retaxing(settings: Settings, tmp_path: Path) -> None:
    policy_file = tmp_path / "policy.json"
    rates = {"ES": {"standard": "21"}, "ES-CN": {"standard": "7"}}
    policy_file.write_text(ShopPolicy(tax_rates_by_area=rates).model_dump_json())
    use_settings(settings.model_copy(update={"policy_file": policy_file}))


class TestChangeIntoAnotherArea:
    def test_madrid_to_tenerife_is_refused_and_nothing_is_written(
        self,
        shop: tuple[Customer, Order],
    ) -> None:
        customer, order = shop
        with pytest.raises(ChangeNotAllowed) as refused:
            change(customer, order.number, **TENERIFE)
        assert refused.value.code == "tax_area_changed"
        stored, shipping = order_state(order.number)
        assert stored.version == 1 and shipping is not None and shipping.postcode == "28013"
        assert changes() == [] and outbox("email") == [] and outbox("webhook") == []

    @pytest.mark.parametrize(
        "moved",
        [
            {"postcode": "52001", "city": "Melilla", "region": ""},
            {"postcode": "07001", "city": "Palma", "region": ""},
            {"postcode": "75001", "city": "Paris", "region": "", "country": "FR"},
        ],
    )
    def test_other_moves(self, shop: tuple[Customer, Order], moved: dict[str, str]) -> None:
        customer, order = shop
        if moved["postcode"] == "07001":  # the Balearics: the same VAT area as Madrid
            assert change(customer, order.number, **moved).changed
            return
        with pytest.raises(ChangeNotAllowed):
            change(customer, order.number, **moved)

    def test_a_policy_with_rates_allows_it_and_tells_the_shop_the_new_rates(
        self,
        shop: tuple[Customer, Order],
        retaxing: None,
    ) -> None:
        customer, order = shop
        assert change(customer, order.number, **TENERIFE).changed
        [recorded] = changes()
        assert recorded.settlement == "shop_to_settle"
        move = recorded.preview["tax_move"]
        assert (move["from"], move["to"]) == ("ES", "ES-CN")
        assert {line["new_rate_bp"] for line in move["lines"]} == {700}
        [hook] = outbox("webhook")
        assert hook.payload["data"]["tax_move"] == move

    def test_the_page_says_why_in_the_shoppers_language(
        self,
        client: TestClient,
        session: Session,
        shop: tuple[Customer, Order],
    ) -> None:
        customer, order = shop
        login(client, customer.id or 0)
        client.headers["Accept-Language"] = "es"
        response = post_form(
            client, f"/orders/{order.number}/address", {**NEW_ADDRESS, **TENERIFE, "version": "1"}
        )
        assert response.status_code == 409
        assert "Los impuestos de tu pedido cambiarían" in response.text


class TestPrefilledProvince:
    def test_the_form_leaves_a_spanish_province_to_the_postcode(
        self, client: TestClient, shop: tuple[Customer, Order]
    ) -> None:
        customer, order = shop  # Madrid, region "Madrid"
        login(client, customer.id or 0)
        page = client.get(f"/orders/{order.number}/address")
        assert re.search(r'id="address-region"[^>]*value=""', page.text)
        assert re.search(r'id="address-postcode"[^>]*value="28013"', page.text)
        moved = {**NEW_ADDRESS, "postcode": "41001", "city": "Sevilla", "region": ""}
        saved = post_form(client, f"/orders/{order.number}/address", {**moved, "version": "1"})
        assert saved.status_code == 303
        assert order_state(order.number)[1].region == "Sevilla"  # type: ignore[union-attr]

    def test_a_province_typed_must_still_match(self, shop: tuple[Customer, Order]) -> None:
        customer, order = shop
        with pytest.raises(AddressInvalid):
            change(customer, order.number, postcode="41001", city="Sevilla", region="Cádiz")
