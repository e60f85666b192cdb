"""The webhook events Ventanilla sends to the shop.

Every delivery is a JSON body `{"type": ..., "timestamp": ..., "data": {...}}` signed in the
Standard Webhooks format. An endpoint subscribes to a list of these types (empty = all of them).
"""

from __future__ import annotations

from enum import StrEnum


class EventType(StrEnum):
    ORDER_ADDRESS_CHANGED = "order.address_changed"
    ORDER_AMENDED = "order.amended"
    ORDER_STATUS_CHANGED = "order.status_changed"
    ORDER_CANCELLATION_REQUESTED = "order.cancellation_requested"
    ORDER_CANCELLED = "order.cancelled"
    RETURN_REQUESTED = "return.requested"
    RETURN_UPDATED = "return.updated"
    RETURN_RECEIVED = "return.received"
    RETURN_REFUNDED = "return.refunded"
    RETURN_DECLINED = "return.declined"
    WITHDRAWAL_RECEIVED = "withdrawal.received"
    CLAIM_OPENED = "claim.opened"
    CLAIM_UPDATED = "claim.updated"
    RESERVATION_CREATED = "reservation.created"
    RESERVATION_UPDATED = "reservation.updated"
    LINK_REQUESTED = "link.requested"
    INVOICE_FULL_REQUESTED = "invoice.full_requested"
    CREDIT_NOTE_REQUESTED = "credit_note.requested"
    EMAIL_UNDELIVERABLE = "email.undeliverable"
    PING = "ping"


# What each event means, for the API documentation.
EVENT_DESCRIPTIONS: dict[str, str] = {
    EventType.ORDER_ADDRESS_CHANGED: "A shopper (or an agent for them) changed the address.",
    EventType.ORDER_AMENDED: "Items were added, removed or changed before packing.",
    EventType.ORDER_STATUS_CHANGED: "The order moved to another status.",
    EventType.ORDER_CANCELLATION_REQUESTED: "A shopper asked to cancel the order.",
    EventType.ORDER_CANCELLED: "A shopper (or an agent for them) cancelled the whole order "
    "before packing: stock is back, the money refunded or the authorisation released; a "
    "packing claim is refused from now on (409 order_cancelled).",
    EventType.RETURN_REQUESTED: "A shopper opened a return (RMA).",
    EventType.RETURN_UPDATED: "A return changed state (received, refunded, ...).",
    EventType.RETURN_RECEIVED: "The shop marked a return's goods received (POST "
    "/returns/{rma}/received); the refund was asked for.",
    EventType.RETURN_REFUNDED: "The refund of a return or withdrawal went through.",
    EventType.RETURN_DECLINED: "The shop declined a return, with the reason the shopper sees.",
    EventType.WITHDRAWAL_RECEIVED: "A shopper withdrew from the contract (EU withdrawal "
    "function); refund within 14 days (docs/returns.md).",
    EventType.CLAIM_OPENED: "A shopper reported a wrong, damaged or missing item.",
    EventType.CLAIM_UPDATED: "A claim changed state.",
    EventType.RESERVATION_CREATED: "A shopper reserved an out-of-stock item.",
    EventType.RESERVATION_UPDATED: "A reservation was offered, converted or expired.",
    EventType.LINK_REQUESTED: "A shopper asked for a fresh 'my order' link.",
    EventType.INVOICE_FULL_REQUESTED: "A shopper asked for a full invoice in exchange for a "
    "simplified one (legal name, tax id, address); push it like any other invoice.",
    EventType.CREDIT_NOTE_REQUESTED: "A refund or price reduction needs a credit note "
    "(factura rectificativa); push it back with kind credit_note.",
    EventType.EMAIL_UNDELIVERABLE: "An email to a customer will not arrive: the mail server "
    "refused it for good (5xx), or retries ran out; `data` has to, subject and error.",
    EventType.PING: "A test event sent on request (POST /webhooks/{id}/ping).",
}

EVENT_TYPES: frozenset[str] = frozenset(e.value for e in EventType)
