"""The "change the items" form as a shopper posts it: what it asks for, and what could not be read.

Fields: qty_<line> (a number), remove_<line> (a checkbox), add_sku + add_quantity; version and
change_id as hidden fields. Unreadable numbers become messages by field, never a 500.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from starlette.datastructures import FormData

from ventanilla.changes import amounts
from ventanilla.changes.exceptions import AmendmentInvalid
from ventanilla.core import i18n, typed
from ventanilla.core.fields import INT32_MAX
from ventanilla.core.i18n import N_

NOT_A_NUMBER = N_("Enter a whole number, for example 2.")


async def _form(request: Request) -> FormData:
    return await request.form()


RawForm = Annotated[FormData, Depends(_form)]


@dataclass
class ParsedForm:
    """The actions a form asks for, which field each comes from, and what could not be read."""

    actions: list[amounts.Action]
    fields: list[str]  # per action: the form field its problems belong to
    values: dict[str, str]
    errors: dict[str, str]


def parse_int(text: str) -> int | None:
    """A whole number as typed ('２', ' 3 '; `core.typed.text`), None if it is not one."""
    text = typed.text(text).replace(" ", "")
    if text.startswith(("-", "+")):
        sign, digits = text[0], text[1:]
    else:
        sign, digits = "", text
    if not (digits.isascii() and digits.isdecimal()) or len(digits) > 9:
        return None
    return int(sign + digits)


def parse_items_form(form: FormData) -> ParsedForm:
    """qty_<line> (a number), remove_<line> (a checkbox), add_sku + add_quantity."""
    values = {key: str(value) for key, value in form.items() if isinstance(value, str)}
    parsed = ParsedForm(actions=[], fields=[], values=values, errors={})
    line_nos: set[int] = set()
    for key in values:
        prefix, _sep, tail = key.partition("_")
        if prefix in ("qty", "remove") and tail.isascii() and tail.isdecimal() and len(tail) < 10:
            line_nos.add(int(tail))
    for line_no in sorted(line_nos):
        if values.get(f"remove_{line_no}"):
            quantity: int | None = 0
        else:
            quantity = parse_int(values.get(f"qty_{line_no}", ""))
        if quantity is None:
            parsed.errors[f"qty_{line_no}"] = i18n.gettext(NOT_A_NUMBER)
            continue
        parsed.actions.append(amounts.SetQuantity(line_no=line_no, quantity=quantity))
        parsed.fields.append(f"qty_{line_no}")
    sku = typed.text(values.get("add_sku", ""))
    if sku:
        quantity = parse_int(values.get("add_quantity", "") or "1")
        if quantity is None:
            parsed.errors["add_quantity"] = i18n.gettext(NOT_A_NUMBER)
        else:
            parsed.actions.append(amounts.AddProduct(sku=sku[:64], quantity=quantity))
            parsed.fields.append("add_quantity" if quantity < 1 or quantity > 99 else "add_sku")
    return parsed


def version_of(values: dict[str, str]) -> int:
    number = parse_int(values.get("version", ""))
    return number if number is not None and 0 < number <= INT32_MAX else 0


def change_id_of(values: dict[str, str]) -> int:
    number = parse_int(values.get("change_id", ""))
    return number if number is not None and 0 < number <= INT32_MAX else 0


def problem_errors(exc: AmendmentInvalid, parsed: ParsedForm) -> dict[str, str]:
    errors: dict[str, str] = {}
    for problem in exc.problems:
        field = "form"
        if len(problem.loc) >= 2 and isinstance(problem.loc[1], int):
            index = problem.loc[1]
            if 0 <= index < len(parsed.fields):
                field = parsed.fields[index]
                if problem.loc[-1] == "quantity" and field == "add_sku":
                    field = "add_quantity"
        errors.setdefault(field, i18n.gettext(problem.message, **dict(problem.params)))
    return errors
