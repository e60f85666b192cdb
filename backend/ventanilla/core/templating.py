"""Jinja2 templates with blocks as HTMX partials, i18n and locale-aware filters."""

from __future__ import annotations

from datetime import date, datetime
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

import jinja2
from babel.dates import format_date, format_datetime
from jinja2_fragments.fastapi import Jinja2Blocks
from starlette.requests import Request
from starlette.responses import Response

from ventanilla.config import ROOT, get_settings
from ventanilla.core import i18n
from ventanilla.core.clock import in_zone
from ventanilla.core.money import format_money

TEMPLATES_DIR = ROOT / "frontend" / "templates"


def _money(amount_minor: int, currency: str) -> str:
    return format_money(amount_minor, currency, i18n.current_locale.get())


def local_time(value: datetime) -> datetime:
    """`value` in the shop's time zone (UTC where that time does not exist: `clock.in_zone`)."""
    return in_zone(value, ZoneInfo(get_settings().timezone))


def _datetime(value: datetime | None, fmt: str = "medium") -> str:
    if value is None:
        return ""
    return str(format_datetime(local_time(value), fmt, locale=i18n.current_locale.get()))


def _date(value: date | datetime | None, fmt: str = "long") -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = local_time(value).date()
    return str(format_date(value, fmt, locale=i18n.current_locale.get()))


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
