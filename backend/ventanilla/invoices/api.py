"""JSON routes for the store integration (invoices)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Response

from ventanilla.apikeys.deps import InvoicesWriter
from ventanilla.core.deps import SessionDep
from ventanilla.core.fields import CODE_PATTERN
from ventanilla.core.handlers import ErrorResponse
from ventanilla.invoices import service
from ventanilla.invoices.models import Invoice
from ventanilla.invoices.schemas import (
    BuyerRead,
    InvoiceCreate,
    InvoiceLineRead,
    InvoiceRead,
    InvoiceTotalsRead,
    SellerRead,
    TaxRowRead,
)

# A body that is not JSON at all is refused before validation, with 400.
BAD_BODY: dict[int | str, dict[str, Any]] = {
    400: {"model": ErrorResponse, "description": "The body is not valid JSON"}
}

router = APIRouter(tags=["invoices"])
POSITION = 40
OPENAPI_TAGS = [{"name": "invoices", "description": "Invoices and credit notes (immutable)"}]

Number = Annotated[
    str, Path(min_length=1, max_length=64, pattern=CODE_PATTERN, description="The invoice number")
]
NOT_FOUND: dict[int | str, dict[str, Any]] = {
    404: {"model": ErrorResponse, "description": "No invoice with this number"}
}


@router.put(
    "/invoices/{number}",
    status_code=201,
    response_model=InvoiceRead,
    responses={
        200: {"model": InvoiceRead, "description": "Already stored with this content: unchanged"},
        201: {"description": "Invoice stored"},
        **BAD_BODY,
        409: {
            "model": ErrorResponse,
            "description": "Already stored with other content (`invoice_immutable`): issue a "
            "credit note instead",
        },
        422: {
            "description": "Invalid fields, an unknown order, a currency other than the order's, "
            "amounts that do not add up, or a credit note that corrects nothing valid"
        },
    },
)
def put_invoice(
    number: Number,
    body: InvoiceCreate,
    actor: InvoicesWriter,
    session: SessionDep,
    response: Response,
) -> InvoiceRead:
    """Store an invoice or credit note as issued; invoices never change once stored."""
    result = service.put_invoice(session, actor=actor, number=number, data=body)
    if not result.created:
        response.status_code = 200
    return invoice_read(result.invoice, result.order_number)


@router.get("/invoices/{number}", response_model=InvoiceRead, responses=NOT_FOUND)
def get_invoice(number: Number, _actor: InvoicesWriter, session: SessionDep) -> InvoiceRead:
    """Read a stored invoice or credit note."""
    invoice, order_number = service.get_invoice(session, number=number)
    return invoice_read(invoice, order_number)


def invoice_read(invoice: Invoice, order_number: str) -> InvoiceRead:
    return InvoiceRead(
        number=invoice.number,
        order_number=order_number,
        kind=invoice.kind,  # type: ignore[arg-type]
        corrects_number=invoice.corrects_number,
        issue_date=invoice.issue_date,
        currency=invoice.currency,
        seller=SellerRead(
            name=invoice.seller_name,
            tax_id=invoice.seller_tax_id,
            address=invoice.seller_address,
        ),
        buyer=BuyerRead(
            name=invoice.buyer_name, tax_id=invoice.buyer_tax_id, address=invoice.buyer_address
        ),
        lines=[InvoiceLineRead.model_validate(line) for line in invoice.lines],
        tax_breakdown=[TaxRowRead.model_validate(row) for row in invoice.tax_breakdown],
        totals=InvoiceTotalsRead(
            net_minor=invoice.net_minor,
            tax_minor=invoice.tax_minor,
            total_minor=invoice.total_minor,
        ),
        created_at=invoice.created_at,
    )
