"""The pure recalculation of an amended order: lines, tax per rate, totals and the difference."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ventanilla.changes import amounts
from ventanilla.changes.amounts import (
    AddProduct,
    AmendmentRejected,
    CurrentLine,
    ProductInfo,
    SetQuantity,
)
from ventanilla.changes.tax import included_tax
from ventanilla.orders.discounts import allocate, paid_for_line, paid_for_units


def line(
    line_no: int, price: int, quantity: int = 1, rate: int = 2100, sku: str = ""
) -> CurrentLine:
    return CurrentLine(
        line_no=line_no,
        sku=sku or f"SKU-{line_no}",
        name=f"Artículo {line_no}",
        unit_price_minor=price,
        quantity=quantity,
        tax_rate_bp=rate,
        product_id=line_no,
    )


def product(
    sku: str, price: int, stock: int = 10, currency: str = "EUR", rate: int | None = 2100
) -> ProductInfo:
    return ProductInfo(
        sku=sku,
        name=f"Producto {sku}",
        price_minor=price,
        currency=currency,
        stock_on_hand=stock,
        tax_rate_bp=rate,
    )


def compute(
    lines: list[CurrentLine],
    actions: list[amounts.Action],
    products: dict[str, ProductInfo] | None = None,
    *,
    shipping: int = 0,
    discount: int = 0,
    tax: int | None = None,
) -> amounts.Amendment:
    subtotal = sum(ln.unit_price_minor * ln.quantity for ln in lines)
    total = subtotal + shipping - discount
    if tax is None:
        tax = sum(
            amounts.tax_by_rate(
                (ln.unit_price_minor * ln.quantity, ln.tax_rate_bp) for ln in lines
            ).values()
        )
    known = {ln.sku: product(ln.sku, ln.unit_price_minor) for ln in lines}
    known.update(products or {})
    return amounts.compute(
        currency="EUR",
        lines=lines,
        actions=actions,
        products=known,
        subtotal_minor=subtotal,
        shipping_minor=shipping,
        discount_minor=discount,
        tax_minor=tax,
        total_minor=total,
    )


def codes(exc: pytest.ExceptionInfo[AmendmentRejected]) -> list[str]:
    return [p.code for p in exc.value.problems]


class TestCompute:
    def test_removing_a_line_lowers_the_total_and_gives_the_stock_back(self) -> None:
        result = compute([line(1, 2000), line(2, 1210, 2)], [SetQuantity(2, 0)])
        assert [(ln.line_no, ln.quantity, ln.state) for ln in result.lines] == [
            (1, 1, "unchanged"),
            (2, 0, "removed"),
        ]
        assert result.old.total_minor == 4420
        assert result.new.total_minor == 2000
        assert result.difference_minor == -2420
        assert result.new.subtotal_minor == 2000
        assert result.new.tax_minor == included_tax(2000, 2100) == 347
        assert result.stock_delta == {"SKU-2": -2}

    def test_lowering_a_quantity(self) -> None:
        result = compute([line(1, 1500, 3)], [SetQuantity(1, 1)])
        assert result.lines[0].state == "changed"
        assert (result.lines[0].quantity_before, result.lines[0].quantity) == (3, 1)
        assert result.lines[0].total_minor == 1500
        assert result.difference_minor == -3000
        assert result.stock_delta == {"SKU-1": -2}

    def test_raising_a_quantity_needs_stock(self) -> None:
        result = compute([line(1, 1500, 1)], [SetQuantity(1, 3)])
        assert result.difference_minor == 3000
        assert result.stock_delta == {"SKU-1": 2}
        with pytest.raises(AmendmentRejected) as exc:
            compute([line(1, 1500, 1)], [SetQuantity(1, 3)], {"SKU-1": product("SKU-1", 1500, 1)})
        assert codes(exc) == ["not_enough_stock"]
        assert exc.value.problems[0].loc == ("actions", 0, "quantity")

    def test_adding_a_product_uses_the_current_price_and_its_own_rate(self) -> None:
        # Most lines at 10 %: the added product still gets its own 21 % (no "usual rate" guess).
        lines = [line(1, 1000, rate=1000), line(2, 500, rate=1000), line(3, 2000, rate=2100)]
        result = compute(lines, [AddProduct("NEW", 2)], {"NEW": product("NEW", 1100)})
        added = result.lines[-1]
        assert (added.line_no, added.sku, added.state) == (4, "NEW", "added")
        assert (added.unit_price_minor, added.quantity, added.total_minor) == (1100, 2, 2200)
        assert added.tax_rate_bp == 2100
        assert result.difference_minor == 2200
        assert result.stock_delta == {"NEW": 2}

    def test_two_books_and_a_toy_plus_a_toy_is_taxed_at_the_toys_rate(self) -> None:
        # The issue: books at 4 %, a toy at 21 %; another toy (24,20 €) carries 4,20 € of VAT.
        lines = [line(1, 1040, 2, rate=400, sku="BOOK"), line(2, 2420, 1, rate=2100, sku="TOY")]
        toy = product("TOY2", 2420, rate=2100)
        result = compute(lines, [AddProduct("TOY2", 1)], {"TOY2": toy})
        assert result.new.tax_by_rate[2100] - result.old.tax_by_rate[2100] == 420
        assert result.new.tax_by_rate[400] == result.old.tax_by_rate[400]

    @pytest.mark.parametrize("rate", [0, 400, 1000, 2100, 2350])
    def test_every_rate_the_shop_gives_is_the_added_lines_rate(self, rate: int) -> None:
        result = compute([line(1, 1000)], [AddProduct("X", 3)], {"X": product("X", 999, rate=rate)})
        assert result.lines[-1].tax_rate_bp == rate
        assert result.new.tax_by_rate == amounts.tax_by_rate([(1000, 2100), (2997, rate)])

    def test_a_product_without_a_rate_cannot_be_added_and_the_reason_says_so(self) -> None:
        with pytest.raises(AmendmentRejected) as exc:
            compute([line(1, 1000)], [AddProduct("X", 1)], {"X": product("X", 500, rate=None)})
        assert codes(exc) == ["no_tax_rate"]
        assert "VAT rate" in exc.value.problems[0].text
        assert exc.value.problems[0].loc == ("actions", 0, "sku")

    def test_new_lines_are_numbered_after_the_highest_line_number(self) -> None:
        result = compute(
            [line(2, 100), line(7, 100)],
            [AddProduct("A", 1), AddProduct("B", 1)],
            {"A": product("A", 100), "B": product("B", 100)},
        )
        assert [ln.line_no for ln in result.lines] == [2, 7, 8, 9]

    def test_tax_per_rate_group_after_the_change(self) -> None:
        lines = [line(1, 1210, 1, 2100), line(2, 1100, 2, 1000), line(3, 1040, 1, 400)]
        result = compute(lines, [SetQuantity(2, 1), SetQuantity(3, 0)])
        assert result.new.tax_by_rate == {2100: 210, 1000: 100}
        assert result.new.tax_minor == 310
        assert result.old.tax_by_rate == {2100: 210, 1000: 200, 400: 40}

    def test_shipping_discount_and_the_shops_other_tax_are_kept(self) -> None:
        lines = [line(1, 1000, 2)]
        # The shop charged 21 % on 4.95 shipping too: 86 cents beyond the lines' 347.
        result = compute(lines, [SetQuantity(1, 1)], shipping=495, discount=100, tax=347 + 86)
        assert result.old.total_minor == 2000 + 495 - 100
        assert result.new.total_minor == 1000 + 495 - 100
        assert (result.new.shipping_minor, result.new.discount_minor) == (495, 100)
        assert result.new.tax_minor == 174 + 86
        assert result.difference_minor == -1000

    def test_a_shop_that_reports_no_tax_gets_the_lines_tax_only(self) -> None:
        result = compute([line(1, 1210, 2)], [SetQuantity(1, 1)], tax=0)
        assert result.old.tax_minor == 0
        assert result.new.tax_minor == 210

    def test_as_dict_is_json_friendly(self) -> None:
        import json

        data: dict[str, Any] = compute([line(1, 1210, 2)], [SetQuantity(1, 1)]).as_dict()
        assert json.loads(json.dumps(data)) == data
        assert data["difference_minor"] == -1210
        assert data["new"]["tax_by_rate"] == [{"rate_bp": 2100, "tax_minor": 210}]


class TestRefusals:
    def test_removing_every_line_is_refused_with_what_to_do_instead(self) -> None:
        with pytest.raises(AmendmentRejected) as exc:
            compute([line(1, 100), line(2, 100)], [SetQuantity(1, 0), SetQuantity(2, 0)])
        assert codes(exc) == ["empty_order"]
        # What to do instead: the cancellation action (issue 11), not "contact the shop".
        assert '"Cancel the order"' in exc.value.problems[0].text

    @pytest.mark.parametrize(
        ("quantity", "code"), [(-1, "quantity_too_low"), (100, "quantity_too_high")]
    )
    def test_quantity_bounds(self, quantity: int, code: str) -> None:
        with pytest.raises(AmendmentRejected) as exc:
            compute([line(1, 100)], [SetQuantity(1, quantity)])
        assert codes(exc) == [code]

    def test_ninety_nine_is_the_most(self) -> None:
        result = compute([line(1, 100)], [SetQuantity(1, 99)], {"SKU-1": product("SKU-1", 100, 98)})
        assert result.lines[0].quantity == 99

    def test_adding_zero_units_is_refused(self) -> None:
        with pytest.raises(AmendmentRejected) as exc:
            compute([line(1, 100)], [AddProduct("A", 0)], {"A": product("A", 100)})
        assert codes(exc) == ["quantity_too_low"]

    def test_unknown_line_unknown_sku_and_out_of_stock_are_reported_together(self) -> None:
        with pytest.raises(AmendmentRejected) as exc:
            compute(
                [line(1, 100)],
                [SetQuantity(9, 1), AddProduct("NOPE", 1), AddProduct("EMPTY", 1)],
                {"EMPTY": product("EMPTY", 100, 0)},
            )
        assert codes(exc) == ["unknown_line", "unknown_sku", "out_of_stock"]
        assert [p.loc for p in exc.value.problems] == [
            ("actions", 0, "line_no"),
            ("actions", 1, "sku"),
            ("actions", 2, "quantity"),
        ]

    def test_a_product_already_on_the_order_is_changed_by_quantity_not_added(self) -> None:
        with pytest.raises(AmendmentRejected) as exc:
            compute([line(1, 100)], [AddProduct("SKU-1", 1)])
        assert codes(exc) == ["already_on_order"]

    def test_the_same_line_twice_is_refused(self) -> None:
        with pytest.raises(AmendmentRejected) as exc:
            compute([line(1, 100, 3)], [SetQuantity(1, 1), SetQuantity(1, 2)])
        assert codes(exc) == ["duplicate_line"]

    def test_nothing_to_change(self) -> None:
        with pytest.raises(AmendmentRejected) as exc:
            compute([line(1, 100, 2)], [SetQuantity(1, 2)])
        assert codes(exc) == ["no_changes"]
        with pytest.raises(AmendmentRejected) as exc:
            compute([line(1, 100, 2)], [])
        assert codes(exc) == ["no_changes"]

    def test_another_currency_cannot_be_added(self) -> None:
        with pytest.raises(AmendmentRejected) as exc:
            compute(
                [line(1, 100)], [AddProduct("USD", 1)], {"USD": product("USD", 100, currency="USD")}
            )
        assert codes(exc) == ["currency_mismatch"]

    def test_raising_a_line_whose_product_is_gone_is_refused(self) -> None:
        gone = CurrentLine(1, "OLD", "Viejo", 100, 1, 2100, product_id=None)
        with pytest.raises(AmendmentRejected) as exc:
            amounts.compute(
                currency="EUR",
                lines=[gone],
                actions=[SetQuantity(1, 2)],
                products={},
                subtotal_minor=100,
                shipping_minor=0,
                discount_minor=0,
                tax_minor=0,
                total_minor=100,
            )
        assert codes(exc) == ["not_sold"]


class TestSettlement:
    @pytest.mark.parametrize(
        ("difference", "waive", "stripe", "reference", "expected"),
        [
            (0, 0, True, True, "none"),
            (-500, 0, True, True, "refund"),
            (-500, 0, True, False, "shop_to_settle"),
            (-500, 0, False, True, "shop_to_settle"),
            (500, 0, True, False, "payment"),
            (500, 0, False, True, "shop_to_settle"),
            (-99, 100, True, True, "waived"),
            (99, 100, True, True, "waived"),
            (-100, 100, True, True, "refund"),
            (100, 100, False, False, "shop_to_settle"),
        ],
    )
    def test_settlement(
        self, difference: int, waive: int, stripe: bool, reference: bool, expected: str
    ) -> None:
        assert (
            amounts.settlement_for(
                difference,
                waive_under_minor=waive,
                stripe_enabled=stripe,
                has_payment_reference=reference,
            )
            == expected
        )


class TestTaxWithADiscount:
    def test_the_shops_lower_tax_for_a_discount_is_kept_when_lines_change(self) -> None:
        # 12100 + 1210 at 21 %, 2000 discount; the shop stated 1963 of tax (less than the
        # lines' 2310 because of the discount). One more 1210 unit adds its own 210, no more.
        lines = [
            CurrentLine(
                line_no=1,
                sku="A",
                name="A",
                product_id=1,
                unit_price_minor=12100,
                quantity=1,
                tax_rate_bp=2100,
            ),
            CurrentLine(
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
                "B": ProductInfo(
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


class TestDiscountedAmendments:
    """The amendment with stored discount shares (`orders.discounts`), over many orders."""

    def test_the_issue_two_discounted_coats_one_removed(self) -> None:
        coat = CurrentLine(1, "ABRIGO", "Abrigo", 4800, 2, 2100, 1, discount_minor=1920)
        result = amounts.compute(
            currency="EUR",
            lines=[coat],
            actions=[SetQuantity(1, 1)],
            products={"ABRIGO": product("ABRIGO", 4800)},
            subtotal_minor=9600,
            shipping_minor=0,
            discount_minor=1920,
            tax_minor=1333,
            total_minor=7680,
        )
        assert (result.difference_minor, result.new.total_minor) == (-3840, 3840)
        assert (result.new.discount_minor, result.lines[0].discount_minor) == (960, 960)
        assert result.new.tax_minor == 666

    @settings(max_examples=200, deadline=None)
    @given(
        spec=st.lists(
            st.tuples(
                st.integers(min_value=1, max_value=50_000), st.integers(min_value=1, max_value=9)
            ),
            min_size=1,
            max_size=5,
        ),
        discount=st.integers(min_value=0, max_value=100_000),
        shipping=st.integers(min_value=0, max_value=1_000),
        data=st.data(),
    )
    def test_lowering_gives_back_exactly_what_the_removed_units_were_paid_for(
        self,
        spec: list[tuple[int, int]],
        discount: int,
        shipping: int,
        data: st.DataObject,
    ) -> None:
        gross = [price * qty for price, qty in spec]
        shares = allocate(discount, gross)
        lines = [
            CurrentLine(n, f"S{n}", f"A{n}", price, qty, 2100, n, discount_minor=share)
            for n, ((price, qty), share) in enumerate(zip(spec, shares, strict=True), start=1)
        ]
        kept = data.draw(st.integers(min_value=0, max_value=len(lines) - 1))
        actions = []
        for line in lines:
            low = 1 if line.line_no == kept + 1 else 0  # something must be left
            new_qty = data.draw(st.integers(min_value=low, max_value=line.quantity))
            if new_qty != line.quantity:
                actions.append(SetQuantity(line.line_no, new_qty))
        if not actions:
            return
        subtotal = sum(gross)
        total = subtotal + shipping - discount
        if total < 0:
            return
        result = amounts.compute(
            currency="EUR",
            lines=lines,
            actions=actions,
            products={line.sku: product(line.sku, line.unit_price_minor) for line in lines},
            subtotal_minor=subtotal,
            shipping_minor=shipping,
            discount_minor=discount,
            tax_minor=0,
            total_minor=total,
        )
        wanted = {a.line_no: a.quantity for a in actions}
        expected = sum(
            paid_for_units(line, line.quantity - wanted[line.line_no])
            for line in lines
            if line.line_no in wanted
        )
        assert result.difference_minor == -expected
        # Never more than paid: each line's refund within its exact share of what it cost.
        for line in lines:
            if line.line_no in wanted:
                units = line.quantity - wanted[line.line_no]
                refund = paid_for_units(line, units)
                assert refund * line.quantity <= units * paid_for_line(line)
        unallocated = discount - sum(shares)
        assert result.new.discount_minor == unallocated + sum(
            ln.discount_minor for ln in result.lines
        )
        assert result.new.total_minor == (
            result.new.subtotal_minor + shipping - result.new.discount_minor
        )
