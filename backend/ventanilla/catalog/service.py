"""Products and stock as the shop pushes them."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlmodel import Session

from ventanilla.catalog import repository
from ventanilla.catalog.models import Product
from ventanilla.catalog.schemas import ProductCreate, StockLevelUpdate, StockResult, WriteResult
from ventanilla.core import clock
from ventanilla.core.actors import Actor
from ventanilla.core.errors import FieldErrors
from ventanilla.core.fields import basis_points


@dataclass(frozen=True)
class ProductWrite:
    product: Product
    result: WriteResult


@dataclass(frozen=True)
class StockOutcome:
    product: Product
    result: StockResult


def products_by_sku(session: Session, skus: Iterable[str]) -> dict[str, Product]:
    """The known products among `skus`, in one query."""
    return repository.by_skus(session, skus)


def put_product(session: Session, *, actor: Actor, sku: str, data: ProductCreate) -> ProductWrite:
    """Create the product or bring it in line with the shop's data."""
    now = clock.now()
    wanted: dict[str, Any] = {
        "name": data.name,
        "price_minor": data.price_minor,
        "currency": data.currency,
        "tax_rate_bp": basis_points(data.tax_rate) if data.tax_rate is not None else None,
        "stock_on_hand": data.stock_on_hand,
        "returnable": data.returnable,
        "final_sale": data.final_sale,
        "tags": sorted(set(data.tags)),
        "image_url": str(data.image_url) if data.image_url is not None else None,
        "group_sku": data.group_sku,
    }
    product = repository.get_by_sku(session, sku, for_update=True)
    if product is None:
        product = Product(sku=sku, stock_updated_at=now, **wanted)
        if repository.insert(session, product):
            return ProductWrite(product, "created")
        # A concurrent push created it first; apply ours on top, as a later push would.
        product = repository.get_by_sku(session, sku, for_update=True)
        if product is None:  # pragma: no cover - the unique index said it exists
            raise RuntimeError(f"product {sku} vanished")
    changed = {k: v for k, v in wanted.items() if getattr(product, k) != v}
    if not changed:
        return ProductWrite(product, "unchanged")
    for key, value in changed.items():
        setattr(product, key, value)
    if "stock_on_hand" in changed:
        product.stock_updated_at = now
    product.updated_at = now
    repository.flush(session)
    return ProductWrite(product, "updated")


def set_stock_levels(
    session: Session, *, actor: Actor, items: list[StockLevelUpdate]
) -> list[StockOutcome]:
    """Apply stock counts all-or-nothing; a count older than the stored one is skipped."""
    products = repository.by_skus(session, (item.sku for item in items), for_update=True)
    unknown: list[tuple[tuple[str | int, ...], str, str]] = [
        (("body", "items", index, "sku"), f"Unknown SKU {item.sku!r}.", "unknown_sku")
        for index, item in enumerate(items)
        if item.sku not in products
    ]
    now = clock.now()
    # A count from the far future would make every real count after it look stale: the
    # schema's UTCDatetime refuses those before we get here.
    if unknown:
        raise FieldErrors(unknown)
    outcomes: list[StockOutcome] = []
    for item in items:
        product = products[item.sku]
        at = item.at or now
        result: StockResult
        if product.stock_updated_at is not None and at < product.stock_updated_at:
            result = "stale"
        elif product.stock_on_hand == item.stock_on_hand:
            # A newer count confirming the level still moves the clock: a late older count
            # must not undo what this one confirmed.
            product.stock_updated_at = max(at, product.stock_updated_at or at)
            result = "unchanged"
        else:
            product.stock_on_hand = item.stock_on_hand
            product.stock_updated_at = at
            product.updated_at = now
            result = "updated"
        outcomes.append(StockOutcome(product, result))
    repository.flush(session)
    return outcomes
