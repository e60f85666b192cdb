"""The renderer on its own: cache keys, and no file or URL is ever fetched."""

from __future__ import annotations

import io
from datetime import date
from pathlib import Path

import weasyprint
from PIL import Image
from pypdf import PdfReader
from pypdf.generic import NameObject

from ventanilla.invoices import render
from ventanilla.invoices.models import Invoice


def invoice(**overrides: object) -> Invoice:
    values: dict[str, object] = {
        "number": "F-1",
        "order_id": 1,
        "issue_date": date(2026, 11, 20),
        "currency": "EUR",
        "seller_name": "Tienda",
        "seller_tax_id": "B12345674",
        "buyer_name": "Begoña",
        "net_minor": 100,
        "tax_minor": 21,
        "total_minor": 121,
        "content_hash": "a" * 64,
    }
    values.update(overrides)
    return Invoice(**values)  # type: ignore[arg-type]


class TestCacheKey:
    def test_the_key_follows_content_number_order_and_language(self) -> None:
        base = render.cache_key(invoice(), order_number="ES-1", locale="es")
        assert base.startswith("invoices/rendered/") and base.endswith(".pdf")
        assert render.cache_key(invoice(), order_number="ES-1", locale="es-ES") == base
        others = {
            render.cache_key(invoice(), order_number="ES-1", locale="en"),
            render.cache_key(invoice(content_hash="b" * 64), order_number="ES-1", locale="es"),
            render.cache_key(invoice(number="F-2"), order_number="ES-1", locale="es"),
            render.cache_key(invoice(), order_number="ES-2", locale="es"),
        }
        assert base not in others and len(others) == 4

    def test_the_template_version_is_a_hash_of_what_shapes_the_output(self) -> None:
        assert render.template_version("es") != render.template_version("en")
        assert len(render.template_version("es")) == 16


class TestNoFetching:
    def test_the_renderer_refuses_to_read_files_or_urls(self, tmp_path: Path) -> None:
        png = tmp_path / "x.png"
        Image.new("RGB", (1, 1), "red").save(png)
        html = f'<p>x</p><img src="{png.as_uri()}">'

        def images(**kwargs: object) -> int:
            pdf = weasyprint.HTML(string=html, **kwargs).write_pdf()
            resources = PdfReader(io.BytesIO(pdf)).pages[0]["/Resources"]
            return len(resources.get(NameObject("/XObject"), {}))

        assert images() == 1  # WeasyPrint's default would embed the file
        assert images(url_fetcher=render._no_fetching()) == 0
