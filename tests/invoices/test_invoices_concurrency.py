"""Concurrent pushes of invoices: stored once, credit notes never credit beyond the invoice, and
an invoice keeps one PDF."""

from __future__ import annotations

from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlmodel import Session

from tests.factories import make_order
from tests.invoices.support import pdf_bytes, sha256
from tests.invoices.test_invoices_api import credit_note, invoice_body
from tests.shipping.test_shipping_concurrency import race
from ventanilla.core.actors import Actor
from ventanilla.core.errors import FieldErrors
from ventanilla.db import session_scope
from ventanilla.invoices import documents, pdfcheck, service
from ventanilla.invoices.exceptions import InvoicePdfImmutable
from ventanilla.invoices.schemas import InvoiceCreate

STORE = Actor.store("Tienda")


def put(number: str, body: dict[str, Any]) -> bool:
    with session_scope() as s:
        data = InvoiceCreate.model_validate(body)
        return service.put_invoice(s, actor=STORE, number=number, data=data).created


class TestConcurrentInvoices:
    def test_the_same_invoice_pushed_at_once_is_stored_once(
        self, session: Session, engine: Engine
    ) -> None:
        order = make_order(session)
        session.commit()
        body = invoice_body(order.number)
        assert sorted(race(4, lambda: put("F-1", body))) == [False, False, False, True]
        with engine.connect() as conn:
            assert conn.execute(text("SELECT count(*) FROM invoices")).scalar_one() == 1
            assert conn.execute(text("SELECT count(*) FROM activity")).scalar_one() == 1

    def test_credit_notes_racing_for_the_same_invoice_never_exceed_it(
        self, session: Session, engine: Engine
    ) -> None:
        order = make_order(session)
        session.commit()
        put("F-1", invoice_body(order.number))  # total 5995
        counter = iter(range(100))

        def credit() -> bool:
            # Each credits 4995 of 5995: only one of them fits.
            return put(f"R-{next(counter)}", credit_note(order.number, "F-1", 4128, 867))

        results = race(3, credit)
        assert results.count(True) == 1
        assert sum(isinstance(r, FieldErrors) for r in results) == 2
        with engine.connect() as conn:
            credited = conn.execute(
                text("SELECT sum(total_minor) FROM invoices WHERE kind = 'credit_note'")
            ).scalar_one()
        assert credited == 4995


def push_pdf(number: str, data: bytes) -> bool:
    checked = pdfcheck.check_pushed_pdf(data, sha256=sha256(data), max_bytes=10**7)
    with session_scope() as s:
        return documents.store_pushed_pdf(s, number=number, pdf=checked).created


class TestConcurrentPdfPushes:
    def test_different_pdfs_pushed_at_once_leave_exactly_one(
        self, session: Session, engine: Engine
    ) -> None:
        order = make_order(session)
        session.commit()
        put("F-1", invoice_body(order.number))
        pdfs = iter([pdf_bytes(pages=n) for n in (1, 2, 3)])
        results = race(3, lambda: push_pdf("F-1", next(pdfs)))
        assert results.count(True) == 1
        assert sum(isinstance(r, InvoicePdfImmutable) for r in results) == 2
        with engine.connect() as conn:
            stored = conn.execute(text("SELECT pdf_sha256 FROM invoices")).scalar_one()
        assert stored in {sha256(pdf_bytes(pages=n)) for n in (1, 2, 3)}
