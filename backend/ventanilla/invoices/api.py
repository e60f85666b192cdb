"""JSON routes for the store integration (invoices)."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(tags=["invoices"])
