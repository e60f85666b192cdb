"""Pure decisions on returns and withdrawals: when the window ends, what each line may do.

The law first (withdrawal: Directive 2011/83/EU arts. 9-16 as amended by Directive 2023/2673,
art. 11a; TRLGDCU arts. 102-108): 14 days from the day the consumer received the goods (the
last parcel), ending at 23:59:59 in the shop's time zone; no fee; exceptions only for products
the shop tagged (`withdrawal_exception_tags`, art. 103). Then the shop's rules (config
`ReturnsPolicy.rules`): the first rule that matches a line decides it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from ventanilla.config import WITHDRAWAL_DAYS, ReturnRule, ReturnsPolicy
from ventanilla.core.decisions import Decision
from ventanilla.core.i18n import N_
from ventanilla.orders.models import Order

BEFORE_PACKING = ("placed", "paid", "processing")

REFUSALS = {
    "cancel_instead": N_(
        "Your order has not been packed yet: you can still change or cancel it instead."
    ),
    "order_cancelled": N_("The order is cancelled; there is nothing to send back."),
    "withdrawal_window_closed": N_(
        "The 14-day withdrawal period ended on %(date)s. You can still ask for a return if the "
        "shop's policy allows it, or report a fault as a claim."
    ),
    "not_delivered": N_("You can return items once they have been delivered."),
    "return_window_closed": N_(
        "Returns for this item were possible until %(date)s. If it is faulty, report it as a claim."
    ),
    "withdrawal_exception": N_(
        "This product is excluded from withdrawal (for example, made to your specifications or "
        "unsealed for hygiene reasons). If it is faulty, report it as a claim."
    ),
    "final_sale": N_("This item was sold as final sale and cannot be returned unless faulty."),
    "nothing_left": N_("Every unit of this item is already in a return or withdrawal."),
}


def no(code: str, **params: str) -> Decision:
    """A refusal from REFUSALS (its msgid, code and params)."""
    return Decision.no(REFUSALS[code], code=code, params=tuple(params.items()))


@dataclass(frozen=True)
class Parcel:
    """One shipment as the rules see it (UTC datetimes)."""

    shipped_at: datetime | None
    delivered_at: datetime | None


def received_at(order: Order, parcels: Sequence[Parcel], *, allowance_days: int) -> datetime | None:
    """When the shopper had everything: the last parcel's delivery (UTC), or None if not yet.

    A parcel without a delivery event counts, in the shopper's favour, as delivered
    `allowance_days` after it shipped, or when the shop marked the order delivered if later;
    an order marked delivered with no parcels counts from that status event.
    """
    marked = order.status_at if order.status == "delivered" else None
    if not parcels:
        return marked
    dates = []
    for parcel in parcels:
        if parcel.delivered_at is not None:
            dates.append(parcel.delivered_at)
        elif marked is None:
            return None  # on its way: the period has not started
        elif parcel.shipped_at is not None:
            dates.append(max(marked, parcel.shipped_at + timedelta(days=allowance_days)))
        else:
            dates.append(marked)
    return max(dates)


def end_of_day(start: datetime, days: int, tz_name: str) -> datetime:
    """23:59:59 (shop time zone) of the day `days` after `start`'s local day, as UTC."""
    tz = ZoneInfo(tz_name)
    day = start.astimezone(tz).date() + timedelta(days=days)
    return datetime.combine(day, time(23, 59, 59), tzinfo=tz).astimezone(ZoneInfo("UTC"))


def withdrawal_deadline(
    received: datetime | None, *, tz_name: str, returns: ReturnsPolicy
) -> datetime | None:
    """The last moment to withdraw: 14 days (or a longer window a withdrawal rule grants)."""
    if received is None:
        return None  # not received yet: the period has not started
    days = max(
        [WITHDRAWAL_DAYS]
        + [r.window_days for r in returns.rules if r.applies_to != "return" and r.window_days]
    )
    return end_of_day(received, days, tz_name)


def local_date(at: datetime, tz_name: str) -> str:
    """dd/mm/yyyy in the shop's time zone (readable in es and en)."""
    return at.astimezone(ZoneInfo(tz_name)).strftime("%d/%m/%Y")


def can_withdraw(
    order: Order, now: datetime, *, deadline: datetime | None, tz_name: str
) -> Decision:
    """May the shopper withdraw from the contract now? (Before packing: cancel instead.)"""
    if order.status == "cancelled":
        return no("order_cancelled")
    if order.status in BEFORE_PACKING:
        return no("cancel_instead")
    if deadline is not None and now > deadline:
        return no("withdrawal_window_closed", date=local_date(deadline, tz_name))
    return Decision.yes()


def can_return(order: Order, received: datetime | None) -> Decision:
    """May the shopper open a commercial return at all (per line: `decide_line`)?"""
    if order.status == "cancelled":
        return no("order_cancelled")
    if order.status in BEFORE_PACKING:
        return no("cancel_instead")
    if received is None:
        return no("not_delivered")
    return Decision.yes()


@dataclass(frozen=True)
class LineFacts:
    """What the rules look at for one line (the decision's stored inputs)."""

    sku: str
    tags: tuple[str, ...]
    final_sale: bool
    returnable: bool
    country: str
    unit_price_minor: int
    discounted: bool
    reason: str | None
    days_since_delivery: int

    def as_dict(self) -> dict[str, Any]:
        return {
            "sku": self.sku,
            "tags": list(self.tags),
            "final_sale": self.final_sale,
            "returnable": self.returnable,
            "country": self.country,
            "unit_price_minor": self.unit_price_minor,
            "discounted": self.discounted,
            "reason": self.reason,
            "days_since_delivery": self.days_since_delivery,
        }


@dataclass(frozen=True)
class LineDecision:
    """The outcome for one line: yes/no (with reason), until when, fees, what the shopper gets."""

    decision: Decision
    rule_id: str | None
    window_ends_at: datetime | None
    fee_percent: int = 0
    fee_minor_per_unit: int = 0
    resolutions: tuple[str, ...] = ("refund",)
    return_shipping: str = "customer"
    review: bool = False
    shop_reason: dict[str, str] = field(default_factory=dict)  # es/en text of a rule's "no"


def matches(rule: ReturnRule, facts: LineFacts) -> bool:
    """Does every condition `rule.match` gives hold for the line?"""
    m = rule.match
    checks = [
        not m.tags or bool(set(m.tags) & set(facts.tags)),
        not m.skus or facts.sku in m.skus,
        not m.countries or facts.country in m.countries,
        m.min_days_since_delivery is None or facts.days_since_delivery >= m.min_days_since_delivery,
        m.max_days_since_delivery is None or facts.days_since_delivery <= m.max_days_since_delivery,
        m.min_unit_price_minor is None or facts.unit_price_minor >= m.min_unit_price_minor,
        m.max_unit_price_minor is None or facts.unit_price_minor <= m.max_unit_price_minor,
        m.discounted is None or facts.discounted == m.discounted,
        not m.reasons or facts.reason in m.reasons,
    ]
    return all(checks)


def decide_line(
    facts: LineFacts,
    *,
    received: datetime,
    now: datetime,
    returns: ReturnsPolicy,
    tz_name: str,
) -> LineDecision:
    """A commercial return of one line: the first matching rule, else the default window."""
    if facts.final_sale or not facts.returnable:
        return LineDecision(no("final_sale"), "final_sale", None)
    rule = next(
        (r for r in returns.rules if r.applies_to != "withdrawal" and matches(r, facts)), None
    )
    if rule is not None and not rule.eligible:
        text = {"en": rule.reason_en or "", "es": rule.reason_es or ""}
        refusal = Decision.no(rule.reason_en or "", code="rule_refused")
        return LineDecision(refusal, rule.id, None, shop_reason=text)
    days = rule.window_days if rule and rule.window_days is not None else returns.window_days
    ends = end_of_day(received, days, tz_name)
    if now > ends:
        return LineDecision(
            no("return_window_closed", date=local_date(ends, tz_name)),
            rule.id if rule else "default",
            ends,
        )
    if rule is None:
        return LineDecision(Decision.yes(), "default", ends)
    return LineDecision(
        Decision.yes(),
        rule.id,
        ends,
        fee_percent=rule.fee_percent,
        fee_minor_per_unit=rule.fee_minor,
        resolutions=tuple(rule.resolutions),
        return_shipping=rule.return_shipping,
        review=rule.review,
    )


def fee_for(decision: LineDecision, *, paid_minor: int, units: int) -> int:
    """The fee the rule charges on `units` that cost `paid_minor`, never more than that."""
    fee = paid_minor * decision.fee_percent // 100 + decision.fee_minor_per_unit * units
    return min(fee, paid_minor)


def shipping_refund(order: Order, *, whole_order: bool, standard_shipping_minor: int | None) -> int:
    """Withdrawal of the whole order: the outbound shipping up to the standard rate (an express
    surcharge the shopper chose is not refunded: TRLGDCU art. 107.2); otherwise nothing."""
    if not whole_order:
        return 0
    if standard_shipping_minor is None:
        return order.shipping_minor
    return min(order.shipping_minor, standard_shipping_minor)
