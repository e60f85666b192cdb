"""Jinja2 templates with blocks as HTMX partials, i18n and locale-aware filters."""

from __future__ import annotations

from datetime import date, datetime
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

import jinja2
import jinja2.nodes
from babel import Locale
from babel.dates import format_date, format_datetime
from jinja2_fragments import render_block
from jinja2_fragments.fastapi import Jinja2Blocks
from markupsafe import Markup
from starlette.requests import Request
from starlette.responses import Response

from ventanilla.config import ROOT, get_settings
from ventanilla.core import clock, i18n
from ventanilla.core.money import format_money

TEMPLATES_DIR = ROOT / "frontend" / "templates"


# Babel parses a locale name on every call given a string (83 parses per order page): parse
# each supported locale once. ZoneInfo caches too, but this skips its lookup.
@lru_cache(maxsize=16)
def _babel_locale(code: str) -> Locale:
    return Locale.parse(code)


@lru_cache(maxsize=8)
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


@jinja2.pass_eval_context
def _gettext(eval_ctx: jinja2.nodes.EvalContext, message: str, **variables: Any) -> str:
    text = i18n.translations(i18n.current_locale.get()).gettext(message)
    if eval_ctx.autoescape:
        text = Markup(text)
    return text % variables


def _money(amount_minor: int, currency: str) -> str:
    return format_money(amount_minor, currency, _babel_locale(i18n.current_locale.get()))


def local_time(value: datetime) -> datetime:
    """`value` in the shop's time zone: the one rule, `clock.shop_local` (UTC where that time
    does not exist: `clock.in_zone`)."""
    return clock.shop_local(value)


def _datetime(value: datetime | None, fmt: str = "medium") -> str:
    if value is None:
        return ""
    locale = _babel_locale(i18n.current_locale.get())
    return str(format_datetime(local_time(value), fmt, locale=locale))


def _date(value: date | datetime | None, fmt: str = "long") -> str:
    if value is None:
        return ""
    day = clock.shop_date(value)
    return str(format_date(day, fmt, locale=_babel_locale(i18n.current_locale.get())))


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
        # Re-reading templates that changed on disk costs a stat per template per render: only
        # where people edit them (the demo); tests and production load each template once.
        auto_reload=get_settings().env == "demo",
    )
    t = Jinja2Blocks(env=env)
    env.install_gettext_callables(  # type: ignore[attr-defined]
        gettext=i18n.gettext, ngettext=i18n.ngettext, newstyle=True
    )
    # `_()` straight to the catalog: Jinja's alias and its new-style wrapper went through
    # `Context.call` twice per string (75 strings on the order page). Same result: the
    # translation, marked safe under autoescape, always formatted with its variables.
    env.globals["_"] = env.globals["gettext"] = _gettext
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
    i18n.activate(request)
    ctx = page_context(
        request,
        csp_nonce=getattr(request.state, "csp_nonce", ""),
        csrf_token=getattr(request.state, "csrf_token", ""),
        context=context,
    )
    kwargs: dict[str, Any] = {"status_code": status_code, "headers": headers}
    if block:
        kwargs["block_name"] = block
    return templates().TemplateResponse(request, name, ctx, **kwargs)


def page_context(
    request: Any, *, csp_nonce: str, csrf_token: str, context: dict[str, Any] | None
) -> dict[str, Any]:
    """What every page template sees besides its own context (the active language's)."""
    return {
        "request": request,
        "locale": i18n.current_locale.get(),
        "csp_nonce": csp_nonce,
        "shop_name": get_settings().shop_name,
        "csrf_token": csrf_token,
        **(context or {}),
    }


def render_string(name: str, context: dict[str, Any], *, block: str | None = None) -> str:
    """A page (or one of its blocks) as text, with a context made by `page_context`."""
    if block:
        return str(render_block(templates().env, name, block, context))
    return templates().get_template(name).render(context)


def templates_reload() -> bool:
    """Whether templates are re-read when they change on disk (then nothing rendered is kept)."""
    return bool(templates().env.auto_reload)
