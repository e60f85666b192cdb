"""Refusals of the invoices API."""

from __future__ import annotations

from ventanilla.core.errors import Conflict, NotFound


class InvoiceNotFound(NotFound):
    code = "invoice_not_found"
    message = "Invoice not found."


class InvoiceImmutable(Conflict):
    code = "invoice_immutable"
    message = (
        "An invoice with this number is already stored with other content. Invoices never "
        "change: issue a credit note instead."
    )
