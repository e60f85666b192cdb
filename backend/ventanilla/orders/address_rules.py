"""Normalise and check a delivery address (pure: no database, no I/O).

The one rule for an address, whoever sends it: the shopper's form and API (`addresses`) and the
shop's order push (`orders.service.put_order` through `normalise_pushed_address`), so a stored
address is always one the shopper could have typed. Text is read with `core.typed.text` (NFKC,
spaces).

Spain is checked fully: a postcode is 5 digits whose first two (01-52) name the province (4 digits
get back the leading zero a spreadsheet took: `8001` is `08001`); a given
province or region must be that province (Spanish and co-official spellings, any case or accents,
or the autonomous community it belongs to) and is stored as the province's name; a missing one is
filled in from the postcode. Other EU countries get a check of their postcode's shape. Phone
numbers are normalised to E.164 with `phonenumbers`, read in the address's country.

Errors are per field, as English msgids with their parameters (pages translate them).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import phonenumbers

from ventanilla.core import typed
from ventanilla.core.fields import storable_text
from ventanilla.core.i18n import N_
from ventanilla.orders.addresses import FIELDS, Address

REQUIRED = ("name", "line1", "postcode", "city", "country")
# The OrderAddress columns' lengths, so whatever passes here can be stored.
MAX_LENGTHS = {
    "name": 200,
    "line1": 200,
    "line2": 200,
    "postcode": 20,
    "city": 100,
    "region": 100,
    "country": 2,
    "phone": 32,
}

# Spain's 52 provinces by the first two digits of the postcode: the name we store, then every
# other spelling a shopper may type (Spanish, co-official, common short forms).
PROVINCES: dict[str, tuple[str, ...]] = {
    "01": ("Araba/Álava", "Álava", "Araba"),
    "02": ("Albacete",),
    "03": ("Alicante/Alacant", "Alicante", "Alacant"),
    "04": ("Almería",),
    "05": ("Ávila",),
    "06": ("Badajoz",),
    "07": (
        "Illes Balears",
        "Islas Baleares",
        "Baleares",
        "Balears",
        "Mallorca",
        "Menorca",
        "Ibiza",
        "Eivissa",
    ),
    "08": ("Barcelona",),
    "09": ("Burgos",),
    "10": ("Cáceres",),
    "11": ("Cádiz",),
    "12": ("Castellón/Castelló", "Castellón", "Castelló", "Castellón de la Plana"),
    "13": ("Ciudad Real",),
    "14": ("Córdoba",),
    "15": ("A Coruña", "La Coruña", "Coruña"),
    "16": ("Cuenca",),
    "17": ("Girona", "Gerona"),
    "18": ("Granada",),
    "19": ("Guadalajara",),
    "20": ("Gipuzkoa", "Guipúzcoa", "Guipuzkoa"),
    "21": ("Huelva",),
    "22": ("Huesca",),
    "23": ("Jaén",),
    "24": ("León",),
    "25": ("Lleida", "Lérida"),
    "26": ("La Rioja", "Rioja"),
    "27": ("Lugo",),
    "28": ("Madrid", "Comunidad de Madrid"),
    "29": ("Málaga",),
    "30": ("Murcia", "Región de Murcia"),
    "31": ("Navarra", "Nafarroa", "Comunidad Foral de Navarra"),
    "32": ("Ourense", "Orense"),
    "33": ("Asturias", "Principado de Asturias"),
    "34": ("Palencia",),
    "35": ("Las Palmas", "Palmas", "Gran Canaria", "Lanzarote", "Fuerteventura"),
    "36": ("Pontevedra",),
    "37": ("Salamanca",),
    "38": (
        "Santa Cruz de Tenerife",
        "S/C de Tenerife",
        "Tenerife",
        "La Palma",
        "La Gomera",
        "El Hierro",
    ),
    "39": ("Cantabria",),
    "40": ("Segovia",),
    "41": ("Sevilla", "Seville"),
    "42": ("Soria",),
    "43": ("Tarragona",),
    "44": ("Teruel",),
    "45": ("Toledo",),
    "46": ("Valencia/València", "Valencia", "València"),
    "47": ("Valladolid",),
    "48": ("Bizkaia", "Vizcaya", "Biscay"),
    "49": ("Zamora",),
    "50": ("Zaragoza", "Saragossa"),
    "51": ("Ceuta",),
    "52": ("Melilla",),
}

# Autonomous communities, so "Andalucía" with a Seville postcode is accepted too.
COMMUNITIES: dict[str, tuple[str, ...]] = {
    "Andalucía": ("04", "11", "14", "18", "21", "23", "29", "41"),
    "Andalusia": ("04", "11", "14", "18", "21", "23", "29", "41"),
    "Aragón": ("22", "44", "50"),
    "Canarias": ("35", "38"),
    "Islas Canarias": ("35", "38"),
    "Canary Islands": ("35", "38"),
    "Castilla y León": ("05", "09", "24", "34", "37", "40", "42", "47", "49"),
    "Castilla-La Mancha": ("02", "13", "16", "19", "45"),
    "Cataluña": ("08", "17", "25", "43"),
    "Catalunya": ("08", "17", "25", "43"),
    "Catalonia": ("08", "17", "25", "43"),
    "Comunitat Valenciana": ("03", "12", "46"),
    "Comunidad Valenciana": ("03", "12", "46"),
    "Extremadura": ("06", "10"),
    "Galicia": ("15", "27", "32", "36"),
    "País Vasco": ("01", "20", "48"),
    "Euskadi": ("01", "20", "48"),
    "Basque Country": ("01", "20", "48"),
}

# The EU beside Spain: the postcode's shape, how it is written, and an example for the message.
# Each pattern captures the parts; `fmt` joins them the way the country's post office writes them.
_POSTCODES: dict[str, tuple[str, str, str]] = {
    "AT": (r"(\d{4})", "{0}", "1010"),
    "BE": (r"(\d{4})", "{0}", "1000"),
    "BG": (r"(\d{4})", "{0}", "1000"),
    "CY": (r"(\d{4})", "{0}", "1010"),
    "CZ": (r"(\d{3}) ?(\d{2})", "{0} {1}", "110 00"),
    "DE": (r"(\d{5})", "{0}", "10115"),
    "DK": (r"(?:DK-?)?(\d{4})", "{0}", "1050"),
    "EE": (r"(\d{5})", "{0}", "10111"),
    "FI": (r"(?:FI-?)?(\d{5})", "{0}", "00100"),
    "FR": (r"(\d{5})", "{0}", "75001"),
    "GR": (r"(\d{3}) ?(\d{2})", "{0} {1}", "105 57"),
    "HR": (r"(?:HR-?)?(\d{5})", "{0}", "10000"),
    "HU": (r"(\d{4})", "{0}", "1051"),
    "IE": (r"([AC-FHKNPRTV-Y]\d{2}|D6W) ?([0-9AC-FHKNPRTV-Y]{4})", "{0} {1}", "D02 X285"),
    "IT": (r"(\d{5})", "{0}", "00184"),
    "LT": (r"(?:LT-?)?(\d{5})", "LT-{0}", "LT-01100"),
    "LU": (r"(?:L-?)?(\d{4})", "L-{0}", "L-1009"),
    "LV": (r"(?:LV-?)?(\d{4})", "LV-{0}", "LV-1050"),
    "MT": (r"([A-Z]{3}) ?(\d{4})", "{0} {1}", "VLT 1117"),
    "NL": (r"(\d{4}) ?([A-Z]{2})", "{0} {1}", "1012 AB"),
    "PL": (r"(\d{2})-?(\d{3})", "{0}-{1}", "00-950"),
    "PT": (r"(\d{4})-?(\d{3})", "{0}-{1}", "1100-148"),
    "RO": (r"(\d{6})", "{0}", "010011"),
    "SE": (r"(?:SE-?)?(\d{3}) ?(\d{2})", "{0} {1}", "114 55"),
    "SI": (r"(?:SI-?)?(\d{4})", "{0}", "1000"),
    "SK": (r"(\d{3}) ?(\d{2})", "{0} {1}", "811 01"),
}
EU_COUNTRIES = frozenset({"ES", *_POSTCODES})
# Places a postcode never has: anything else is only checked for a sane shape.
_GENERIC_POSTCODE = re.compile(r"^[A-Z0-9][A-Z0-9 -]{1,10}[A-Z0-9]$")
_ES_POSTCODE = re.compile(r"^\d{5}$")


@dataclass(frozen=True)
class Problem:
    """What is wrong with one field: an English msgid, its parameters and a stable kind."""

    message: str
    kind: str
    params: dict[str, str] = field(default_factory=dict)

    def text(self) -> str:
        return self.message % self.params if self.params else self.message


@dataclass(frozen=True)
class Checked:
    """The outcome: an address when there are no errors, else errors by field."""

    address: Address | None
    errors: dict[str, Problem]
    values: dict[str, str]  # what was typed, trimmed (to show the form again)

    @property
    def ok(self) -> bool:
        return self.address is not None


def fold(text: str) -> str:
    """Compare names ignoring case, accents, punctuation and spacing ('A Coruña' ~ 'a coruna')."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(re.sub(r"[^a-z0-9]+", " ", plain).split())


def _aliases() -> dict[str, frozenset[str]]:
    table: dict[str, set[str]] = {}
    for code, names in PROVINCES.items():
        for name in names:
            table.setdefault(fold(name), set()).add(code)
    for name, codes in COMMUNITIES.items():
        table.setdefault(fold(name), set()).update(codes)
    return {key: frozenset(codes) for key, codes in table.items()}


_ALIASES = _aliases()


def province_for_postcode(postcode: str) -> str | None:
    """The province of a Spanish postcode ('48001' -> 'Bizkaia'), None if it names none."""
    if not _ES_POSTCODE.match(postcode):
        return None
    names = PROVINCES.get(postcode[:2])
    return names[0] if names else None


def region_matches(region: str, postcode: str) -> bool:
    """Does a typed province or community contain this Spanish postcode?"""
    return postcode[:2] in _ALIASES.get(fold(region), frozenset())


def clean_text(value: object) -> str:
    """What was typed, read as meant (`core.typed.text`: NFKC, trimmed, one space inside)."""
    return typed.text(value)


def check_address(raw: Mapping[str, Any], *, also_allow: Iterable[str] = ()) -> Checked:
    """Normalise and check an address; `also_allow` adds countries beyond the EU."""
    values = {name: clean_text(raw.get(name))[:500] for name in FIELDS}
    errors: dict[str, Problem] = {}

    for name in FIELDS:
        problem = _basic_problem(name, values[name])
        if problem:
            errors[name] = problem

    country = values["country"].upper()
    allowed = EU_COUNTRIES | {c.upper() for c in also_allow}
    if "country" not in errors and country not in allowed:
        errors["country"] = Problem(
            N_("We can only deliver to countries of the European Union."), "country_not_served"
        )

    postcode = typed.compact(values["postcode"]) if country == "ES" else values["postcode"].upper()
    region = values["region"] or None
    if "country" not in errors and "postcode" not in errors:
        if country == "ES":
            postcode, region, problem_field, problem = _spanish(postcode, region)
            if problem is not None and problem_field:
                errors[problem_field] = problem
        else:
            checked, problem = _foreign_postcode(country, postcode)
            if problem is not None:
                errors["postcode"] = problem
            else:
                postcode = checked

    phone: str | None = None
    if values["phone"] and "phone" not in errors and "country" not in errors:
        phone, problem = normalise_phone(values["phone"], country)
        if problem is not None:
            errors["phone"] = problem

    if errors:
        return Checked(None, errors, values)
    address = Address(
        name=values["name"],
        line1=values["line1"],
        line2=values["line2"] or None,
        postcode=postcode,
        city=values["city"],
        region=region,
        country=country,
        phone=phone,
    )
    return Checked(address, {}, values)


_MISSING = {
    "name": N_("Enter the name of the person who receives the parcel."),
    "line1": N_("Enter the street and number."),
    "postcode": N_("Enter the postcode."),
    "city": N_("Enter the town or city."),
    "country": N_("Choose the country."),
}


def _basic_problem(name: str, value: str) -> Problem | None:
    if not value:
        if name in REQUIRED:
            return Problem(_MISSING[name], "missing")
        return None
    try:
        storable_text(value)
    except ValueError:
        return Problem(N_("Remove the special characters from this field."), "control_characters")
    limit = MAX_LENGTHS[name]
    if name == "country":
        if not re.fullmatch(r"[A-Za-z]{2}", value):
            return Problem(N_("Choose the country."), "country_code")
    elif len(value) > limit:
        return Problem(
            N_("This is too long: at most %(max)s characters."), "too_long", {"max": str(limit)}
        )
    return None


def _spanish(
    postcode: str, region: str | None
) -> tuple[str, str | None, str | None, Problem | None]:
    """(postcode, region, field with a problem, the problem) for an address in Spain."""
    compact = typed.compact(postcode)
    if re.fullmatch(r"\d{4}", compact):
        compact = "0" + compact  # 8001: a spreadsheet dropped the zero of provinces 01-09
    if not _ES_POSTCODE.match(compact):
        problem = Problem(N_("A Spanish postcode has 5 digits, like 28013."), "postcode_format")
        return postcode, region, "postcode", problem
    province = province_for_postcode(compact)
    if province is None:
        problem = Problem(
            N_("%(postcode)s is not a Spanish postcode: the first two digits go from 01 to 52."),
            "postcode_unknown",
            {"postcode": compact},
        )
        return compact, region, "postcode", problem
    if region and not region_matches(region, compact):
        problem = Problem(
            N_("The postcode %(postcode)s is in %(province)s, not in %(region)s."),
            "region_mismatch",
            {"postcode": compact, "province": province, "region": region},
        )
        return compact, region, "region", problem
    return compact, province, None, None


def postcode_key(value: str, country: str) -> str:
    """A postcode as the address rules of `country` write it, for comparing what a shopper
    typed with what is stored ('8001' and ' 08 001' are '08001' in ES; 'd02x285' is 'D02 X285'
    in IE); what the rules refuse is only compacted ('Abc 1' -> 'ABC1')."""
    country = country.upper()
    if country == "ES":
        normal, _region, _field, problem = _spanish(value, None)
    else:
        normal, problem = _foreign_postcode(country, typed.compact(value))
    return typed.compact(normal) if problem is None else typed.compact(value)


def _foreign_postcode(country: str, postcode: str) -> tuple[str, Problem | None]:
    rule = _POSTCODES.get(country)
    if rule is None:
        if _GENERIC_POSTCODE.match(postcode):
            return postcode, None
        return postcode, Problem(N_("Enter a valid postcode."), "postcode_format")
    pattern, fmt, example = rule
    match = re.fullmatch(pattern, postcode)
    if match is None:
        return postcode, Problem(
            N_("Enter a postcode like %(example)s."), "postcode_format", {"example": example}
        )
    return fmt.format(*match.groups()), None


def normalise_phone(value: str, country: str) -> tuple[str | None, Problem | None]:
    """A phone number in E.164 ('+34600111222'); national numbers are read in `country`."""
    region = country if len(country) == 2 else None
    try:
        number = phonenumbers.parse(value, region)
    except phonenumbers.NumberParseException:
        number = None
    if number is not None and phonenumbers.is_valid_number(number):
        return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164), None
    return None, Problem(
        N_("Enter a phone number we can call, like %(example)s."),
        "phone_invalid",
        {"example": _phone_example(country)},
    )


def _phone_example(country: str) -> str:
    sample = None
    if country:
        sample = phonenumbers.example_number_for_type(country, phonenumbers.PhoneNumberType.MOBILE)
    if sample is None:
        return "+34 600 123 456"
    return phonenumbers.format_number(sample, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
