"""The order page's entries: "Withdraw from contract here" (the EU withdrawal function) and
"Return items" (the shop's policy). Both decide from what the page loaded (no queries)."""

from __future__ import annotations

from datetime import datetime

from ventanilla.config import get_settings
from ventanilla.core.decisions import Decision
from ventanilla.core.i18n import N_
from ventanilla.portal import actions
from ventanilla.portal.urls import order_url
from ventanilla.returns import policy


def _received(ctx: actions.ActionContext) -> datetime | None:
    parcels = [
        policy.Parcel(
            shipped_at=s.shipped_at,
            delivered_at=max(
                (e.occurred_at for e in s.events if e.status == "delivered"), default=None
            ),
        )
        for s in ctx.shipments
    ]
    allowance = get_settings().policy().returns.carrier_allowance_days
    return policy.received_at(ctx.order, parcels, allowance_days=allowance)


def decide_withdrawal(ctx: actions.ActionContext) -> Decision:
    """The law's window from the parcels the page shows."""
    settings = get_settings()
    deadline = policy.withdrawal_deadline(
        _received(ctx), tz_name=settings.timezone, returns=settings.policy().returns
    )
    return policy.can_withdraw(ctx.order, ctx.now, deadline=deadline, tz_name=settings.timezone)


def decide_return(ctx: actions.ActionContext) -> Decision:
    """Delivered (or counted as delivered): the return page decides line by line."""
    return policy.can_return(ctx.order, _received(ctx))


actions.register(
    actions.Action(
        key="withdrawal",
        label=N_("Withdraw from contract here"),
        decide=decide_withdrawal,
        href=lambda ctx: order_url(ctx.order.number) + "/withdrawal",
        position=55,
        done=N_("We have received your withdrawal and emailed you an acknowledgement."),
    )
)
actions.register(
    actions.Action(
        key="return",
        label=N_("Return items"),
        decide=decide_return,
        href=lambda ctx: order_url(ctx.order.number) + "/returns/new",
        position=50,
        done=N_("Your return is registered. We have emailed you the instructions."),
    )
)
actions.tell_in_timeline("withdrawal.received", N_("You withdrew from the contract"))
actions.tell_in_timeline("return.requested", N_("You asked to return items"))
actions.tell_in_timeline("return.received", N_("The shop received your return"))
actions.tell_in_timeline("return.refunded", N_("Your return was refunded"))
actions.tell_in_timeline("return.declined", N_("The shop declined your return"))
