"""'View and print your invoice' in the order page's "what you can do now" box, and how the
timeline tells the invoice requests."""

from __future__ import annotations

from ventanilla.core.decisions import Decision
from ventanilla.core.i18n import N_
from ventanilla.portal import actions


def decide(ctx: actions.ActionContext) -> Decision:
    if ctx.invoices:
        return Decision.yes()
    if ctx.order.status == "cancelled":
        return Decision.no(N_("This order was cancelled before an invoice was issued."))
    return Decision.no(N_("The invoice appears here once the shop issues it."))


def href(ctx: actions.ActionContext) -> str | None:
    return ctx.invoices[0].url if ctx.invoices else None


ACTION = actions.register(
    actions.Action(
        key="invoice",
        label=N_("View and print your invoice"),
        decide=decide,
        href=href,
        position=10,
    )
)

actions.tell_in_timeline("invoice.full_requested", N_("Full invoice requested for %(number)s"))
actions.tell_in_timeline(
    "credit_note.requested", N_("Credit note requested for invoice %(number)s")
)
