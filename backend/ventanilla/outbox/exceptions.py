"""Refusals of the webhooks API."""

from __future__ import annotations

from ventanilla.core.errors import Conflict, NotFound


class WebhookEndpointNotFound(NotFound):
    code = "webhook_endpoint_not_found"
    message = "Webhook endpoint not found."


class OutboxMessageNotFound(NotFound):
    code = "webhook_message_not_found"
    message = "Webhook message not found."


class WebhookEndpointDisabled(Conflict):
    code = "webhook_endpoint_disabled"
    message = "This webhook endpoint is disabled; register a new one."


class MessageAlreadySent(Conflict):
    code = "webhook_message_already_sent"
    message = "This message was already delivered."
