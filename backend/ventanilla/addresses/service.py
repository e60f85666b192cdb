"""Change the delivery address of an order before it is packed.

Made through the edit skeleton (`orders.edits`): the order row locked (the packing claim takes the
same lock, so a change either lands before the claim and is packed, or sees the claim and is
refused), the shop policy asked; then the address is checked, then the order version the shopper
saw and their proof of access to the order's email; then the change set is recorded, the shipping
address replaced, the version bumped, and the activity, the customer's email and the shop's
webhook written.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlmodel import Session

from ventanilla.access import policy as access_policy
from ventanilla.access.models import ShopperSession
from ventanilla.addresses import emails, tax_areas
from ventanilla.addresses.exceptions import AddressInvalid, VerificationRequired
from ventanilla.config import get_settings
from ventanilla.core import clock
from ventanilla.core.actors import Actor
from ventanilla.core.decisions import Decision
from ventanilla.customers.models import Customer
from ventanilla.orders import edits
from ventanilla.orders import policy as orders_policy
from ventanilla.orders import repository as orders_repository
from ventanilla.orders.address_rules import check_address
from ventanilla.orders.addresses import Address
from ventanilla.orders.exceptions import ChangeNotAllowed, OrderNotFound
from ventanilla.orders.models import Order, OrderAddress, OrderChange
from ventanilla.outbox.events import EventType


@dataclass(frozen=True)
class AddressForm:
    """What the address page and GET .../address show."""

    number: str
    version: int
    address: Address | None  # the current shipping address
    decision: Decision
    proof: str | None  # agent | recent | None (a code will be asked for)
    email_hint: str  # the customer's email, masked: where a code would go


@dataclass(frozen=True)
class AddressChange:
    changed: bool  # False: it already was this address, nothing was written
    number: str
    version: int
    address: Address
    change_id: int | None


def _columns(address: Address) -> dict[str, Any]:
    return dict(address.as_dict())


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
        address=Address.of(shipping) if shipping else None,
        decision=orders_policy.can_edit(order, now),
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
    """Replace the order's delivery address, if policy, version and proof of access allow it.

    Raises OrderNotFound (404), ChangeNotAllowed (409 with the policy's code), AddressInvalid
    (422 by field), OrderChanged (409), VerificationRequired (403), ChangeInProgress (409).
    The same address again writes nothing (`changed=False`).
    """
    with edits.edit_order(
        session, actor=actor, customer=customer, number=number, policy=orders_policy.can_edit
    ) as edit:
        order = edit.order
        current = orders_repository.addresses(session, edit.order_id).get("shipping")
        old = Address.of(current) if current else None
        checked = check_address(data, also_allow=[old.country] if old else [])
        if checked.address is None:
            raise AddressInvalid(checked.errors, checked.values)
        new = checked.address
        edit.expect_version(version)
        if old == new:
            return AddressChange(False, order.number, order.version, new, None)
        tax_move = _tax_move(edit, old, new)
        proof = access_policy.email_proof(shopper_session, now=edit.now)
        if proof is None or shopper_session.customer_id != customer.id:
            raise VerificationRequired()

        change = _record_change_set(edit, old=old, new=new, tax_move=tax_move)
        if current is None:
            current = OrderAddress(order_id=edit.order_id, kind="shipping", **_columns(new))
            orders_repository.add_all(session, [current])
        else:
            for name, value in new.as_dict().items():
                setattr(current, name, value)
        edit.bump_version()
        # An address change is settled at once: nothing to pay or refund.
        change.decided_at = edit.now
        orders_repository.set_change_status(session, change, "confirmed")
        _record(edit, change_id=change.id, old=old, new=new, proof=proof, tax_move=tax_move)
        return AddressChange(True, order.number, order.version, new, change.id)


def _tax_move(edit: edits.OrderEdit, old: Address | None, new: Address) -> dict[str, Any] | None:
    """None within one tax area; the areas and each line's new rate when the shop's policy
    re-taxes the move; raises ChangeNotAllowed (`tax_area_changed`) otherwise."""
    rates = get_settings().policy().tax_rates_by_area
    decision = tax_areas.can_move_delivery(old, new, rates_by_area=rates)
    if not decision.ok:
        raise ChangeNotAllowed(decision)
    if old is None or tax_areas.tax_area(old) == tax_areas.tax_area(new):
        return None
    before, after = tax_areas.tax_area(old), tax_areas.tax_area(new)
    lines = orders_repository.lines(edit.session, edit.order_id)
    plan = tax_areas.retax_plan(
        ((line.line_no, line.tax_rate_bp) for line in lines),
        old_area=before,
        new_area=after,
        rates_by_area=rates,
    )
    if plan is None:  # a line's rate the policy does not name: the shop must decide
        raise ChangeNotAllowed(Decision.no(tax_areas.TAX_AREA_CHANGED, code="tax_area_changed"))
    return {"from": before, "to": after, "lines": [line.as_dict() for line in plan]}


def _record_change_set(
    edit: edits.OrderEdit, *, old: Address | None, new: Address, tax_move: dict[str, Any] | None
) -> OrderChange:
    order, actor = edit.order, edit.actor
    return orders_repository.add_change(
        edit.session,
        OrderChange(
            order_id=edit.order_id,
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
            # Re-taxed moves: the shop re-prices the order (a new push) and settles the difference.
            settlement="shop_to_settle" if tax_move else "none",
            new_address=new.as_dict(),
            preview={"old_address": old.as_dict() if old else None, "tax_move": tax_move},
        ),
    )


def _record(
    edit: edits.OrderEdit,
    *,
    change_id: int | None,
    old: Address | None,
    new: Address,
    proof: str,
    tax_move: dict[str, Any] | None,
) -> None:
    settings = get_settings()
    order = edit.order
    edit.record(
        "order.address_changed",
        {
            "number": order.number,
            "version": order.version,
            "change_id": change_id,
            "old": old.summary() if old else None,
            "new": new.summary(),
            "proof": proof,
        },
        email=lambda locale: emails.address_changed_email(
            locale=locale,
            shop_name=settings.shop_name,
            shop_email=settings.shop_email,
            customer_name=edit.customer.name,
            order_number=order.number,
            address=new,
            by_agent=edit.actor.type == "agent",
        ),
        webhook=(
            EventType.ORDER_ADDRESS_CHANGED,
            {
                "number": order.number,
                "version": order.version,
                "change_id": change_id,
                "address": new.as_dict(),
                "previous_address": old.as_dict() if old else None,
                "changed_by": edit.actor.type,
                # Set when the delivery moved into another tax area the shop's policy allows:
                # {"from": "ES", "to": "ES-CN", "lines": [{line_no, old_rate_bp, new_rate_bp}]}.
                "tax_move": tax_move,
                "changed_at": edit.now,
            },
        ),
    )
