"""What Stripe accepts per currency (`payments.currency`): the issue's KWD refund and the other
zero-, two- and three-decimal currencies and special cases, as properties over many amounts."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ventanilla.payments.currency import (
    THREE_DECIMAL,
    ZERO_DECIMAL,
    from_stripe,
    stripe_decimals,
    to_stripe,
)

CURRENCIES = sorted({"EUR", "USD", "GBP", "HUF", "TWD", "ISK", *ZERO_DECIMAL, *THREE_DECIMAL})


class TestToStripe:
    def test_the_issue_kwd_ends_in_zero_and_the_rest_is_the_shops(self) -> None:
        sent = to_stripe(12345, "KWD")
        assert (sent.amount, sent.sent_minor, sent.remainder_minor) == (12340, 12340, 5)

    @pytest.mark.parametrize("code", sorted(THREE_DECIMAL))
    def test_every_three_decimal_currency_ends_in_zero(self, code: str) -> None:
        assert to_stripe(1999, code).amount == 1990
        assert to_stripe(2000, code).remainder_minor == 0

    @pytest.mark.parametrize(("code", "amount"), [("JPY", 500), ("KRW", 12000), ("CLP", 990)])
    def test_zero_decimal_currencies_are_sent_in_whole_units(self, code: str, amount: int) -> None:
        assert to_stripe(amount, code).amount == amount

    def test_two_decimal_currencies_pass_through(self) -> None:
        assert to_stripe(4990, "EUR").amount == 4990
        assert to_stripe(4990, "usd").amount == 4990

    def test_huf_is_sent_with_two_decimals_although_it_has_none_in_cldr(self) -> None:
        # Babel counts HUF in whole forints; Stripe wants fillér (x100).
        assert stripe_decimals("HUF") == 2
        assert to_stripe(1500, "HUF").amount == 150000
        assert from_stripe(150000, "HUF") == 1500

    def test_isk_is_two_decimals_in_whole_kronur(self) -> None:
        sent = to_stripe(5, "ISK")
        assert (sent.amount, sent.remainder_minor) == (500, 0)

    def test_negative_amounts_are_refused(self) -> None:
        with pytest.raises(ValueError):
            to_stripe(-1, "EUR")

    @settings(max_examples=500, deadline=None)
    @given(amount=st.integers(min_value=0, max_value=10**10), code=st.sampled_from(CURRENCIES))
    def test_never_more_than_asked_and_the_remainder_is_what_is_missing(
        self, amount: int, code: str
    ) -> None:
        sent = to_stripe(amount, code)
        assert 0 <= sent.sent_minor <= amount
        assert sent.sent_minor + sent.remainder_minor == amount
        assert from_stripe(sent.amount, code) == sent.sent_minor
        if code in THREE_DECIMAL:
            assert sent.amount % 10 == 0 and sent.remainder_minor < 10
        if code == "ISK":
            assert sent.amount % 100 == 0
        if code not in THREE_DECIMAL:
            assert sent.remainder_minor == 0  # every other currency's unit fits
