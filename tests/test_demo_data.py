"""The demo shop's figures agree with themselves (issue 10: the order page's VAT was one cent
off the invoice): for every demo order with an invoice, the VAT the order states is the VAT
the invoice states, and the invoice's lines add up to its breakdown and totals."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from ventanilla import demo_data
from ventanilla.changes.tax import included_tax
from ventanilla.invoices.schemas import InvoiceCreate

NOW = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize("seed", [7, 1, 2, 3, 42])
def test_every_demo_invoice_states_the_vat_its_order_states(seed: int) -> None:
    invoiced = [o for o in demo_data.orders(NOW, seed=seed) if o.invoice is not None]
    assert invoiced
    for order in invoiced:
        invoice = order.invoice
        assert invoice is not None
        InvoiceCreate.model_validate({k: v for k, v in invoice.items() if k != "number"})
        totals = order.payload["totals"]
        assert totals["tax_minor"] == invoice["totals"]["tax_minor"], order.number
        assert totals["total_minor"] == invoice["totals"]["total_minor"]
        assert sum(x["tax_minor"] for x in invoice["lines"]) == invoice["totals"]["tax_minor"]
        assert sum(x["net_minor"] for x in invoice["lines"]) == invoice["totals"]["net_minor"]
        assert totals["tax_minor"] == included_tax(totals["total_minor"], 2100)


def test_demo_products_carry_a_vat_rate_so_shoppers_can_add_them() -> None:
    assert all(product["tax_rate"] == "21" for product in demo_data.product_payloads())
