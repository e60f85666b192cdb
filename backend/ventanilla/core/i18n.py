"""Message catalogs (Babel .po files under frontend/locales) and locale choice."""

from __future__ import annotations

import contextvars
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache
from io import BytesIO
from typing import Any

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations

from ventanilla.config import ROOT

LOCALES_DIR = ROOT / "frontend" / "locales"
SUPPORTED = ("es", "en")
DEFAULT = "es"

current_locale: contextvars.ContextVar[str] = contextvars.ContextVar("locale", default=DEFAULT)


@lru_cache(maxsize=8)
def translations(locale: str) -> NullTranslations:
    """Compile the .po in memory: no build step, and a catalog can never be stale."""
    po = LOCALES_DIR / locale / "LC_MESSAGES" / "messages.po"
    if not po.exists():
        return NullTranslations()
    with po.open("rb") as fh:
        catalog = read_po(fh, locale=locale)
    buf = BytesIO()
    write_mo(buf, catalog)
    buf.seek(0)
    return Translations(fp=buf)


def normalize(locale: str | None) -> str | None:
    if not locale:
        return None
    lang = locale.replace("_", "-").split("-")[0].strip().lower()
    return lang if lang in SUPPORTED else None


def negotiate(accept_language: str | None) -> str | None:
    """Best supported language from an Accept-Language header, honouring q-values."""
    if not accept_language:
        return None
    if len(accept_language) > 200:  # not what browsers send: parsed, never kept
        return _negotiate.__wrapped__(accept_language)
    return _negotiate(accept_language)


@lru_cache(maxsize=512)  # browsers send a handful of distinct headers; parsing one costs ~20 µs
def _negotiate(accept_language: str) -> str | None:
    choices: list[tuple[float, int, str]] = []
    for index, part in enumerate(accept_language.split(",")):
        pieces = part.strip().split(";")
        tag = pieces[0].strip()
        q = 1.0
        for param in pieces[1:]:
            if param.strip().startswith("q="):
                try:
                    q = float(param.strip()[2:])
                except ValueError:
                    q = 0.0
        lang = normalize(tag)
        if lang and q > 0:
            choices.append((-q, index, lang))
    return sorted(choices)[0][2] if choices else None


def choose(*candidates: str | None, default: str = DEFAULT) -> str:
    for candidate in candidates:
        lang = normalize(candidate)
        if lang:
            return lang
    return normalize(default) or DEFAULT


def gettext(message: str, **params: Any) -> str:
    text = translations(current_locale.get()).gettext(message)
    return text % params if params else text


def ngettext(singular: str, plural: str, n: int, **params: Any) -> str:
    text = translations(current_locale.get()).ngettext(singular, plural, n)
    params.setdefault("num", n)
    return text % params


_ = gettext


@contextmanager
def using_locale(locale: str) -> Iterator[None]:
    """Render in `locale` for a while (emails go out in the customer's language)."""
    token = current_locale.set(choose(locale))
    try:
        yield
    finally:
        current_locale.reset(token)


def N_(message: str) -> str:  # noqa: N802 - the Babel marker for "translate later"
    return message


LANG_COOKIE = "lang"


def decide(
    *, switch: str | None, customer: str | None, browser: str | None, shop_default: str
) -> str:
    """The one language rule: the explicit switch, then the customer's own language, then the
    browser's (Accept-Language, already negotiated), then the shop's default."""
    return choose(switch, customer, browser, default=shop_default)


@dataclass(frozen=True)
class Preferences:
    """What a request says about language before the customer is known ("find my order"):
    decide with the customer once the service has found them."""

    switch: str | None = None
    browser: str | None = None

    def for_customer(self, customer_locale: str | None, order_locale: str | None = None) -> str:
        from ventanilla.config import get_settings

        return decide(
            switch=self.switch,
            customer=customer_locale or order_locale,
            browser=self.browser,
            shop_default=get_settings().default_locale,
        )


def preferences(request: Any) -> Preferences:
    """The request's switch and browser language (the pages' switch only: see `activate`)."""
    api = request.url.path.startswith("/api/")
    return Preferences(
        switch=None if api else request.cookies.get(LANG_COOKIE),
        browser=negotiate(request.headers.get("accept-language")),
    )


def activate(request: Any) -> str:
    """Decide the request's language (`decide`) and install it; returns it.

    The switch is the `lang` cookie the pages' language switch sets; the JSON API has no switch
    (a program says its language with Accept-Language), so there the customer's language comes
    first. The customer's language is `request.state.customer_locale`, which the shopper
    dependencies (`access.deps.CurrentCustomer`) set before any route code runs.
    """
    from ventanilla.config import get_settings

    state = request.state
    said = preferences(request)
    locale = decide(
        switch=said.switch,
        customer=getattr(state, "customer_locale", None),
        browser=said.browser,
        shop_default=get_settings().default_locale,
    )
    current_locale.set(locale)
    state.locale = locale
    return locale


def stored_language(customer_locale: str | None, order_locale: str | None = None) -> str:
    """The language of an email the shop's events cause: the customer's (or the order's), else
    the shop's default. Emails a shopper's own action causes use that request's language."""
    from ventanilla.config import get_settings

    return choose(customer_locale, order_locale, default=get_settings().default_locale)


def translate_error(error: Any) -> str:
    """An AppError's message in the active language (its msgid and parameters)."""
    return gettext(error.msgid, **error.msg_params)
