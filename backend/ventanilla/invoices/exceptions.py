"""Refusals of the invoices API."""

from __future__ import annotations

from ventanilla.core.errors import AppError, Conflict, NotFound, Refused


class InvoiceNotFound(NotFound):
    code = "invoice_not_found"
    message = "Invoice not found."


class InvoiceImmutable(Conflict):
    code = "invoice_immutable"
    message = (
        "An invoice with this number is already stored with other content. Invoices never "
        "change: issue a credit note instead."
    )


class InvoicePdfImmutable(Conflict):
    code = "invoice_pdf_immutable"
    message = (
        "This invoice already has a PDF with other content. Invoices never change: issue a "
        "credit note and push its PDF instead."
    )


class PdfRefused(AppError):
    """A pushed PDF that is not stored; `code` says why (see `invoices.pdfcheck`)."""

    status_code = 422
    code = "pdf_refused"
    message = "The PDF was not stored."


class PdfTooLarge(PdfRefused):
    status_code = 413
    code = "pdf_too_large"


class PdfWrongMediaType(PdfRefused):
    status_code = 415
    code = "unsupported_media_type"


class InvoicePdfUnavailable(AppError):
    """The stored PDF is missing or no longer matches its hash: never serve other bytes."""

    status_code = 503
    code = "invoice_pdf_unavailable"
    message = "The invoice document cannot be read right now. Please try again later."


class FullInvoiceRefused(Refused):
    """The "no" of `policy.can_request_full_invoice` (409; code and message come from it)."""

    code = "full_invoice_refused"
    message = "A full invoice cannot be requested for this invoice."


class CreditNoteRequestInvalid(AppError):
    """A credit-note request that breaks a rule (wrong order, more than is left to credit)."""

    status_code = 422
    code = "credit_note_request_invalid"
    message = "This credit note cannot be requested."


class CreditNoteRequestConflict(Conflict):
    code = "idempotency_key_reused"
    message = (
        "A credit note was already requested with this idempotency key and other content: use a "
        "new key for a different request."
    )
