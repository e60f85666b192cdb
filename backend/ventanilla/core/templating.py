"""Jinja2 templates with blocks as HTMX partials, i18n and locale-aware filters."""

from __future__ import annotations

from datetime import date, datetime
from functools import lru_cache
from typing import Any

import jinja2
from babel.dates import format_date, format_datetime
from jinja2_fragments.fastapi import Jinja2Blocks
from starlette.requests import Request
from starlette.responses import Response

from ventanilla.config import ROOT, get_settings
from ventanilla.core import clock, i18n
from ventanilla.core.money import format_money

TEMPLATES_DIR = ROOT / "frontend" / "templates"


def _money(amount_minor: int, currency: str) -> str:
    return format_money(amount_minor, currency, i18n.current_locale.get())


def _datetime(value: datetime | None, fmt: str = "medium") -> str:
    if value is None:
        return ""
    local = clock.shop_local(value)
    return str(format_datetime(local, fmt, tzinfo=local.tzinfo, locale=i18n.current_locale.get()))


def _date(value: date | datetime | None, fmt: str = "long") -> str:
    if value is None:
        return ""
    return str(format_date(clock.shop_date(value), fmt, locale=i18n.current_locale.get()))


def _iso_datetime(value: datetime | None) -> str:
    """For `<time datetime>`: the shop's wall-clock time with its offset (same day as shown)."""
    return "" if value is None else clock.shop_local(value).isoformat(timespec="minutes")


def _iso_date(value: date | datetime | None) -> str:
    """For `<time datetime>` of a date: the shop's calendar day, as the text shows it."""
    return "" if value is None else clock.shop_date(value).isoformat()


@lru_cache
def templates() -> Jinja2Blocks:
    # Starlette 1.x takes no environment options, so build the environment here.
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATES_DIR)),
        autoescape=jinja2.select_autoescape(),
        extensions=["jinja2.ext.i18n"],
    )
    t = Jinja2Blocks(env=env)
    env.install_gettext_callables(  # type: ignore[attr-defined]
        gettext=i18n.gettext, ngettext=i18n.ngettext, newstyle=True
    )
    env.filters["money"] = _money
    env.filters["datetime"] = _datetime
    env.filters["date"] = _date
    env.filters["iso_datetime"] = _iso_datetime
    env.filters["iso_date"] = _iso_date
    env.globals["supported_locales"] = i18n.SUPPORTED
    return t


def render(
    request: Request,
    name: str,
    context: dict[str, Any] | None = None,
    *,
    status_code: int = 200,
    block: str | None = None,
    headers: dict[str, str] | None = None,
) -> Response:
    """Render a page, or only one of its blocks (an HTMX partial)."""
    settings = get_settings()
    i18n.activate(request)
    ctx = {
        "request": request,
        "locale": i18n.current_locale.get(),
        "csp_nonce": getattr(request.state, "csp_nonce", ""),
        "shop_name": settings.shop_name,
        "csrf_token": getattr(request.state, "csrf_token", ""),
        **(context or {}),
    }
    kwargs: dict[str, Any] = {"status_code": status_code, "headers": headers}
    if block:
        kwargs["block_name"] = block
    return templates().TemplateResponse(request, name, ctx, **kwargs)
