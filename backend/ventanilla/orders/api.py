"""JSON routes for the store integration (orders)."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(tags=["orders"])
