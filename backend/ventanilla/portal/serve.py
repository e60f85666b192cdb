"""The order page and the orders list, served from the event loop when nothing changed.

A warm request runs one statement on the loop (`core.reads`: the session with its customer, the
order scoped to that customer, and the page's revision), decides the language, and answers with
the page rendered before for that revision (`portal.pagecache`). No thread-pool hand-off, no ORM.
Only what must happen elsewhere leaves the loop: building a page's data the first time (the read
session in a worker thread) and the once-a-minute session touch (a write, so never on the loop).

The rules are the ones the dependencies apply (`access.deps`): no valid session is
`NoShopperSession` (the "find my order" redirect), someone else's order is `OrderNotFound`
exactly like a missing one, the language is `i18n.activate`'s.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from ventanilla.access import policy as access_policy
from ventanilla.access import service as access_service
from ventanilla.access.deps import session_token
from ventanilla.access.exceptions import NoShopperSession, OrderNotFound
from ventanilla.config import get_settings
from ventanilla.core import clock, i18n, reads
from ventanilla.core.fields import storable
from ventanilla.customers.models import Customer
from ventanilla.db import session_scope
from ventanilla.orders.models import Order
from ventanilla.portal import actions, pagecache, repository, view
from ventanilla.portal.pagecache import settings_key
from ventanilla.portal.repository import Probe
from ventanilla.portal.urls import order_url

TIMELINE_REFRESH_SECONDS = 60


async def order_page(
    request: Request, *, number: str, partial: str | None, changed: str
) -> Response:
    """One order's page (or its timeline block), as `pages.order_detail` documents it."""
    wanted = number if storable(number) else ""
    probe = await _shopper(request, repository.order_page_probe, wanted)
    if probe.order_id is None or not wanted:
        raise OrderNotFound()
    key = ("order", probe.session.customer_id, probe.order_id, probe.revision, settings_key())
    cache = pagecache.cache_of(request)
    entry = await cache.get_or_build(
        key, _build_order_page, probe.session.customer_id, probe.order_id
    )
    customer, page = entry.data
    # What the shopper can do depends on the time as well: decided now, part of the variant.
    now = clock.now()
    options = actions.options(
        actions.ActionContext(
            order=page.order, shipments=page.shipments, invoices=page.invoices, now=now
        )
    )
    notice = actions.done_notice(changed) if changed else None
    locale = i18n.current_locale.get()
    variant = (locale, notice, partial, tuple(_option_key(o) for o in options))

    def render() -> str:
        context: dict[str, Any] = {
            "customer": customer,
            "order_url": order_url(page.order.number),
            "refresh_seconds": TIMELINE_REFRESH_SECONDS,
            "notice": notice,
            "page": dataclasses.replace(page, actions=options),
            "timeline": page.timeline,
        }
        block = "timeline" if partial == "timeline" else None
        return pagecache.render_marked("orders/page.html", context, block=block)

    return HTMLResponse(pagecache.fill(pagecache.variant(entry, variant, render), request))


async def orders_list(request: Request) -> Response:
    """The shopper's orders list, as `pages.orders_list` documents it."""
    probe = await _shopper(request, repository.orders_list_probe)
    customer_id, name = probe.session.customer_id, probe.session.customer_name
    key = ("orders", customer_id, name, probe.revision, settings_key())
    entry = await pagecache.cache_of(request).get_or_build(key, _build_orders_list, customer_id)
    customer, orders = entry.data

    def render() -> str:
        context = {"customer": customer, "orders": orders, "active_nav": "orders"}
        return pagecache.render_marked("orders/list.html", context)

    html = pagecache.variant(entry, (i18n.current_locale.get(),), render)
    return HTMLResponse(pagecache.fill(html, request))


# --- the session, as `access.deps.CurrentCustomer` decides it --------------------------------


async def _shopper(request: Request, read: Callable[..., Probe | None], *args: Any) -> Probe:
    token_hash = _token_hash(session_token(request))
    if token_hash is None:
        raise NoShopperSession()
    try:
        probe = read(token_hash, *args)  # inline: one indexed statement
    except reads.ReadFailed:
        probe = await run_in_threadpool(_read_in_thread, read, token_hash, *args)
    if probe is None:
        raise NoShopperSession()
    record = probe.session
    now = clock.now()
    settings = get_settings()
    if not access_policy.session_is_active(
        record,  # type: ignore[arg-type]
        now=now,
        idle=timedelta(minutes=settings.session_idle_minutes),
        absolute=timedelta(hours=settings.session_absolute_hours),
    ):
        raise NoShopperSession()
    if access_policy.touch_due(record, now=now):  # type: ignore[arg-type]
        await run_in_threadpool(_touch, record.id)
    request.state.customer_locale = record.customer_locale
    i18n.activate(request)
    return probe


def _token_hash(token: str | None) -> str | None:
    if not token or not access_policy.SESSION_TOKEN.match(token):
        return None
    return access_service.hash_session_token(token)


def _read_in_thread(read: Callable[..., Probe | None], *args: Any) -> Probe | None:
    with session_scope(write=False) as session:
        return read(*args, connection=session.connection())


def _touch(session_id: int) -> None:
    with session_scope() as writer:
        access_service.touch_session(writer, session_id=session_id)


# --- building a page's data the first time (a read session, in a worker thread) ---------------


def _build_order_page(customer_id: int, order_id: int) -> tuple[Customer, view.OrderPageView]:
    with session_scope(write=False) as session:
        customer = session.get(Customer, customer_id)
        order = session.get(Order, order_id)
        if customer is None or order is None or order.customer_id != customer_id:
            raise OrderNotFound()
        return customer, view.order_page(session, customer=customer, order=order)


def _build_orders_list(customer_id: int) -> tuple[Customer, list[view.OrderSummary]]:
    with session_scope(write=False) as session:
        customer = session.get(Customer, customer_id)
        if customer is None:
            raise NoShopperSession()
        return customer, view.customer_orders(session, customer=customer)


def _option_key(option: actions.ActionOption) -> tuple[Any, ...]:
    params = tuple(sorted(option.params.items()))
    return (option.key, option.ok, option.reason, option.href, option.external, params)

