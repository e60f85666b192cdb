"""Input building blocks for the JSON API: strict models and fields every database can store.

Whatever passes these validators fits the columns (lengths, 32-bit integers, text PostgreSQL
accepts), so bad input is a 422 with a field location and never a 500 from the database.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from functools import lru_cache
from typing import Annotated, Any

from babel import Locale
from babel.numbers import list_currencies
from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    HttpUrl,
    StringConstraints,
    field_validator,
)
from pydantic_core import PydanticCustomError

from ventanilla.core import clock
from ventanilla.core.clock import as_utc

INT32_MAX = 2_147_483_647
# Times from a shop's clock may run a little ahead of ours. Further ahead is refused: a far-future
# time would make every later real event look stale.
MAX_CLOCK_SKEW = timedelta(hours=24)
# The earliest time the store API takes. Older values are integration bugs (the zero time of Go
# and .NET is 0001-01-01), not orders: the one window for every time and date the shops push.
EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
# C0 controls except tab/newline/CR, and DEL: PostgreSQL refuses NUL, and nobody means the rest.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
CODE_PATTERN = r"^[A-Za-z0-9._-]{1,64}$"
# Babel knows these as territories, but they are not ISO 3166-1 countries.
_NOT_COUNTRIES = frozenset({"AC", "CP", "CQ", "DG", "EA", "EU", "EZ", "IC", "QO", "TA", "UN", "ZZ"})


def storable(value: str) -> bool:
    """Can this text be looked up at all? (PostgreSQL refuses NUL in text parameters.)"""
    return "\x00" not in value


def storable_text(value: str) -> str:
    if _CONTROL.search(value):
        raise ValueError("must not contain control characters")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("must be valid Unicode text (no lone surrogates)") from None
    return value


class StrictModel(BaseModel):
    """Request bodies: unknown fields are refused, text is trimmed and storable."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    @field_validator("*", mode="after")
    @classmethod
    def _storable(cls, value: Any) -> Any:
        if isinstance(value, str):
            storable_text(value)
        return value


@lru_cache(maxsize=1)
def known_currencies() -> frozenset[str]:
    return frozenset(list_currencies())


@lru_cache(maxsize=1)
def known_countries() -> frozenset[str]:
    territories: dict[str, str] = dict(Locale("en").territories)
    return frozenset(
        code
        for code in map(str, territories)
        if len(code) == 2 and code.isalpha() and code not in _NOT_COUNTRIES
    )


def _currency(value: str) -> str:
    if value not in known_currencies():
        raise ValueError(f"{value} is not an ISO 4217 currency code")
    return value


def _country(value: str) -> str:
    if value not in known_countries():
        raise ValueError(f"{value} is not an ISO 3166-1 alpha-2 country code")
    return value


def _utc(value: datetime) -> datetime:
    try:
        return as_utc(value)
    except OverflowError:
        raise ValueError("date is out of range") from None


def check_window(value: datetime) -> datetime:
    """`value` (UTC-aware) if it lies in the store API's window: from EARLIEST (2000-01-01
    UTC) to MAX_CLOCK_SKEW (24 h) after now. Raises a pydantic error typed `too_early` or
    `in_future`, so the 422 names the field and gives a stable type."""
    if value < EARLIEST:
        raise PydanticCustomError("too_early", "must not be before 2000-01-01T00:00:00Z")
    if value > clock.now() + MAX_CLOCK_SKEW:
        raise PydanticCustomError("in_future", "must not be more than 24 hours in the future")
    return value


def _in_window(value: datetime) -> datetime:
    return check_window(_utc(value))


def _date_in_window(value: date) -> date:
    if value < EARLIEST.date():
        raise PydanticCustomError("too_early", "must not be before 2000-01-01")
    if value > (clock.now() + MAX_CLOCK_SKEW).date():
        raise PydanticCustomError("in_future", "must not be more than a day in the future")
    return value


def _iso_text(value: Any) -> Any:
    # The schema promises an ISO 8601 string; pydantic would also take a Unix timestamp.
    if isinstance(value, int | float):
        raise ValueError("must be an ISO 8601 date-time string")
    return value


def _url_text(value: HttpUrl) -> str:
    text = str(value)
    if len(text) > 2000:
        raise ValueError("URL is longer than 2000 characters")
    return text


Currency = Annotated[
    str,
    StringConstraints(pattern=r"^[A-Z]{3}$"),
    AfterValidator(_currency),
    # The enum makes the OpenAPI schema exact, so generated clients and fuzzers agree with us.
    Field(
        description="ISO 4217 code, upper case",
        examples=["EUR"],
        json_schema_extra={"enum": sorted(known_currencies())},
    ),
]
Country = Annotated[
    str,
    StringConstraints(pattern=r"^[A-Z]{2}$"),
    AfterValidator(_country),
    Field(
        description="ISO 3166-1 alpha-2 code, upper case",
        examples=["ES"],
        json_schema_extra={"enum": sorted(known_countries())},
    ),
]
Code = Annotated[
    str,
    StringConstraints(pattern=CODE_PATTERN, min_length=1, max_length=64),
    Field(description="1-64 characters: letters, digits, '.', '_' or '-'"),
]
# Strict: the schema says integer, so "12" and 12.5 are refused rather than coerced.
MinorAmount = Annotated[
    int,
    Field(strict=True, ge=0, le=INT32_MAX, description="Integer amount in minor units (cents)"),
]
Count = Annotated[int, Field(strict=True, ge=0, le=INT32_MAX)]
Flag = Annotated[bool, Field(strict=True)]
# Every time the store API accepts is one of these (tests/core/test_datetimes.py checks that no
# request model takes a bare datetime or date).
UTCDatetime = Annotated[
    AwareDatetime,
    BeforeValidator(_iso_text),
    AfterValidator(_in_window),
    Field(
        description="ISO 8601 with an offset, from 2000-01-01 to 24 hours from now; stored in UTC",
        examples=["2025-03-01T10:15:00+01:00"],
    ),
]
UTCDate = Annotated[
    date,
    BeforeValidator(_iso_text),
    AfterValidator(_date_in_window),
    Field(description="ISO 8601 date (YYYY-MM-DD), from 2000-01-01 to tomorrow"),
]
WebUrl = Annotated[
    HttpUrl,
    AfterValidator(_url_text),
    Field(description="An absolute http(s) URL", examples=["https://tienda.example/img/cami.jpg"]),
]
LocaleTag = Annotated[
    str,
    StringConstraints(pattern=r"^[A-Za-z]{2,3}([_-][A-Za-z0-9]{2,8})?$", max_length=10),
    Field(description="A language tag such as 'es' or 'en-GB'", examples=["es"]),
]


# A VAT rate as the shop sends it, the same on order lines and products.
TaxRate = Annotated[
    Decimal,
    Field(
        ge=0,
        le=100,
        decimal_places=2,
        description='VAT rate in percent, as a number or a decimal string: 21, "10.5"',
        examples=["21"],
    ),
]


def basis_points(rate: Decimal) -> int:
    """21 -> 2100, 10.5 -> 1050 (TaxRate allows at most two decimals)."""
    return int((rate * 100).to_integral_value())


def percent(bp: int) -> Decimal:
    """2100 -> 21, 1050 -> 10.5."""
    value = Decimal(bp).scaleb(-2)
    if value == value.to_integral_value():
        return value.quantize(Decimal(1))
    return value.normalize()
