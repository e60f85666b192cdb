"""The portal's hot reads: one pre-built statement per page that says whose session this is and
whether the page rendered last time is still the page (`portal.pagecache`).

Each statement checks the session and its customer, scopes the order to that customer (ownership)
and reads the order's *revision*: the order row's version and the markers of everything else the
page shows (newest activity, shipments and tracking events, invoices, the open change, product
images, the customer's other orders). Rows shown on the page are appended, or change together
with one of those markers, so equal revisions mean an equal page. Pre-built Core statements:
compiled once, no ORM objects (a freshly built select costs ~5x a cached one).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, String, and_, bindparam, cast, func, literal_column, select

from ventanilla.access.models import ShopperSession
from ventanilla.activity.models import Activity
from ventanilla.catalog.models import Product
from ventanilla.core import reads
from ventanilla.core.clock import as_utc
from ventanilla.customers.models import Customer
from ventanilla.invoices.models import Invoice
from ventanilla.orders.models import Order, OrderChange, OrderLine
from ventanilla.shipping.models import Shipment, TrackingEvent

_s = ShopperSession.__table__  # type: ignore[attr-defined]
_c = Customer.__table__  # type: ignore[attr-defined]
_o = Order.__table__  # type: ignore[attr-defined]
_mine = Order.__table__.alias("mine")  # type: ignore[attr-defined]
_a = Activity.__table__  # type: ignore[attr-defined]
_sh = Shipment.__table__  # type: ignore[attr-defined]
_te = TrackingEvent.__table__  # type: ignore[attr-defined]
_i = Invoice.__table__  # type: ignore[attr-defined]
_ch = OrderChange.__table__  # type: ignore[attr-defined]
_l = OrderLine.__table__  # type: ignore[attr-defined]
_p = Product.__table__  # type: ignore[attr-defined]


@dataclass(frozen=True)
class SessionRow:
    """The shopper session's lifetimes and its customer (what `access.policy` decides on)."""

    id: int
    customer_id: int
    created_at: datetime
    last_seen_at: datetime
    expires_at: datetime
    revoked_at: datetime | None
    customer_locale: str | None
    customer_name: str


@dataclass(frozen=True)
class Probe:
    """A session row and, when the page names an order the customer owns, its revision."""

    session: SessionRow
    order_id: int | None
    revision: tuple[Any, ...]  # equal revisions: equal page data


_SESSION_COLUMNS = (
    _s.c.id,
    _s.c.customer_id,
    _s.c.created_at,
    _s.c.last_seen_at,
    _s.c.expires_at,
    _s.c.revoked_at,
    _c.c.locale,
    _c.c.name,
)


def _joined(*values: Any) -> Any:
    """Several aggregates of one scan as one text value ("3:7:12"): one subquery, not three."""
    empty: Any = literal_column("''")
    colon: Any = literal_column("':'")
    text: Any = func.coalesce(cast(values[0], String), empty)
    for value in values[1:]:
        text = text + colon + func.coalesce(cast(value, String), empty)
    return text


def _customer_orders_revision(customer: Any) -> list[Any]:
    """How many orders the customer has, the sum of their versions (versions only grow) and the
    newest one: any change to any of their orders changes it."""
    mine = _joined(func.count(_mine.c.id), func.sum(_mine.c.version), func.max(_mine.c.id))
    return [select(mine).where(_mine.c.customer_id == customer).scalar_subquery()]


def _order_revision() -> list[Any]:
    oid = _o.c.id
    invoices = _joined(func.count(_i.c.id), func.max(_i.c.id))
    change = _joined(_ch.c.id, _ch.c.status)
    return [
        _o.c.version,
        _o.c.status,
        _o.c.status_at,
        _o.c.updated_at,
        _o.c.packing_claimed_at,
        select(func.max(_a.c.id)).where(_a.c.order_id == oid).scalar_subquery(),
        select(func.max(_sh.c.id)).where(_sh.c.order_id == oid).scalar_subquery(),
        select(func.max(_te.c.id))
        .select_from(_te.join(_sh, _sh.c.id == _te.c.shipment_id))
        .where(_sh.c.order_id == oid)
        .scalar_subquery(),
        select(invoices).where(_i.c.order_id == oid).scalar_subquery(),
        select(change).where(_ch.c.active_order_id == oid).scalar_subquery(),
        select(func.max(func.coalesce(_p.c.updated_at, _p.c.created_at)))
        .select_from(_l.join(_p, _p.c.id == _l.c.product_id))
        .where(_l.c.order_id == oid)
        .scalar_subquery(),
    ]


_ORDER_PAGE = (
    select(*_SESSION_COLUMNS, _o.c.id, *_order_revision(), *_customer_orders_revision(_c.c.id))
    .select_from(
        _s.join(_c, _c.c.id == _s.c.customer_id).outerjoin(
            _o, and_(_o.c.customer_id == _c.c.id, _o.c.number == bindparam("number"))
        )
    )
    .where(_s.c.token_hash == bindparam("token_hash"))
)

_ORDERS_LIST = (
    select(*_SESSION_COLUMNS, *_customer_orders_revision(_c.c.id))
    .select_from(_s.join(_c, _c.c.id == _s.c.customer_id))
    .where(_s.c.token_hash == bindparam("token_hash"))
)


_ORDER_PAGE_READ = reads.Prepared(_ORDER_PAGE)
_ORDERS_LIST_READ = reads.Prepared(_ORDERS_LIST)


def _utc(value: Any) -> Any:
    """A DBAPI datetime as an aware UTC datetime (SQLite returns the stored text, naive UTC)."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if isinstance(value, datetime):
        return as_utc(value)
    return value


def _probe(row: tuple[Any, ...] | None, *, order: bool) -> Probe | None:
    if row is None:
        return None
    sid, customer_id, created, seen, expires, revoked, locale, name = row[: len(_SESSION_COLUMNS)]
    session = SessionRow(
        sid, customer_id, _utc(created), _utc(seen), _utc(expires), _utc(revoked), locale, name
    )
    rest = tuple(row[len(_SESSION_COLUMNS) :])
    return Probe(session=session, order_id=rest[0] if order else None, revision=rest)


def order_page_probe(
    token_hash: str, number: str, *, connection: Connection | None = None
) -> Probe | None:
    """The session (None if unknown), and the named order's revision if the customer owns it.

    On the loop's read connection (`core.reads`), or on `connection` (the thread-pool path)."""
    params = {"token_hash": token_hash, "number": number}
    if connection is not None:
        found = connection.execute(_ORDER_PAGE, params).first()
        return _probe(None if found is None else tuple(found), order=True)
    return _probe(_ORDER_PAGE_READ.first(params), order=True)


def orders_list_probe(token_hash: str, *, connection: Connection | None = None) -> Probe | None:
    """The session (None if unknown) and the revision of the customer's orders."""
    params = {"token_hash": token_hash}
    if connection is not None:
        found = connection.execute(_ORDERS_LIST, params).first()
        return _probe(None if found is None else tuple(found), order=False)
    return _probe(_ORDERS_LIST_READ.first(params), order=False)
