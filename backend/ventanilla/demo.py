"""`ventanilla demo`: load the demo toy shop through the store API's services and print links."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import Session

from ventanilla import demo_data
from ventanilla.access import service as access_service
from ventanilla.apikeys import service as apikeys_service
from ventanilla.catalog import service as catalog_service
from ventanilla.catalog.schemas import ProductCreate
from ventanilla.config import get_settings
from ventanilla.core import clock
from ventanilla.core.actors import Actor
from ventanilla.db import session_scope
from ventanilla.invoices import service as invoices_service
from ventanilla.invoices.schemas import InvoiceCreate
from ventanilla.orders import repository as orders_repository
from ventanilla.orders import service as orders_service
from ventanilla.orders.schemas import OrderCreate, OrderStatusUpdate
from ventanilla.shipping import service as shipping_service
from ventanilla.shipping.schemas import ShipmentCreate, TrackingEventCreate

FIRST_NUMBER = "LP-1001"
# What `make demo` points at: (description, status wanted).
SHOWCASE = [
    ("an order you can still amend (paid, not packed)", "paid"),
    ("an order just placed (not paid yet)", "placed"),
    ("an order the warehouse is packing", "packing"),
    ("a shipped order with carrier tracking", "shipped"),
    (
        "a delivered order inside the 14-day withdrawal period (withdraw or return)",
        "delivered:open",
    ),
    (
        "a delivered order past the withdrawal period (the shop's 30-day return policy decides)",
        "delivered:closed",
    ),
    (
        "a delivered order with a final-sale item (no return; withdrawal still possible)",
        "delivered:final_sale",
    ),
    ("a cancelled order", "cancelled"),
]


@dataclass
class DemoResult:
    loaded: bool
    orders: int
    links: list[tuple[str, str, str]]  # (description, order number, url)
    api_key: str


def load(now: datetime | None = None) -> DemoResult:
    """Load the demo shop once (a second run only prints fresh links and the same key)."""
    now = now or clock.now()
    actor = Actor.store("demo loader")
    orders = demo_data.orders(now)
    with session_scope() as session:
        loaded = orders_repository.get_by_number(session, FIRST_NUMBER) is None
        if loaded:
            _load(session, actor, orders)
    with session_scope() as session:
        links = []
        for description, status in SHOWCASE:
            order = _pick(orders, status, now)
            issued = access_service.create_link(session, actor=actor, order_number=order.number)
            links.append((description, order.number, issued.url))
        key = demo_api_key(session)
    return DemoResult(loaded=loaded, orders=len(orders), links=links, api_key=key)


DEMO_KEY_NAME = "demo"


def demo_api_key(session: Session) -> str:
    """The demo's API key: the one kept in `var/demo-api-key` while it is still valid, else a
    new one written there. Every other key named "demo" (from earlier runs) is revoked, so
    re-running `make demo` never leaves a trail of valid keys."""
    path = get_settings().var_dir / "demo-api-key"
    kept = path.read_text().strip() if path.exists() else ""
    record = apikeys_service.active_key(session, kept) if kept else None
    if record is None:
        created = apikeys_service.create_key(session, name=DEMO_KEY_NAME)
        kept, record = created.key, created.record
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(kept + "\n")
        path.chmod(0o600)
    apikeys_service.revoke_named(session, name=DEMO_KEY_NAME, keep_id=record.id)
    return kept


def _pick(orders: list[demo_data.DemoOrder], wanted: str, now: datetime) -> demo_data.DemoOrder:
    """The first order in status `wanted`; after a colon, for delivered ones: `open` (delivered
    under 12 days ago: inside the withdrawal period for a while), `closed` (16 to 26 days ago:
    past it, inside the 30-day return window) or `final_sale` (a final-sale line, under 12
    days ago)."""
    status, _sep, which = wanted.partition(":")
    final = {sku for sku, _name, _price, _stock, is_final in demo_data.PRODUCTS if is_final}
    for order in orders:
        if order.status != status:
            continue
        delivered = next((at for s, at in order.events if s == "delivered"), None)
        if not which or delivered is None:
            return order
        age = now - delivered
        skus = {line["sku"] for line in order.payload["lines"]}
        if (
            (which == "open" and age < timedelta(days=12) and not skus & final)
            or (which == "closed" and timedelta(days=16) < age < timedelta(days=26))
            or (which == "final_sale" and age < timedelta(days=12) and skus & final)
        ):
            return order
    raise LookupError(f"no demo order is {wanted}")


def _load(session: Session, actor: Actor, orders: list[demo_data.DemoOrder]) -> None:
    base = get_settings().base_url.rstrip("/")
    for product in demo_data.product_payloads():
        sku = product.pop("sku")
        product["image_url"] = base + product["image_url"]
        catalog_service.put_product(
            session, actor=actor, sku=sku, data=ProductCreate.model_validate(product)
        )
    for order in orders:
        orders_service.put_order(
            session,
            actor=actor,
            number=order.number,
            data=OrderCreate.model_validate(order.payload),
        )
        for status, at in order.events:
            if status == "packing":
                with clock.frozen(at):
                    orders_service.claim_for_packing(session, actor=actor, number=order.number)
            else:
                orders_service.change_status(
                    session,
                    actor=actor,
                    number=order.number,
                    data=OrderStatusUpdate.model_validate({"status": status, "at": at.isoformat()}),
                )
        if order.invoice:
            invoice = dict(order.invoice)
            number = invoice.pop("number")
            invoices_service.put_invoice(
                session, actor=actor, number=number, data=InvoiceCreate.model_validate(invoice)
            )
        if order.shipment:
            result = shipping_service.create_shipment(
                session,
                actor=actor,
                order_number=order.number,
                data=ShipmentCreate.model_validate(order.shipment),
            )
            shipping_service.add_tracking_events(
                session,
                actor=actor,
                shipment_id=result.shipment.id,
                events=[TrackingEventCreate.model_validate(e) for e in order.tracking],
            )
