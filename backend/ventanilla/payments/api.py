"""Stripe's webhook: public (no API key), authenticated by the Stripe-Signature header."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, BackgroundTasks, Depends, Header, Request

from ventanilla.core.deps import SessionDep
from ventanilla.payments import service
from ventanilla.payments.schemas import StripeWebhookAck

router = APIRouter(tags=["stripe"])


async def raw_body(request: Request) -> bytes:
    # The signature covers the exact bytes: read them before anything parses the body.
    return await request.body()


@router.post("/stripe/webhook", response_model=StripeWebhookAck, include_in_schema=False)
def stripe_webhook(
    session: SessionDep,
    background: BackgroundTasks,
    payload: Annotated[bytes, Depends(raw_body)],
    stripe_signature: Annotated[str | None, Header()] = None,
) -> StripeWebhookAck:
    """Receive a Stripe event (verified, stored by id, applied once)."""
    result = service.handle_webhook(session, payload=payload, signature=stripe_signature)
    # Refunds the event caused are made after the commit (the worker retries them otherwise).
    for entry_id in result.refund_ids:
        background.add_task(service.execute_refund_now, entry_id)
    return StripeWebhookAck(duplicate=result.duplicate, handled=result.handled)
