"""JSON routes for the store integration (catalog)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Response

from ventanilla.apikeys.deps import CatalogWriter
from ventanilla.catalog import service
from ventanilla.catalog.schemas import (
    ProductCreate,
    ProductRead,
    ProductWriteRead,
    StockItemRead,
    StockUpdate,
    StockUpdateRead,
)
from ventanilla.core.deps import SessionDep
from ventanilla.core.fields import CODE_PATTERN

router = APIRouter(tags=["catalog"])
POSITION = 10
OPENAPI_TAGS = [{"name": "catalog", "description": "Products and stock"}]

SkuPath = Annotated[
    str,
    Path(
        min_length=1,
        max_length=64,
        pattern=CODE_PATTERN,
        description="The shop's SKU: 1-64 letters, digits, '.', '_' or '-'",
        examples=["CAMI-AZUL-M"],
    ),
]


@router.put(
    "/products/{sku}",
    response_model=ProductWriteRead,
    responses={201: {"model": ProductWriteRead, "description": "Created"}},
)
def put_product(
    sku: SkuPath,
    body: ProductCreate,
    actor: CatalogWriter,
    session: SessionDep,
    response: Response,
) -> ProductWriteRead:
    """Create or update a product; 201 when created, 200 with result updated/unchanged."""
    written = service.put_product(session, actor=actor, sku=sku, data=body)
    if written.result == "created":
        response.status_code = 201
    read = ProductRead.model_validate(written.product)
    return ProductWriteRead(**read.model_dump(), result=written.result)


@router.post("/stock", response_model=StockUpdateRead)
def post_stock(body: StockUpdate, actor: CatalogWriter, session: SessionDep) -> StockUpdateRead:
    """Set stock levels in bulk (up to 1000); one unknown SKU and nothing is applied."""
    outcomes = service.set_stock_levels(session, actor=actor, items=body.items)
    items = [
        StockItemRead(sku=o.product.sku, stock_on_hand=o.product.stock_on_hand, result=o.result)
        for o in outcomes
    ]
    return StockUpdateRead(
        updated=sum(1 for o in outcomes if o.result == "updated"),
        unchanged=sum(1 for o in outcomes if o.result == "unchanged"),
        stale=sum(1 for o in outcomes if o.result == "stale"),
        items=items,
    )
