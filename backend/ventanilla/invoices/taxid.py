"""Tax identification numbers for a full invoice: Spanish NIF (DNI, NIE, CIF) or EU VAT number.

Pure and offline, with `python-stdnum`:
- Spanish numbers (`stdnum.es.nif`): DNI (8 digits + letter), NIE (X/Y/Z + 7 digits + letter)
  and CIF (letter + 7 digits + control), each with its check character (Orden EHA/451/2008,
  RD 1065/2007 art. 18-22).
- Other EU numbers by format and check digits (`stdnum.eu.vat`): they start with the member
  state's code (DE, FR, PT, EL for Greece, XI for Northern Ireland). Whether the number is
  registered in VIES is not checked here: that needs the Commission's online service.

`check_tax_id` answers with a `Decision`; its message is an English msgid that pages translate
(es/en), and says what to do instead.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from stdnum import exceptions as stdnum_errors
from stdnum.es import nif as es_nif
from stdnum.eu import vat as eu_vat

from ventanilla.core.decisions import Decision
from ventanilla.core.i18n import N_

MAX_LENGTH = 32
_SEPARATORS = re.compile(r"[\s.\-/]+")
_PREFIX = re.compile(r"^[A-Z]{2}")
# stdnum names Greece "gr"; its VAT numbers start with EL.
_EU_PREFIXES = frozenset(code.upper() for code in eu_vat.MEMBER_STATES) | {"EL"}

MISSING = N_("Enter the tax ID (NIF, NIE or CIF; or an EU VAT number).")
TOO_LONG = N_("This tax ID is too long: enter only the number, without other text.")
CHECK_DIGIT = N_(
    "The check letter or digit of %(value)s does not match: please check it for a typo."
)
NOT_SPANISH = N_(
    "%(value)s is not a Spanish NIF, NIE or CIF. For a company elsewhere in the EU, enter its "
    "VAT number with the country code first (for example FR or DE)."
)
NOT_EU = N_(
    "%(value)s starts with %(prefix)s, which is not an EU country code. Enter a Spanish NIF, "
    "NIE or CIF, or an EU VAT number; otherwise please contact the shop."
)
BAD_EU_VAT = N_(
    "%(value)s is not a valid %(prefix)s VAT number: please check the digits after the "
    "country code."
)


@dataclass(frozen=True)
class TaxId:
    compact: str  # upper case, no spaces or separators: "B12345674", "DE136695976"
    kind: str  # dni | nie | cif | eu_vat
    country: str  # ISO 3166-1 alpha-2 ("GR" for an EL number)


@dataclass(frozen=True)
class TaxIdCheck:
    decision: Decision
    tax_id: TaxId | None = None

    @property
    def ok(self) -> bool:
        return self.decision.ok


def compact(value: str) -> str:
    """Upper case without spaces, dots, dashes or slashes."""
    return _SEPARATORS.sub("", value).upper()


def check_tax_id(value: str) -> TaxIdCheck:
    """Is `value` a valid Spanish NIF/NIE/CIF or EU VAT number? With its kind and country.

    A Spanish number may come with or without the ES prefix; every other EU number must carry
    its country prefix. Never raises: a bad value is a `Decision.no` with a code among
    tax_id_missing, tax_id_too_long, tax_id_check_digit, tax_id_format, tax_id_not_eu.
    """
    number = compact(value)
    if not number:
        return _no(MISSING, "tax_id_missing")
    if len(number) > MAX_LENGTH:
        return _no(TOO_LONG, "tax_id_too_long")
    shown = number
    prefix = number[:2] if _PREFIX.match(number) else ""
    if prefix and prefix != "ES" and not _looks_spanish(number):
        return _eu_vat(number, prefix)
    return _spanish(number.removeprefix("ES"), shown)


def _looks_spanish(number: str) -> bool:
    # A CIF starts with one letter then digits, a NIE with X/Y/Z then digits; two letters at
    # the start can only be a country code (or K/L/M special NIFs, which are digits after).
    return not number[1].isalpha()


def _spanish(number: str, shown: str) -> TaxIdCheck:
    try:
        valid = es_nif.validate(number)
    except stdnum_errors.InvalidChecksum:
        return _no(CHECK_DIGIT, "tax_id_check_digit", value=shown)
    except stdnum_errors.ValidationError:
        return _no(NOT_SPANISH, "tax_id_format", value=shown)
    first = valid[0]
    kind = "nie" if first in "XYZ" else "dni" if first.isdigit() or first in "KLM" else "cif"
    return TaxIdCheck(Decision.yes(), TaxId(valid, kind, "ES"))


def _eu_vat(number: str, prefix: str) -> TaxIdCheck:
    if prefix not in _EU_PREFIXES:
        return _no(NOT_EU, "tax_id_not_eu", value=number, prefix=prefix)
    try:
        valid = eu_vat.validate(number)
    except stdnum_errors.InvalidChecksum:
        return _no(CHECK_DIGIT, "tax_id_check_digit", value=number)
    except stdnum_errors.ValidationError:
        return _no(BAD_EU_VAT, "tax_id_format", value=number, prefix=prefix)
    country = "GR" if prefix == "EL" else prefix
    return TaxIdCheck(Decision.yes(), TaxId(valid, "eu_vat", country))


def _no(message: str, code: str, **params: str) -> TaxIdCheck:
    return TaxIdCheck(Decision.no(message, code=code, params=tuple(sorted(params.items()))))
