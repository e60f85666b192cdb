"""JSON routes for the store integration (catalog)."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(tags=["catalog"])
