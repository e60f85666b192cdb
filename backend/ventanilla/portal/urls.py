"""The shopper's URLs of an order (a leaf module: domains' pages and actions link with these)."""

from __future__ import annotations

from urllib.parse import quote


def order_url(number: str) -> str:
    return f"/orders/{quote(number, safe='')}"


def invoice_url(order_number: str, invoice_number: str) -> str:
    return f"{order_url(order_number)}/invoices/{quote(invoice_number, safe='')}"


def invoice_pdf_url(order_number: str, invoice_number: str) -> str:
    return f"{invoice_url(order_number, invoice_number)}/pdf"


def change_url(order_number: str, change_id: int) -> str:
    return f"{order_url(order_number)}/changes/{change_id}"
