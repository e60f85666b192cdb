"""How long a one-page invoice PDF takes to render (not part of the test run).

    .venv/bin/python bench/invoice_pdf.py                # the renderer Ventanilla uses
    .venv/bin/python bench/invoice_pdf.py --compare      # and fpdf2 (pip install fpdf2)

The invoice: 8 lines, one VAT rate, buyer "Begoña Ibáñez · Nguyễn Hữu Thọ · 王小明" (so the
Latin, Vietnamese and CJK fonts are all embedded); `weasyprint-latin` is the same invoice with
only "Begoña Ibáñez" (no CJK font to subset). Figures, each the median of --runs:
- cold: the first render in a fresh process (imports, font discovery, first layout);
- warm: later renders in the same process (what a server does all day);
- cached: a second download of the same document (`render.cached_pdf`: a blob-store read).
Wall time and CPU time are both printed: on a shared 2-core machine wall time includes waiting
for the other processes, CPU time does not. The target is a warm median of at most 50 ms.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from ventanilla.invoices.models import Invoice  # noqa: E402

TARGET_MS = 50.0
NAMES = "Begoña Ibáñez · Nguyễn Hữu Thọ · 王小明"
NOTO = Path("/usr/share/fonts/truetype/noto")
NOTO_CJK = Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc")
NOTO_CJK_SC = 2  # the face in the collection: JP, KR, SC, TC, HK
# fpdf2 cannot deep-copy a parsed CFF font (Noto CJK); its fonts-once variant uses this one.
DROID_CJK = Path("/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf")


def sample_invoice() -> Invoice:
    lines = [
        {
            "description": f"Tren de madera con {20 + i} vías",
            "quantity": 1,
            "unit_price_minor": 4995,
            "tax_rate": "21.00",
            "net_minor": 4128,
            "tax_minor": 867,
            "total_minor": 4995,
        }
        for i in range(8)
    ]
    return Invoice(
        number="F2026-0001",
        series="F2026",
        simplified=False,
        order_id=1,
        kind="invoice",
        issue_date=date(2026, 11, 20),
        currency="EUR",
        seller_name="Juguetería La Peonza S.L.",
        seller_tax_id="B12345674",
        seller_address="Calle del Juego 7\n28004 Madrid",
        buyer_name=NAMES,
        buyer_tax_id="12345678Z",
        buyer_address="Calle Mayor 3\n28013 Madrid",
        lines=lines,
        tax_breakdown=[{"rate": "21.00", "base_minor": 33024, "tax_minor": 6936}],
        net_minor=33024,
        tax_minor=6936,
        total_minor=39960,
        content_hash="bench",
    )


def measure(fn: Callable[[], bytes], runs: int) -> tuple[float, float, int]:
    """(median wall ms, median CPU ms, bytes) over `runs` calls after one warm-up call."""
    fn()
    walls, cpus = [], []
    size = 0
    for _ in range(runs):
        w0, c0 = time.perf_counter(), time.process_time()
        size = len(fn())
        walls.append((time.perf_counter() - w0) * 1000)
        cpus.append((time.process_time() - c0) * 1000)
    return statistics.median(walls), statistics.median(cpus), size


def cold(renderer: str, runs: int) -> tuple[float, float]:
    """Median (wall, CPU) of the first render in `runs` fresh processes."""
    walls, cpus = [], []
    for _ in range(runs):
        out = subprocess.run(
            [sys.executable, __file__, "--cold-child", renderer],
            check=True,
            capture_output=True,
            text=True,
        ).stdout.split()
        walls.append(float(out[0]))
        cpus.append(float(out[1]))
    return statistics.median(walls), statistics.median(cpus)


def weasyprint_render(*, buyer: str = NAMES) -> Callable[[], bytes]:
    from ventanilla.invoices import render
    from ventanilla.invoices.document import document_view

    invoice = sample_invoice()
    invoice.buyer_name = buyer
    doc = document_view(invoice, order_number="LP-1001")
    return lambda: render.render_pdf(doc, locale="es")


def fpdf2_render(*, fonts_once: bool) -> Callable[[], bytes]:
    """The same document with fpdf2, fonts added per document as documented. `fonts_once`:
    parse the fonts once and deep-copy a prepared FPDF per document (not a documented fpdf2
    feature, its best case; needs Debian's fonts-droid-fallback for the CJK glyphs)."""
    import copy

    from fpdf import FPDF

    def prepared() -> Any:
        pdf = FPDF(format="A4")
        pdf.set_margins(16, 16, 16)
        pdf.add_font("Noto", fname=str(NOTO / "NotoSans-Regular.ttf"))
        pdf.add_font("Noto", style="B", fname=str(NOTO / "NotoSans-Bold.ttf"))
        if fonts_once:
            pdf.add_font("CJK", fname=str(DROID_CJK))
        else:
            pdf.add_font("CJK", fname=str(NOTO_CJK), collection_font_number=NOTO_CJK_SC)
        pdf.set_fallback_fonts(["CJK"])
        return pdf

    template = prepared() if fonts_once else None
    if template is not None:
        for font in template.fonts.values():  # parse every table now, not in each copy
            for tag in font.ttfont.keys():
                font.ttfont[tag]
    invoice = sample_invoice()

    def run() -> bytes:
        pdf = copy.deepcopy(template) if template is not None else prepared()
        _fpdf2_document(pdf, invoice)
        return bytes(pdf.output())

    return run


def _fpdf2_document(pdf: Any, inv: Invoice) -> None:
    def money(minor: int) -> str:
        return f"{minor / 100:,.2f} €".replace(",", "X").replace(".", ",").replace("X", ".")

    pdf.add_page()
    pdf.set_font("Noto", size=9.5)
    pdf.multi_cell(
        0,
        5,
        f"Copia. Esta es una copia de un documento emitido por {inv.seller_name} (NIF "
        f"{inv.seller_tax_id}), hecha con los datos que envió la tienda. No es una factura nueva.",
        border=1,
        padding=2,
        new_x="LMARGIN",
        new_y="NEXT",
    )
    pdf.ln(4)
    pdf.set_font("Noto", "B", 16)
    pdf.cell(0, 9, f"Factura {inv.number}", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Noto", size=9.5)
    for label, value in (
        ("Tipo", "Factura"),
        ("Serie", inv.series or ""),
        ("Fecha de emisión", "20 de noviembre de 2026"),
        ("Pedido", "LP-1001"),
    ):
        pdf.cell(0, 5, f"{label}: {value}", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)
    y = pdf.get_y()
    seller = f"VENDEDOR\n{inv.seller_name}\nNIF: {inv.seller_tax_id}\n{inv.seller_address}"
    buyer = f"CLIENTE\n{inv.buyer_name}\nNIF: {inv.buyer_tax_id}\n{inv.buyer_address}"
    pdf.multi_cell(85, 5, seller)
    end = pdf.get_y()
    pdf.set_xy(105, y)
    pdf.multi_cell(85, 5, buyer)
    pdf.set_y(max(end, pdf.get_y()) + 4)
    with pdf.table(col_widths=(46, 12, 16, 10, 16), text_align="RIGHT") as table:
        table.row(["Descripción", "Cantidad", "Precio unitario", "IVA", "Importe"])
        for line in inv.lines:
            table.row(
                [
                    str(line["description"]),
                    str(line["quantity"]),
                    money(line["unit_price_minor"]),
                    "21 %",
                    money(line["total_minor"]),
                ]
            )
    pdf.ln(4)
    with pdf.table(width=110, align="LEFT", text_align="RIGHT") as table:
        table.row(["Tipo de IVA", "Base imponible", "IVA"])
        for row in inv.tax_breakdown:
            table.row(["21 %", money(row["base_minor"]), money(row["tax_minor"])])
    pdf.ln(4)
    for label, amount in (
        ("Base imponible total", inv.net_minor),
        ("IVA", inv.tax_minor),
        ("Total", inv.total_minor),
    ):
        pdf.set_x(110)
        pdf.cell(50, 6, label)
        pdf.cell(34, 6, money(amount), align="R", new_x="LMARGIN", new_y="NEXT")
    pdf.set_y(-15)
    pdf.set_font("Noto", size=7.5)
    pdf.cell(0, 5, f"Copia de Factura {inv.number}, emitida por {inv.seller_name}", align="C")


def cached_download() -> Callable[[], bytes]:
    from pydantic import SecretStr

    from ventanilla.config import Settings, use_settings
    from ventanilla.invoices import render

    var = Path(tempfile.mkdtemp(prefix="ventanilla-bench-"))
    use_settings(
        Settings(
            env="test",
            var_dir=var,
            secret_key=SecretStr("bench-secret-key-0123456789abcdef"),
            link_secret=SecretStr("bench-link-secret-0123456789abcdef"),
        )
    )
    invoice = sample_invoice()
    render.cached_pdf(invoice, order_number="LP-1001", locale="es")  # the first download
    return lambda: render.cached_pdf(invoice, order_number="LP-1001", locale="es")


RENDERERS: dict[str, Callable[[], Callable[[], bytes]]] = {
    "weasyprint": weasyprint_render,
    # The common case for a Spanish shop: no CJK font to load and subset.
    "weasyprint-latin": lambda: weasyprint_render(buyer="Begoña Ibáñez"),
    "fpdf2": lambda: fpdf2_render(fonts_once=False),
    "fpdf2-fonts-once": lambda: fpdf2_render(fonts_once=True),
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=30, help="warm renders per renderer")
    parser.add_argument("--cold-runs", type=int, default=5, help="fresh processes per renderer")
    parser.add_argument("--compare", action="store_true", help="also measure fpdf2")
    parser.add_argument("--cold-child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.cold_child:
        w0, c0 = time.perf_counter(), time.process_time()
        RENDERERS[args.cold_child]()()
        print((time.perf_counter() - w0) * 1000, (time.process_time() - c0) * 1000)
        return

    names = ["weasyprint", "weasyprint-latin"]
    if args.compare:
        names += ["fpdf2", "fpdf2-fonts-once"] if DROID_CJK.exists() else ["fpdf2"]
    print(f"one-page invoice, {NAMES}; medians in ms (wall / CPU)")
    print(f"{'renderer':<18} {'cold':>15} {'warm':>15} {'bytes':>8}")
    warm_ms = 0.0
    for name in names:
        cold_wall, cold_cpu = cold(name, args.cold_runs)
        wall, cpu, size = measure(RENDERERS[name](), args.runs)
        warm_ms = wall if name == "weasyprint" else warm_ms
        print(f"{name:<18} {cold_wall:7.0f} / {cold_cpu:5.0f} {wall:7.1f} / {cpu:5.1f} {size:8d}")
    wall, cpu, size = measure(cached_download(), args.runs)
    print(f"{'cached download':<18} {'':>15} {wall:7.2f} / {cpu:5.2f} {size:8d}")
    verdict = "met" if warm_ms <= TARGET_MS else "NOT met"
    print(f"target: warm median <= {TARGET_MS:.0f} ms: {verdict} ({warm_ms:.1f} ms)")


if __name__ == "__main__":
    main()
