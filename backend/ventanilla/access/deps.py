"""Shopper auth dependencies: `CurrentCustomer` and `OwnedOrder`.

- CurrentCustomer: the Customer of the request's valid shopper session; otherwise HTML requests
  are redirected to the "find my order" page and JSON requests get 401 (NoShopperSession).
- OwnedOrder: the Order named by the path parameter `number`, only if it belongs to the current
  customer; anyone else's order raises OrderNotFound (404), exactly like a missing one.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from ventanilla.access import policy, service
from ventanilla.access.exceptions import NoShopperSession, OrderNotFound
from ventanilla.access.models import ShopperSession
from ventanilla.config import get_settings
from ventanilla.core.actors import Actor
from ventanilla.core.deps import SAFE_METHODS, SessionDep
from ventanilla.customers.models import Customer
from ventanilla.db import session_scope
from ventanilla.orders import repository as orders_repository
from ventanilla.orders.models import Order

__all__ = [
    "CurrentCustomer",
    "CurrentShopperSession",
    "OwnedOrder",
    "OrderNotFound",
    "ShopperActor",
    "session_token",
]


def session_token(request: Request) -> str | None:
    """The shopper session cookie's value, if any."""
    return request.cookies.get(policy.session_cookie_name(get_settings().secure_cookies))


def current_customer(request: Request, session: SessionDep) -> Customer:
    active = service.resolve_session(session, token=session_token(request))
    if active is None:
        raise NoShopperSession()
    if active.touch_due and active.record.id is not None:
        if request.method in SAFE_METHODS:
            # Reads run in a read transaction; a short write of its own keeps them lock-free.
            with session_scope() as writer:
                service.touch_session(writer, session_id=active.record.id)
        else:
            service.touch_session(session, session_id=active.record.id)
    request.state.shopper_session = active.record
    request.state.customer_locale = active.customer.locale
    return active.customer


CurrentCustomer = Annotated[Customer, Depends(current_customer)]


def owned_order(number: str, customer: CurrentCustomer, session: SessionDep) -> Order:
    order = orders_repository.get_for_customer(session, customer_id=customer.id or 0, number=number)
    if order is None:
        raise OrderNotFound()
    return order


OwnedOrder = Annotated[Order, Depends(owned_order)]


def current_shopper_session(request: Request, customer: CurrentCustomer) -> ShopperSession:
    """The session record behind the request (how it started, its proof of email access)."""
    record: ShopperSession = request.state.shopper_session
    return record


CurrentShopperSession = Annotated[ShopperSession, Depends(current_shopper_session)]


def shopper_actor(record: CurrentShopperSession, customer: CurrentCustomer) -> Actor:
    """Who writes: the customer, or the agent acting for them ("act as customer")."""
    if record.via == "agent":
        return Actor("agent", record.agent_id, on_behalf_of=customer.id)
    return Actor.customer(customer.id or 0)


ShopperActor = Annotated[Actor, Depends(shopper_actor)]
