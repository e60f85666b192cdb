"""'Track your parcel' in the order page's "what you can do now" box (a link to the carrier)."""

from __future__ import annotations

from typing import Any

from ventanilla.core.decisions import Decision
from ventanilla.core.i18n import N_
from ventanilla.portal import actions


def _tracked(ctx: actions.ActionContext) -> Any | None:
    return next((s for s in ctx.shipments if s.tracking_url), None)


def decide(ctx: actions.ActionContext) -> Decision:
    if _tracked(ctx) is not None:
        return Decision.yes()
    if ctx.order.status == "cancelled":
        return Decision.no(N_("This order was cancelled, so nothing will be shipped."))
    if ctx.shipments:
        return Decision.no(N_("The carrier has not given a tracking link for this parcel."))
    return Decision.no(N_("Available once your order has shipped."))


def href(ctx: actions.ActionContext) -> str | None:
    shipment = _tracked(ctx)
    return shipment.tracking_url if shipment else None


ACTION = actions.register(
    actions.Action(
        key="track",
        label=N_("Track your parcel"),
        decide=decide,
        href=href,
        external=True,
        position=20,
    )
)
