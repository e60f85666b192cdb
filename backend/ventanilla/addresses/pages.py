"""The shopper's "change the delivery address" pages, with the emailed-code step when needed.

GET  /orders/{number}/address          the form, prefilled (or why it cannot change now)
POST /orders/{number}/address          save: 303 to the order page; 422 the form again; 403 the
                                       code step (the typed address travels in hidden fields);
                                       409 the reason and a way back
POST /orders/{number}/address/code     email a code, then ask for it
GET  /orders/{number}/address/verify   ask for the code
POST /orders/{number}/address/verify   check it; back to the form with what was typed
"""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import quote

from babel import Locale
from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse
from pydantic import BaseModel, ConfigDict
from starlette.responses import Response

from ventanilla.access import policy as access_policy
from ventanilla.access import service as access_service
from ventanilla.access.deps import CurrentCustomer, CurrentShopperSession, OwnedOrder, ShopperActor
from ventanilla.addresses import service
from ventanilla.addresses.exceptions import AddressInvalid, VerificationRequired
from ventanilla.core import clock, collation, i18n
from ventanilla.core.deps import SessionDep
from ventanilla.core.errors import AppError
from ventanilla.core.fields import known_countries
from ventanilla.core.handlers import refusal_response
from ventanilla.core.i18n import N_
from ventanilla.core.templating import render
from ventanilla.customers.models import Customer
from ventanilla.orders.address_rules import EU_COUNTRIES, Problem, clean_text
from ventanilla.orders.addresses import FIELDS, Address
from ventanilla.orders.exceptions import ChangeInProgress, ChangeNotAllowed, OrderChanged
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
    code: str = ""
    carried: str = ""  # "1" when the typed address travels along (the code step)

    def address(self) -> dict[str, str]:
        return {name: clean_text(getattr(self, name))[:500] for name in FIELDS}

    def version_number(self) -> int:
        text = self.version.strip()
        return int(text) if text.isascii() and text.isdecimal() and len(text) < 10 else 0


FormFields = Annotated[AddressForm, Form()]


def _values(address: Address | None) -> dict[str, str]:
    if address is None:
        return {name: "" for name in FIELDS}
    return {name: value or "" for name, value in address.as_dict().items()}


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
    """Save the new delivery address and go back to the order page."""
    values = fields.address()
    version = fields.version_number()
    needs_code = access_policy.email_proof(record, now=clock.now()) is None
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
        context = _context(
            request,
            customer=customer,
            number=order.number,
            values=exc.values,
            version=version,
            needs_code=needs_code,
            errors={name: _message(p) for name, p in exc.problems.items()},
        )
        return render(request, "addresses/form.html", context, status_code=422)
    except VerificationRequired as exc:
        context = _context(
            request,
            customer=customer,
            number=order.number,
            values=values,
            version=version,
            needs_code=True,
        )
        return render(request, "addresses/code.html", context, status_code=exc.status_code)
    except (ChangeNotAllowed, OrderChanged, ChangeInProgress) as exc:
        return _refused(request, customer, order.number, exc)
    if not result.changed:
        context = _context(
            request,
            customer=customer,
            number=result.number,
            values=_values(result.address),
            version=result.version,
            needs_code=needs_code,
            notice=N_("That already is the delivery address of this order. Nothing was changed."),
        )
        return render(request, "addresses/form.html", context)
    target = f"/orders/{quote(result.number, safe='')}?changed={SAVED}"
    return RedirectResponse(target, status_code=303)


@router.post("/orders/{number}/address/code")
def send_code(
    request: Request,
    session: SessionDep,
    customer: CurrentCustomer,
    order: OwnedOrder,
    record: CurrentShopperSession,
    fields: FormFields,
) -> Response:
    """Email a one-time code to the order's address, then ask for it."""
    sent = access_service.send_access_code(
        session,
        shopper_session=record,
        customer=customer,
        order_id=order.id,
        locale=request.state.locale,  # the language this shopper is using (CurrentCustomer)
    )
    context = _context(
        request,
        customer=customer,
        number=order.number,
        values=fields.address(),
        version=fields.version_number(),
        needs_code=True,
        carried=fields.carried == "1",
        sent_to=sent.sent_to,
        minutes=int(access_policy.CODE_TTL.total_seconds() // 60),
    )
    return render(request, "addresses/verify.html", context)


@router.get("/orders/{number}/address/verify")
def verify_page(request: Request, customer: CurrentCustomer, order: OwnedOrder) -> Response:
    """Ask for the code from the email."""
    context = _context(
        request,
        customer=customer,
        number=order.number,
        values=_values(None),
        version=0,
        needs_code=True,
        carried=False,
    )
    return render(request, "addresses/verify.html", context)


@router.post("/orders/{number}/address/verify")
def verify_code(
    request: Request,
    session: SessionDep,
    customer: CurrentCustomer,
    order: OwnedOrder,
    record: CurrentShopperSession,
    fields: FormFields,
) -> Response:
    """Check the code; right, and it is back to the form with the address as typed."""
    check = access_service.verify_access_code(
        session, shopper_session=record, customer=customer, code=fields.code, order_id=order.id
    )
    carried = fields.carried == "1"
    if not check.ok:
        # No exception: the wrong try must be committed, or the 5-try limit would mean nothing.
        if check.reason == "code_invalid":
            error = i18n.ngettext(
                "That code is not right. You can try %(num)s more time.",
                "That code is not right. You can try %(num)s more times.",
                check.attempts_left,
            )
        else:
            msgid = CODE_MESSAGES.get(check.reason or "", CODE_MESSAGES["code_format"])
            error = i18n.gettext(msgid)
        context = _context(
            request,
            customer=customer,
            number=order.number,
            values=fields.address(),
            version=fields.version_number(),
            needs_code=True,
            carried=carried,
            code_error=error,
            ask_again=check.reason != "code_invalid" and check.reason != "code_format",
        )
        return render(request, "addresses/verify.html", context, status_code=422)
    if not carried:
        return RedirectResponse(order_url(order.number) + "/address", status_code=303)
    context = _context(
        request,
        customer=customer,
        number=order.number,
        values=fields.address(),
        version=fields.version_number(),
        needs_code=False,
        notice=N_("Thank you, that is you. Check the new address and save it."),
    )
    return render(request, "addresses/form.html", context)
