"""Shopper auth dependencies: `CurrentCustomer`, `OwnedOrder`, `ShopperActor`.

- CurrentCustomer: the Customer of the request's valid shopper session; otherwise HTML requests
  are redirected to the "find my order" page and JSON requests get 401 (NoShopperSession). It
  also decides the request's language, once, before any route code runs (`i18n.activate`:
  the switch, then the customer's language, then Accept-Language, then the shop's default).
- OwnedOrder: the Order named by the path parameter `number`, only if it belongs to the current
  customer; anyone else's order raises OrderNotFound (404), exactly like a missing one.
- ShopperActor: who writes (the customer, or the agent acting for them), with the language the
  customer is using, so the emails their own action causes go out in it.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from ventanilla.access import policy, service
from ventanilla.access.exceptions import NoShopperSession, OrderNotFound
from ventanilla.access.models import ShopperSession
from ventanilla.config import get_settings
from ventanilla.core import i18n
from ventanilla.core.actors import Actor
from ventanilla.core.deps import SessionDep
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
        # A short write of its own (about once a minute): the request's unit of work stays a
        # read until the route writes, so on SQLite the write lock is taken only there.
        with session_scope() as writer:
            service.touch_session(writer, session_id=active.record.id)
    request.state.shopper_session = active.record
    return active.customer


async def customer_with_language(
    request: Request, customer: Annotated[Customer, Depends(current_customer)]
) -> Customer:
    """The current customer, with the request's language decided for them.

    Async on purpose: the language is installed in the request's own context, so the route
    (run in a worker thread with a copy of that context) translates in it from its first line.
    """
    request.state.customer_locale = customer.locale
    i18n.activate(request)
    return customer


CurrentCustomer = Annotated[Customer, Depends(customer_with_language)]


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


def shopper_actor(
    request: Request, record: CurrentShopperSession, customer: CurrentCustomer
) -> Actor:
    """Who writes: the customer (in the language they are using), or the agent acting for them
    ("act as customer"; their emails go out in the customer's stored language)."""
    if record.via == "agent":
        return Actor("agent", record.agent_id, on_behalf_of=customer.id)
    return Actor.customer(customer.id or 0, locale=getattr(request.state, "locale", None))


ShopperActor = Annotated[Actor, Depends(shopper_actor)]
