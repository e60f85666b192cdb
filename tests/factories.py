"""Test data builders. Each flushes, so the rows have ids; commit when the API must see them."""

from __future__ import annotations

import itertools
from datetime import datetime, timedelta
from typing import Any

from sqlmodel import Session

from ventanilla.catalog.models import Product
from ventanilla.core import clock
from ventanilla.customers.models import Customer
from ventanilla.orders.models import Order, OrderAddress, OrderLine

_seq = itertools.count(1)


def make_customer(session: Session, **overrides: Any) -> Customer:
    n = next(_seq)
    values: dict[str, Any] = {
        "email": f"cliente{n}@example.com",
        "name": f"Cliente {n}",
        "phone": f"+3460000{n:04d}",
        "locale": "es",
    }
    values.update(overrides)
    customer = Customer(**values)
    session.add(customer)
    session.flush()
    return customer


def make_product(session: Session, **overrides: Any) -> Product:
    n = next(_seq)
    values: dict[str, Any] = {
        "sku": f"SKU-{n}",
        "name": f"Juguete {n}",
        "price_minor": 1999,
        "currency": "EUR",
        "tax_rate_bp": 2100,
        "stock_on_hand": 10,
    }
    values.update(overrides)
    product = Product(**values)
    session.add(product)
    session.flush()
    return product


def make_order(
    session: Session,
    *,
    customer: Customer | None = None,
    status: str = "paid",
    lines: int | list[Product] = 2,
    placed_at: datetime | None = None,
    **overrides: Any,
) -> Order:
    """An order with `lines` lines (products made on the fly when a count is given)."""
    customer = customer or make_customer(session)
    products = lines if isinstance(lines, list) else [make_product(session) for _ in range(lines)]
    placed = placed_at or clock.now() - timedelta(hours=2)
    subtotal = sum(p.price_minor for p in products)
    values: dict[str, Any] = {
        "number": f"ES-{next(_seq):06d}",
        "customer_id": customer.id,
        "status": status,
        "currency": "EUR",
        "subtotal_minor": subtotal,
        "shipping_minor": 0,
        "tax_minor": 0,
        "total_minor": subtotal,
        "placed_at": placed,
        "status_at": placed,
        "content_hash": "factory",
        "locale": customer.locale,
    }
    values.update(overrides)
    order = Order(**values)
    session.add(order)
    session.flush()
    for i, product in enumerate(products, start=1):
        session.add(
            OrderLine(
                order_id=order.id,
                line_no=i,
                product_id=product.id,
                sku=product.sku,
                name=product.name,
                unit_price_minor=product.price_minor,
                quantity=1,
                tax_rate_bp=2100,
                total_minor=product.price_minor,
            )
        )
    session.add(
        OrderAddress(
            order_id=order.id,
            kind="shipping",
            name=customer.name,
            line1="Calle Mayor 1",
            postcode="28013",
            city="Madrid",
            region="Madrid",
            country="ES",
        )
    )
    session.flush()
    return order


# --- JSON bodies for the store API ------------------------------------------------------------


def product_payload(**overrides: Any) -> dict[str, Any]:
    """A valid body for PUT /api/v1/products/{sku}."""
    body: dict[str, Any] = {
        "name": "Tren de madera",
        "price_minor": 2495,
        "currency": "EUR",
        "stock_on_hand": 8,
        "returnable": True,
        "final_sale": False,
        "image_url": "https://tienda.example/img/tren.jpg",
    }
    body.update(overrides)
    return body


def order_payload(
    lines: list[tuple[str, int, int]],
    *,
    email: str = "lucia.garcia@example.com",
    shipping_minor: int = 495,
    discount_minor: int = 0,
    **overrides: Any,
) -> dict[str, Any]:
    """A consistent body for PUT /api/v1/orders/{number}; lines are (sku, unit price, qty)."""
    subtotal = sum(price * qty for _, price, qty in lines)
    total = subtotal + shipping_minor - discount_minor
    address = {
        "name": "Lucía García",
        "line1": "Calle Mayor 3, 2º A",
        "postcode": "28013",
        "city": "Madrid",
        "region": "Madrid",
        "country": "ES",
        "phone": "+34 600 111 222",
    }
    body: dict[str, Any] = {
        "customer": {
            "email": email,
            "name": "Lucía García",
            "phone": "+34600111222",
            "locale": "es",
        },
        "shipping_address": address,
        "billing_address": dict(address),
        "lines": [
            {
                "sku": sku,
                "name": f"Artículo {sku}",
                "unit_price_minor": price,
                "quantity": qty,
                "tax_rate": "21",
            }
            for sku, price, qty in lines
        ],
        "totals": {
            "subtotal_minor": subtotal,
            "shipping_minor": shipping_minor,
            "discount_minor": discount_minor,
            "tax_minor": total - round(total / 1.21),
            "total_minor": total,
        },
        "currency": "EUR",
        "placed_at": "2026-11-20T10:15:00+01:00",
        "status": "paid",
        "payment_reference": "pi_3TestPaymentIntent01",
        "locale": "es",
    }
    body.update(overrides)
    return body
