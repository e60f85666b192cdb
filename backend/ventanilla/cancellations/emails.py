"""The "your order is cancelled" email, in the customer's language (plain text and simple HTML)."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from ventanilla.core import i18n
from ventanilla.core.emails import Email
from ventanilla.core.i18n import gettext as _
from ventanilla.core.money import format_money


def cancelled_email(
    *,
    locale: str,
    shop_name: str,
    shop_email: str,
    customer_name: str,
    order_number: str,
    currency: str,
    lines: Sequence[tuple[str, int]],  # (name, quantity) of what was ordered
    total_minor: int,
    settlement: str,
    refund_minor: int,
    shop_settles_minor: int,
    by_agent: bool,
    order_url: str,
) -> Email:
    """Subject, text and HTML of the confirmation that order `order_number` is cancelled."""
    with i18n.using_locale(locale):
        subject = _("Order %(number)s is cancelled", number=order_number)
        greeting = _("Hello %(name)s,", name=customer_name)
        intro = _("As you asked, we have cancelled order %(number)s:", number=order_number)
        money_note = money_text(
            settlement,
            total=format_money(total_minor, currency, locale),
            refund=format_money(refund_minor, currency, locale),
            shop_settles=format_money(shop_settles_minor, currency, locale),
            partial_to_shop=bool(shop_settles_minor) and settlement == "refund",
        )
        who = _("Our customer service team cancelled it for you.") if by_agent else ""
        button = _("Open my order")
        warning = _(
            "If you did not cancel this order, write to us at %(email)s straight away.",
            email=shop_email,
        )
    items = [f"{quantity} × {name}" for name, quantity in lines]
    block = "\n".join("    " + item for item in items)
    paragraphs = [p for p in (money_note, who) if p]
    text = (
        f"{greeting}\n\n{intro}\n\n{block}\n\n"
        + "\n\n".join(paragraphs)
        + f"\n\n{order_url}\n\n{warning}\n\n{shop_name}\n"
    )
    html = (
        f'<!doctype html><html lang="{escape(locale)}"><body>'
        f"<p>{escape(greeting)}</p><p>{escape(intro)}</p><ul>"
        + "".join(f"<li>{escape(item)}</li>" for item in items)
        + "</ul>"
        + "".join(f"<p>{escape(p)}</p>" for p in paragraphs)
        + f'<p><a href="{escape(order_url)}">{escape(button)}</a></p>'
        f"<p>{escape(warning)}</p><p>{escape(shop_name)}</p></body></html>"
    )
    return Email(subject=subject, text=text, html=html)


def money_text(
    settlement: str, *, total: str, refund: str, shop_settles: str, partial_to_shop: bool
) -> str:
    """What happens with the money, in the active language (amounts already formatted)."""
    if settlement == "released":
        return _(
            "Your card was not charged: the hold of %(amount)s on it has been released. Your "
            "bank may take a few days to show it.",
            amount=total,
        )
    if settlement == "refund":
        note = _(
            "We are refunding %(amount)s to the card you paid with. It can take a few days to "
            "show on your statement.",
            amount=refund,
        )
        if partial_to_shop:
            note += " " + _(
                "Card payments cannot carry the last %(amount)s in this currency: the shop will "
                "settle it with you.",
                amount=shop_settles,
            )
        return note
    if settlement == "shop_to_settle":
        return _("The shop will contact you to refund %(amount)s.", amount=total)
    return _("Nothing was charged for this order, so there is nothing to refund.")
