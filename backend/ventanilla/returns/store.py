"""The shop's side of returns: list and read cases, mark goods received (the refund, exactly
once, through the payments ledger; a credit-note request when there is an invoice), decline.

Every write locks the order row (`orders.edits`), so concurrent "received" calls for one case
queue, and the second finds the case received and returns it unchanged.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from sqlmodel import Session

from ventanilla.config import get_settings
from ventanilla.core import clock
from ventanilla.core.actors import Actor
from ventanilla.core.emails import Email
from ventanilla.db import session_scope
from ventanilla.invoices import credit_notes
from ventanilla.invoices import repository as invoices_repository
from ventanilla.orders import edits
from ventanilla.orders import repository as orders_repository
from ventanilla.outbox import service as outbox_service
from ventanilla.outbox.events import EventType
from ventanilla.payments import service as payments
from ventanilla.payments.exceptions import (
    AmountNotPayable,
    NoPaymentToRefund,
    PaymentsNotConfigured,
    RefundExceedsCaptured,
)
from ventanilla.returns import emails, repository
from ventanilla.returns.exceptions import (
    ReturnAlreadyReceived,
    ReturnDeclined,
    ReturnInvalid,
    ReturnNotFound,
)
from ventanilla.returns.models import ReturnCase, ReturnLine
from ventanilla.returns.service import case_url, webhook_payload


@dataclass(frozen=True)
class CaseView:
    case: ReturnCase
    lines: list[ReturnLine]
    order_number: str


def list_cases(
    session: Session,
    *,
    status: str | None,
    updated_since: datetime | None,
    limit: int,
    after_id: int | None,
) -> list[CaseView]:
    """Cases by id (cursor `after_id`), filtered by status and last update; 3 queries."""
    cases = repository.list_cases(
        session, status=status, updated_since=updated_since, limit=limit, after_id=after_id
    )
    lines = repository.lines_of(session, [c.id for c in cases if c.id is not None])
    by_case: dict[int, list[ReturnLine]] = defaultdict(list)
    for line in lines:
        by_case[line.return_id].append(line)
    numbers = orders_repository.numbers_by_ids(session, sorted({c.order_id for c in cases}))
    return [CaseView(c, by_case[c.id or 0], numbers.get(c.order_id, "")) for c in cases]


def get_case(session: Session, *, rma: str) -> CaseView:
    """One case with its lines; ReturnNotFound (404)."""
    case = repository.case_by_rma(session, rma)
    if case is None or case.id is None:
        raise ReturnNotFound()
    order = orders_repository.get_by_id(session, case.order_id)
    assert order is not None
    return CaseView(case, repository.lines_of(session, [case.id]), order.number)


def _locked_case(edit: edits.OrderEdit, rma: str) -> ReturnCase:
    case = repository.case_by_rma(edit.session, rma, for_update=True)
    if case is None or case.order_id != edit.order_id:  # pragma: no cover - read before
        raise ReturnNotFound()
    return case


def mark_received(
    session: Session,
    *,
    actor: Actor,
    rma: str,
    adjustment_minor: int = 0,
    adjustment_reason: str | None = None,
) -> CaseView:
    """The goods are back: refund refund_minor + adjustment through the payments ledger
    (key `refund:return:{id}`, exactly once), ask for a credit note if the order has an
    invoice, send `return.received`. Again for a received case: unchanged.

    `adjustment_minor` (inspection, <= 0) needs a reason. Raises ReturnNotFound (404),
    ReturnDeclined (409), ReturnInvalid (422).
    """
    first = get_case(session, rma=rma)
    with edits.edit_order(session, actor=actor, order_id=first.case.order_id, policy=None) as edit:
        case = _locked_case(edit, rma)
        if case.status in ("received", "refunded"):
            return CaseView(case, first.lines, edit.order.number)
        if case.status == "declined":
            raise ReturnDeclined()
        _check_adjustment(case, adjustment_minor, adjustment_reason)
        case.adjustment_minor = adjustment_minor
        case.adjustment_reason = adjustment_reason
        case.status, case.received_at, case.updated_at = "received", edit.now, edit.now
        amount = case.refund_minor + adjustment_minor
        _refund(edit, case, amount)
        repository.save(session, case)
        _credit_note(edit, case, first.lines, amount)
        edit.record(
            "return.received",
            {"rma": case.rma, "amount_minor": amount, "currency": case.currency},
            email=lambda locale: emails.return_update(
                locale,
                name=case.contact_name,
                rma=case.rma,
                status="received",
                amount_minor=amount,
                currency=case.currency,
                reason=None,
                url=case_url(edit.order.number, case.rma),
            ),
            webhook=(
                EventType.RETURN_RECEIVED,
                {
                    **webhook_payload(case, first.lines, edit.order.number),
                    "settlement": case.settlement,
                    "amount_minor": amount,
                },
            ),
        )
        return CaseView(case, first.lines, edit.order.number)


def _check_adjustment(case: ReturnCase, adjustment: int, reason: str | None) -> None:
    if adjustment > 0 or case.refund_minor + adjustment < 0:
        raise ReturnInvalid(
            [
                (
                    ("body", "adjustment_minor"),
                    f"An inspection adjustment is between -{case.refund_minor} and 0.",
                    "range",
                )
            ]
        )
    if adjustment and not (reason or "").strip():
        raise ReturnInvalid(
            [(("body", "adjustment_reason"), "Say why the refund is lowered.", "missing")]
        )


def _refund(edit: edits.OrderEdit, case: ReturnCase, amount: int) -> None:
    if amount <= 0:
        case.settlement = "none"
        return
    try:
        entry = payments.request_refund(
            edit.session,
            order=edit.order,
            change_id=None,
            amount_minor=amount,
            reason=f"{case.kind} {case.rma}",
            key=f"refund:return:{case.id}",
            actor=edit.actor,
        )
    except (PaymentsNotConfigured, NoPaymentToRefund, AmountNotPayable, RefundExceedsCaptured):
        case.settlement = "shop_to_settle"
        return
    case.settlement, case.ledger_id = "ledger", entry.id


def _credit_note(
    edit: edits.OrderEdit, case: ReturnCase, lines: list[ReturnLine], amount: int
) -> None:
    """Ask the shop for a credit note against the order's invoice, if it has one."""
    invoice = next(
        (
            i
            for i in invoices_repository.for_order(edit.session, edit.order_id)
            if i.kind == "invoice"
        ),
        None,
    )
    if invoice is None or amount <= 0:
        return
    rates = {x.id: x.tax_rate_bp for x in orders_repository.lines(edit.session, edit.order_id)}
    by_rate: dict[int, int] = defaultdict(int)
    for line in lines:
        by_rate[rates.get(line.order_line_id, 0)] += line.refund_minor
    top = max(by_rate, key=lambda r: by_rate[r])
    by_rate[top] += amount - sum(by_rate.values())  # shipping and adjustment at the main rate
    rows = []
    for rate_bp, gross in sorted(by_rate.items()):
        if gross <= 0:
            continue
        tax = gross * rate_bp // (10000 + rate_bp)
        rows.append(credit_notes.RateAmount(Decimal(rate_bp) / 100, gross - tax, tax))
    credit_notes.request_credit_note(
        edit.session,
        order=edit.order,
        invoice=invoice,
        lines=[credit_notes.CreditLine(x.name, x.quantity, x.sku, x.line_no) for x in lines],
        amounts_by_rate=rows,
        reason="return_refunded",
        refund_ids=[f"ledger:{case.ledger_id}"] if case.ledger_id else [],
        idempotency_key=f"return:{case.id}",
        actor=edit.actor,
    )


def decline(session: Session, *, actor: Actor, rma: str, reason: str) -> CaseView:
    """Decline a case that was not received, with the reason shown to the shopper
    (`return.declined`). A declined withdrawal does not reopen the period. Again: unchanged."""
    first = get_case(session, rma=rma)
    with edits.edit_order(session, actor=actor, order_id=first.case.order_id, policy=None) as edit:
        case = _locked_case(edit, rma)
        if case.status == "declined":
            return CaseView(case, first.lines, edit.order.number)
        if case.status != "requested":
            raise ReturnAlreadyReceived()
        case.status, case.decline_reason, case.updated_at = "declined", reason, edit.now
        repository.save(session, case)
        edit.record(
            "return.declined",
            {"rma": case.rma, "reason": reason},
            email=lambda locale: emails.return_update(
                locale,
                name=case.contact_name,
                rma=case.rma,
                status="declined",
                amount_minor=0,
                currency=case.currency,
                reason=reason,
                url=case_url(edit.order.number, case.rma),
            ),
            webhook=(
                EventType.RETURN_DECLINED,
                {**webhook_payload(case, first.lines, edit.order.number), "reason": reason},
            ),
        )
        return CaseView(case, first.lines, edit.order.number)


def record_refund_outcomes(now: datetime | None = None) -> int:
    """Mark received cases refunded once their ledger refund succeeded (`return.refunded`,
    email); a failed one stays received (the payments task told the shop). Returns the count."""
    done = 0
    with session_scope() as session:
        for case, status in repository.cases_awaiting_refund(session):
            if status != "succeeded":
                continue
            view = get_case(session, rma=case.rma)
            with edits.edit_order(
                session, actor=Actor.system(), order_id=case.order_id, policy=None
            ) as edit:
                done += _mark_refunded(edit, view, now or clock.now())
    return done


def _mark_refunded(edit: edits.OrderEdit, view: CaseView, now: datetime) -> int:
    case = _locked_case(edit, view.case.rma)
    if case.status != "received":
        return 0
    case.status, case.refunded_at, case.updated_at = "refunded", now, now
    repository.save(edit.session, case)
    amount = case.refund_minor + case.adjustment_minor
    url = case_url(view.order_number, case.rma)

    def email(locale: str) -> Email:
        return emails.return_update(
            locale,
            name=case.contact_name,
            rma=case.rma,
            status="refunded",
            amount_minor=amount,
            currency=case.currency,
            reason=None,
            url=url,
        )

    edit.record(
        "return.refunded",
        {"rma": case.rma, "amount_minor": amount, "currency": case.currency},
        email=email,
        webhook=(
            EventType.RETURN_REFUNDED,
            {
                **webhook_payload(case, view.lines, view.order_number),
                "amount_minor": amount,
                "ledger_id": case.ledger_id,
            },
        ),
    )
    return 1


ALARM_BEFORE = timedelta(days=4)


def warn_refund_deadlines(now: datetime | None = None, *, limit: int = 50) -> int:
    """Email the shop once about each open withdrawal whose refund is due within 4 days."""
    now = now or clock.now()
    settings = get_settings()
    warned = 0
    with session_scope() as session:
        for case in repository.withdrawals_to_warn(session, now + ALARM_BEFORE, limit):
            assert case.refund_due_at is not None
            number = orders_repository.numbers_by_ids(session, [case.order_id])[case.order_id]
            message = emails.refund_deadline_alarm(
                settings.default_locale,
                rma=case.rma,
                order_number=number,
                due=case.refund_due_at,
            )
            outbox_service.enqueue_email(
                session,
                to=settings.shop_email,
                subject=message.subject,
                text=message.text,
                html=message.html,
            )
            case.alarm_sent_at = now
            repository.save(session, case)
            warned += 1
    return warned
