"""What a shopper may send back and what they get: one quote the pages, the API, the CLI's
`policy explain` and the service all use, so the stored decision is the one that was shown."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlmodel import Session

from ventanilla.config import ReturnsPolicy, get_settings
from ventanilla.core import i18n
from ventanilla.core.decisions import Decision
from ventanilla.core.i18n import N_
from ventanilla.core.i18n import gettext as _
from ventanilla.orders import discounts
from ventanilla.orders import repository as orders_repository
from ventanilla.orders.models import Order, OrderLine
from ventanilla.returns import policy, repository
from ventanilla.returns.exceptions import ReturnInvalid
from ventanilla.returns.policy import LineDecision, LineFacts, Parcel
from ventanilla.shipping import service as shipping_service

NO_SUCH_LINE = N_("There is no such item in this order.")
TOO_MANY = N_("Choose between 1 and %(n)s.")
CHOOSE_ONE = N_("Choose at least one item.")


def line_reason(decision: LineDecision) -> str:
    """Why a line cannot go back, in the active language (a shop rule's own es/en text)."""
    if decision.shop_reason:
        lang = (i18n.current_locale.get() or "en")[:2]
        return decision.shop_reason.get(lang) or decision.shop_reason.get("en", "")
    d = decision.decision
    return _(d.message, **dict(d.params)) if d.message else ""


@dataclass(frozen=True)
class LineOption:
    """One order line: how many units can still go back, and the rules' answer."""

    line: OrderLine
    available: int
    decision: LineDecision
    facts: LineFacts

    @property
    def ok(self) -> bool:
        return self.decision.decision.ok and self.available > 0


@dataclass(frozen=True)
class Quote:
    """The order-level answer and one LineOption per line, for `kind` at `now`."""

    kind: str  # withdrawal | return
    order: Order
    now: datetime
    received_at: datetime | None
    deadline: datetime | None  # withdrawal: the last moment to withdraw
    decision: Decision
    lines: list[LineOption]
    already: dict[int, int] = field(default_factory=dict)  # order line id -> units in cases


@dataclass(frozen=True)
class PricedLine:
    option: LineOption
    quantity: int
    paid_minor: int
    fee_minor: int

    @property
    def refund_minor(self) -> int:
        return self.paid_minor - self.fee_minor


@dataclass(frozen=True)
class Priced:
    """What the shopper chose, with the amounts: the summary shown before submitting."""

    quote: Quote
    lines: list[PricedLine]
    shipping_refund_minor: int

    @property
    def fee_minor(self) -> int:
        return sum(p.fee_minor for p in self.lines)

    @property
    def refund_minor(self) -> int:
        return sum(p.refund_minor for p in self.lines) + self.shipping_refund_minor

    def stored_decision(self, reason: str | None) -> dict[str, Any]:
        """What is kept with the case: rule ids, inputs, amounts, deadlines."""
        q = self.quote
        return {
            "kind": q.kind,
            "at": q.now.isoformat(),
            "received_at": q.received_at.isoformat() if q.received_at else None,
            "deadline": q.deadline.isoformat() if q.deadline else None,
            "reason": reason,
            "lines": [
                {
                    "line_no": p.option.line.line_no,
                    "sku": p.option.line.sku,
                    "quantity": p.quantity,
                    "rule_id": p.option.decision.rule_id,
                    "inputs": p.option.facts.as_dict(),
                    "window_ends_at": _iso(p.option.decision.window_ends_at),
                    "paid_minor": p.paid_minor,
                    "fee_minor": p.fee_minor,
                    "refund_minor": p.refund_minor,
                    "resolutions": list(p.option.decision.resolutions),
                    "return_shipping": p.option.decision.return_shipping,
                    "review": p.option.decision.review,
                }
                for p in self.lines
            ],
            "shipping_refund_minor": self.shipping_refund_minor,
            "fee_minor": self.fee_minor,
            "refund_minor": self.refund_minor,
            "currency": q.order.currency,
        }


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def parcels_of(session: Session, order_id: int) -> list[Parcel]:
    """The order's shipments with the time of their delivery event, if any."""
    return [
        Parcel(
            shipped_at=s.shipped_at,
            delivered_at=max(
                (e.occurred_at for e in s.events if e.status == "delivered"), default=None
            ),
        )
        for s in shipping_service.shipments_for_order(session, order_id=order_id)
    ]


def quote(
    session: Session, *, order: Order, kind: str, now: datetime, reason: str | None = None
) -> Quote:
    """The decision for the whole order and each line, as of `now` (a few queries)."""
    settings = get_settings()
    returns = settings.policy().returns
    assert order.id is not None
    received = policy.received_at(
        order, parcels_of(session, order.id), allowance_days=returns.carrier_allowance_days
    )
    deadline = None
    if kind == "withdrawal":
        deadline = policy.withdrawal_deadline(received, tz_name=settings.timezone, returns=returns)
        decision = policy.can_withdraw(order, now, deadline=deadline, tz_name=settings.timezone)
    else:
        decision = policy.can_return(order, received)
    lines = orders_repository.lines(session, order.id)
    products = repository.products_by_ids(
        session, [line.product_id for line in lines if line.product_id is not None]
    )
    country = orders_repository.addresses(session, order.id).get("shipping")
    already = repository.units_in_cases(session, order.id)
    options = []
    for line in lines:
        product = products.get(line.product_id or 0)
        facts = LineFacts(
            sku=line.sku,
            tags=tuple(product.tags if product else ()),
            final_sale=bool(product and product.final_sale),
            returnable=product.returnable if product else True,
            country=country.country if country else "",
            unit_price_minor=line.unit_price_minor,
            discounted=line.discount_minor > 0,
            reason=reason,
            days_since_delivery=max(0, (now - received).days) if received else 0,
        )
        available = line.quantity - already.get(line.id or 0, 0)
        options.append(
            LineOption(line, available, _line_decision(kind, facts, received, now, returns), facts)
        )
    return Quote(kind, order, now, received, deadline, decision, options, already)


def _line_decision(
    kind: str, facts: LineFacts, received: datetime | None, now: datetime, returns: ReturnsPolicy
) -> LineDecision:
    if kind == "withdrawal":
        if set(facts.tags) & set(returns.withdrawal_exception_tags):
            return LineDecision(policy.no("withdrawal_exception"), "law.exception", None)
        return LineDecision(Decision.yes(), "law.withdrawal", None)
    if received is None:
        return LineDecision(policy.no("not_delivered"), None, None)
    return policy.decide_line(
        facts, received=received, now=now, returns=returns, tz_name=get_settings().timezone
    )


def paid_for_next_units(line: OrderLine, before: int, units: int) -> int:
    """What was paid for `units` more units of `line` after `before` already went back: the
    difference of cumulative shares, so all of a line's cases add up to what was paid for it."""
    return discounts.paid_for_units(line, before + units) - discounts.paid_for_units(line, before)


def price(q: Quote, selection: Mapping[int, int]) -> Priced:
    """Amounts for `selection` (line_no -> units). Raises ReturnInvalid (422, by line) for
    unknown lines, units over what is left, lines that cannot go back, or nothing chosen.

    A line's refund is its share of what was paid (`orders.discounts`), counted on from the
    units already in other cases, so the refunds of a line never add up to more than was paid.
    """
    by_no = {o.line.line_no: o for o in q.lines}
    errors: list[tuple[tuple[str | int, ...], str, str]] = []
    priced = []
    for line_no, units in sorted(selection.items()):
        option = by_no.get(line_no)
        if units == 0:
            continue
        if option is None:
            errors.append((("lines", line_no), _(NO_SUCH_LINE), "unknown"))
        elif not option.decision.decision.ok:
            errors.append((("lines", line_no), line_reason(option.decision), "not_eligible"))
        elif not 0 < units <= option.available:
            errors.append((("lines", line_no), _(TOO_MANY, n=str(option.available)), "quantity"))
        else:
            paid = paid_for_next_units(option.line, q.already.get(option.line.id or 0, 0), units)
            fee = (
                0
                if q.kind == "withdrawal"
                else policy.fee_for(option.decision, paid_minor=paid, units=units)
            )
            priced.append(PricedLine(option, units, paid, fee))
    if not errors and not priced:
        errors.append((("lines",), _(CHOOSE_ONE), "empty"))
    if errors:
        raise ReturnInvalid(errors)
    return Priced(q, priced, _shipping(q, priced))


def _shipping(q: Quote, priced: list[PricedLine]) -> int:
    if q.kind != "withdrawal" or q.already:
        return 0
    chosen = {p.option.line.line_no: p.quantity for p in priced}
    whole = all(chosen.get(o.line.line_no, 0) == o.line.quantity for o in q.lines)
    standard = get_settings().policy().returns.standard_shipping_minor
    return policy.shipping_refund(q.order, whole_order=whole, standard_shipping_minor=standard)
