"""The shopper's invoice PDF: the shop's exact bytes, or a marked copy rendered from its data."""

from __future__ import annotations

import io
from typing import Any

import pytest
from fastapi.testclient import TestClient
from pypdf import PdfReader
from sqlmodel import Session

from tests.access.helpers import login
from tests.factories import make_customer, make_order
from tests.invoices.support import NAMES, blob_files, pdf_bytes, sha256, store_invoice
from ventanilla.customers.models import Customer
from ventanilla.invoices import render
from ventanilla.orders.models import Order
from ventanilla.storage import blobs

NUMBER = "0001"  # with series F2026: the file is F2026-0001.pdf


def pdf_url(order: Order, number: str = NUMBER) -> str:
    return f"/orders/{order.number}/invoices/{number}/pdf"


def text_of(data: bytes) -> str:
    """The PDF's text with every run of (also non-breaking) white space as one space."""
    reader = PdfReader(io.BytesIO(data))
    return " ".join(" ".join(page.extract_text() for page in reader.pages).split())


def assert_download_headers(response: Any, filename: str) -> None:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/pdf"
    assert response.headers["content-disposition"] == (
        f"attachment; filename=\"{filename}\"; filename*=UTF-8''{filename}"
    )
    # Never kept by a shared cache (nor by the browser's): a document with personal data.
    assert response.headers["cache-control"] == "no-store"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert int(response.headers["content-length"]) == len(response.content)


@pytest.fixture
def customer(session: Session) -> Customer:
    return make_customer(session, email="begona@example.com", locale="es")


@pytest.fixture
def order(session: Session, customer: Customer) -> Order:
    order = make_order(session, customer=customer)
    store_invoice(session, order, NUMBER)
    return order


@pytest.fixture
def shopper(client: TestClient, customer: Customer, order: Order) -> TestClient:
    login(client, customer.id or 0)
    return client


class TestPushedPdf:
    def test_the_shopper_gets_exactly_the_pushed_bytes(
        self, shopper: TestClient, store_key: str, order: Order
    ) -> None:
        data = pdf_bytes(pages=2)
        pushed = shopper.put(
            f"/api/v1/invoices/{NUMBER}/pdf",
            content=data,
            params={"sha256": sha256(data)},
            headers={"Content-Type": "application/pdf", "Authorization": f"Bearer {store_key}"},
        )
        assert pushed.status_code == 201, pushed.text
        response = shopper.get(pdf_url(order))
        assert_download_headers(response, "F2026-0001.pdf")
        assert response.content == data
        assert not any(key.startswith("invoices/rendered/") for key in blob_files())

    def test_bytes_that_no_longer_match_their_hash_are_never_served(
        self, shopper: TestClient, store_key: str, order: Order
    ) -> None:
        data = pdf_bytes()
        shopper.put(
            f"/api/v1/invoices/{NUMBER}/pdf",
            content=data,
            params={"sha256": sha256(data)},
            headers={"Content-Type": "application/pdf", "Authorization": f"Bearer {store_key}"},
        )
        (key,) = blob_files()
        blobs.put(key, data + b"% tampered", content_type="application/pdf")
        response = shopper.get(pdf_url(order))
        assert response.status_code == 503
        assert response.headers["content-type"].startswith("text/html")
        assert data not in response.content
        blobs.delete(key)
        assert shopper.get(pdf_url(order)).status_code == 503


class TestRenderedCopy:
    def test_a_copy_is_rendered_from_the_pushed_data_in_spanish(
        self, shopper: TestClient, order: Order
    ) -> None:
        response = shopper.get(pdf_url(order))
        assert_download_headers(response, "F2026-0001.pdf")
        assert response.content.startswith(b"%PDF-")
        text = text_of(response.content)
        assert "Copia" in text and "Juguetería La Peonza S.L." in text
        assert "Factura 0001" in text and "F2026" in text and order.number in text
        assert "2 49,95 € 21 % 99,90 €" in text and "1 15,60 € 4 % 15,60 €" in text
        # The VAT breakdown row by row, as the shop stated it, then the totals.
        assert "21 % 82,56 € 17,34 € 4 % 15,00 € 0,60 €" in text
        assert "Base imponible total 97,56 € IVA 17,94 € Total 115,50 €" in text
        for name in NAMES:
            assert name in text, name

    def test_in_english_amounts_follow_the_english_locale(
        self, shopper: TestClient, order: Order
    ) -> None:
        shopper.cookies.set("lang", "en")
        text = text_of(shopper.get(pdf_url(order)).content)
        assert "Copy" in text and "Invoice 0001" in text
        assert "Net amount €97.56 VAT €17.94 Total €115.50" in text
        assert "21% €82.56 €17.34 4% €15.00 €0.60" in text
        for name in NAMES:
            assert name in text, name

    def test_the_document_is_one_a4_page_with_its_fonts_embedded(
        self, shopper: TestClient, order: Order
    ) -> None:
        reader = PdfReader(io.BytesIO(shopper.get(pdf_url(order)).content))
        assert len(reader.pages) == 1
        box = reader.pages[0].mediabox
        assert (round(float(box.width)), round(float(box.height))) == (595, 842)  # A4 in pt
        fonts = reader.pages[0]["/Resources"]["/Font"]
        assert len(fonts) >= 2
        for ref in fonts.values():
            font = ref.get_object()
            descriptor = font["/DescendantFonts"][0].get_object()["/FontDescriptor"]
            assert any(k in descriptor for k in ("/FontFile", "/FontFile2", "/FontFile3"))
            assert "+" in str(font["/BaseFont"])  # a subset, not the whole font

    def test_a_long_invoice_is_marked_as_a_copy_on_every_page(
        self, session: Session, shopper: TestClient, order: Order
    ) -> None:
        line = {
            "description": "Dado de madera",
            "quantity": 1,
            "unit_price_minor": 121,
            "tax_rate": "21",
            "net_minor": 100,
            "tax_minor": 21,
            "total_minor": 121,
        }
        store_invoice(
            session,
            order,
            "L-1",
            lines=[line] * 80,
            tax_breakdown=[{"rate": "21", "base_minor": 8000, "tax_minor": 1680}],
            totals={"net_minor": 8000, "tax_minor": 1680, "total_minor": 9680},
        )
        reader = PdfReader(io.BytesIO(shopper.get(pdf_url(order, "L-1")).content))
        assert len(reader.pages) >= 2
        for page in reader.pages:
            text = " ".join(page.extract_text().split())
            assert "Copia de: Factura L-1, emitida por Juguetería La Peonza S.L." in text
        last = " ".join(reader.pages[-1].extract_text().split())
        assert "Total 96,80 €" in last

    def test_a_second_download_comes_from_the_cache(
        self, shopper: TestClient, order: Order, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        first = shopper.get(pdf_url(order)).content
        cached = [key for key in blob_files() if key.startswith("invoices/rendered/")]
        assert len(cached) == 1

        def no_render(*args: Any, **kwargs: Any) -> bytes:
            raise AssertionError("a cached document was rendered again")

        monkeypatch.setattr(render, "render_pdf", no_render)
        second = shopper.get(pdf_url(order))
        assert second.status_code == 200 and second.content == first

    def test_each_language_is_its_own_cached_document(
        self, shopper: TestClient, order: Order
    ) -> None:
        spanish = shopper.get(pdf_url(order)).content
        shopper.cookies.set("lang", "en")
        english = shopper.get(pdf_url(order)).content
        assert spanish != english
        assert len([k for k in blob_files() if k.startswith("invoices/rendered/")]) == 2

    def test_a_simplified_invoice_and_a_credit_note_say_so(
        self, session: Session, shopper: TestClient, order: Order
    ) -> None:
        store_invoice(session, order, "S-7", simplified=True, series=None)
        credit = {
            "kind": "credit_note",
            "corrects_number": NUMBER,
            "series": "R2026",
            "simplified": None,
            "lines": [
                {
                    "description": "Tren de madera con 20 vías",
                    "quantity": 1,
                    "unit_price_minor": 4995,
                    "tax_rate": "21",
                    "net_minor": 4128,
                    "tax_minor": 867,
                    "total_minor": 4995,
                }
            ],
            "tax_breakdown": [{"rate": "21", "base_minor": 4128, "tax_minor": 867}],
            "totals": {"net_minor": 4128, "tax_minor": 867, "total_minor": 4995},
        }
        store_invoice(session, order, "R2026-0001", **credit)
        simplified = shopper.get(pdf_url(order, "S-7"))
        assert_download_headers(simplified, "S-7.pdf")
        assert "Factura simplificada S-7" in text_of(simplified.content)
        corrective = shopper.get(pdf_url(order, "R2026-0001"))
        assert_download_headers(corrective, "R2026-0001.pdf")  # the number has the series
        text = text_of(corrective.content)
        assert "Factura rectificativa R2026-0001" in text and "Rectifica la factura" in text
        assert "49,95" in text


class TestAccess:
    def test_another_customer_gets_404_for_every_document_url(
        self, session: Session, client: TestClient, order: Order
    ) -> None:
        other = make_customer(session, email="otra@example.com")
        theirs = make_order(session, customer=other)
        session.commit()
        login(client, other.id or 0)
        missing = client.get(f"/orders/{theirs.number}/invoices/F-NOPE/pdf")
        assert missing.status_code == 404
        for url in (pdf_url(order), f"/orders/{theirs.number}/invoices/{NUMBER}/pdf"):
            response = client.get(url)
            assert response.status_code == 404, url
            assert response.headers["content-type"].startswith("text/html")
            assert b"%PDF" not in response.content
            assert response.headers["cache-control"] == "no-store"
        assert not any(k.startswith("invoices/rendered/") for k in blob_files())

    def test_my_invoice_under_another_of_my_orders_is_404(
        self, session: Session, shopper: TestClient, customer: Customer, order: Order
    ) -> None:
        second = make_order(session, customer=customer)
        session.commit()
        assert shopper.get(f"/orders/{second.number}/invoices/{NUMBER}/pdf").status_code == 404

    def test_without_a_session_it_sends_to_find_my_order(
        self, client: TestClient, order: Order
    ) -> None:
        response = client.get(pdf_url(order), follow_redirects=False)
        assert response.status_code == 303
        assert response.headers["location"].startswith("/find")

    def test_the_html_invoice_page_is_not_cacheable_either(
        self, shopper: TestClient, order: Order
    ) -> None:
        response = shopper.get(f"/orders/{order.number}/invoices/{NUMBER}")
        assert response.status_code == 200
        assert response.headers["cache-control"] == "no-store"


@pytest.fixture
def store_key(api_key: str) -> str:
    return api_key
