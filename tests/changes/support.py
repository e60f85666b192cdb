"""Shared set-up for the amendment tests: orders with stock, settings, database snapshots."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from tests.factories import make_customer, make_order, make_product
from ventanilla.catalog.models import Product
from ventanilla.config import Settings, use_settings
from ventanilla.core.actors import Actor
from ventanilla.customers.models import Customer
from ventanilla.db import session_scope
from ventanilla.orders.models import Order, OrderChange, OrderLine
from ventanilla.outbox import service as outbox_service
from ventanilla.outbox.models import OutboxMessage

# Everything an amendment may touch; a refusal or a preview must leave all of it as it was.
TABLES = (
    "orders",
    "order_lines",
    "products",
    "order_changes",
    "order_change_actions",
    "payment_ledger",
    "activity",
    "outbox_messages",
)


def snapshot(engine: Engine) -> dict[str, list[tuple[Any, ...]]]:
    with engine.connect() as conn:
        return {
            table: [tuple(row) for row in conn.execute(text(f"SELECT * FROM {table} ORDER BY 1"))]
            for table in TABLES
        }


def shop(
    session: Session,
    *,
    prices: tuple[int, ...] = (1210, 2420),
    stock: int = 10,
    payment_reference: str | None = None,
    customer: Customer | None = None,
    status: str = "paid",
    extra_products: tuple[tuple[str, int, int], ...] = (("NUEVO", 1000, 5),),
) -> tuple[Order, list[Product], dict[str, Product]]:
    """An order (one unit per line, 21 % VAT, tax stated), its products and products to add."""
    products = [make_product(session, price_minor=p, stock_on_hand=stock) for p in prices]
    extras = {
        sku: make_product(
            session, sku=sku, name=f"Producto {sku}", price_minor=price, stock_on_hand=units
        )
        for sku, price, units in extra_products
    }
    order = make_order(
        session,
        customer=customer or make_customer(session),
        lines=products,
        status=status,
        payment_reference=payment_reference,
    )
    order.tax_minor = sum(p.price_minor - round(p.price_minor * 100 / 121) for p in products)
    session.add(order)
    session.commit()
    return order, products, extras


def customer_of(order: Order) -> Customer:
    with session_scope(write=False) as s:
        customer = s.get(Customer, order.customer_id)
        assert customer is not None
        return customer


def actor_for(customer: Customer) -> Actor:
    return Actor.customer(customer.id or 0)


def reload_order(number: str) -> tuple[Order, list[OrderLine]]:
    with session_scope(write=False) as s:
        order = s.exec(select(Order).where(Order.number == number)).one()
        lines = list(
            s.exec(
                select(OrderLine).where(OrderLine.order_id == order.id).order_by(OrderLine.line_no)
            )
        )
        return order, lines


def stock_of(sku: str) -> int:
    with session_scope(write=False) as s:
        return s.exec(select(Product.stock_on_hand).where(Product.sku == sku)).one()


def changes_of(order: Order) -> list[OrderChange]:
    with session_scope(write=False) as s:
        return list(
            s.exec(
                select(OrderChange).where(OrderChange.order_id == order.id).order_by(OrderChange.id)
            )
        )


def outbox_messages(kind: str | None = None) -> list[OutboxMessage]:
    with session_scope(write=False) as s:
        rows = list(s.exec(select(OutboxMessage)))
    return [m for m in rows if kind is None or m.kind == kind]


def add_webhook_endpoint() -> None:
    with session_scope() as s:
        outbox_service.create_endpoint(
            s, actor=Actor.system(), url="http://127.0.0.1:9/hooks", events=["order.amended"]
        )


def with_policy(settings: Settings, tmp_path: Path, **policy: Any) -> Settings:
    """Install settings whose shop policy file says `policy`."""
    path = tmp_path / "policy.json"
    path.write_text(json.dumps(policy))
    changed = settings.model_copy(update={"policy_file": path})
    use_settings(changed)
    return changed
