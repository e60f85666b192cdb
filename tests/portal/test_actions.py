"""The "what you can do now" registry, and the invoice and tracking actions it ships with."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from ventanilla.orders.models import Order
from ventanilla.portal import actions, view

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


class TestActions:
    def context(self, status: str, **kwargs: Any) -> actions.ActionContext:
        order = Order(number="ES-1", customer_id=1, status=status, currency="EUR")
        values: dict[str, Any] = {"shipments": [], "invoices": [], "now": T0}
        values.update(kwargs)
        return actions.ActionContext(order=order, **values)

    def by_key(self, ctx: actions.ActionContext) -> dict[str, actions.ActionOption]:
        return {option.key: option for option in actions.options(ctx)}

    def test_every_no_comes_with_a_reason_and_no_link(self) -> None:
        for status in ("placed", "paid", "shipped", "cancelled"):
            refused = [o for o in actions.options(self.context(status)) if not o.ok]
            assert {"invoice", "track"} <= {o.key for o in refused}
            for option in refused:
                assert option.reason and option.href is None

    def test_a_shipment_without_tracking_link_says_so(self) -> None:
        parcel = view.ShipmentView(1, "Seur", "X1", None, None, T0)
        track = self.by_key(self.context("shipped", shipments=[parcel]))["track"]
        assert not track.ok
        assert track.reason == "The carrier has not given a tracking link for this parcel."

    def test_later_features_register_their_own_actions(self) -> None:
        extra = actions.Action(
            key="test-extra",
            label="Do something",
            decide=lambda ctx: actions.Decision.no("Not today."),
            href=lambda ctx: None,
            position=5,
        )
        actions.register(extra)
        try:
            first = actions.options(self.context("paid"))[0]
            assert (first.key, first.ok, first.reason) == ("test-extra", False, "Not today.")
        finally:
            actions.unregister("test-extra")
