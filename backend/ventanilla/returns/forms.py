"""The returns and withdrawal forms as a shopper posts them: qty_<line_no>, reason, note,
name and email. What cannot be read becomes a message by field, never a 500."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from starlette.datastructures import FormData

from ventanilla.core import i18n
from ventanilla.core.i18n import N_

EMAIL = re.compile(r"^[^@\s]+@[^@\s]+$")
NOT_A_NUMBER = N_("Enter a whole number, for example 1.")
NEED_NAME = N_("Enter your name.")
CHOOSE_REASON = N_("Choose a reason.")
NEED_EMAIL = N_("Enter an email address where we can send the acknowledgement.")


@dataclass
class ParsedForm:
    selection: dict[int, int] = field(default_factory=dict)  # line_no -> units
    values: dict[str, str] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)


def parse(form: FormData, *, contact: bool = False) -> ParsedForm:
    """qty_<line_no> units (blank = 0); with `contact`, name and email are required."""
    values = {k: str(v).strip() for k, v in form.items() if isinstance(v, str)}
    parsed = ParsedForm(values=values)
    for key, text in values.items():
        prefix, _sep, tail = key.partition("_")
        if prefix != "qty" or not (tail.isascii() and tail.isdecimal() and len(tail) < 10):
            continue
        if text == "":
            continue
        if not (text.isascii() and text.isdecimal() and len(text) < 7):
            parsed.errors[key] = i18n.gettext(NOT_A_NUMBER)
            continue
        parsed.selection[int(tail)] = int(text)
    if contact:
        name, email = values.get("name", ""), values.get("email", "")
        if not name or len(name) > 200:
            parsed.errors["name"] = i18n.gettext(NEED_NAME)
        if not EMAIL.match(email) or len(email) > 254:
            parsed.errors["email"] = i18n.gettext(NEED_EMAIL)
    return parsed


def field_errors(errors: Sequence[Mapping[str, Any]]) -> dict[str, str]:
    """ReturnInvalid's errors as form fields (lines -> qty_<line_no>)."""
    out: dict[str, str] = {}
    for error in errors:
        loc = list(error.get("loc", []))
        if len(loc) >= 2 and loc[0] == "lines":
            out[f"qty_{loc[1]}"] = str(error.get("msg", ""))
        elif loc and loc[-1] == "reason":
            out["reason"] = str(error.get("msg", ""))
        else:
            out["form"] = str(error.get("msg", ""))
    return out
