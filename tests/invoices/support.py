"""Builders shared by the invoice document tests: PDFs made with pypdf, invoices stored through
the service (the real validation), and a look at what the blob store holds."""

from __future__ import annotations

import hashlib
import io
from pathlib import Path
from typing import Any

from pypdf import PdfWriter
from sqlmodel import Session

from ventanilla.config import get_settings
from ventanilla.core.actors import Actor
from ventanilla.invoices import service
from ventanilla.invoices.models import Invoice
from ventanilla.invoices.schemas import InvoiceCreate
from ventanilla.orders.models import Order

STORE = Actor.store("Tienda de prueba")
NAMES = ("Begoña Ibáñez", "Nguyễn Hữu Thọ", "王小明")


def pdf_bytes(*, pages: int = 1, password: str | None = None, padding: int = 0) -> bytes:
    """A real PDF: `pages` blank A4 pages, optionally encrypted, optionally padded with an
    embedded file of `padding` bytes (to make it large)."""
    writer = PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(width=595, height=842)
    if padding:
        writer.add_attachment("padding.bin", b"\0" * padding)
    if password is not None:
        writer.encrypt(user_password=password, owner_password=password)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def invoice_data(order_number: str, **overrides: Any) -> dict[str, Any]:
    """A one-page invoice with two VAT rates and the three non-Latin names on it."""
    body: dict[str, Any] = {
        "order_number": order_number,
        "kind": "invoice",
        "series": "F2026",
        "simplified": False,
        "issue_date": "2026-11-20",
        "currency": "EUR",
        "seller": {
            "name": "Juguetería La Peonza S.L.",
            "tax_id": "B12345674",
            "address": "Calle del Juego 7\n28004 Madrid",
        },
        "buyer": {
            "name": NAMES[0],
            "tax_id": "12345678Z",
            "address": f"A la atención de {NAMES[1]}\nCalle Mayor 3\n28013 Madrid",
        },
        "lines": [
            {
                "description": "Tren de madera con 20 vías",
                "quantity": 2,
                "unit_price_minor": 4995,
                "tax_rate": "21",
                "net_minor": 8256,
                "tax_minor": 1734,
                "total_minor": 9990,
            },
            {
                "description": f"Libro «{NAMES[2]} y el dragón»",
                "quantity": 1,
                "unit_price_minor": 1560,
                "tax_rate": "4",
                "net_minor": 1500,
                "tax_minor": 60,
                "total_minor": 1560,
            },
        ],
        "tax_breakdown": [
            {"rate": "21", "base_minor": 8256, "tax_minor": 1734},
            {"rate": "4", "base_minor": 1500, "tax_minor": 60},
        ],
        "totals": {"net_minor": 9756, "tax_minor": 1794, "total_minor": 11550},
    }
    body.update(overrides)
    return body


def store_invoice(session: Session, order: Order, number: str, **overrides: Any) -> Invoice:
    """Store an invoice through the service (committed), as the shop's push would."""
    data = InvoiceCreate.model_validate(invoice_data(order.number, **overrides))
    result = service.put_invoice(session, actor=STORE, number=number, data=data)
    session.commit()
    return result.invoice


def blob_files() -> list[str]:
    """Every blob stored so far, as keys."""
    root: Path = get_settings().var_dir / "blobs"
    if not root.exists():
        return []
    return sorted(
        str(p.relative_to(root)) for p in root.rglob("*") if p.is_file() and ".tmp-" not in p.name
    )
