"""The store reads an order back (`GET /api/v1/orders/{number}`): the order as Ventanilla holds
it now (version, lines with their discount shares, totals, amount to capture), the changes made
to it and the requests Ventanilla sent the shop about it. Reads only; a fixed number of queries
whatever the order's size."""

from __future__ import annotations

from sqlmodel import Session

from ventanilla.invoices import repository as invoices_repository
from ventanilla.orders import repository
from ventanilla.orders.schemas import (
    OrderChangeSummaryRead,
    OrderDetailRead,
    OrderRead,
    OrderRequestRead,
)
from ventanilla.orders.service import get_order


def read_order(session: Session, *, number: str) -> OrderDetailRead:
    """The order with this number as the store API shows it; raises OrderNotFound (404)."""
    view = get_order(session, number=number)
    order_id = view.order.id
    assert order_id is not None
    changes = [
        OrderChangeSummaryRead.model_validate(change, from_attributes=True)
        for change in repository.changes_of_order(session, order_id)
    ]
    full, credit = invoices_repository.requests_for_order(session, order_id)
    requests = [
        OrderRequestRead(
            kind="full_invoice",
            id=row.id or 0,
            status=row.status,
            invoice_number=invoice_number,
            total_minor=None,
            document_number=row.full_invoice_number,
            created_at=row.created_at,
            closed_at=row.closed_at,
        )
        for row, invoice_number in full
    ] + [
        OrderRequestRead(
            kind="credit_note",
            id=row.id or 0,
            status=row.status,
            invoice_number=invoice_number,
            total_minor=row.total_minor,
            document_number=row.credit_note_number,
            created_at=row.created_at,
            closed_at=row.issued_at,
        )
        for row, invoice_number in credit
    ]
    requests.sort(key=lambda r: (r.created_at, r.kind, r.id))
    base = OrderRead.from_view(view)
    return OrderDetailRead(**dict(base), changes=changes, requests=requests)
