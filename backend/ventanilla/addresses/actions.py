"""'Change the delivery address' in the order page's "what you can do now" box."""

from __future__ import annotations

from ventanilla.changes import policy as changes_policy
from ventanilla.core.i18n import N_
from ventanilla.orders import actions
from ventanilla.orders.view import order_url


def href(ctx: actions.ActionContext) -> str:
    return order_url(ctx.order.number) + "/address"


ACTION = actions.register(
    actions.Action(
        key="address",
        label=N_("Change the delivery address"),
        decide=changes_policy.edit_action,
        href=href,
        position=30,
    )
)
