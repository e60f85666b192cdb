"""Indirect-tax areas of delivery addresses, and whether a delivery may move between them (pure).

The tax of a sale of goods follows where they are delivered, and one country can hold several
areas (Directive 2006/112/EC art. 6 lists the territories outside the EU VAT area):

- Spain: the peninsula and the Balearics charge VAT (IVA, Ley 37/1992); the Canary Islands IGIC
  (Ley 20/1991; postcodes 35 and 38); Ceuta (51) and Melilla (52) IPSI (Ley 8/1991), each its own.
- Other territories outside the EU VAT area by postcode: the French overseas departments
  (971-976), Mount Athos (GR 630 86), Heligoland (DE 27498), Büsingen (DE 78266), Livigno
  (IT 23041), Campione d'Italia (IT 22061). The Åland Islands have their own country code (AX).
- Every other EU country is its own area (its own VAT rates); outside the EU, each country.

`tax_area(address)` gives the area's code: `ES` (VAT), `ES-CN` (IGIC), `ES-CE`, `ES-ML` (IPSI),
`FR-971`, ..., else the country code. A change of delivery address into another area would
change the taxes of the order: refused with `tax_area_changed` unless the shop's policy
(`tax_rates_by_area`) names the rates of both areas, in which case `retax_plan` says which rate
each line gets in the new area.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal

from ventanilla.core import typed
from ventanilla.core.decisions import Decision
from ventanilla.core.i18n import N_
from ventanilla.orders.address_rules import postcode_key
from ventanilla.orders.addresses import Address

# Spain by the first two digits of the postcode.
_ES_AREAS = {"35": "ES-CN", "38": "ES-CN", "51": "ES-CE", "52": "ES-ML"}
# Territories of other member states outside the EU VAT area, by postcode prefix.
_SPECIAL = {
    "FR": {"971": "FR-971", "972": "FR-972", "973": "FR-973", "974": "FR-974", "976": "FR-976"},
    "GR": {"63086": "GR-ATHOS", "63087": "GR-ATHOS"},
    "DE": {"27498": "DE-HELGOLAND", "78266": "DE-BUSINGEN"},
    "IT": {"23041": "IT-LIVIGNO", "22061": "IT-CAMPIONE"},
}

TAX_AREA_CHANGED = N_("The taxes of your order would change; please contact the shop.")


@dataclass(frozen=True)
class RetaxedLine:
    line_no: int
    old_rate_bp: int  # basis points (2100 = 21 %), as stored on the line
    new_rate_bp: int  # the same kind of rate in the new area

    def as_dict(self) -> dict[str, int]:
        return {
            "line_no": self.line_no,
            "old_rate_bp": self.old_rate_bp,
            "new_rate_bp": self.new_rate_bp,
        }


def _bp(percent: Decimal | int | str) -> int:
    return int(Decimal(str(percent)) * 100)


def tax_area(address: Address) -> str:
    """The indirect-tax area of a delivery address ('ES', 'ES-CN', 'FR-971', 'DE', 'GB', ...)."""
    country = address.country.upper()
    digits = typed.compact(postcode_key(address.postcode, country)).replace("-", "")
    if country == "ES":
        return _ES_AREAS.get(digits[:2], "ES")
    for prefix, area in _SPECIAL.get(country, {}).items():
        if digits.startswith(prefix):
            return area
    return country


def can_move_delivery(
    old: Address | None, new: Address, *, rates_by_area: Mapping[str, Mapping[str, Decimal]]
) -> Decision:
    """May the delivery move from `old` to `new` without asking the shop about taxes?

    Yes within one area, or when the shop's policy names the rates of both areas; otherwise no
    with `tax_area_changed` (the taxes would change). An order without an address yet: yes.
    """
    if old is None:
        return Decision.yes()
    before, after = tax_area(old), tax_area(new)
    if before == after or (before in rates_by_area and after in rates_by_area):
        return Decision.yes()
    return Decision.no(TAX_AREA_CHANGED, code="tax_area_changed")


def retax_plan(
    lines: Iterable[tuple[int, int]],
    *,
    old_area: str,
    new_area: str,
    rates_by_area: Mapping[str, Mapping[str, Decimal]],
) -> list[RetaxedLine] | None:
    """Each (line_no, rate in basis points) moved to the same kind of rate of the new area, by
    the names the shop gives its rates (`{"ES": {"standard": 21, "reduced": 10}, "ES-CN":
    {"standard": 7, "reduced": 3}}`); None when an area or a line's rate is not in the policy
    (then the change is refused: the shop must decide)."""
    old_rates, new_rates = rates_by_area.get(old_area), rates_by_area.get(new_area)
    if old_rates is None or new_rates is None:
        return None
    kind_of = {_bp(rate): kind for kind, rate in old_rates.items()}
    plan: list[RetaxedLine] = []
    for line_no, rate_bp in lines:
        kind = kind_of.get(rate_bp)
        if kind is None or kind not in new_rates:
            return None
        plan.append(RetaxedLine(line_no, rate_bp, _bp(new_rates[kind])))
    return plan
