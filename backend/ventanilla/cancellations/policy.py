"""Pure decisions about cancelling a whole order: the same cut-off as every other edit
(`orders.policy.can_edit`, the shop's policy file), said in words that fit a cancellation.

A "no" after the cut-off tells the shopper what they can do instead. It offers withdrawal or a
return only when such an action exists (`after_sales=True`, decided from the portal's action
registry at run time by `cancellations.actions`); otherwise it says to contact the shop.
"""

from __future__ import annotations

from datetime import datetime

from ventanilla.config import ShopPolicy
from ventanilla.core.decisions import Decision
from ventanilla.core.i18n import N_
from ventanilla.orders import policy as orders_policy
from ventanilla.orders.models import Order

# The optional reasons a shopper may give (stored with the cancellation, sent to the shop).
REASONS: dict[str, str] = {
    "changed_mind": N_("I changed my mind"),
    "ordered_by_mistake": N_("I ordered by mistake"),
    "wrong_items": N_("I chose the wrong items or sizes"),
    "found_cheaper": N_("I found it cheaper elsewhere"),
    "too_slow": N_("It would arrive too late"),
    "other": N_("Another reason"),
}

# Why a cancellation is refused, by (the edit policy's code, whether after-sales actions exist).
_AFTER_CUTOFF: dict[tuple[str, bool], str] = {
    ("packing_started", True): N_(
        "The warehouse started packing your order, so it can no longer be cancelled. "
        "After delivery you can withdraw from the purchase or return it from this page."
    ),
    ("packing_started", False): N_(
        "The warehouse started packing your order, so it can no longer be cancelled. "
        "If you no longer want it, please contact the shop."
    ),
    ("packing_started_at", True): N_(
        "The warehouse started packing your order at %(time)s, so it can no longer be "
        "cancelled. After delivery you can withdraw from the purchase or return it from this page."
    ),
    ("packing_started_at", False): N_(
        "The warehouse started packing your order at %(time)s, so it can no longer be "
        "cancelled. If you no longer want it, please contact the shop."
    ),
    ("already_shipped", True): N_(
        "Your order has already left the warehouse, so it can no longer be cancelled. "
        "After delivery you can withdraw from the purchase or return it from this page."
    ),
    ("already_shipped", False): N_(
        "Your order has already left the warehouse, so it can no longer be cancelled. "
        "If you no longer want it, please contact the shop."
    ),
}
REFUSALS: dict[str, str] = {
    "cancelled": N_("The order is cancelled."),
    "edit_window_closed": N_(
        "Orders can be cancelled online up to %(hours)s hours after they are placed. "
        "Please contact the shop."
    ),
    "not_editable": N_("This order can no longer be cancelled online. Please contact the shop."),
}


def can_cancel(
    order: Order,
    now: datetime,
    *,
    after_sales: bool = False,
    policy: ShopPolicy | None = None,
) -> Decision:
    """May the shopper (or an agent for them) cancel the whole `order` now?

    The same cut-off as address and item changes (`orders.policy.can_edit`: statuses the shop
    allows edits in, its edit window). `after_sales`: a withdrawal or return action is
    registered, so a refusal after the cut-off may point to it. Codes: those of `can_edit`
    (packing_started, already_shipped, edit_window_closed, cancelled, not_editable).
    """
    decision = orders_policy.can_edit(order, now, policy=policy)
    if decision.ok:
        return decision
    code = decision.reason_code or "not_editable"
    if code == "packing_started":
        key = "packing_started_at" if decision.params else "packing_started"
        message = _AFTER_CUTOFF[(key, after_sales)]
    elif code == "already_shipped":
        message = _AFTER_CUTOFF[(code, after_sales)]
    else:
        message = REFUSALS.get(code, REFUSALS["not_editable"])
    return Decision.no(message, code=code, params=decision.params)


def clean_reason(value: str | None) -> str | None:
    """The reason code if it is one of REASONS; '' or None is no reason. Raises ValueError."""
    text = (value or "").strip()
    if not text:
        return None
    if text not in REASONS:
        raise ValueError(text)
    return text
