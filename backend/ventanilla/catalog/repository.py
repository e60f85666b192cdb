"""Every query on products."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from ventanilla.catalog.models import Product
from ventanilla.core import collation, i18n
from ventanilla.core.fields import storable


def get_by_sku(session: Session, sku: str, *, for_update: bool = False) -> Product | None:
    if not storable(sku):
        return None
    stmt = select(Product).where(Product.sku == sku)
    if for_update:
        stmt = stmt.with_for_update()
    return session.exec(stmt).first()


def by_skus(
    session: Session, skus: Iterable[str], *, for_update: bool = False
) -> dict[str, Product]:
    """Products for these SKUs in one statement; locked in SKU order to avoid deadlocks."""
    wanted = sorted({sku for sku in skus if storable(sku)})
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


# --- stock reservations for order amendments ---------------------------------------------------


def reserve_stock(session: Session, product_id: int, quantity: int) -> bool:
    """Take `quantity` units atomically; False (nothing taken) when fewer are on hand.

    One conditional UPDATE: two transactions asking for the last unit cannot both succeed (the
    second waits for the first's row lock, then re-checks the condition on the new value).
    """
    stmt = (
        update(Product)
        .where(col(Product.id) == product_id, col(Product.stock_on_hand) >= quantity)
        .values(stock_on_hand=Product.stock_on_hand - quantity)
        .execution_options(synchronize_session=False)
    )
    result = session.exec(stmt)
    _expire(session, product_id)
    return result.rowcount == 1


def release_stock(session: Session, product_id: int, quantity: int) -> None:
    """Give back units taken by `reserve_stock` (or freed by a lowered quantity)."""
    stmt = (
        update(Product)
        .where(col(Product.id) == product_id)
        .values(stock_on_hand=Product.stock_on_hand + quantity)
        .execution_options(synchronize_session=False)
    )
    session.exec(stmt)
    _expire(session, product_id)


def _expire(session: Session, product_id: int) -> None:
    # A Product already loaded in this session must not show the old stock afterwards.
    for obj in list(session.identity_map.values()):
        if isinstance(obj, Product) and obj.id == product_id:
            session.expire(obj, ["stock_on_hand"])


def in_stock(
    session: Session, *, currency: str, limit: int = 100, locale: str | None = None
) -> list[Product]:
    """Products that can be sold now in `currency`, by name as a reader of `locale` (default:
    the request's language) sorts them (`core.collation`: "Ábaco" before "Xilófono"), at most
    `limit`. Two statements: the names of all candidates, then the chosen rows."""
    names = session.exec(
        select(Product.id, Product.name, Product.sku).where(
            Product.currency == currency, col(Product.stock_on_hand) > 0
        )
    ).all()
    reader = locale or i18n.current_locale.get()
    ordered = sorted(names, key=lambda row: (collation.sort_key(row[1], reader), row[2]))
    chosen = [row[0] for row in ordered[:limit]]
    if not chosen:
        return []
    rows = {p.id: p for p in session.exec(select(Product).where(col(Product.id).in_(chosen)))}
    return [rows[product_id] for product_id in chosen if product_id in rows]
