"""Every query of shopper access: link uses, sessions, and the lookups they need."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import and_, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col, select

from ventanilla.access.models import AccessCode, LinkUse, ShopperSession
from ventanilla.customers.models import Customer
from ventanilla.orders.models import OrderAddress


def _insert(session: Session) -> Any:
    return postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert


def spend_link_use(
    session: Session, *, jti: str, order_id: int, max_uses: int, now: datetime
) -> int | None:
    """Count one use of link `jti` atomically; the new count, or None when it is refused.

    Refused when the link is spent (uses >= max_uses), revoked, or recorded for another order.
    One statement, so two concurrent uses can never both take the last one.
    """
    table = LinkUse.__table__  # type: ignore[attr-defined]
    stmt = _insert(session)(table).values(
        jti=jti, order_id=order_id, uses=1, first_used_at=now, last_used_at=now
    )
    stmt = stmt.on_conflict_do_update(
        index_elements=[table.c.jti],
        set_={"uses": table.c.uses + 1, "last_used_at": stmt.excluded.last_used_at},
        where=and_(
            table.c.uses < max_uses,
            table.c.revoked_at.is_(None),
            table.c.order_id == order_id,
        ),
    ).returning(table.c.uses)
    value = session.execute(stmt).scalar_one_or_none()
    return None if value is None else int(value)


def link_use(session: Session, jti: str) -> LinkUse | None:
    return session.get(LinkUse, jti)


def customer_by_id(session: Session, customer_id: int) -> Customer | None:
    return session.get(Customer, customer_id)


def shipping_postcode(session: Session, order_id: int) -> tuple[str, str] | None:
    """(postcode, country) of the order's delivery address."""
    stmt = select(OrderAddress.postcode, OrderAddress.country).where(
        OrderAddress.order_id == order_id, OrderAddress.kind == "shipping"
    )
    row = session.exec(stmt).first()
    return (row[0], row[1]) if row else None


def add_session(session: Session, record: ShopperSession) -> None:
    session.add(record)
    session.flush()


def session_by_hash(session: Session, token_hash: str) -> ShopperSession | None:
    return session.exec(
        select(ShopperSession).where(ShopperSession.token_hash == token_hash)
    ).first()


def session_with_customer(
    session: Session, token_hash: str
) -> tuple[ShopperSession, Customer] | None:
    """The session and its customer in one query (this runs on every shopper request)."""
    stmt = (
        select(ShopperSession, Customer)
        .join(Customer, col(Customer.id) == col(ShopperSession.customer_id))
        .where(ShopperSession.token_hash == token_hash)
    )
    row = session.exec(stmt).first()
    return None if row is None else (row[0], row[1])


def touch_session(session: Session, *, session_id: int, now: datetime) -> None:
    # Only ever moves forward, so a late writer cannot undo a newer touch.
    session.execute(
        update(ShopperSession)
        .where(
            col(ShopperSession.id) == session_id,
            col(ShopperSession.last_seen_at) < now,
        )
        .values(last_seen_at=now)
    )


def revoke_session(session: Session, *, session_id: int, now: datetime) -> None:
    session.execute(
        update(ShopperSession)
        .where(col(ShopperSession.id) == session_id, col(ShopperSession.revoked_at).is_(None))
        .values(revoked_at=now)
    )


# --- one-time codes --------------------------------------------------------------------------


def add_access_code(session: Session, code: AccessCode) -> AccessCode:
    session.add(code)
    session.flush()
    return code


def latest_access_code(session: Session, *, session_id: int) -> AccessCode | None:
    """The newest code of a shopper session: sending a new one supersedes the older ones."""
    stmt = (
        select(AccessCode)
        .where(AccessCode.session_id == session_id)
        .order_by(col(AccessCode.id).desc())
        .limit(1)
    )
    return session.exec(stmt).first()


def count_code_attempt(session: Session, *, code_id: int, max_attempts: int) -> int | None:
    """Count one try of a code atomically; the new count, or None once it has none left."""
    table = AccessCode.__table__  # type: ignore[attr-defined]
    stmt = (
        update(table)
        .where(
            table.c.id == code_id,
            table.c.attempts < max_attempts,
            table.c.used_at.is_(None),
        )
        .values(attempts=table.c.attempts + 1)
        .returning(table.c.attempts)
    )
    value = session.execute(stmt).scalar_one_or_none()
    return None if value is None else int(value)


def use_access_code(session: Session, *, code_id: int, now: datetime) -> bool:
    """Spend a code; False if a concurrent request spent it first."""
    table = AccessCode.__table__  # type: ignore[attr-defined]
    result = session.execute(
        update(table)
        .where(table.c.id == code_id, table.c.used_at.is_(None))
        .values(used_at=now)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


def mark_session_verified(session: Session, record: ShopperSession, *, now: datetime) -> None:
    record.verified_at = now
    session.add(record)
    session.flush()
