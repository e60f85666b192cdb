"""The "your delivery address changed" email, in the customer's language."""

from __future__ import annotations

from html import escape

from babel import Locale

from ventanilla.core import i18n
from ventanilla.core.emails import Email
from ventanilla.core.i18n import gettext as _
from ventanilla.orders.addresses import Address


def address_lines(address: Address, locale: str) -> list[str]:
    """The address as it goes on a parcel, with the country named in `locale`."""
    country = str(Locale.parse(locale).territories.get(address.country, address.country))
    town = f"{address.postcode} {address.city}"
    if address.region and address.region != address.city:
        town += f" ({address.region})"
    lines = [address.name, address.line1, address.line2 or "", town, country]
    return [line for line in lines if line]


def address_changed_email(
    *,
    locale: str,
    shop_name: str,
    shop_email: str,
    customer_name: str,
    order_number: str,
    address: Address,
    by_agent: bool,
) -> Email:
    """Subject, text and HTML of the confirmation of a new delivery address."""
    with i18n.using_locale(locale):
        subject = " ".join(
            _("New delivery address for order %(number)s", number=order_number).split()
        )
        greeting = _("Hello %(name)s,", name=customer_name)
        intro = _("Order %(number)s will be delivered to:", number=order_number)
        who = _("Our customer service team made this change for you.") if by_agent else ""
        phone = _("Phone: %(phone)s", phone=address.phone) if address.phone else ""
        warning = _(
            "If you did not make this change, write to us at %(email)s straight away.",
            email=shop_email,
        )
    lines = address_lines(address, locale) + ([phone] if phone else [])
    block = "\n".join("    " + line for line in lines)
    extra = f"{who}\n\n" if who else ""
    text = f"{greeting}\n\n{intro}\n\n{block}\n\n{extra}{warning}\n\n{shop_name}\n"
    html = (
        f'<!doctype html><html lang="{escape(locale)}"><body>'
        f"<p>{escape(greeting)}</p>"
        f"<p>{escape(intro)}</p>"
        f"<p>{'<br>'.join(escape(line) for line in lines)}</p>"
        + (f"<p>{escape(who)}</p>" if who else "")
        + f"<p>{escape(warning)}</p>"
        f"<p>{escape(shop_name)}</p>"
        "</body></html>"
    )
    return Email(subject=subject, text=text, html=html)
