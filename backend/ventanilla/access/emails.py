"""The "here is your link" email, in the customer's language (plain text and simple HTML)."""

from __future__ import annotations

from datetime import datetime
from html import escape
from zoneinfo import ZoneInfo

from babel.dates import format_datetime

from ventanilla.core import i18n
from ventanilla.core.emails import Email
from ventanilla.core.i18n import gettext as _


def link_email(
    *,
    locale: str,
    shop_name: str,
    customer_name: str,
    order_number: str,
    url: str,
    expires_at: datetime,
    timezone: str,
) -> Email:
    """Subject, text and HTML of the email that carries a fresh "my order" link."""
    with i18n.using_locale(locale):
        until = str(format_datetime(expires_at, "long", tzinfo=ZoneInfo(timezone), locale=locale))
        # Header-safe: whatever the shop put in an order number, the subject stays one line.
        subject = " ".join(_("Your link to order %(number)s", number=order_number).split())
        greeting = _("Hello %(name)s,", name=customer_name)
        intro = _(
            "Here is your link to see and manage order %(number)s at %(shop)s:",
            number=order_number,
            shop=shop_name,
        )
        button = _("Open my order")
        validity = _("The link works until %(date)s.", date=until)
        ignore = _(
            "If you did not ask for this link, you can ignore this email: "
            "nobody can see your order without it."
        )
    text = f"{greeting}\n\n{intro}\n\n{url}\n\n{validity}\n\n{ignore}\n\n{shop_name}\n"
    html = (
        f'<!doctype html><html lang="{escape(locale)}"><body>'
        f"<p>{escape(greeting)}</p>"
        f"<p>{escape(intro)}</p>"
        f'<p><a href="{escape(url)}">{escape(button)}</a></p>'
        f"<p>{escape(validity)}</p>"
        f"<p>{escape(ignore)}</p>"
        f"<p>{escape(shop_name)}</p>"
        "</body></html>"
    )
    return Email(subject=subject, text=text, html=html)


def code_email(
    *, locale: str, shop_name: str, customer_name: str, code: str, minutes: int
) -> Email:
    """The email with a one-time code that proves the shopper reads this mailbox."""
    with i18n.using_locale(locale):
        subject = _("Your %(shop)s code: %(code)s", shop=shop_name, code=code)
        subject = " ".join(subject.split())
        greeting = _("Hello %(name)s,", name=customer_name)
        intro = _("Type this code on the page to confirm it is you:")
        validity = _("The code works for %(minutes)s minutes.", minutes=minutes)
        ignore = _(
            "If you did not ask for it, someone may be trying to change your order: do not "
            "share the code with anyone. Nothing changes without it."
        )
    text = f"{greeting}\n\n{intro}\n\n    {code}\n\n{validity}\n\n{ignore}\n\n{shop_name}\n"
    html = (
        f'<!doctype html><html lang="{escape(locale)}"><body>'
        f"<p>{escape(greeting)}</p>"
        f"<p>{escape(intro)}</p>"
        f'<p style="font-size:1.5em;font-weight:bold;letter-spacing:0.2em">{escape(code)}</p>'
        f"<p>{escape(validity)}</p>"
        f"<p>{escape(ignore)}</p>"
        f"<p>{escape(shop_name)}</p>"
        "</body></html>"
    )
    return Email(subject=subject, text=text, html=html)
