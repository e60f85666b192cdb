"""The address family: one set of fields, and every shape an address takes.

- `OrderAddress` (orders.models): the row, one per order and kind (shipping, billing).
- `Address`: the value services pass around, normalised as it is stored (empty parts are None);
  built from a row or a push with `Address.of`. Emails print it, pages show it (`country_name`
  in the page's language), the canonical form of an order hashes it.
- `AddressCreate`: what the shop pushes with an order (strict: it is the shop's own data).
- `AddressUpdate`: what a shopper sends to change the delivery address (generous lengths: the
  rules in `orders.address_rules` answer with a message per field instead).
- `AddressRead`: what every API answers.
- The HTML form (`addresses.pages.AddressForm`) posts the same FIELDS, all optional, so a
  half-filled form comes back with messages instead of a 422 page.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from babel import Locale
from pydantic import BaseModel, ConfigDict, Field

from ventanilla.core import i18n
from ventanilla.core.fields import Country, StrictModel
from ventanilla.customers.schemas import Phone

FIELDS = ("name", "line1", "line2", "postcode", "city", "region", "country", "phone")

# Generous on the shopper's input: the address rules answer with field messages, not these.
TEXT = 500

EXAMPLE_ADDRESS: dict[str, Any] = {
    "name": "Lucía García",
    "line1": "Calle Gran Vía 12, 3º B",
    "line2": None,
    "postcode": "48001",
    "city": "Bilbao",
    "region": "Bizkaia",
    "country": "ES",
    "phone": "+34 600 111 222",
}


@dataclass(frozen=True)
class Address:
    """An address as stored: checked, normalised, empty parts None."""

    name: str
    line1: str
    line2: str | None
    postcode: str
    city: str
    region: str | None
    country: str
    phone: str | None

    @classmethod
    def of(cls, source: Any) -> Address:
        """The address of a row, a push or a read model (anything with the FIELDS)."""
        return cls(
            name=source.name,
            line1=source.line1,
            line2=source.line2 or None,
            postcode=source.postcode,
            city=source.city,
            region=source.region or None,
            country=source.country,
            phone=source.phone or None,
        )

    def as_dict(self) -> dict[str, str | None]:
        return asdict(self)

    def summary(self) -> str:
        """One line for logs and activity: 'Calle Mayor 1, 28013 Madrid (Madrid), ES'."""
        parts = [self.line1, self.line2 or "", f"{self.postcode} {self.city}"]
        where = ", ".join(p for p in parts if p)
        if self.region and self.region != self.city:
            where += f" ({self.region})"
        return f"{self.name}, {where}, {self.country}"

    @property
    def country_name(self) -> str:
        """The country in the active language (read at render time)."""
        names = Locale.parse(i18n.current_locale.get()).territories
        return str(names.get(self.country.upper(), self.country))


class AddressCreate(StrictModel):
    """An address in the shop's push of an order."""

    name: str = Field(min_length=1, max_length=200)
    line1: str = Field(min_length=1, max_length=200)
    line2: str | None = Field(default=None, max_length=200)
    postcode: str = Field(min_length=1, max_length=20)
    city: str = Field(min_length=1, max_length=100)
    region: str | None = Field(default=None, max_length=100)
    country: Country
    phone: Phone | None = None


class AddressUpdate(StrictModel):
    """A new delivery address from a shopper. Spain: the postcode's province fills or must match
    `region`."""

    model_config = ConfigDict(json_schema_extra={"examples": [EXAMPLE_ADDRESS]})

    name: str = Field(max_length=TEXT, description="Who receives the parcel")
    line1: str = Field(max_length=TEXT, description="Street and number")
    line2: str | None = Field(default=None, max_length=TEXT, description="Floor, door, ...")
    postcode: str = Field(max_length=TEXT)
    city: str = Field(max_length=TEXT)
    region: str | None = Field(
        default=None, max_length=TEXT, description="Province or region (filled in for Spain)"
    )
    country: str = Field(max_length=TEXT, description="ISO 3166-1 alpha-2, e.g. ES")
    phone: str | None = Field(
        default=None, max_length=TEXT, description="Normalised to E.164 (+34600111222)"
    )


class AddressRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    name: str
    line1: str
    line2: str | None
    postcode: str
    city: str
    region: str | None
    country: str
    phone: str | None

    @classmethod
    def of(cls, address: Address | None) -> AddressRead | None:
        return None if address is None else cls(**address.as_dict())
