"""'Cancel the order' in the order page's "what you can do now" box, and its timeline entries."""

from __future__ import annotations

from ventanilla.cancellations import policy as cancel_policy
from ventanilla.core.decisions import Decision
from ventanilla.core.i18n import N_
from ventanilla.portal import actions
from ventanilla.portal.urls import order_url

AFTER_SALES_PREFIXES = ("return", "withdraw")


def after_sales_available() -> bool:
    """A withdrawal or return action is registered (checked at run time, never assumed)."""
    return any(a.key.startswith(AFTER_SALES_PREFIXES) for a in actions.registered())


def decide(ctx: actions.ActionContext) -> Decision:
    """The cancellation policy, from what the page loaded (no queries)."""
    return cancel_policy.can_cancel(ctx.order, ctx.now, after_sales=after_sales_available())


def href(ctx: actions.ActionContext) -> str:
    return order_url(ctx.order.number) + "/cancel"


ACTION = actions.register(
    actions.Action(
        key="cancel",
        label=N_("Cancel the order"),
        decide=decide,
        href=href,
        position=45,
        done=N_(
            "Your order is cancelled. We have emailed you a confirmation that says what happens "
            "with the money."
        ),
    )
)
actions.tell_in_timeline("order.cancelled", N_("The order was cancelled"))
actions.tell_in_timeline("payment.authorisation_released", N_("The hold on your card was released"))
# The ledger's refund rows (a cancellation's, an amendment's): payments names no kinds itself.
actions.tell_in_timeline("refund.requested", N_("A refund to your card was started"))
