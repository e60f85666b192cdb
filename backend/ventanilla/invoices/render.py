"""The PDF copy of an invoice the shop sent no PDF for: WeasyPrint renders the Jinja2 template.

`cached_pdf` renders once per (invoice content, template version, language) and keeps the bytes
in the blob store under `invoices/rendered/<key>.pdf`; every later download reads them back.
The template version is a hash of the files that shape the output (templates, stylesheet, the
language's catalog) and of the renderer's version, so editing any of them starts a fresh cache
without anyone remembering to bump a number. docs/decisions.md has the measurements behind the
choice of WeasyPrint over fpdf2.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
from functools import lru_cache
from typing import Any

from ventanilla.config import ROOT
from ventanilla.core import i18n
from ventanilla.core.templating import TEMPLATES_DIR, templates
from ventanilla.invoices.document import InvoiceDocumentView, document_view
from ventanilla.invoices.models import Invoice
from ventanilla.storage import blobs

log = logging.getLogger("ventanilla.invoices")

TEMPLATE = "invoices/pdf.html"
STYLESHEET = ROOT / "frontend" / "static" / "css" / "invoice-pdf.css"
# Everything the rendered bytes depend on besides the invoice and the language.
_SOURCES = (
    TEMPLATES_DIR / "invoices" / "pdf.html",
    TEMPLATES_DIR / "invoices" / "_document.html",
    TEMPLATES_DIR / "components" / "format.html",
    STYLESHEET,
)
CACHE_PREFIX = "invoices/rendered"

# WeasyPrint (Pango, fontconfig) is not documented as thread-safe; renders in one process take
# turns. A render is tens of milliseconds and happens once per document and language.
_render_lock = threading.Lock()


def render_pdf(doc: InvoiceDocumentView, *, locale: str) -> bytes:
    """A4 PDF of `doc` in `locale` (es|en), fonts embedded as subsets."""
    html = render_html(doc, locale=locale)
    weasyprint = _weasyprint()
    with _render_lock:
        # No base URL and a fetcher that allows no protocol: the document needs no file or URL,
        # and nothing the shop pushed can make the renderer read one.
        document = weasyprint.HTML(string=html, url_fetcher=_no_fetching())
        pdf: bytes = document.write_pdf(stylesheets=[_stylesheet()], font_config=_fonts())
    return pdf


def render_html(doc: InvoiceDocumentView, *, locale: str) -> str:
    """The HTML WeasyPrint lays out (also what the tests and the bench inspect)."""
    with i18n.using_locale(locale):
        template = templates().env.get_template(TEMPLATE)
        return template.render({"doc": doc, "locale": i18n.current_locale.get()})


def cache_key(invoice: Invoice, *, order_number: str, locale: str) -> str:
    """Blob key of the rendered copy: a hash of the document's content, template and language."""
    material = {
        "number": invoice.number,
        "order_number": order_number,
        "content_hash": invoice.content_hash,
        "locale": i18n.choose(locale),
        "template": template_version(i18n.choose(locale)),
    }
    digest = hashlib.sha256(json.dumps(material, sort_keys=True).encode()).hexdigest()
    return f"{CACHE_PREFIX}/{digest}.pdf"


def cached_pdf(invoice: Invoice, *, order_number: str, locale: str) -> bytes:
    """The rendered copy from the cache, rendering and storing it on first use."""
    key = cache_key(invoice, order_number=order_number, locale=locale)
    try:
        return blobs.get(key)
    except blobs.BlobNotFound:
        pass
    pdf = render_pdf(document_view(invoice, order_number=order_number), locale=locale)
    blobs.put(key, pdf, content_type="application/pdf")
    return pdf


@lru_cache(maxsize=4)
def template_version(locale: str) -> str:
    """Hash of the template files, the stylesheet, the language's catalog and WeasyPrint."""
    digest = hashlib.sha256(_weasyprint().__version__.encode())
    catalog = i18n.LOCALES_DIR / locale / "LC_MESSAGES" / "messages.po"
    for path in (*_SOURCES, catalog):
        digest.update(path.name.encode())
        digest.update(path.read_bytes() if path.exists() else b"")
    return digest.hexdigest()[:16]


def _weasyprint() -> Any:
    # Imported on first use: the app starts (and the store API answers) without Pango loaded.
    import weasyprint
    from PIL import ImageFile

    # WeasyPrint turns on Pillow's LOAD_TRUNCATED_IMAGES for the whole process when imported;
    # photo intake (media.images) must refuse truncated images, and this renderer loads none.
    ImageFile.LOAD_TRUNCATED_IMAGES = False

    logging.getLogger("weasyprint").setLevel(logging.ERROR)
    logging.getLogger("fontTools").setLevel(logging.ERROR)
    return weasyprint


@lru_cache(maxsize=1)
def _fonts() -> Any:
    from weasyprint.text.fonts import FontConfiguration

    return FontConfiguration()


@lru_cache(maxsize=1)
def _no_fetching() -> Any:
    from weasyprint.urls import URLFetcher

    return URLFetcher(allowed_protocols=())


@lru_cache(maxsize=1)
def _stylesheet() -> Any:
    return _weasyprint().CSS(filename=str(STYLESHEET), font_config=_fonts())
