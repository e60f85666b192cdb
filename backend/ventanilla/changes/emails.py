"""The "your order was amended" email, in the customer's language (plain text and simple HTML)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from html import escape

from ventanilla.core import i18n
from ventanilla.core.emails import Email
from ventanilla.core.i18n import gettext as _
from ventanilla.core.money import format_money


def amended_email(
    *,
    locale: str,
    shop_name: str,
    shop_email: str,
    customer_name: str,
    order_number: str,
    currency: str,
    lines: Sequence[tuple[str, int, int]],  # (name, quantity, line total) after the change
    new_total_minor: int,
    difference_minor: int,
    settlement: str,
    by_agent: bool,
    order_url: str,
    shop_settles_minor: int = 0,
) -> Email:
    """Subject, text and HTML of the confirmation of new items in an order."""

    def money(amount: int) -> str:
        return format_money(amount, currency, locale)

    with i18n.using_locale(locale):
        subject = " ".join(_("Order %(number)s has been updated", number=order_number).split())
        greeting = _("Hello %(name)s,", name=customer_name)
        intro = _("We have updated the items in order %(number)s:", number=order_number)
        total = _("New total: %(total)s", total=money(new_total_minor))
        money_note = _money_note(
            settlement,
            difference_minor=difference_minor,
            new_total_minor=new_total_minor,
            shop_settles_minor=shop_settles_minor,
            money=money,
        )
        who = _("Our customer service team made this change for you.") if by_agent else ""
        button = _("Open my order")
        warning = _(
            "If you did not make this change, write to us at %(email)s straight away.",
            email=shop_email,
        )
    items = [f"{quantity} × {name} — {money(line_total)}" for name, quantity, line_total in lines]
    block = "\n".join("    " + item for item in items)
    paragraphs = [p for p in (total, money_note, who) if p]
    text = (
        f"{greeting}\n\n{intro}\n\n{block}\n\n"
        + "\n\n".join(paragraphs)
        + f"\n\n{order_url}\n\n{warning}\n\n{shop_name}\n"
    )
    html = (
        f'<!doctype html><html lang="{escape(locale)}"><body>'
        f"<p>{escape(greeting)}</p>"
        f"<p>{escape(intro)}</p>"
        "<ul>"
        + "".join(f"<li>{escape(item)}</li>" for item in items)
        + "</ul>"
        + "".join(f"<p>{escape(p)}</p>" for p in paragraphs)
        + f'<p><a href="{escape(order_url)}">{escape(button)}</a></p>'
        f"<p>{escape(warning)}</p>"
        f"<p>{escape(shop_name)}</p>"
        "</body></html>"
    )
    return Email(subject=subject, text=text, html=html)


def _money_note(
    settlement: str,
    *,
    difference_minor: int,
    new_total_minor: int,
    shop_settles_minor: int,
    money: Callable[[int], str],
) -> str:
    """What happens with the difference, in the active language (never a refund of money
    that was not taken: `lower_charge`)."""
    amount = money(abs(difference_minor))
    if settlement == "lower_charge":
        money_note = _(
            "Nothing has been charged yet, so there is nothing to refund: we will charge "
            "%(total)s instead.",
            total=money(new_total_minor),
        )
    elif settlement == "refund":
        money_note = _(
            "We are refunding %(amount)s to the card you paid with. It can take a few days "
            "to show on your statement.",
            amount=amount,
        )
    elif settlement == "payment":
        money_note = _("We received your payment of %(amount)s.", amount=amount)
    elif settlement == "waived":
        money_note = _(
            "The difference of %(amount)s is on us: there is nothing to pay or refund.",
            amount=amount,
        )
    elif settlement == "shop_to_settle":
        money_note = (
            _(
                "The shop will contact you to refund %(amount)s.",
                amount=amount,
            )
            if difference_minor < 0
            else _(
                "The shop will contact you to collect %(amount)s.",
                amount=amount,
            )
        )
    else:
        money_note = _("The total has not changed.")
    if shop_settles_minor and settlement in ("refund", "payment"):
        money_note += " " + _(
            "Card payments cannot carry the last %(amount)s in this currency: the shop will "
            "settle it with you.",
            amount=money(shop_settles_minor),
        )
    return money_note
