"""VAT contained in tax-inclusive amounts: per rate group, in integers, and the standard rate."""

from __future__ import annotations

import pytest

from ventanilla.changes.tax import included_tax, tax_by_rate


class TestIncludedTax:
    @pytest.mark.parametrize(
        ("total", "rate", "tax"),
        [
            (12100, 2100, 2100),  # 100.00 + 21 %
            (1000, 2100, 174),  # 1000 / 1.21 = 826.446 -> 826
            (1100, 1000, 100),
            (1040, 400, 40),
            (999, 0, 0),
            (0, 2100, 0),
            (605, 2100, 105),  # 605 / 1.21 = 500 exactly
            (1, 2100, 0),  # 1 / 1.21 = 0.826 -> 1: no tax in a cent
            (6, 2100, 1),  # 6 / 1.21 = 4.958 -> 5
            (-1000, 2100, -174),  # symmetric for credits
        ],
    )
    def test_tax_contained_in_a_tax_inclusive_total(self, total: int, rate: int, tax: int) -> None:
        assert included_tax(total, rate) == tax

    def test_rounding_happens_once_per_rate_group_not_per_line(self) -> None:
        # Three lines of 1.00 at 21 %: per line 17+17+17 = 51, per group 300 - 248 = 52.
        assert tax_by_rate([(100, 2100)] * 3) == {2100: 52}

    def test_groups_by_rate(self) -> None:
        assert tax_by_rate([(1210, 2100), (1100, 1000), (1210, 2100)]) == {
            2100: 420,
            1000: 100,
        }
