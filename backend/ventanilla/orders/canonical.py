"""What "the same order" means: the canonical form of a push and of what is stored, and its hash.

`PUT /orders/{number}` is idempotent by content: the same canonical form hashes the same, so a
repeated push changes nothing. Changing this form changes every stored hash: do it with a
migration that recomputes them.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from typing import TYPE_CHECKING, Any

from ventanilla.core import clock
from ventanilla.core.fields import basis_points
from ventanilla.orders.addresses import Address, AddressCreate
from ventanilla.orders.models import OrderAddress
from ventanilla.orders.schemas import OrderCreate

if TYPE_CHECKING:
    from ventanilla.orders.service import OrderView


def address(source: AddressCreate | OrderAddress | None) -> dict[str, Any] | None:
    return None if source is None else dict(Address.of(source).as_dict())


def canonical(data: OrderCreate) -> dict[str, Any]:
    return {
        "customer_email": data.customer.email,
        "customer_profile": {
            "name": data.customer.name,
            "phone": data.customer.phone,
            "locale": data.customer.locale,
        },
        "shipping_address": address(data.shipping_address),
        "billing_address": address(data.billing_address),
        "lines": [
            {
                "sku": line.sku,
                "name": line.name,
                "unit_price_minor": line.unit_price_minor,
                "quantity": line.quantity,
                "tax_rate_bp": basis_points(line.tax_rate),
            }
            for line in data.lines
        ],
        "totals": data.totals.model_dump(),
        "currency": data.currency,
        "placed_at": iso(data.placed_at),
        "payment_reference": data.payment_reference,
        "locale": data.locale,
        "status": data.status,
    }


def stored_canonical(view: OrderView) -> dict[str, Any]:
    order = view.order
    return {
        "customer_email": view.customer.email,
        "shipping_address": address(view.addresses.get("shipping")),
        "billing_address": address(view.addresses.get("billing")),
        "lines": [
            {
                "sku": line.sku,
                "name": line.name,
                "unit_price_minor": line.unit_price_minor,
                "quantity": line.quantity,
                "tax_rate_bp": line.tax_rate_bp,
            }
            for line in view.lines
        ],
        "totals": {
            "subtotal_minor": order.subtotal_minor,
            "shipping_minor": order.shipping_minor,
            "discount_minor": order.discount_minor,
            "tax_minor": order.tax_minor,
            "total_minor": order.total_minor,
        },
        "currency": order.currency,
        "placed_at": iso(order.placed_at),
        "payment_reference": order.payment_reference,
        "locale": order.locale,
        "status": order.status,
    }


def iso(value: datetime) -> str:
    return clock.as_utc(value).isoformat()


def digest(canonical: dict[str, Any]) -> str:
    text = json.dumps(canonical, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()
