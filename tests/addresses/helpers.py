"""Helpers for the address tests: shopper sessions with or without proof, outbox and codes."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlmodel import col, select

from ventanilla.access import policy, service
from ventanilla.access.models import ShopperSession
from ventanilla.activity.models import Activity
from ventanilla.config import get_settings
from ventanilla.core import clock
from ventanilla.core.actors import Actor
from ventanilla.db import session_scope
from ventanilla.orders.models import Order, OrderAddress, OrderChange
from ventanilla.outbox import service as outbox_service
from ventanilla.outbox.models import OutboxMessage

NEW_ADDRESS = {
    "name": "Lucía García",
    "line1": "Calle Gran Vía 12, 3º B",
    "line2": "",
    "postcode": "48001",
    "city": "Bilbao",
    "region": "Vizcaya",
    "country": "ES",
    "phone": "600 111 222",
}
CODE = re.compile(r"\b(\d{6})\b")


def start_session(
    customer_id: int,
    *,
    order_id: int | None = None,
    verified: bool = True,
    via: str = "link",
    agent_id: str | None = None,
) -> str:
    """A shopper session (cookie value); `verified` = it proved email access just now."""
    with session_scope() as s:
        return service.start_session(
            s,
            customer_id=customer_id,
            order_id=order_id,
            via=via,
            agent_id=agent_id,
            verified_at=clock.now() if verified else None,
        )


def login(client: TestClient, customer_id: int, **kwargs: Any) -> str:
    token = start_session(customer_id, **kwargs)
    client.cookies.set(policy.session_cookie_name(get_settings().secure_cookies), token)
    return token


def session_record(token: str) -> ShopperSession:
    with session_scope(write=False) as s:
        record = s.exec(
            select(ShopperSession).where(
                ShopperSession.token_hash == service.hash_session_token(token)
            )
        ).one()
        return record


def add_webhook_endpoint() -> None:
    with session_scope() as s:
        outbox_service.create_endpoint(
            s, actor=Actor.store("Tienda"), url="http://127.0.0.1:9/hooks"
        )


def outbox(kind: str | None = None) -> list[OutboxMessage]:
    with session_scope(write=False) as s:
        stmt = select(OutboxMessage).order_by(col(OutboxMessage.created_at))
        rows = list(s.exec(stmt).all())
    return [r for r in rows if kind is None or r.kind == kind]


def last_code() -> str:
    """The code in the newest email of the outbox."""
    emails = outbox("email")
    assert emails, "no email was queued"
    match = CODE.search(emails[-1].payload["text"])
    assert match, emails[-1].payload["text"]
    return match.group(1)


def order_state(number: str) -> tuple[Order, OrderAddress | None]:
    with session_scope(write=False) as s:
        order = s.exec(select(Order).where(Order.number == number)).one()
        shipping = s.exec(
            select(OrderAddress).where(
                OrderAddress.order_id == order.id, OrderAddress.kind == "shipping"
            )
        ).first()
        return order, shipping


def activity_kinds(order_id: int | None = None) -> list[str]:
    with session_scope(write=False) as s:
        stmt = select(Activity).order_by(col(Activity.id))
        if order_id is not None:
            stmt = stmt.where(Activity.order_id == order_id)
        return [a.kind for a in s.exec(stmt).all()]


def activities(kind: str) -> list[Activity]:
    with session_scope(write=False) as s:
        stmt = select(Activity).where(Activity.kind == kind).order_by(col(Activity.id))
        return list(s.exec(stmt).all())


def changes() -> list[OrderChange]:
    with session_scope(write=False) as s:
        return list(s.exec(select(OrderChange).order_by(col(OrderChange.id))).all())


def snapshot() -> dict[str, list[tuple[Any, ...]]]:
    """Every table an address change writes, to prove a refusal wrote nothing."""
    tables = ("orders", "order_addresses", "order_changes", "activity", "outbox_messages")
    with session_scope(write=False) as s:
        return {
            t: [tuple(r) for r in s.execute(text(f"SELECT * FROM {t} ORDER BY id"))] for t in tables
        }


def at(value: str) -> datetime:
    return datetime.fromisoformat(value)
