"""The preview of an item amendment: the order as it would be, computed from the database rows
(the arithmetic itself is pure, in `changes.amounts`). Writes nothing."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlmodel import Session

from ventanilla.catalog import repository as catalog_repository
from ventanilla.catalog.models import Product
from ventanilla.changes import amounts
from ventanilla.changes.amounts import AddProduct, AmendmentRejected, SetQuantity
from ventanilla.changes.exceptions import AmendmentInvalid
from ventanilla.config import get_settings
from ventanilla.orders import repository as orders_repository
from ventanilla.orders.models import Order, OrderChangeAction
from ventanilla.payments import service as payments


@dataclass(frozen=True)
class Preview:
    """What the order would become: lines, totals, difference and how it would be settled."""

    order: Order
    amendment: amounts.Amendment
    settlement: amounts.Settlement

    @property
    def difference_minor(self) -> int:
        return self.amendment.difference_minor

    def as_dict(self) -> dict[str, Any]:
        return {**self.amendment.as_dict(), "settlement": self.settlement}


def paid_with_stripe(order: Order) -> bool:
    """Only a Stripe PaymentIntent can be refunded through Stripe."""
    return (order.payment_reference or "").startswith("pi_")


def settlement_for(
    order: Order, difference_minor: int, *, captured: bool | None = None
) -> amounts.Settlement:
    """How this order's difference would be settled now (shop policy, Stripe, payment).

    `captured`: whether the order's payment was taken; by default, once the shop has said
    the order is paid (an order still `placed` was not charged, whatever its payment method).
    """
    return amounts.settlement_for(
        difference_minor,
        waive_under_minor=get_settings().policy().waive_difference_under_minor,
        stripe_enabled=payments.stripe_enabled(),
        has_payment_reference=paid_with_stripe(order),
        captured=order.status != "placed" if captured is None else captured,
    )


def compute_preview(session: Session, order: Order, actions: Sequence[amounts.Action]) -> Preview:
    assert order.id is not None
    lines = orders_repository.lines(session, order.id)
    current = [
        amounts.CurrentLine(
            line_no=line.line_no,
            sku=line.sku,
            name=line.name,
            unit_price_minor=line.unit_price_minor,
            quantity=line.quantity,
            tax_rate_bp=line.tax_rate_bp,
            product_id=line.product_id,
            discount_minor=line.discount_minor,
        )
        for line in lines
    ]
    by_no = {line.line_no: line for line in lines}
    skus = {a.sku for a in actions if isinstance(a, AddProduct)}
    skus |= {
        by_no[a.line_no].sku for a in actions if isinstance(a, SetQuantity) and a.line_no in by_no
    }
    products = catalog_repository.by_skus(session, skus)
    try:
        amendment = amounts.compute(
            currency=order.currency,
            lines=current,
            actions=actions,
            products={sku: product_info(p) for sku, p in products.items()},
            subtotal_minor=order.subtotal_minor,
            shipping_minor=order.shipping_minor,
            discount_minor=order.discount_minor,
            tax_minor=order.tax_minor,
            total_minor=order.total_minor,
        )
    except AmendmentRejected as exc:
        raise AmendmentInvalid(exc.problems) from None
    settlement = settlement_for(order, amendment.difference_minor)
    return Preview(order=order, amendment=amendment, settlement=settlement)


def product_info(product: Product) -> amounts.ProductInfo:
    return amounts.ProductInfo(
        sku=product.sku,
        name=product.name,
        price_minor=product.price_minor,
        currency=product.currency,
        stock_on_hand=product.stock_on_hand,
        product_id=product.id,
        tax_rate_bp=product.tax_rate_bp,
    )


def action_skus(
    actions: Sequence[amounts.Action], amendment: amounts.Amendment
) -> list[tuple[int, str]]:
    """(index, sku) of each action, to point a failed reservation at the field that asked."""
    sku_of_line = {line.line_no: line.sku for line in amendment.lines}
    result = []
    for index, action in enumerate(actions):
        sku = action.sku if isinstance(action, AddProduct) else sku_of_line.get(action.line_no)
        if sku:
            result.append((index, sku))
    return result


def action_rows(amendment: amounts.Amendment) -> list[OrderChangeAction]:
    rows = []
    for line in amendment.changed_lines:
        kind = {"removed": "remove_line", "added": "add_product"}.get(line.state, "set_quantity")
        rows.append(
            OrderChangeAction(
                change_id=0,  # set by add_change
                action=kind,
                line_no=line.line_no,
                sku=line.sku,
                name=line.name,
                quantity_before=line.quantity_before,
                quantity_after=line.quantity,
                unit_price_minor=line.unit_price_minor,
                tax_rate_bp=line.tax_rate_bp,
            )
        )
    return rows
