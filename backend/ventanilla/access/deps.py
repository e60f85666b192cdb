"""Shopper auth dependencies: `CurrentCustomer` and `OwnedOrder`.

INTERFACE STUB (the access work replaces the bodies, keeping these names and types):
- CurrentCustomer: the Customer of the request's valid shopper session; otherwise HTML requests
  are redirected to the "find my order" page and JSON requests get 401.
- OwnedOrder: the Order named by the path parameter `number`, only if it belongs to the current
  customer; anyone else's order raises OrderNotFound (404), exactly like a missing one.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from ventanilla.core.deps import SessionDep
from ventanilla.core.errors import NotFound, Unauthorized
from ventanilla.customers.models import Customer
from ventanilla.orders import repository as orders_repository
from ventanilla.orders.models import Order


class OrderNotFound(NotFound):
    code = "order_not_found"
    message = "Order not found."


def current_customer(request: Request, session: SessionDep) -> Customer:
    raise Unauthorized("No shopper session.", code="no_session")


CurrentCustomer = Annotated[Customer, Depends(current_customer)]


def owned_order(number: str, customer: CurrentCustomer, session: SessionDep) -> Order:
    order = orders_repository.get_for_customer(session, customer_id=customer.id or 0, number=number)
    if order is None:
        raise OrderNotFound()
    return order


OwnedOrder = Annotated[Order, Depends(owned_order)]
