"""'Change items' in the order page's "what you can do now" box."""

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
    return order_url(ctx.order.number) + "/items"


ACTION = actions.register(
    actions.Action(
        key="items",
        label=N_("Change items"),
        decide=decide,
        href=href,
        position=40,
        done=N_(
            "Your order is updated. We have emailed you a confirmation with the new total and "
            "what happens with the difference."
        ),
    )
)
actions.tell_in_timeline("order.amended", N_("The items in your order changed"))
actions.tell_in_timeline("order.amendment_declined", N_("A change to your items was not applied"))
