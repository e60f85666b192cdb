"""Catalog refusals."""

from __future__ import annotations

from ventanilla.core.errors import NotFound


class ProductNotFound(NotFound):
    code = "product_not_found"
    message = "Product not found."
