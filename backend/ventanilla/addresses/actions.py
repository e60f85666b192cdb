"""'Change the delivery address' in the order page's "what you can do now" box."""

from __future__ import annotations

from ventanilla.core.decisions import Decision
from ventanilla.core.i18n import N_
from ventanilla.orders import policy as orders_policy
from ventanilla.portal import actions
from ventanilla.portal.urls import order_url


def decide(ctx: actions.ActionContext) -> Decision:
    """The edit policy, from what the page loaded (no queries)."""
    return orders_policy.can_edit(ctx.order, ctx.now)


def href(ctx: actions.ActionContext) -> str:
    return order_url(ctx.order.number) + "/address"


ACTION = actions.register(
    actions.Action(
        key="address",
        label=N_("Change the delivery address"),
        decide=decide,
        href=href,
        position=30,
        done=N_("Your new delivery address is saved. We have emailed you a confirmation."),
    )
)
actions.tell_in_timeline("order.address_changed", N_("Delivery address changed"))
