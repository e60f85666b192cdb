"""Change the delivery address of an order before it is packed.

One transaction: lock the order row (the packing claim takes the same lock, so a change either
lands before the claim and is packed, or sees the claim and is refused), check the shop policy,
the address, the order version the shopper saw and their proof of access to the order's email;
then record the change set, replace the shipping address, bump the version, log it, and queue the
customer's email and the shop's webhook in the outbox.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlmodel import Session

from ventanilla.access import policy as access_policy
from ventanilla.access.exceptions import OrderNotFound
from ventanilla.access.models import ShopperSession
from ventanilla.activity import service as activity_service
from ventanilla.addresses import emails
from ventanilla.addresses.exceptions import AddressInvalid, VerificationRequired
from ventanilla.addresses.validation import Address, check_address
from ventanilla.changes import policy as changes_policy
from ventanilla.changes import repository as changes_repository
from ventanilla.changes.exceptions import ChangeNotAllowed, OrderChanged
from ventanilla.changes.models import OrderChange
from ventanilla.config import get_settings
from ventanilla.core import clock, i18n
from ventanilla.core.actors import Actor
from ventanilla.customers.models import Customer
from ventanilla.orders import repository as orders_repository
from ventanilla.orders.models import Order, OrderAddress
from ventanilla.outbox import service as outbox_service
from ventanilla.outbox.events import EventType

ADDRESS_FIELDS = ("name", "line1", "line2", "postcode", "city", "region", "country", "phone")


@dataclass(frozen=True)
class AddressForm:
    """What the address page and GET .../address show."""

    number: str
    version: int
    address: Address | None  # the current shipping address
    decision: changes_policy.Decision
    proof: str | None  # agent | recent | None (a code will be asked for)
    email_hint: str  # the customer's email, masked: where a code would go


@dataclass(frozen=True)
class AddressChange:
    changed: bool  # False: it already was this address, nothing was written
    number: str
    version: int
    address: Address
    change_id: int | None


def as_address(row: OrderAddress) -> Address:
    return Address(
        name=row.name,
        line1=row.line1,
        line2=row.line2,
        postcode=row.postcode,
        city=row.city,
        region=row.region,
        country=row.country,
        phone=row.phone,
    )


def _columns(address: Address) -> dict[str, Any]:
    return dict(address.as_dict())


def refusal(decision: changes_policy.Decision) -> ChangeNotAllowed:
    """The policy's "no" as an error: English text for JSON, the msgid for pages."""
    params = dict(decision.params)
    text = decision.message % params if params else decision.message
    return ChangeNotAllowed(
        text or None, reason=decision.reason_code, msgid=decision.message, msg_params=params
    )


def address_form(
    session: Session, *, customer: Customer, order: Order, shopper_session: ShopperSession
) -> AddressForm:
    """The current delivery address, whether it may change now, and whether a code is needed."""
    if order.customer_id != customer.id or order.id is None:
        raise OrderNotFound()
    now = clock.now()
    shipping = orders_repository.addresses(session, order.id).get("shipping")
    return AddressForm(
        number=order.number,
        version=order.version,
        address=as_address(shipping) if shipping else None,
        decision=changes_policy.can_edit(order, now=now, policy=get_settings().policy()),
        proof=access_policy.email_proof(shopper_session, now=now),
        email_hint=access_policy.mask_email(customer.email),
    )


def change_delivery_address(
    session: Session,
    *,
    actor: Actor,
    shopper_session: ShopperSession,
    customer: Customer,
    number: str,
    version: int,
    data: Mapping[str, Any],
) -> AddressChange:
    """Replace the order's delivery address, if policy, version and proof of access allow it."""
    settings = get_settings()
    # The lock first: everything below sees the row as the packing claim will.
    order = orders_repository.get_by_number(session, number, for_update=True)
    if order is None or order.id is None or order.customer_id != customer.id:
        raise OrderNotFound()
    now = clock.now()
    decision = changes_policy.can_edit(order, now=now, policy=settings.policy())
    if not decision.ok:
        raise refusal(decision)

    addresses = orders_repository.addresses(session, order.id)
    current = addresses.get("shipping")
    old = as_address(current) if current else None
    checked = check_address(data, also_allow=[old.country] if old else [])
    if checked.address is None:
        raise AddressInvalid(checked.errors, checked.values)
    new = checked.address
    if version != order.version:
        raise OrderChanged(version=order.version)
    if old == new:
        return AddressChange(False, order.number, order.version, new, None)
    proof = access_policy.email_proof(shopper_session, now=now)
    if proof is None or shopper_session.customer_id != customer.id:
        raise VerificationRequired()

    change = changes_repository.add_change(
        session,
        OrderChange(
            order_id=order.id,
            kind="address",
            status="requested",
            base_version=order.version,
            actor_type=actor.type,
            actor_id=actor.id,
            on_behalf_of=actor.on_behalf_of,
            currency=order.currency,
            old_total_minor=order.total_minor,
            new_total_minor=order.total_minor,
            difference_minor=0,
            settlement="none",
            new_address=new.as_dict(),
            preview={"old_address": old.as_dict() if old else None},
        ),
    )
    if current is None:
        current = OrderAddress(order_id=order.id, kind="shipping", **_columns(new))
        orders_repository.add_all(session, [current])
    else:
        for name, value in new.as_dict().items():
            setattr(current, name, value)
    order.version += 1
    order.updated_at = now
    orders_repository.flush(session)
    # An address change is settled at once: nothing to pay or refund.
    change.decided_at = now
    changes_repository.set_status(session, change, "confirmed")

    activity_service.record(
        session,
        actor=actor,
        kind="order.address_changed",
        order_id=order.id,
        customer_id=customer.id,
        occurred_at=now,
        data={
            "number": order.number,
            "version": order.version,
            "change_id": change.id,
            "old": old.summary() if old else None,
            "new": new.summary(),
            "proof": proof,
        },
    )
    locale = i18n.choose(customer.locale, order.locale, default=settings.default_locale)
    message = emails.address_changed_email(
        locale=locale,
        shop_name=settings.shop_name,
        shop_email=settings.shop_email,
        customer_name=customer.name,
        order_number=order.number,
        address=new,
        by_agent=actor.type == "agent",
    )
    outbox_service.enqueue_email(
        session, to=customer.email, subject=message.subject, text=message.text, html=message.html
    )
    outbox_service.emit_event(
        session,
        type=EventType.ORDER_ADDRESS_CHANGED.value,
        data={
            "number": order.number,
            "version": order.version,
            "change_id": change.id,
            "address": new.as_dict(),
            "previous_address": old.as_dict() if old else None,
            "changed_by": actor.type,
            "changed_at": now,
        },
    )
    return AddressChange(True, order.number, order.version, new, change.id)
