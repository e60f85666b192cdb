"""Pure order decisions: the transitions table, the packing claim, content locks, stale events."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from ventanilla.orders import policy
from ventanilla.orders.models import STATUSES
from ventanilla.orders.schemas import EventStatus, OrderStatus

# Every move a status event may make (same status is always a no-op and allowed).
ALLOWED = {
    ("placed", "paid"),
    ("placed", "processing"),
    ("placed", "shipped"),
    ("placed", "delivered"),
    ("placed", "cancelled"),
    ("paid", "processing"),
    ("paid", "shipped"),
    ("paid", "delivered"),
    ("paid", "cancelled"),
    ("processing", "shipped"),
    ("processing", "delivered"),
    ("processing", "cancelled"),
    ("packing", "packed"),
    ("packing", "shipped"),
    ("packing", "delivered"),
    ("packing", "cancelled"),
    ("packed", "shipped"),
    ("packed", "delivered"),
    ("packed", "cancelled"),
    ("shipped", "delivered"),
}
MOVES = [(a, b) for a in STATUSES for b in STATUSES if a != b]


class TestCanTransition:
    @pytest.mark.parametrize(("current", "target"), MOVES)
    def test_the_transitions_table(self, current: str, target: str) -> None:
        decision = policy.can_transition(current, target)
        assert decision.ok is ((current, target) in ALLOWED)
        if not decision.ok:
            assert decision.reason_code
            assert decision.message

    @pytest.mark.parametrize("status", STATUSES)
    def test_same_status_is_allowed_as_a_no_op(self, status: str) -> None:
        assert policy.can_transition(status, status).ok

    def test_backwards_move_says_it_only_moves_forward(self) -> None:
        decision = policy.can_transition("shipped", "paid")
        assert decision.reason_code == "backwards"
        assert "shipped" in decision.message

    def test_packing_is_entered_only_through_the_claim(self) -> None:
        assert policy.can_transition("paid", "packing").reason_code == "packing_needs_claim"

    def test_packed_only_follows_packing(self) -> None:
        assert policy.can_transition("processing", "packed").reason_code == "packed_needs_packing"

    def test_cancelling_after_shipping_is_refused(self) -> None:
        decision = policy.can_transition("shipped", "cancelled")
        assert decision.reason_code == "cancel_after_shipping"

    @pytest.mark.parametrize("final", ["delivered", "cancelled"])
    def test_nothing_leaves_a_final_status(self, final: str) -> None:
        for target in STATUSES:
            if target != final:
                assert policy.can_transition(final, target).reason_code == "final_status"

    def test_status_lists_agree_with_the_model(self) -> None:
        assert set(OrderStatus.__args__) == set(STATUSES)  # type: ignore[attr-defined]
        assert set(EventStatus.__args__) == set(STATUSES) - {"placed", "packing"}  # type: ignore[attr-defined]


class TestCanClaimForPacking:
    @pytest.mark.parametrize("status", ["paid", "processing"])
    def test_paid_or_processing_orders_can_be_claimed(self, status: str) -> None:
        assert policy.can_claim_for_packing(status).ok

    def test_an_unpaid_order_is_refused_as_not_paid(self) -> None:
        decision = policy.can_claim_for_packing("placed")
        assert (decision.ok, decision.reason_code) == (False, "not_paid")

    @pytest.mark.parametrize("status", ["packing", "packed", "shipped", "delivered"])
    def test_packing_or_later_is_refused_as_already_claimed(self, status: str) -> None:
        assert policy.can_claim_for_packing(status).reason_code == "already_claimed"

    def test_a_cancelled_order_is_refused_as_cancelled(self) -> None:
        assert policy.can_claim_for_packing("cancelled").reason_code == "cancelled"


class TestCanUpdateContent:
    @pytest.mark.parametrize("status", ["placed", "paid", "processing"])
    def test_before_packing_the_content_may_change(self, status: str) -> None:
        assert policy.can_update_content(status).ok

    @pytest.mark.parametrize("status", ["packing", "packed", "shipped", "delivered"])
    def test_from_packing_on_the_content_is_locked(self, status: str) -> None:
        decision = policy.can_update_content(status)
        assert (decision.ok, decision.reason_code) == (False, "packing_started")

    def test_a_cancelled_order_is_locked(self) -> None:
        assert policy.can_update_content("cancelled").reason_code == "cancelled"


class TestIsStale:
    NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)

    def test_an_older_event_is_stale(self) -> None:
        assert policy.is_stale(self.NOW, self.NOW - timedelta(seconds=1))

    def test_an_event_at_the_same_instant_is_not_stale(self) -> None:
        assert not policy.is_stale(self.NOW, self.NOW)

    def test_a_newer_event_is_not_stale(self) -> None:
        assert not policy.is_stale(self.NOW, self.NOW + timedelta(minutes=5))
