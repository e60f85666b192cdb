"""What a shopper can do now with an order: a registry of self-service actions.

Each action decides from data the order page has already loaded (no queries of its own, so the
page's statement count stays constant) and explains every "no" with a reason. Reasons and labels
are English msgids; the page translates them. Later features register their own actions with
`register()` at import time.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from ventanilla.core.decisions import Decision
from ventanilla.core.i18n import N_

if TYPE_CHECKING:
    from ventanilla.orders.models import Order
    from ventanilla.orders.view import InvoiceView, ShipmentView


@dataclass(frozen=True)
class ActionContext:
    """What an action may look at: the order and what the page loaded for it."""

    order: Order
    shipments: Sequence[ShipmentView]
    invoices: Sequence[InvoiceView]
    now: datetime


@dataclass(frozen=True)
class Action:
    key: str
    label: str  # msgid
    decide: Callable[[ActionContext], Decision]
    href: Callable[[ActionContext], str | None]
    external: bool = False  # the link leaves the portal (a carrier's site)
    position: int = 100


@dataclass(frozen=True)
class ActionOption:
    """One line of the "what you can do now" box."""

    key: str
    label: str
    ok: bool
    reason: str | None
    href: str | None
    external: bool
    params: dict[str, str] = field(default_factory=dict)


_registry: dict[str, Action] = {}


def register(action: Action) -> Action:
    """Add (or replace, by key) a self-service action."""
    _registry[action.key] = action
    return action


def unregister(key: str) -> None:
    _registry.pop(key, None)


def registered() -> list[Action]:
    return sorted(_registry.values(), key=lambda a: (a.position, a.key))


def options(ctx: ActionContext) -> list[ActionOption]:
    """Every registered action with its decision for this order, in display order."""
    result = []
    for action in registered():
        decision = action.decide(ctx)
        result.append(
            ActionOption(
                key=action.key,
                label=action.label,
                ok=decision.ok,
                reason=None if decision.ok else decision.message,
                href=action.href(ctx) if decision.ok else None,
                external=action.external,
                params=dict(decision.params),
            )
        )
    return result


# --- the actions this page ships with -------------------------------------------------------


def _decide_invoice(ctx: ActionContext) -> Decision:
    if ctx.invoices:
        return Decision.yes()
    if ctx.order.status == "cancelled":
        return Decision.no(N_("This order was cancelled before an invoice was issued."))
    return Decision.no(N_("The invoice appears here once the shop issues it."))


def _invoice_href(ctx: ActionContext) -> str | None:
    return ctx.invoices[0].url if ctx.invoices else None


def _tracked(ctx: ActionContext) -> ShipmentView | None:
    return next((s for s in ctx.shipments if s.tracking_url), None)


def _decide_track(ctx: ActionContext) -> Decision:
    if _tracked(ctx) is not None:
        return Decision.yes()
    if ctx.order.status == "cancelled":
        return Decision.no(N_("This order was cancelled, so nothing will be shipped."))
    if ctx.shipments:
        return Decision.no(N_("The carrier has not given a tracking link for this parcel."))
    return Decision.no(N_("Available once your order has shipped."))


def _track_href(ctx: ActionContext) -> str | None:
    shipment = _tracked(ctx)
    return shipment.tracking_url if shipment else None


register(
    Action(
        key="invoice",
        label=N_("View and print your invoice"),
        decide=_decide_invoice,
        href=_invoice_href,
        position=10,
    )
)
register(
    Action(
        key="track",
        label=N_("Track your parcel"),
        decide=_decide_track,
        href=_track_href,
        external=True,
        position=20,
    )
)
