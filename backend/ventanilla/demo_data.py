"""The demo toy shop's data, as the shop's systems would push it through the store API.

Deterministic (seeded), Spanish: about 50 products, 100 customers and 300 orders spread over every
status, with shipments, tracking events and invoices. `ventanilla.demo` loads it through the
store API's own services.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from ventanilla.changes.tax import included_tax
from ventanilla.orders.discounts import allocate

SHOP = {
    "name": "Juguetería La Peonza S.L.",
    "tax_id": "B12345678",
    "address": "Calle del Juego 7, 28004 Madrid",
}

# (sku, name, price in cents, stock, final sale)
# The shop's labels, which the example policy (docs/policy.example.toml) matches on.
TAGS = {"COCH-01": ["electronics"], "PEON-02": ["electronics"], "EDUC-02": ["personalised"]}
PRODUCTS: list[tuple[str, str, int, int, bool]] = [
    ("PEON-01", "Peonza de madera clásica", 899, 40, False),
    ("PEON-02", "Peonza luminosa LED", 1299, 25, False),
    ("TREN-01", "Tren de madera con 20 vías", 4995, 12, False),
    ("TREN-02", "Locomotora a pilas", 2495, 0, False),
    ("PUZZ-100", "Puzle 100 piezas Mapa de España", 1495, 30, False),
    ("PUZZ-500", "Puzle 500 piezas Alhambra", 1995, 18, False),
    ("PUZZ-1000", "Puzle 1000 piezas Sagrada Familia", 2495, 0, False),
    ("MUNE-01", "Muñeca de trapo Lola", 2195, 15, False),
    ("MUNE-02", "Muñeca con carrito", 3495, 6, False),
    ("PELU-01", "Peluche osito Nube", 1895, 50, False),
    ("PELU-02", "Peluche dragón Chispa", 2295, 0, False),
    ("PELU-03", "Peluche lince ibérico", 2495, 9, False),
    ("CONS-01", "Bloques de construcción 120 piezas", 2995, 22, False),
    ("CONS-02", "Castillo medieval para montar", 5995, 4, False),
    ("CONS-03", "Granja de bloques grandes", 3995, 0, False),
    ("COCH-01", "Coche teledirigido Rayo", 3995, 11, False),
    ("COCH-02", "Garaje de tres plantas", 4495, 7, False),
    ("COCH-03", "Pack 5 coches de metal", 1295, 60, False),
    ("JUEG-01", "Juego de mesa La Oca", 1595, 35, False),
    ("JUEG-02", "Parchís y damas 2 en 1", 1495, 28, False),
    ("JUEG-03", "Juego de memoria Animales", 1195, 0, False),
    ("JUEG-04", "Dominó de madera", 995, 44, False),
    ("JUEG-05", "Juego de cartas Familias", 795, 70, False),
    ("EDUC-01", "Ábaco de colores", 1395, 19, False),
    ("EDUC-02", "Pizarra magnética con letras", 2495, 13, False),
    ("EDUC-03", "Kit de ciencia Pequeño químico", 2995, 0, False),
    ("EDUC-04", "Microscopio infantil", 3995, 5, False),
    ("EDUC-05", "Globo terráqueo luminoso", 3495, 8, False),
    ("ARTE-01", "Caja de acuarelas 24 colores", 1295, 40, False),
    ("ARTE-02", "Plastilina 12 barras", 695, 90, True),  # final sale (clearance)
    ("ARTE-03", "Kit de pulseras de cuentas", 1495, 0, False),
    ("ARTE-04", "Caballete doble cara", 4995, 3, False),
    ("MUSI-01", "Xilófono de madera", 1995, 17, False),
    ("MUSI-02", "Guitarra infantil", 2995, 6, False),
    ("MUSI-03", "Tambor con baquetas", 1595, 0, False),
    ("EXTE-01", "Cometa arcoíris", 1495, 26, False),
    ("EXTE-02", "Set de playa cubo y pala", 895, 55, False),
    ("EXTE-03", "Patinete tres ruedas", 4995, 9, False),
    ("EXTE-04", "Pompas de jabón gigantes", 795, 0, False),
    ("BEBE-01", "Sonajero de madera", 995, 33, False),
    ("BEBE-02", "Gimnasio de actividades", 5495, 4, False),
    ("BEBE-03", "Cubos apilables", 1295, 24, False),
    ("DISF-01", "Disfraz de bombero", 2495, 8, True),
    ("DISF-02", "Disfraz de astronauta", 2795, 0, True),
    ("DISF-03", "Disfraz de dinosaurio", 2695, 5, True),
    ("LIBR-01", "Libro pop-up Los dinosaurios", 1895, 14, False),
    ("LIBR-02", "Cuentos clásicos ilustrados", 2295, 20, False),
    ("OUTL-01", "Cocinita de madera (outlet)", 5995, 2, True),
    ("OUTL-02", "Robot programable (outlet)", 3995, 3, True),
    ("OUTL-03", "Casa de muñecas (outlet)", 6995, 1, True),
]

FIRST = [
    "Lucía",
    "Hugo",
    "Martina",
    "Mateo",
    "Sofía",
    "Leo",
    "Julia",
    "Daniel",
    "Paula",
    "Pablo",
    "Valeria",
    "Álvaro",
    "Carmen",
    "Manuel",
    "Alba",
    "Javier",
    "Noa",
    "Adrián",
    "Elena",
    "Diego",
    "Irene",
    "Marcos",
    "Laura",
    "Sergio",
    "Claudia",
    "Jorge",
    "Sara",
    "Raúl",
    "Ana",
    "Iker",
]
LAST = [
    "García",
    "Fernández",
    "González",
    "Rodríguez",
    "López",
    "Martínez",
    "Sánchez",
    "Pérez",
    "Gómez",
    "Martín",
    "Jiménez",
    "Ruiz",
    "Hernández",
    "Díaz",
    "Moreno",
    "Muñoz",
    "Álvarez",
    "Romero",
    "Alonso",
    "Gutiérrez",
    "Navarro",
    "Torres",
    "Domínguez",
    "Vázquez",
    "Ramos",
]
# (city, province, postcode prefix)
CITIES = [
    ("Madrid", "Madrid", "280"),
    ("Barcelona", "Barcelona", "080"),
    ("Valencia", "Valencia", "460"),
    ("Sevilla", "Sevilla", "410"),
    ("Zaragoza", "Zaragoza", "500"),
    ("Málaga", "Málaga", "290"),
    ("Bilbao", "Bizkaia", "480"),
    ("Valladolid", "Valladolid", "470"),
    ("Alicante", "Alicante", "030"),
    ("Granada", "Granada", "180"),
    ("Oviedo", "Asturias", "330"),
    ("Pamplona", "Navarra", "310"),
    ("Santander", "Cantabria", "390"),
    ("Salamanca", "Salamanca", "370"),
    ("Palma", "Illes Balears", "070"),
]
STREETS = [
    "Calle Mayor",
    "Avenida de la Constitución",
    "Calle del Sol",
    "Plaza de España",
    "Calle Real",
    "Paseo de la Castellana",
    "Calle de Alcalá",
    "Rambla Nova",
    "Calle Larios",
    "Gran Vía",
]
CARRIERS = [
    ("Correos Express", "https://s.correosexpress.com/search?s={n}"),
    ("SEUR", "https://www.seur.com/livetracking/?segOnlineIdentificador={n}"),
    ("MRW", "https://www.mrw.es/seguimiento_envios/MRW_resultados_consultas.asp?num={n}"),
]
# How many of the 300 orders end in each status.
STATUS_MIX = [
    ("placed", 20),
    ("paid", 45),
    ("processing", 30),
    ("packing", 15),
    ("packed", 15),
    ("shipped", 55),
    ("delivered", 100),
    ("cancelled", 20),
]
FLOW = ["placed", "paid", "processing", "packing", "packed", "shipped", "delivered"]


@dataclass
class DemoOrder:
    number: str
    payload: dict[str, Any]
    status: str
    # (status, at) events to send after the push, the packing claim included as "packing".
    events: list[tuple[str, datetime]] = field(default_factory=list)
    shipment: dict[str, Any] | None = None
    tracking: list[dict[str, Any]] = field(default_factory=list)
    invoice: dict[str, Any] | None = None


def product_payloads() -> list[dict[str, Any]]:
    return [
        {
            "sku": sku,
            "name": name,
            "price_minor": price,
            "currency": "EUR",
            "tax_rate": "21",
            "stock_on_hand": stock,
            "returnable": not final,
            "final_sale": final,
            "tags": TAGS.get(sku, []),
            "image_url": f"/static/images/products/{sku.split('-')[0].lower()}.svg",
        }
        for sku, name, price, stock, final in PRODUCTS
    ]


def customers(rng: random.Random, count: int = 100) -> list[dict[str, Any]]:
    people = []
    for i in range(count):
        first, last = rng.choice(FIRST), rng.choice(LAST)
        city, province, prefix = rng.choice(CITIES)
        email = f"{_ascii(first)}.{_ascii(last)}{i}@example.com".lower()
        people.append(
            {
                "email": email,
                "name": f"{first} {last}",
                "phone": f"+346{rng.randint(10000000, 99999999)}",
                "locale": "en" if i % 10 == 0 else "es",
                "address": {
                    "name": f"{first} {last}",
                    "line1": f"{rng.choice(STREETS)} {rng.randint(1, 120)}, {rng.randint(1, 8)}º",
                    "postcode": f"{prefix}{rng.randint(1, 99):02d}",
                    "city": city,
                    "region": province,
                    "country": "ES",
                },
            }
        )
    return people


def _ascii(text: str) -> str:
    table = str.maketrans("áéíóúÁÉÍÓÚñÑü", "aeiouAEIOUnNu")
    return text.translate(table)


def orders(now: datetime, seed: int = 7) -> list[DemoOrder]:
    rng = random.Random(seed)
    people = customers(rng)
    statuses = [status for status, n in STATUS_MIX for _ in range(n)]
    rng.shuffle(statuses)
    result = []
    for i, status in enumerate(statuses):
        person = people[i % len(people)]
        result.append(_order(rng, now, 1001 + i, person, status))
    return result


def _order(
    rng: random.Random, now: datetime, n: int, person: dict[str, Any], status: str
) -> DemoOrder:
    # Later statuses are older orders: delivered ones were placed weeks ago, fresh ones today.
    age_hours = {
        "placed": rng.uniform(0.2, 3),
        "paid": rng.uniform(0.5, 20),
        "processing": rng.uniform(5, 30),
        "packing": rng.uniform(8, 30),
        "packed": rng.uniform(10, 40),
        "shipped": rng.uniform(30, 96),
        "delivered": rng.uniform(100, 1200),
        "cancelled": rng.uniform(5, 300),
    }[status]
    placed_at = (now - timedelta(hours=age_hours)).replace(microsecond=0)
    chosen = rng.sample([p for p in PRODUCTS if p[3] > 0 or rng.random() < 0.1], rng.randint(1, 4))
    lines: list[dict[str, Any]] = []
    for sku, name, price, _stock, _final in chosen:
        lines.append(
            {
                "sku": sku,
                "name": name,
                "unit_price_minor": price,
                "quantity": rng.choice([1, 1, 1, 2, 3]),
                "tax_rate": "21",
            }
        )
    subtotal = sum(line["unit_price_minor"] * line["quantity"] for line in lines)
    shipping = 0 if subtotal >= 5000 else 495
    total = subtotal + shipping
    # The same figure the invoice states: one rounding per rate, as amendments compute it.
    tax = included_tax(total, 2100)
    number = f"LP-{n}"
    payload = {
        "customer": {k: person[k] for k in ("email", "name", "phone", "locale")},
        "shipping_address": person["address"],
        "billing_address": person["address"],
        "lines": lines,
        "totals": {
            "subtotal_minor": subtotal,
            "shipping_minor": shipping,
            "discount_minor": 0,
            "tax_minor": tax,
            "total_minor": total,
        },
        "currency": "EUR",
        "placed_at": placed_at.isoformat(),
        "status": "placed",
        "payment_reference": None,
        "locale": person["locale"],
    }
    order = DemoOrder(number=number, payload=payload, status=status)
    # Status history spread between placing and now.
    if status == "cancelled":
        path = ["paid", "cancelled"] if rng.random() < 0.6 else ["cancelled"]
    else:
        path = FLOW[1 : FLOW.index(status) + 1]
    span = now - placed_at
    if status == "delivered":
        # Delivered within four days of placing: older orders fall outside the 14-day
        # withdrawal period, newer ones inside (both in the demo).
        span = min(span, timedelta(hours=96))
    for k, step in enumerate(path, start=1):
        order.events.append((step, placed_at + span * (k / (len(path) + 1))))
    if status in ("shipped", "delivered"):
        _ship(rng, order, person, now)
    if status in ("paid", "processing", "packing", "packed", "shipped", "delivered"):
        paid_at = next(at for s, at in order.events if s == "paid")
        order.invoice = _invoice(number, person, lines, shipping, paid_at)
    return order


def _ship(rng: random.Random, order: DemoOrder, person: dict[str, Any], now: datetime) -> None:
    """The parcel of a shipped or delivered demo order and its carrier events."""
    carrier, url = rng.choice(CARRIERS)
    tracking = f"{rng.randint(10**11, 10**12 - 1)}"
    shipped_at = next(at for s, at in order.events if s == "shipped")
    order.shipment = {
        "carrier": carrier,
        "tracking_number": tracking,
        "tracking_url": url.format(n=tracking),
        "shipped_at": shipped_at.isoformat(),
    }
    steps = [
        ("label_created", "Madrid", "Etiqueta creada"),
        ("in_transit", "Madrid", "En tránsito"),
        ("in_transit", person["address"]["city"], "Llegada a la delegación de destino"),
        ("out_for_delivery", person["address"]["city"], "En reparto"),
    ]
    if order.status == "delivered":
        steps.append(("delivered", person["address"]["city"], "Entregado"))
    end = next((at for s, at in order.events if s == "delivered"), now)
    for j, (st, loc, text) in enumerate(steps):
        at = shipped_at + (end - shipped_at) * (j / max(len(steps) - 1, 1))
        order.tracking.append(
            {"occurred_at": at.isoformat(), "status": st, "location": loc, "text": text}
        )


def _invoice(
    number: str,
    person: dict[str, Any],
    lines: list[dict[str, Any]],
    shipping: int,
    paid_at: datetime,
) -> dict[str, Any]:
    # Tax rounded once per rate over the gross amounts (`changes.tax`), then shared out over
    # the lines by largest remainder, so the lines, the breakdown and the order agree.
    items = [(line["name"], line["quantity"], line["unit_price_minor"]) for line in lines] + (
        [("Gastos de envío", 1, shipping)] if shipping else []
    )
    grosses = [quantity * price for _name, quantity, price in items]
    tax = included_tax(sum(grosses), 2100)
    inv_lines = [
        {
            "description": name,
            "quantity": quantity,
            "unit_price_minor": price,
            "tax_rate": "21",
            "net_minor": gross - line_tax,
            "tax_minor": line_tax,
            "total_minor": gross,
        }
        for (name, quantity, price), gross, line_tax in zip(
            items, grosses, allocate(tax, grosses), strict=True
        )
    ]
    net = sum(grosses) - tax
    address = person["address"]
    return {
        "number": f"F-{paid_at.year}-{number.split('-')[1]}",
        "order_number": number,
        "kind": "invoice",
        "issue_date": paid_at.date().isoformat(),
        "currency": "EUR",
        "seller": {"name": SHOP["name"], "tax_id": SHOP["tax_id"], "address": SHOP["address"]},
        "buyer": {
            "name": person["name"],
            "address": f"{address['line1']}, {address['postcode']} {address['city']}",
        },
        "lines": inv_lines,
        "tax_breakdown": [{"rate": "21", "base_minor": net, "tax_minor": tax}],
        "totals": {"net_minor": net, "tax_minor": tax, "total_minor": net + tax},
    }
