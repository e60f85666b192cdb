"""JSON routes for the store integration (shipments)."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(tags=["shipments"])
