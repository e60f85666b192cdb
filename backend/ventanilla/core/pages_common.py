"""Rendering helpers shared by every HTML page."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from ventanilla.core import i18n
from ventanilla.core.templating import render

# Shopper-facing text for error codes; the English source strings are the msgids.
ERROR_TITLES = {
    "not_found": i18n.N_("We could not find that page."),
    "rate_limited": i18n.N_("Too many attempts. Please wait a few minutes and try again."),
    "csrf_failed": i18n.N_("Your form expired. Please go back, reload the page and try again."),
    "validation_error": i18n.N_("Some fields are not valid."),
    "internal_error": i18n.N_("Something went wrong on our side. Please try again in a moment."),
    "order_not_found": i18n.N_("There is no order at this address for you."),
    "invoice_not_found": i18n.N_("There is no invoice at this address for you."),
    "method_not_allowed": i18n.N_("That did not work. Please go back and try again."),
    "change_not_found": i18n.N_("There is no change to this order at this address."),
    "code_not_needed": i18n.N_("You are acting for the customer, so no code is needed."),
    "server_busy": i18n.N_("The server is busy. Please try again in a moment."),
    "too_many_in_flight": i18n.N_(
        "You have too many requests in progress. Please wait a moment and try again."
    ),
    "bad_request": i18n.N_("That did not work. Please go back and try again."),
    "verification_required": i18n.N_(
        "Confirm it is you first: we email you a 6-digit code to type in."
    ),
}


def render_error(request: Request, *, status_code: int, code: str, message: str) -> Response:
    i18n.activate(request)
    title = ERROR_TITLES.get(code)
    return render(
        request,
        "errors/page.html",
        {
            "code": code,
            "status_code": status_code,
            # `message` comes translated (core.handlers.refusal_text) or is a framework's text.
            "message": i18n.gettext(title) if title else i18n.gettext(message),
        },
        status_code=status_code,
    )
