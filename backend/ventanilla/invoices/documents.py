"""Invoice documents: the PDF the shop pushes, and the file a shopper downloads.

- `store_pushed_pdf`: checks a pushed PDF (`pdfcheck`), stores its bytes in the blob store and
  its key and SHA-256 on the invoice; once, like the invoice itself.
- `invoice_pdf`: what a shopper downloads: exactly the pushed bytes (hash verified on every
  read), or, when the shop sent none, a copy rendered from the pushed data (`render`, cached).
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass

from sqlmodel import Session

from ventanilla.core import clock
from ventanilla.invoices import pdfcheck, render, repository
from ventanilla.invoices.document import content_disposition, download_filename
from ventanilla.invoices.exceptions import (
    InvoiceNotFound,
    InvoicePdfImmutable,
    InvoicePdfUnavailable,
)
from ventanilla.invoices.models import Invoice
from ventanilla.orders.models import Order
from ventanilla.storage import blobs

log = logging.getLogger("ventanilla.invoices")

PDF = "application/pdf"


@dataclass(frozen=True)
class StoredPdf:
    invoice: Invoice
    created: bool  # False: the same bytes were already stored


@dataclass(frozen=True)
class PdfFile:
    data: bytes
    filename: str
    sha256: str
    rendered: bool  # True: a copy made from the data, not the shop's own file

    def headers(self) -> dict[str, str]:
        """Download headers: an attachment, never kept by any cache, never sniffed."""
        return {
            "Content-Disposition": content_disposition(self.filename),
            "Cache-Control": "no-store",
            "X-Content-Type-Options": "nosniff",
        }


def pdf_key(invoice: Invoice, sha256: str) -> str:
    return f"invoices/{invoice.id}/{sha256}.pdf"


def store_pushed_pdf(session: Session, *, number: str, pdf: pdfcheck.CheckedPdf) -> StoredPdf:
    """Store the shop's PDF of invoice `number`.

    `pdf` has passed `pdfcheck.check_pushed_pdf` (hash, size, a readable unencrypted PDF), done
    before the request's transaction so neither the upload nor the parse holds a database lock.
    The same bytes again are a no-op (`created=False`); other bytes for an invoice that has a PDF
    raise InvoicePdfImmutable (409); an unknown number raises InvoiceNotFound (404).
    """
    data, digest = pdf.data, pdf.sha256
    # The row lock serialises two pushes for one invoice: only one PDF is ever recorded.
    invoice = repository.get_by_number(session, number, for_update=True)
    if invoice is None:
        raise InvoiceNotFound()
    if invoice.pdf_sha256 is not None:
        if invoice.pdf_sha256 != digest:
            raise InvoicePdfImmutable()
        return StoredPdf(invoice, created=False)
    key = pdf_key(invoice, digest)
    # Bytes first, row second: a rollback after this leaves an unreferenced blob at a key named
    # by its own hash (harmless, rewritten by the next push), never a row without its bytes.
    blobs.put(key, data, content_type=PDF)
    invoice.pdf_key = key
    invoice.pdf_sha256 = digest
    invoice.pdf_size = len(data)
    invoice.pdf_stored_at = clock.now()
    session.add(invoice)
    session.flush()
    return StoredPdf(invoice, created=True)


def invoice_pdf(
    session: Session, *, customer_id: int, order: Order, invoice_number: str, locale: str
) -> PdfFile:
    """The PDF of one invoice of the customer's `order` (already resolved by OwnedOrder).

    Anyone else's invoice, or one filed under another order, raises InvoiceNotFound exactly
    like a missing one. A pushed PDF whose bytes are gone or no longer match their hash raises
    InvoicePdfUnavailable (503): other bytes are never served in its place.
    """
    invoice = repository.get_for_customer(session, customer_id=customer_id, number=invoice_number)
    if invoice is None or invoice.order_id != order.id:
        raise InvoiceNotFound()
    filename = download_filename(invoice)
    if invoice.pdf_key is not None and invoice.pdf_sha256 is not None:
        data = _pushed_bytes(invoice.pdf_key, invoice.pdf_sha256)
        return PdfFile(data, filename, invoice.pdf_sha256, rendered=False)
    data = render.cached_pdf(invoice, order_number=order.number, locale=locale)
    return PdfFile(data, filename, hashlib.sha256(data).hexdigest(), rendered=True)


def _pushed_bytes(key: str, sha256: str) -> bytes:
    try:
        data = blobs.get(key)
    except blobs.BlobNotFound:
        log.error("invoice PDF %s is missing from the blob store", key)
        raise InvoicePdfUnavailable() from None
    if hashlib.sha256(data).hexdigest() != sha256:
        log.error("invoice PDF %s no longer matches its SHA-256", key)
        raise InvoicePdfUnavailable()
    return data
