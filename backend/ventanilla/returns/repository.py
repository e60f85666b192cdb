"""Every query of the returns domain; a shopper's cases are scoped by customer here."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, func, select

from ventanilla.catalog.models import Product
from ventanilla.returns.models import OPEN_STATUSES, ReturnCase, ReturnLine


def insert_case(session: Session, case: ReturnCase, lines: Sequence[ReturnLine]) -> bool:
    """Insert the case and its lines in a savepoint; False if a unique index refused it
    (a second withdrawal of the order, committed meanwhile)."""
    try:
        with session.begin_nested():
            session.add(case)
            session.flush()
            assert case.id is not None
            for line in lines:
                line.return_id = case.id
                session.add(line)
            session.flush()
    except IntegrityError:
        return False
    return True


def withdrawal_of_order(session: Session, order_id: int) -> ReturnCase | None:
    return session.exec(
        select(ReturnCase).where(ReturnCase.withdrawal_order_id == order_id)
    ).first()


def cases_of_order(session: Session, *, customer_id: int, order_id: int) -> list[ReturnCase]:
    """The customer's cases for one order, oldest first."""
    stmt = (
        select(ReturnCase)
        .where(ReturnCase.order_id == order_id, ReturnCase.customer_id == customer_id)
        .order_by(col(ReturnCase.id))
    )
    return list(session.exec(stmt))


def case_for_customer(session: Session, *, customer_id: int, rma: str) -> ReturnCase | None:
    return session.exec(
        select(ReturnCase).where(ReturnCase.rma == rma, ReturnCase.customer_id == customer_id)
    ).first()


def case_by_rma(session: Session, rma: str, *, for_update: bool = False) -> ReturnCase | None:
    stmt = select(ReturnCase).where(ReturnCase.rma == rma)
    if for_update:
        stmt = stmt.with_for_update().execution_options(populate_existing=True)
    return session.exec(stmt).first()


def lines_of(session: Session, case_ids: Sequence[int]) -> list[ReturnLine]:
    if not case_ids:
        return []
    stmt = (
        select(ReturnLine)
        .where(col(ReturnLine.return_id).in_(case_ids))
        .order_by(col(ReturnLine.return_id), col(ReturnLine.line_no))
    )
    return list(session.exec(stmt))


def units_in_cases(session: Session, order_id: int) -> dict[int, int]:
    """Units of each order line (by id) already in a case that was not declined."""
    stmt = (
        select(ReturnLine.order_line_id, func.sum(ReturnLine.quantity))
        .join(ReturnCase, col(ReturnCase.id) == col(ReturnLine.return_id))
        .where(ReturnCase.order_id == order_id, ReturnCase.status != "declined")
        .group_by(col(ReturnLine.order_line_id))
    )
    return {line_id: int(units) for line_id, units in session.exec(stmt)}


def products_by_ids(session: Session, ids: Sequence[int]) -> dict[int, Product]:
    if not ids:
        return {}
    rows = session.exec(select(Product).where(col(Product.id).in_(list(ids))))
    return {p.id: p for p in rows if p.id is not None}


def list_cases(
    session: Session,
    *,
    status: str | None,
    updated_since: datetime | None,
    limit: int,
    after_id: int | None,
) -> list[ReturnCase]:
    """The shop's list, by id, for cursor paging."""
    stmt = select(ReturnCase).order_by(col(ReturnCase.id)).limit(limit)
    if status is not None:
        stmt = stmt.where(ReturnCase.status == status)
    if updated_since is not None:
        stmt = stmt.where(col(ReturnCase.updated_at) >= updated_since)
    if after_id is not None:
        stmt = stmt.where(col(ReturnCase.id) > after_id)
    return list(session.exec(stmt))


def withdrawals_to_warn(session: Session, before: datetime, limit: int) -> list[ReturnCase]:
    """Open withdrawals whose refund is due before `before` and whose shop was not warned yet,
    locked (SKIP LOCKED on PostgreSQL: two workers never warn twice)."""
    stmt = (
        select(ReturnCase)
        .where(
            ReturnCase.kind == "withdrawal",
            col(ReturnCase.status).in_(OPEN_STATUSES),
            col(ReturnCase.refund_due_at) <= before,
            col(ReturnCase.alarm_sent_at).is_(None),
        )
        .order_by(col(ReturnCase.id))
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    return list(session.exec(stmt))


def save(session: Session, case: ReturnCase) -> None:
    session.add(case)
    session.flush()


def cases_awaiting_refund(session: Session, limit: int = 100) -> list[tuple[ReturnCase, str]]:
    """Received cases refunded through the ledger whose refund has an outcome (succeeded or
    failed), with that status."""
    from ventanilla.payments.models import PaymentEntry

    stmt = (
        select(ReturnCase, PaymentEntry.status)
        .join(PaymentEntry, col(PaymentEntry.id) == col(ReturnCase.ledger_id))
        .where(
            ReturnCase.status == "received",
            ReturnCase.settlement == "ledger",
            col(PaymentEntry.status).in_(("succeeded", "failed")),
        )
        .order_by(col(ReturnCase.id))
        .limit(limit)
    )
    return [(case, str(status)) for case, status in session.exec(stmt)]
