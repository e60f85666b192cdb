"""Pure decisions about money: what a PaymentIntent captured, what is left to refund, keys."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

# Refunds Stripe still counts against the charge (failed and canceled ones gave nothing back).
LIVE_REFUND_STATUSES = frozenset({"pending", "requires_action", "succeeded"})
REFUND_CHARGE_PREFIX = "refund:charge:"


def refund_key_for_change(change_id: int) -> str:
    return f"refund:change:{change_id}"


def refund_key_for_charge(charge_entry_id: int) -> str:
    """The refund of a whole extra payment (on that payment's own PaymentIntent)."""
    return f"{REFUND_CHARGE_PREFIX}{charge_entry_id}"


def charge_key_for_change(change_id: int) -> str:
    return f"charge:change:{change_id}"


def refunded_charge_id(idempotency_key: str) -> int | None:
    """The charge entry a refund row gives back, or None for refunds of the order's payment."""
    if not idempotency_key.startswith(REFUND_CHARGE_PREFIX):
        return None
    tail = idempotency_key[len(REFUND_CHARGE_PREFIX) :]
    return int(tail) if tail.isascii() and tail.isdecimal() else None


def captured_minor(intent: dict[str, Any]) -> int:
    """What a PaymentIntent actually took from the card.

    Stripe reports `amount_received`; localstripe does not, so fall back to its expanded
    `latest_charge` (captured and succeeded). Anything else counts as nothing captured.
    """
    received = intent.get("amount_received")
    if isinstance(received, int):
        return received
    charge = intent.get("latest_charge")
    if isinstance(charge, dict) and charge.get("status") == "succeeded" and charge.get("captured"):
        amount = charge.get("amount")
        return amount if isinstance(amount, int) else 0
    return 0


def refunded_minor(refunds: Iterable[dict[str, Any]]) -> int:
    """What the provider already gave back (or is giving back) on a PaymentIntent."""
    return sum(
        int(r.get("amount") or 0) for r in refunds if r.get("status") in LIVE_REFUND_STATUSES
    )


def refund_for_entry(refunds: Iterable[dict[str, Any]], entry_id: int) -> dict[str, Any] | None:
    """The provider's refund made for this ledger row by an earlier attempt, if any."""
    for refund in refunds:
        metadata = refund.get("metadata") or {}
        if str(metadata.get("ledger_id")) == str(entry_id) and (
            refund.get("status") in LIVE_REFUND_STATUSES
        ):
            return refund
    return None


def refund_fits(*, amount_minor: int, captured: int, already_refunded: int) -> bool:
    """Never give back more than was taken."""
    return 0 < amount_minor <= captured - already_refunded
