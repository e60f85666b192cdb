"""A shopper withdraws from an order or returns items: one edit each (`orders.edits`).

- `withdraw`: the EU withdrawal function (Directive 2023/2673, art. 11a CRD; TRLGDCU arts.
  102-108). Idempotent per order: a second submission, or one after the case was declined or
  closed, returns the first case and changes nothing.
- `request_return`: a commercial return under the shop's rules (config `ReturnsPolicy`).
The shop's side (received, decline, refunds) is in `returns.store`.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlmodel import Session

from ventanilla.config import WITHDRAWAL_DAYS, get_settings
from ventanilla.core import clock
from ventanilla.core.actors import Actor
from ventanilla.core.decisions import Decision
from ventanilla.core.errors import Refused
from ventanilla.core.i18n import N_
from ventanilla.customers.models import Customer
from ventanilla.orders import edits
from ventanilla.orders.models import Order
from ventanilla.outbox import service as outbox_service
from ventanilla.outbox.events import EventType
from ventanilla.portal.urls import order_url
from ventanilla.returns import emails, options, policy, repository
from ventanilla.returns.exceptions import ReturnInvalid, ReturnNotFound
from ventanilla.returns.models import ReturnCase, ReturnLine

RMA_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I
USE_CLAIM = N_(
    "A faulty item is covered by the legal guarantee: report it as a claim instead of a "
    "return (until claims are online, write to the shop)."
)


@dataclass(frozen=True)
class CaseResult:
    case: ReturnCase
    created: bool  # False: the order's withdrawal existed already; nothing changed


def new_rma() -> str:
    """A return number shoppers can read out: R-XXXXXXXX (40 bits of randomness)."""
    return "R-" + "".join(secrets.choice(RMA_ALPHABET) for _ in range(8))


def case_url(number: str, rma: str) -> str:
    return f"{order_url(number)}/returns/{rma}"


def get_quote(
    session: Session, *, order: Order, kind: str, reason: str | None = None
) -> options.Quote:
    """The options the page shows (read only)."""
    return options.quote(session, order=order, kind=kind, now=clock.now(), reason=reason)


def cases_for_order(session: Session, *, customer: Customer, order: Order) -> list[ReturnCase]:
    """The customer's cases for this order (customer-scoped)."""
    assert customer.id is not None and order.id is not None
    return repository.cases_of_order(session, customer_id=customer.id, order_id=order.id)


def case_for_customer(
    session: Session, *, customer: Customer, order: Order, rma: str
) -> tuple[ReturnCase, list[ReturnLine]]:
    """One of the customer's cases of this order with its lines; ReturnNotFound otherwise."""
    assert customer.id is not None
    case = repository.case_for_customer(session, customer_id=customer.id, rma=rma)
    if case is None or case.order_id != order.id or case.id is None:
        raise ReturnNotFound()
    return case, repository.lines_of(session, [case.id])


def _case(
    edit: edits.OrderEdit,
    priced: options.Priced,
    *,
    kind: str,
    name: str,
    email: str,
    reason: str | None,
    note: str | None,
) -> tuple[ReturnCase, list[ReturnLine]]:
    order = edit.order
    returns = get_settings().policy().returns
    case = ReturnCase(
        rma=new_rma(),
        order_id=edit.order_id,
        customer_id=order.customer_id,
        kind=kind,
        withdrawal_order_id=edit.order_id if kind == "withdrawal" else None,
        contact_name=name,
        contact_email=email,
        reason_code=reason,
        note=note,
        currency=order.currency,
        refund_minor=priced.refund_minor,
        shipping_refund_minor=priced.shipping_refund_minor,
        fee_minor=priced.fee_minor,
        review=any(p.option.decision.review for p in priced.lines),
        decision=priced.stored_decision(reason),
        send_by_at=policy.end_of_day(edit.now, returns.send_within_days, get_settings().timezone),
        refund_due_at=edit.now + timedelta(days=WITHDRAWAL_DAYS) if kind == "withdrawal" else None,
        actor_type=edit.actor.type,
        updated_at=edit.now,
    )
    lines = [
        ReturnLine(
            return_id=0,
            order_line_id=p.option.line.id or 0,
            line_no=p.option.line.line_no,
            sku=p.option.line.sku,
            name=p.option.line.name,
            quantity=p.quantity,
            paid_minor=p.paid_minor,
            fee_minor=p.fee_minor,
            refund_minor=p.refund_minor,
            rule_id=p.option.decision.rule_id,
            resolution="refund",
        )
        for p in priced.lines
    ]
    return case, lines


def webhook_payload(case: ReturnCase, lines: list[ReturnLine], number: str) -> dict[str, Any]:
    """The case as webhooks and the store API carry it."""
    return {
        "rma": case.rma,
        "kind": case.kind,
        "status": case.status,
        "order_number": number,
        "currency": case.currency,
        "refund_minor": case.refund_minor,
        "shipping_refund_minor": case.shipping_refund_minor,
        "fee_minor": case.fee_minor,
        "adjustment_minor": case.adjustment_minor,
        "review": case.review,
        "lines": [
            {
                "line_no": x.line_no,
                "sku": x.sku,
                "quantity": x.quantity,
                "refund_minor": x.refund_minor,
                "rule_id": x.rule_id,
            }
            for x in lines
        ],
        "refund_due_at": case.refund_due_at.isoformat() if case.refund_due_at else None,
    }


def withdraw(
    session: Session,
    *,
    actor: Actor,
    customer: Customer,
    number: str,
    selection: Mapping[int, int],
    name: str,
    email: str,
) -> CaseResult:
    """Withdraw from the contract for the chosen units (line_no -> units); acknowledged by
    email at once with content, date and time (`withdrawal.received` to the shop).

    Raises Refused (409: before packing `cancel_instead`, after the period
    `withdrawal_window_closed`, `order_cancelled`), ReturnInvalid (422) and OrderNotFound.
    """
    with edits.edit_order(
        session, actor=actor, customer=customer, number=number, policy=None
    ) as edit:
        existing = repository.withdrawal_of_order(session, edit.order_id)
        if existing is not None:
            return CaseResult(existing, created=False)
        q = options.quote(session, order=edit.order, kind="withdrawal", now=edit.now)
        if not q.decision.ok:
            raise Refused(q.decision)
        priced = options.price(q, selection)
        case, lines = _case(
            edit, priced, kind="withdrawal", name=name, email=email, reason=None, note=None
        )
        if not repository.insert_case(session, case, lines):
            raced = repository.withdrawal_of_order(session, edit.order_id)
            assert raced is not None
            return CaseResult(raced, created=False)
        url = case_url(number, case.rma)
        edit.record(
            "withdrawal.received",
            {"rma": case.rma, "refund_minor": case.refund_minor, "currency": case.currency},
            webhook=(EventType.WITHDRAWAL_RECEIVED, webhook_payload(case, lines, number)),
        )
        ack = emails.withdrawal_acknowledgement(
            edit.email_language(),
            name=name,
            order_number=number,
            rma=case.rma,
            received_at=edit.now,
            items=[(x.name, x.quantity) for x in lines],
            refund_minor=case.refund_minor,
            currency=case.currency,
            url=url,
        )
        # To the address the shopper gave (art. 11a: "where to send the acknowledgement"), and
        # a copy to the account's address when it differs, so the account owner always knows.
        for to in dict.fromkeys([email.strip(), customer.email]):
            outbox_service.enqueue_email(
                session, to=to, subject=ack.subject, text=ack.text, html=ack.html
            )
        return CaseResult(case, created=True)


def request_return(
    session: Session,
    *,
    actor: Actor,
    customer: Customer,
    number: str,
    selection: Mapping[int, int],
    reason: str,
    note: str | None = None,
) -> CaseResult:
    """Open a commercial return (RMA) for the chosen units under the shop's rules.

    Raises Refused (409: `use_claim` for a defect, `not_delivered`, `order_cancelled`, ...),
    ReturnInvalid (422: unknown reason, lines that cannot go back) and OrderNotFound.
    """
    reasons = {r.code: r for r in get_settings().policy().returns.reasons}
    if reason not in reasons:
        raise ReturnInvalid([(("reason",), "Choose one of the reasons.", "reason")])
    if reasons[reason].claim:
        raise Refused(Decision.no(USE_CLAIM, code="use_claim"))
    with edits.edit_order(
        session, actor=actor, customer=customer, number=number, policy=None
    ) as edit:
        q = options.quote(session, order=edit.order, kind="return", now=edit.now, reason=reason)
        if not q.decision.ok:
            raise Refused(q.decision)
        priced = options.price(q, selection)
        case, lines = _case(
            edit,
            priced,
            kind="return",
            name=customer.name or "",
            email=customer.email,
            reason=reason,
            note=note,
        )
        repository.insert_case(session, case, lines)
        address = get_settings().policy().returns.return_address
        url = case_url(number, case.rma)
        assert case.send_by_at is not None
        send_by = case.send_by_at
        edit.record(
            "return.requested",
            {"rma": case.rma, "refund_minor": case.refund_minor, "currency": case.currency},
            email=lambda locale: emails.return_requested(
                locale,
                name=customer.name or "",
                order_number=number,
                rma=case.rma,
                send_by=send_by,
                items=[(x.name, x.quantity) for x in lines],
                refund_minor=case.refund_minor,
                currency=case.currency,
                address=address,
                url=url,
            ),
            webhook=(EventType.RETURN_REQUESTED, webhook_payload(case, lines, number)),
        )
        return CaseResult(case, created=True)
