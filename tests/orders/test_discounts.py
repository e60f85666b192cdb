"""The discount rule (`orders.discounts`): shares add up, follow the amounts, refunds never
exceed what was paid. Property tests over many orders, plus the figures of the issue."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ventanilla.orders.discounts import (
    allocate,
    discount_for_units,
    paid_for_line,
    paid_for_units,
)


@dataclass
class Line:
    unit_price_minor: int
    quantity: int
    discount_minor: int = 0


amounts_st = st.lists(st.integers(min_value=0, max_value=10**7), min_size=1, max_size=12)
lines_st = st.lists(
    st.tuples(st.integers(min_value=0, max_value=10**6), st.integers(min_value=1, max_value=99)),
    min_size=1,
    max_size=8,
)


class TestAllocate:
    def test_the_issues_order_puts_the_whole_discount_on_its_one_line(self) -> None:
        assert allocate(1920, [9600]) == [1920]

    def test_cents_go_to_the_largest_remainders_then_the_earlier_line(self) -> None:
        # 100 over three equal lines: 33.33 each; the one cent left goes to the first.
        assert allocate(100, [1000, 1000, 1000]) == [34, 33, 33]
        # 10 over 1, 2 and 3: exact shares 1.67, 3.33, 5 -> the 0.67 remainder wins the cent.
        assert allocate(10, [100, 200, 300]) == [2, 3, 5]

    def test_a_percentage_discount_is_that_percentage_of_every_line(self) -> None:
        # 20 % of 96,00 + 15,00 + 4,99 = 23,198 -> the shop states 23,20.
        shares = allocate(2320, [9600, 1500, 499])
        assert shares == [1920, 300, 100]

    def test_a_discount_bigger_than_the_lines_allocates_the_lines_only(self) -> None:
        # Free shipping in the coupon too: the lines get their whole value, the rest stays.
        assert allocate(1500, [600, 400]) == [600, 400]

    def test_nothing_to_allocate(self) -> None:
        assert allocate(0, [100, 200]) == [0, 0]
        assert allocate(500, [0, 0]) == [0, 0]

    def test_negative_input_is_refused(self) -> None:
        with pytest.raises(ValueError):
            allocate(-1, [100])
        with pytest.raises(ValueError):
            allocate(10, [100, -5])

    @settings(max_examples=400, deadline=None)
    @given(discount=st.integers(min_value=0, max_value=10**8), amounts=amounts_st)
    def test_shares_always_add_up_and_stay_within_each_line(
        self, discount: int, amounts: list[int]
    ) -> None:
        shares = allocate(discount, amounts)
        assert sum(shares) == min(discount, sum(amounts))
        assert all(0 <= share <= amount for share, amount in zip(shares, amounts, strict=True))

    @settings(max_examples=400, deadline=None)
    @given(discount=st.integers(min_value=0, max_value=10**8), amounts=amounts_st)
    def test_shares_are_proportional_within_one_cent(
        self, discount: int, amounts: list[int]
    ) -> None:
        base = sum(amounts)
        if base == 0:
            return
        given_away = min(discount, base)
        for share, amount in zip(allocate(discount, amounts), amounts, strict=True):
            assert abs(share * base - given_away * amount) < base  # |share - exact| < 1


class TestPaidForUnits:
    def test_the_issue_removing_one_of_two_units_gives_back_its_share_of_what_was_paid(
        self,
    ) -> None:
        # 2 x 48,00 with 19,20 of discount: one unit cost 38,40.
        line = Line(4800, 2, 1920)
        assert discount_for_units(line, 1) == 960
        assert paid_for_units(line, 1) == 3840
        assert paid_for_line(line) == 7680

    def test_odd_cents_round_the_refund_down_and_the_last_unit_takes_the_rest(self) -> None:
        line = Line(1000, 3, 100)  # 100 of discount over 3 units: 33.3 each
        assert paid_for_units(line, 1) == 1000 - 34
        after = Line(1000, 2, 100 - 34)
        assert paid_for_units(after, 2) == 2000 - 66
        assert paid_for_units(line, 1) + paid_for_units(after, 2) == paid_for_line(line)

    def test_units_out_of_range_are_refused(self) -> None:
        with pytest.raises(ValueError):
            paid_for_units(Line(100, 2, 10), 3)
        with pytest.raises(ValueError):
            paid_for_units(Line(100, 2, 10), -1)

    @settings(max_examples=300, deadline=None)
    @given(
        lines=lines_st,
        discount=st.integers(min_value=0, max_value=10**7),
        data=st.data(),
    )
    def test_refunding_in_any_steps_never_exceeds_what_was_paid_and_ends_exactly_there(
        self, lines: list[tuple[int, int]], discount: int, data: st.DataObject
    ) -> None:
        """Remove units in random steps: each refund <= what those units were paid for (their
        fair share, exact fraction), and once every unit is gone the refunds add up to what
        the order's lines cost after the discount."""
        shares = allocate(discount, [price * qty for price, qty in lines])
        state = [Line(price, qty, share) for (price, qty), share in zip(lines, shares, strict=True)]
        paid_total = sum(paid_for_line(line) for line in state)
        refunded = 0
        while any(line.quantity for line in state):
            index = data.draw(
                st.sampled_from([i for i, line in enumerate(state) if line.quantity])
            )
            line = state[index]
            units = data.draw(st.integers(min_value=1, max_value=line.quantity))
            refund = paid_for_units(line, units)
            # Never more than the exact per-unit price paid for these units.
            assert refund * line.quantity <= units * paid_for_line(line)
            assert 0 <= refund <= units * line.unit_price_minor
            refunded += refund
            line.discount_minor -= discount_for_units(line, units)
            line.quantity -= units
            assert line.discount_minor >= 0
        assert refunded == paid_total
