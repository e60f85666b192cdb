"""The shopper's "change the delivery address" page, with the emailed code asked for in place.

GET  /orders/{number}/address   the form, prefilled (or why it cannot change now)
POST /orders/{number}/address   save: 303 to the order page (HTMX: HX-Redirect); 422 the form
                                with messages; without a recent proof of access to the order's
                                email, a code is emailed and the same form asks for it (the typed
                                address stays in the fields); posting it with the right code
                                saves at once; `action=resend` emails a new one; 409 the reason
                                and a way back. HTMX requests get the form's card block only.
"""

from __future__ import annotations

from functools import partial
from typing import Annotated, Any
from urllib.parse import quote

from babel import Locale
from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse
from pydantic import BaseModel, ConfigDict
from sqlmodel import Session
from starlette.responses import Response

from ventanilla.access import policy as access_policy
from ventanilla.access import service as access_service
from ventanilla.access.deps import CurrentCustomer, CurrentShopperSession, OwnedOrder, ShopperActor
from ventanilla.access.models import ShopperSession
from ventanilla.addresses import service
from ventanilla.addresses.exceptions import AddressInvalid, VerificationRequired
from ventanilla.core import clock, collation, i18n
from ventanilla.core.deps import SessionDep
from ventanilla.core.errors import AppError
from ventanilla.core.fields import known_countries
from ventanilla.core.handlers import is_htmx, refusal_response
from ventanilla.core.i18n import N_
from ventanilla.core.templating import render
from ventanilla.customers.models import Customer
from ventanilla.orders.address_rules import EU_COUNTRIES, Problem, clean_text
from ventanilla.orders.addresses import FIELDS, Address
from ventanilla.orders.exceptions import ChangeInProgress, ChangeNotAllowed, OrderChanged
from ventanilla.orders.models import Order
from ventanilla.portal.urls import order_url

router = APIRouter(include_in_schema=False)
POSITION = 30

CODE_MESSAGES = {
    "code_format": N_("Enter the 6 digits from the email."),
    "code_missing": N_("There is no code waiting to be checked. Ask for a new one."),
    "code_expired": N_("This code has expired. Ask for a new one."),
    "code_attempts_exhausted": N_("Too many wrong tries for this code. Ask for a new one."),
}

SAVED = "address"  # ?changed=address on the order page


class AddressForm(BaseModel):
    """What the address forms post; every field optional so a half-filled form gets messages."""

    model_config = ConfigDict(extra="ignore")

    name: str = ""
    line1: str = ""
    line2: str = ""
    postcode: str = ""
    city: str = ""
    region: str = ""
    country: str = ""
    phone: str = ""
    version: str = ""
    code: str = ""  # the emailed code, typed in the code step
    action: str = ""  # "resend": email a new code

    def address(self) -> dict[str, str]:
        return {name: clean_text(getattr(self, name))[:500] for name in FIELDS}

    def version_number(self) -> int:
        text = self.version.strip()
        return int(text) if text.isascii() and text.isdecimal() and len(text) < 10 else 0


FormFields = Annotated[AddressForm, Form()]


def _values(address: Address | None) -> dict[str, str]:
    """The form prefilled with `address`; a Spanish province is left empty: it is filled in from
    the postcode, and a stale one would refuse a new postcode the shopper just typed."""
    if address is None:
        return {name: "" for name in FIELDS}
    values = {name: value or "" for name, value in address.as_dict().items()}
    if address.country == "ES":
        values["region"] = ""
    return values


def _countries(current: str) -> list[tuple[str, str]]:
    """EU countries by name in the page's language, Spain first; plus the current one."""
    names = Locale.parse(i18n.current_locale.get()).territories
    codes = set(EU_COUNTRIES)
    current = current.upper()
    if current in known_countries():
        codes.add(current)
    locale = i18n.current_locale.get()
    ordered = sorted(codes - {"ES"}, key=lambda c: collation.sort_key(str(names.get(c, c)), locale))
    return [(code, str(names.get(code, code))) for code in ["ES", *ordered]]


def _message(problem: Problem) -> str:
    return i18n.gettext(problem.message, **problem.params)


def _context(
    request: Request,
    *,
    customer: Customer,
    number: str,
    values: dict[str, str],
    version: int,
    needs_code: bool,
    **extra: Any,
) -> dict[str, Any]:
    return {
        "customer": customer,
        "number": number,
        "order_url": order_url(number),
        "form_url": order_url(number) + "/address",
        "values": values,
        "version": version,
        "countries": _countries(values.get("country", "")),
        "needs_code": needs_code,
        "email_hint": access_policy.mask_email(customer.email),
        "errors": {},
        **extra,
    }


def _refused(request: Request, customer: Customer, number: str, exc: AppError) -> Response:
    """The refusal (core.handlers' contract) on this page, with a way back to the form."""
    context = {
        "customer": customer,
        "number": number,
        "order_url": order_url(number),
        "form_url": order_url(number) + "/address",
    }
    return refusal_response(request, exc, template="addresses/refused.html", context=context)


@router.get("/orders/{number}/address")
def address_page(
    request: Request,
    session: SessionDep,
    customer: CurrentCustomer,
    order: OwnedOrder,
    record: CurrentShopperSession,
) -> Response:
    """The delivery address form, prefilled with the current address (or why it cannot change)."""
    form = service.address_form(session, customer=customer, order=order, shopper_session=record)
    refusal = None
    if not form.decision.ok:
        refusal = i18n.gettext(form.decision.message, **dict(form.decision.params))
    context = _context(
        request,
        customer=customer,
        number=form.number,
        values=_values(form.address),
        version=form.version,
        needs_code=form.proof is None,
        refusal=refusal,
    )
    return render(request, "addresses/form.html", context)


@router.post("/orders/{number}/address")
def change_address(
    request: Request,
    session: SessionDep,
    customer: CurrentCustomer,
    order: OwnedOrder,
    record: CurrentShopperSession,
    actor: ShopperActor,
    fields: FormFields,
) -> Response:
    """Save the new delivery address and go back to the order page.

    Without a recent proof of access to the order's email, the code is emailed at once and asked
    for in place (the form keeps what was typed); the right code saves the address in the same
    post. HTMX requests get the form's card back, or HX-Redirect to the order page when saved.
    """
    values = fields.address()
    version = fields.version_number()
    needs_code = access_policy.email_proof(record, now=clock.now()) is None
    step = partial(_form, request, customer=customer, number=order.number, values=values)
    step = partial(step, version=version, needs_code=needs_code)
    if fields.action == "resend":
        return step(code_step=True, sent=_send_code(request, session, record, customer, order))
    if fields.code.strip():
        error = _check_code(session, record, customer, order, fields.code)
        if error is not None:
            return step(code_step=True, code_error=error, status_code=422)
    try:
        result = service.change_delivery_address(
            session,
            actor=actor,
            shopper_session=record,
            customer=customer,
            number=order.number,
            version=version,
            data=values,
        )
    except AddressInvalid as exc:
        errors = {name: _message(p) for name, p in exc.problems.items()}
        return step(values=exc.values, errors=errors, code_step=needs_code and bool(fields.code))
    except VerificationRequired:
        return step(code_step=True, sent=_send_code(request, session, record, customer, order))
    except (ChangeNotAllowed, OrderChanged, ChangeInProgress) as exc:
        return _refused(request, customer, order.number, exc)
    if not result.changed:
        notice = N_("That already is the delivery address of this order. Nothing was changed.")
        return step(values=_values(result.address), version=result.version, notice=notice)
    target = f"/orders/{quote(result.number, safe='')}?changed={SAVED}"
    if is_htmx(request):
        return Response(status_code=204, headers={"HX-Redirect": target})
    return RedirectResponse(target, status_code=303)


def _form(
    request: Request,
    *,
    customer: Customer,
    number: str,
    values: dict[str, str],
    version: int,
    needs_code: bool,
    code_step: bool = False,
    sent: access_service.SentCode | None = None,
    status_code: int | None = None,
    **extra: Any,
) -> Response:
    """The address form again: with messages, or with the code step in place of its button."""
    context = _context(
        request,
        customer=customer,
        number=number,
        values=values,
        version=version,
        needs_code=needs_code or code_step,
        code_step=code_step,
        sent_to=sent.sent_to if sent else None,
        minutes=int(access_policy.CODE_TTL.total_seconds() // 60),
        **extra,
    )
    if status_code is None:
        status_code = 422 if extra.get("errors") else 200
    block = "card" if is_htmx(request) else None
    return render(request, "addresses/form.html", context, status_code=status_code, block=block)


def _send_code(
    request: Request,
    session: Session,
    record: ShopperSession,
    customer: Customer,
    order: Order,
) -> access_service.SentCode:
    return access_service.send_access_code(
        session,
        shopper_session=record,
        customer=customer,
        order_id=order.id,
        locale=request.state.locale,  # the language this shopper is using (CurrentCustomer)
    )


def _check_code(
    session: Session, record: ShopperSession, customer: Customer, order: Order, code: str
) -> str | None:
    """None when the code is right (the session is now verified), else the message to show.

    No exception on a wrong code: the try must be committed, or the 5-try limit would mean
    nothing."""
    check = access_service.verify_access_code(
        session, shopper_session=record, customer=customer, code=code, order_id=order.id
    )
    if check.ok:
        return None
    if check.reason == "code_invalid":
        return i18n.ngettext(
            "That code is not right. You can try %(num)s more time.",
            "That code is not right. You can try %(num)s more times.",
            check.attempts_left,
        )
    msgid = CODE_MESSAGES.get(check.reason or "", CODE_MESSAGES["code_format"])
    return i18n.gettext(msgid)
