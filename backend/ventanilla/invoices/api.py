"""JSON routes for the store integration (invoices)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Path, Query, Request, Response

from ventanilla.apikeys.deps import InvoicesUploader, InvoicesWriter
from ventanilla.config import get_settings
from ventanilla.core.deps import SessionDep
from ventanilla.core.fields import CODE_PATTERN
from ventanilla.core.handlers import ErrorResponse
from ventanilla.invoices import documents, pdfcheck, service
from ventanilla.invoices.exceptions import PdfTooLarge, PdfWrongMediaType
from ventanilla.invoices.models import Invoice
from ventanilla.invoices.schemas import (
    BuyerRead,
    InvoiceCreate,
    InvoiceLineRead,
    InvoicePdfRead,
    InvoiceRead,
    InvoiceTotalsRead,
    PdfRefusedRead,
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
        series=invoice.series,
        simplified=invoice.simplified,
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
        pdf=pdf_read(invoice),
        created_at=invoice.created_at,
    )


def pdf_read(invoice: Invoice) -> InvoicePdfRead | None:
    if invoice.pdf_sha256 is None or invoice.pdf_size is None or invoice.pdf_stored_at is None:
        return None
    return InvoicePdfRead(
        number=invoice.number,
        sha256=invoice.pdf_sha256,
        size=invoice.pdf_size,
        stored_at=invoice.pdf_stored_at,
    )


# The PDF route takes bodies up to VENTANILLA_INVOICE_PDF_MAX_BYTES (the app's body limit
# middleware reads this: method, path under /api/v1, the setting with the limit).
LARGER_BODIES = [("PUT", "/invoices/{number}/pdf", "invoice_pdf_max_bytes")]
PDF_REFUSALS: dict[int | str, dict[str, Any]] = {
    404: {"model": ErrorResponse, "description": "No invoice with this number: push it first"},
    409: {
        "model": ErrorResponse,
        "description": "The invoice already has a PDF with other bytes (`invoice_pdf_immutable`)",
    },
    413: {"model": ErrorResponse, "description": "Larger than the PDF size limit"},
    415: {"model": ErrorResponse, "description": "Content-Type is not application/pdf"},
    422: {"model": PdfRefusedRead, "description": "Not a verified, readable PDF: not stored"},
}


async def pdf_body(request: Request) -> bytes:
    """The raw body, refused as soon as it is not a PDF by type or exceeds the size limit."""
    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media_type != documents.PDF:
        raise PdfWrongMediaType("Send the PDF as the raw body with Content-Type: application/pdf.")
    limit = get_settings().invoice_pdf_max_bytes
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise PdfTooLarge(f"The PDF is larger than {limit} bytes.")
        chunks.append(chunk)
    return b"".join(chunks)


def checked_pdf(
    data: Annotated[bytes, Depends(pdf_body)],
    sha256: Annotated[
        str | None,
        Query(
            max_length=64,
            description="Hex SHA-256 of the body (or send a Content-Digest header instead)",
        ),
    ] = None,
    content_digest: Annotated[
        str | None,
        Header(max_length=500, description="RFC 9530, e.g. `sha-256=:<base64 digest>:`"),
    ] = None,
) -> pdfcheck.CheckedPdf:
    """The body, checked (a sync dependency: the pypdf parse runs in the thread pool)."""
    expected = pdfcheck.expected_sha256(sha256, content_digest)
    return pdfcheck.check_pushed_pdf(
        data, sha256=expected, max_bytes=get_settings().invoice_pdf_max_bytes
    )


@router.put(
    "/invoices/{number}/pdf",
    status_code=201,
    response_model=InvoicePdfRead,
    responses={
        200: {"model": InvoicePdfRead, "description": "These bytes were already stored"},
        201: {"description": "PDF stored"},
        **PDF_REFUSALS,
    },
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}}},
        }
    },
)
def put_invoice_pdf(
    number: Number,
    # In this order: the key (in a short session of its own), then the body, read and checked,
    # then the request's session: neither the upload nor the parse holds SQLite's write lock,
    # which the request's session takes when it begins.
    _actor: InvoicesUploader,
    pdf: Annotated[pdfcheck.CheckedPdf, Depends(checked_pdf)],
    session: SessionDep,
    response: Response,
) -> InvoicePdfRead:
    """Store the shop's PDF of a stored invoice; shoppers then download exactly these bytes.

    Send the raw PDF (`Content-Type: application/pdf`) with its SHA-256 as `?sha256=<hex>` or
    an RFC 9530 `Content-Digest: sha-256=:<base64>:` header. The same bytes again answer 200;
    other bytes for an invoice that has a PDF answer 409 (invoices never change).
    """
    result = documents.store_pushed_pdf(session, number=number, pdf=pdf)
    if not result.created:
        response.status_code = 200
    read = pdf_read(result.invoice)
    if read is None:  # stored just now or before: never None here
        raise RuntimeError("stored PDF without its fields")
    return read
