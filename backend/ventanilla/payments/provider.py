"""The only module that talks to Stripe: plain dicts out, one error type (ProviderError) out.

The SDK never retries by itself (`max_network_retries=0`): a retried refund after a read timeout
would be a second refund on a provider that ignores idempotency keys (localstripe does). Retrying
is the ledger's business (`service.execute_refunds`), which first looks for the refund it may
already have made.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import stripe

from ventanilla.config import Settings, get_settings
from ventanilla.payments.currency import to_stripe


def stripe_enabled() -> bool:
    """Whether this shop takes money through Stripe (a secret key is configured)."""
    key = get_settings().stripe_secret_key
    return key is not None and bool(key.get_secret_value().strip())


class ProviderError(Exception):
    """A call that failed. `permanent`: asking again cannot succeed (4xx other than auth/429)."""

    def __init__(self, message: str, *, permanent: bool, status: int | None = None) -> None:
        super().__init__(message)
        self.permanent = permanent
        self.status = status


@lru_cache(maxsize=4)
def _client(api_key: str, api_base: str | None, timeout: float) -> stripe.StripeClient:
    return stripe.StripeClient(
        api_key,
        base_addresses={"api": api_base} if api_base else None,
        max_network_retries=0,
        http_client=stripe.RequestsClient(timeout=timeout),
    )


def client(settings: Settings | None = None) -> stripe.StripeClient:
    settings = settings or get_settings()
    if settings.stripe_secret_key is None:
        raise ProviderError("Stripe is not configured", permanent=True)
    return _client(
        settings.stripe_secret_key.get_secret_value(),
        settings.stripe_api_base,
        settings.stripe_timeout_seconds,
    )


def _translate(exc: stripe.StripeError) -> ProviderError:
    status = exc.http_status
    text = f"{type(exc).__name__}: {exc.user_message or str(exc) or 'no message'}"
    # Network trouble, 5xx, rate limits and a wrong/revoked key are worth retrying: the last one
    # once the shop fixes its configuration. Anything else is Stripe saying "no" to this request.
    transient = isinstance(
        exc,
        stripe.APIConnectionError
        | stripe.APIError
        | stripe.RateLimitError
        | stripe.AuthenticationError,
    ) or (status is not None and (status >= 500 or status in (401, 409, 429)))
    return ProviderError(text[:900], permanent=not transient, status=status)


def _call(fn: Any, *args: Any, **kwargs: Any) -> dict[str, Any]:
    try:
        result = fn(*args, **kwargs)
    except stripe.StripeError as exc:
        raise _translate(exc) from exc
    return dict(result.to_dict())


def retrieve_intent(intent_id: str) -> dict[str, Any]:
    return _call(client().v1.payment_intents.retrieve, intent_id)


def create_intent(
    *, amount_minor: int, currency: str, metadata: dict[str, str], idempotency_key: str
) -> dict[str, Any]:
    return _call(
        client().v1.payment_intents.create,
        params={
            "amount": _exact(amount_minor, currency),
            "currency": currency.lower(),
            "payment_method_types": ["card"],
            "metadata": metadata,
        },
        options={"idempotency_key": idempotency_key},
    )


def cancel_intent(intent_id: str) -> dict[str, Any]:
    return _call(client().v1.payment_intents.cancel, intent_id)


def list_refunds(intent_id: str) -> list[dict[str, Any]]:
    listed = _call(client().v1.refunds.list, params={"payment_intent": intent_id, "limit": 100})
    return list(listed.get("data") or [])


class InvalidSignature(Exception):
    """The Stripe-Signature header does not match the body, or its timestamp is too old."""


def verify_webhook(payload: bytes, header: str | None, secret: str, *, tolerance: int) -> None:
    """Check a webhook as Stripe documents it (HMAC-SHA256 of "t.body", timestamp tolerance)."""
    try:
        stripe.Webhook.construct_event(payload, header, secret, tolerance=tolerance)
    except stripe.SignatureVerificationError as exc:
        raise InvalidSignature(str(exc).split(" (")[0]) from exc
    except (ValueError, TypeError, KeyError, AttributeError, IndexError) as exc:
        # Signed but not an event (construct_event parses the body after verifying it).
        raise InvalidSignature(f"the body is not a Stripe event ({type(exc).__name__})") from exc


def create_refund(
    *,
    intent_id: str,
    amount_minor: int,
    currency: str,
    metadata: dict[str, str],
    idempotency_key: str,
) -> dict[str, Any]:
    return _call(
        client().v1.refunds.create,
        params={
            "payment_intent": intent_id,
            "amount": _exact(amount_minor, currency),
            "metadata": metadata,
        },
        options={"idempotency_key": idempotency_key},
    )


def _exact(amount_minor: int, currency: str) -> int:
    """Stripe's amount for ours; callers round first (`currency.to_stripe`), so none is lost."""
    converted = to_stripe(amount_minor, currency)
    if converted.remainder_minor:
        raise ProviderError(
            f"{amount_minor} {currency} is not an amount Stripe accepts", permanent=True
        )
    return converted.amount
