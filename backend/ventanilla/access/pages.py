"""The shopper's front door: open a link, find my order, log out, switch language."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse
from starlette.responses import Response

from ventanilla.access import policy, service
from ventanilla.access.deps import session_token
from ventanilla.access.schemas import FindForm
from ventanilla.config import get_settings
from ventanilla.core import i18n
from ventanilla.core.deps import SessionDep
from ventanilla.core.errors import FieldErrors
from ventanilla.core.templating import render

router = APIRouter(include_in_schema=False)
POSITION = 20

NO_INDEX = {"X-Robots-Tag": "noindex, nofollow"}
LANG_MAX_AGE = 365 * 24 * 3600

FormStr = Annotated[str, Form()]


def _see_other(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


@router.get("/l/{token}")
def link_landing(request: Request, session: SessionDep, token: str) -> Response:
    """Check a "my order" link and offer to continue; opening it spends nothing."""
    claims, customer_locale = service.inspect_link(session, token=token)
    # The same rule as the order page it leads to (access.deps.CurrentCustomer sets this there).
    request.state.customer_locale = customer_locale
    return render(
        request,
        "access/continue.html",
        {"token": token, "order_number": claims.order_number},
        headers=NO_INDEX,
    )


@router.post("/l")
def link_continue(request: Request, session: SessionDep, token: FormStr = "") -> Response:
    """Spend one use of the link, start a session and go to the order (a clean URL)."""
    opened = service.open_link(session, token=token, previous_session=session_token(request))
    settings = get_settings()
    response = _see_other("/orders/" + quote(opened.order_number, safe=""))
    response.set_cookie(
        policy.session_cookie_name(settings.secure_cookies),
        opened.session_token,
        max_age=opened.max_age_seconds,
        path="/",
        secure=settings.secure_cookies,
        httponly=True,
        samesite="lax",
    )
    return response


def _find_page(
    request: Request, form: FindForm | None = None, *, next_path: str = "", status_code: int = 200
) -> Response:
    form = form or FindForm()
    return render(
        request,
        "access/find.html",
        {"values": form, "errors": form.errors, "next": next_path},
        status_code=status_code,
    )


@router.get("/find")
def find_order_form(request: Request, order: str = "", next: str = "") -> Response:
    """The "find my order" form: order number plus email or postcode."""
    prefill = FindForm(order_number=order.strip()[:64])
    return _find_page(request, prefill, next_path=policy.safe_next(next, default=""))


@router.post("/find")
def find_order(
    request: Request,
    session: SessionDep,
    order_number: FormStr = "",
    email: FormStr = "",
    postcode: FormStr = "",
) -> Response:
    """Email a fresh link if the details match; the answer is the same either way."""
    form = FindForm.parse(order_number=order_number, email=email, postcode=postcode)
    if form.errors:
        return _find_page(request, form, status_code=422)
    service.request_link_by_details(
        session,
        order_number=form.order_number,
        email=form.email,
        postcode=form.postcode,
        client_ip=request.client.host if request.client else "",
        language=i18n.preferences(request),
    )
    return _see_other("/find/sent")


@router.get("/find/sent")
def find_order_sent(request: Request) -> Response:
    """What we say after a find-my-order request, whatever happened."""
    return render(request, "access/find_sent.html")


@router.post("/logout")
def logout(request: Request, session: SessionDep) -> Response:
    """End the shopper's session on the server and forget the cookie."""
    service.end_session(session, token=session_token(request))
    settings = get_settings()
    response = _see_other("/logged-out")
    response.delete_cookie(
        policy.session_cookie_name(settings.secure_cookies),
        path="/",
        secure=settings.secure_cookies,
        httponly=True,
        samesite="lax",
    )
    return response


@router.get("/logged-out")
def logged_out(request: Request) -> Response:
    """Confirmation that the session has ended."""
    return render(request, "access/logged_out.html")


@router.post("/lang")
def switch_language(lang: FormStr = "", next: FormStr = "") -> Response:
    """Remember the chosen language (es or en) and go back to the page it was chosen on."""
    if lang not in i18n.SUPPORTED:
        raise FieldErrors([(("lang",), "Choose one of: " + ", ".join(i18n.SUPPORTED), "enum")])
    settings = get_settings()
    response = _see_other(policy.safe_next(next))
    response.set_cookie(
        i18n.LANG_COOKIE,
        lang,
        max_age=LANG_MAX_AGE,
        path="/",
        secure=settings.secure_cookies,
        httponly=True,
        samesite="lax",
    )
    return response
