"""Every query on products."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from ventanilla.catalog.models import Product


def get_by_sku(session: Session, sku: str, *, for_update: bool = False) -> Product | None:
    stmt = select(Product).where(Product.sku == sku)
    if for_update:
        stmt = stmt.with_for_update()
    return session.exec(stmt).first()


def by_skus(
    session: Session, skus: Iterable[str], *, for_update: bool = False
) -> dict[str, Product]:
    """Products for these SKUs in one statement; locked in SKU order to avoid deadlocks."""
    wanted = sorted(set(skus))
    if not wanted:
        return {}
    stmt = select(Product).where(col(Product.sku).in_(wanted)).order_by(col(Product.sku))
    if for_update:
        stmt = stmt.with_for_update()
    return {product.sku: product for product in session.exec(stmt).all()}


def insert(session: Session, product: Product) -> bool:
    """Insert in a savepoint; False when a concurrent writer took the SKU first."""
    try:
        with session.begin_nested():
            session.add(product)
    except IntegrityError:
        return False
    return True


def flush(session: Session) -> None:
    session.flush()
