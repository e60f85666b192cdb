"""Emails of returns and withdrawals, in the shopper's language (plain text and simple HTML)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from html import escape
from zoneinfo import ZoneInfo

from ventanilla.config import get_settings
from ventanilla.core import i18n
from ventanilla.core.emails import Email
from ventanilla.core.i18n import gettext as _
from ventanilla.core.money import format_money


def _local(at: datetime) -> str:
    tz = get_settings().timezone
    return at.astimezone(ZoneInfo(tz)).strftime("%d/%m/%Y %H:%M:%S") + f" ({tz})"


def _email(
    locale: str, subject: str, paragraphs: Sequence[str], items: Sequence[str], url: str
) -> Email:
    shop = get_settings().shop_name
    block = "\n".join("    " + item for item in items)
    text = "\n\n".join([*paragraphs[:2], block, *paragraphs[2:], url, shop]) + "\n"
    html = (
        f'<!doctype html><html lang="{escape(locale)}"><body>'
        + "".join(f"<p>{escape(p)}</p>" for p in paragraphs[:2])
        + "<ul>"
        + "".join(f"<li>{escape(item)}</li>" for item in items)
        + "</ul>"
        + "".join(f"<p>{escape(p)}</p>" for p in paragraphs[2:])
        + f'<p><a href="{escape(url)}">{escape(url)}</a></p>'
        + f"<p>{escape(shop)}</p></body></html>"
    )
    return Email(subject=" ".join(subject.split()), text=text, html=html)


def withdrawal_acknowledgement(
    locale: str,
    *,
    name: str,
    order_number: str,
    rma: str,
    received_at: datetime,
    items: Sequence[tuple[str, int]],
    refund_minor: int,
    currency: str,
    url: str,
) -> Email:
    """The acknowledgement on a durable medium the law asks for (Directive 2011/83/EU art. 11a
    as amended by Directive 2023/2673): the content of the withdrawal, its date and time."""
    with i18n.using_locale(locale):
        subject = _("We have received your withdrawal from order %(number)s", number=order_number)
        paragraphs = [
            _("Hello %(name)s,", name=name),
            _(
                "We received your withdrawal from the contract for order %(number)s on "
                "%(when)s (reference %(rma)s). You withdrew from:",
                number=order_number,
                when=_local(received_at),
                rma=rma,
            ),
            _(
                "We will refund %(amount)s to your original payment method within 14 days; we "
                "may wait until we have the goods back or proof that you sent them.",
                amount=format_money(refund_minor, currency, locale),
            ),
            _("Please send the goods back within 14 days. The return instructions are here:"),
        ]
    return _email(locale, subject, paragraphs, [f"{q} × {n}" for n, q in items], url)


def return_requested(
    locale: str,
    *,
    name: str,
    order_number: str,
    rma: str,
    send_by: datetime,
    items: Sequence[tuple[str, int]],
    refund_minor: int,
    currency: str,
    address: str,
    url: str,
) -> Email:
    """The RMA and the instructions of a commercial return."""
    with i18n.using_locale(locale):
        subject = _("Your return %(rma)s for order %(number)s", rma=rma, number=order_number)
        paragraphs = [
            _("Hello %(name)s,", name=name),
            _("Your return %(rma)s is registered for:", rma=rma),
            _(
                "Pack the items with the return number %(rma)s inside and send them by %(date)s "
                "to: %(address)s",
                rma=rma,
                date=_local(send_by),
                address=address or _("the address on the shop's website"),
            ),
            _(
                "When the goods arrive we will refund %(amount)s to your original payment method.",
                amount=format_money(refund_minor, currency, locale),
            ),
        ]
    return _email(locale, subject, paragraphs, [f"{q} × {n}" for n, q in items], url)


def return_update(
    locale: str,
    *,
    name: str,
    rma: str,
    status: str,
    amount_minor: int,
    currency: str,
    reason: str | None,
    url: str,
) -> Email:
    """Received (with the refund under way), refunded, or declined (with the shop's reason)."""
    with i18n.using_locale(locale):
        amount = format_money(amount_minor, currency, locale)
        if status == "declined":
            subject = _("Your return %(rma)s was declined", rma=rma)
            body = _("The shop declined return %(rma)s: %(reason)s", rma=rma, reason=reason or "")
        elif status == "refunded":
            subject = _("Your return %(rma)s has been refunded", rma=rma)
            body = _(
                "We refunded %(amount)s to your original payment method. It can take a few days "
                "to show on your statement.",
                amount=amount,
            )
        else:
            subject = _("We have received your return %(rma)s", rma=rma)
            body = _("The goods arrived; we are refunding %(amount)s.", amount=amount)
        paragraphs = [_("Hello %(name)s,", name=name), body]
    return _email(locale, subject, paragraphs, [], url)


def refund_deadline_alarm(locale: str, *, rma: str, order_number: str, due: datetime) -> Email:
    """To the shop: a withdrawal's 14-day refund deadline (TRLGDCU art. 107.1) is near."""
    with i18n.using_locale(locale):
        subject = _("Withdrawal %(rma)s: refund due by %(date)s", rma=rma, date=_local(due))
        paragraphs = [
            _(
                "The customer withdrew from order %(number)s. The law requires the refund by "
                "%(date)s: mark the return received (POST /api/v1/returns/%(rma)s/received) as "
                "soon as you have the goods or proof that they were sent.",
                number=order_number,
                date=_local(due),
                rma=rma,
            ),
        ]
    return _email(locale, subject, paragraphs, [], get_settings().base_url)
