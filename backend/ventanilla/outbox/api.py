"""JSON routes for the store integration (webhooks)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Response, status

from ventanilla.apikeys.deps import WebhooksManager
from ventanilla.core.deps import SessionDep
from ventanilla.core.handlers import ErrorResponse
from ventanilla.outbox import service
from ventanilla.outbox.events import EVENT_DESCRIPTIONS
from ventanilla.outbox.schemas import (
    WebhookDeliveryList,
    WebhookDeliveryRead,
    WebhookEndpointCreate,
    WebhookEndpointCreatedRead,
    WebhookEndpointList,
    WebhookEndpointRead,
    WebhookMessageRead,
)

router = APIRouter(tags=["webhooks"])
POSITION = 60
OPENAPI_TAGS = [{"name": "webhooks", "description": "Where Ventanilla sends events, and the log"}]

EndpointId = Annotated[int, Path(ge=1, le=2_147_483_647, description="Webhook endpoint id")]
MessageId = Annotated[
    str, Path(min_length=1, max_length=40, description="Message id (the webhook-id header)")
]

NOT_FOUND: dict[int | str, dict[str, Any]] = {
    404: {"model": ErrorResponse, "description": "No such webhook endpoint (or it was deleted)"}
}

EVENTS_DOC = "\n".join(f"- `{name}`: {text}" for name, text in EVENT_DESCRIPTIONS.items())
SIGNING_DOC = f"""
Every event is a `POST` with a JSON body `{{"type", "timestamp", "data"}}` and the
[Standard Webhooks](https://www.standardwebhooks.com/) headers `webhook-id`, `webhook-timestamp`
and `webhook-signature`; verify them with the endpoint's secret (e.g.
`standardwebhooks.Webhook(secret).verify(body, headers)`). Answer 2xx within 10 seconds; anything
else is retried with exponential backoff (10 s, 20 s, 40 s ... for about 6 hours), always with the
same `webhook-id`, so drop an id you have already handled. Redirects are not followed.

Event types:

{EVENTS_DOC}
"""


@router.post(
    "/webhooks",
    status_code=status.HTTP_201_CREATED,
    response_model=WebhookEndpointCreatedRead,
    summary="Register a webhook endpoint",
    description="Register where Ventanilla sends events. The response holds the signing secret, "
    "shown only this once.\n" + SIGNING_DOC,
)
def create_webhook(
    body: WebhookEndpointCreate, session: SessionDep, actor: WebhooksManager
) -> WebhookEndpointCreatedRead:
    """Register a webhook endpoint; the secret is shown only in this response."""
    endpoint = service.create_endpoint(
        session,
        actor=actor,
        url=body.url,
        events=[e.value for e in body.events],
        description=body.description,
    )
    return WebhookEndpointCreatedRead.of(endpoint)


@router.get("/webhooks", response_model=WebhookEndpointList, summary="List webhook endpoints")
def list_webhooks(
    session: SessionDep,
    actor: WebhooksManager,
    include_disabled: Annotated[
        bool, Query(description="Also list endpoints that were deleted (disabled).")
    ] = False,
) -> WebhookEndpointList:
    """List the registered webhook endpoints (without their secrets)."""
    rows = service.list_endpoints(session, include_disabled=include_disabled)
    return WebhookEndpointList(data=[WebhookEndpointRead.of(e) for e in rows], count=len(rows))


@router.get(
    "/webhooks/{endpoint_id}",
    response_model=WebhookEndpointRead,
    responses=NOT_FOUND,
    summary="Get a webhook endpoint",
)
def get_webhook(
    endpoint_id: EndpointId, session: SessionDep, actor: WebhooksManager
) -> WebhookEndpointRead:
    """One webhook endpoint (without its secret)."""
    return WebhookEndpointRead.of(service.get_endpoint(session, endpoint_id=endpoint_id))


@router.delete(
    "/webhooks/{endpoint_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    responses=NOT_FOUND,
    summary="Delete (disable) a webhook endpoint",
)
def delete_webhook(
    endpoint_id: EndpointId, session: SessionDep, actor: WebhooksManager
) -> Response:
    """Stop sending events to this endpoint. It is then gone from the API (404), except from
    `GET /webhooks?include_disabled=true`; its messages and delivery log are kept."""
    service.disable_endpoint(session, actor=actor, endpoint_id=endpoint_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post(
    "/webhooks/{endpoint_id}/ping",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=WebhookMessageRead,
    responses=NOT_FOUND,
    summary="Send a test event",
)
def ping_webhook(
    endpoint_id: EndpointId, session: SessionDep, actor: WebhooksManager
) -> WebhookMessageRead:
    """Queue a `ping` event to this endpoint only; watch it arrive in the delivery log."""
    return WebhookMessageRead.of(
        service.ping_endpoint(session, actor=actor, endpoint_id=endpoint_id)
    )


@router.get(
    "/webhooks/{endpoint_id}/deliveries",
    response_model=WebhookDeliveryList,
    responses=NOT_FOUND,
    summary="The delivery log of an endpoint",
)
def list_deliveries(
    endpoint_id: EndpointId,
    session: SessionDep,
    actor: WebhooksManager,
    limit: Annotated[int, Query(ge=1, le=200, description="How many attempts to show")] = 50,
) -> WebhookDeliveryList:
    """Every delivery attempt to this endpoint, newest first."""
    rows, count = service.endpoint_deliveries(session, endpoint_id=endpoint_id, limit=limit)
    return WebhookDeliveryList(data=[WebhookDeliveryRead.of(r) for r in rows], count=count)


@router.post(
    "/webhooks/messages/{message_id}/retry",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=WebhookMessageRead,
    responses={
        404: {"model": ErrorResponse, "description": "No such webhook message"},
        409: {
            "model": ErrorResponse,
            "description": "Already delivered, or the endpoint is disabled",
        },
    },
    summary="Retry a webhook message now",
)
def retry_message(
    message_id: MessageId, session: SessionDep, actor: WebhooksManager
) -> WebhookMessageRead:
    """Queue a pending or dead (given up) message for an immediate new attempt."""
    return WebhookMessageRead.of(service.retry_message(session, actor=actor, message_id=message_id))
