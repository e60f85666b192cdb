"""Stripe's webhook: public (no API key), authenticated by the Stripe-Signature header."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Header, Request

from ventanilla.core.deps import SessionDep
from ventanilla.payments import service
from ventanilla.payments.schemas import StripeWebhookRead

router = APIRouter(tags=["stripe"])
POSITION = 80


async def raw_body(request: Request) -> bytes:
    # The signature covers the exact bytes: read them before anything parses the body.
    return await request.body()


@router.post("/stripe/webhook", response_model=StripeWebhookRead, include_in_schema=False)
def stripe_webhook(
    session: SessionDep,
    payload: Annotated[bytes, Depends(raw_body)],
    stripe_signature: Annotated[str | None, Header()] = None,
) -> StripeWebhookRead:
    """Receive a Stripe event (verified, stored by id, applied once)."""
    # Refunds the event causes are made right after the commit (payments schedules them).
    result = service.handle_webhook(session, payload=payload, signature=stripe_signature)
    return StripeWebhookRead(duplicate=result.duplicate, handled=result.handled)
