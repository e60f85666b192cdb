"""Refusals around money; shopper-facing messages are msgids (pages translate them)."""

from __future__ import annotations

from ventanilla.core.errors import AppError, Conflict, NotFound
from ventanilla.core.i18n import N_


class PaymentProviderUnavailable(AppError):
    """Stripe did not answer (down, timing out, refusing our key): nothing was charged."""

    status_code = 503
    code = "payment_provider_unavailable"
    message = N_(
        "The payment service is not answering right now. Nothing was charged and your change "
        "is kept: please try again in a few minutes."
    )


class PaymentRejected(AppError):
    """Stripe refused to create the payment (amount too small, currency not enabled...)."""

    status_code = 422
    code = "payment_rejected"
    message = N_(
        "The payment service did not accept this payment. Nothing was charged; please contact "
        "the shop."
    )


class PaymentsNotConfigured(Conflict):
    code = "payments_not_configured"
    message = N_("This shop does not take card payments online.")


class NoPaymentToRefund(Conflict):
    """The order was not paid through Stripe (no pi_… reference): the shop refunds by hand."""

    code = "no_payment_to_refund"
    message = N_("This order was not paid by card online, so the shop will refund you directly.")


class RefundExceedsCaptured(Conflict):
    code = "refund_exceeds_captured"
    message = N_("This refund would return more than was paid for the order.")


class AmountNotPayable(Conflict):
    """Stripe cannot move an amount this small in this currency (e.g. 0.005 KWD)."""

    code = "amount_not_payable"
    message = N_("This amount is too small to pay by card online; the shop will settle it.")


class PaymentAlreadySucceeded(Conflict):
    """Cancel came too late: the shopper paid, and the webhook will apply the change."""

    code = "payment_already_succeeded"
    message = N_("Your payment has already gone through; the change is being applied.")


class PaymentInProgress(Conflict):
    code = "payment_in_progress"
    message = N_("Your payment is still being processed. Please wait a moment and reload.")


class InvalidStripeWebhook(AppError):
    """Bad signature, stale timestamp or a body that is not a Stripe event: nothing changes."""

    status_code = 400
    code = "invalid_stripe_webhook"
    message = "The webhook could not be verified."


class StripeWebhooksNotConfigured(NotFound):
    code = "stripe_webhooks_not_configured"
    message = "Stripe webhooks are not configured (VENTANILLA_STRIPE_WEBHOOK_SECRET)."
