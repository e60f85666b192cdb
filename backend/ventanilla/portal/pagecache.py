"""Rendered portal pages kept for reuse, in bounded memory, per process.

A page is read far more often than its order changes. Each worker keeps what it built (the page's
data and its rendered HTML per language) under a key made of the revision the page's one hot
statement reads (`portal.repository`): the order's version and the markers of everything the
page shows. A change anywhere gives a new key, so nothing is invalidated and workers share
nothing; old keys age out of the LRU.

What differs per request is never kept: the CSRF token, the CSP nonce and the language switch's
"come back here" address are rendered as random markers and filled in for each response (escaped
exactly as the template would). Time-dependent parts (what the shopper can do now) are decided
per request and are part of the rendered variant's key.
"""

from __future__ import annotations

import asyncio
import hashlib
import secrets
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from jinja2.filters import do_urlencode
from markupsafe import escape
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request

from ventanilla.config import Settings, get_settings
from ventanilla.core import templating

# Bounded: ~15-40 kB per page and language, so 2,000 entries stay under ~100 MB per worker.
MAX_ENTRIES = 2000
MAX_VARIANTS = 16  # languages x notices x action outcomes of one page

_MARK = secrets.token_hex(12)  # per process: page data can never spell it
CSRF_MARK = f"vtcsrf{_MARK}"
NONCE_MARK = f"vtnonce{_MARK}"
HERE_MARK = f"vthere{_MARK}"


class _MarkedURL:
    path = HERE_MARK  # letters and digits: urlencode and escaping leave it as it is
    query = ""


class _MarkedRequest:
    """What templates read of the request, with the per-request part left as a marker."""

    url = _MarkedURL()
    method = "GET"


@dataclass
class Entry:
    """One page's data and its rendered variants (language, notice, actions, block)."""

    data: Any
    rendered: dict[tuple[Any, ...], str] = field(default_factory=dict)


class LRU:
    """A least-recently-used map of at most `maxsize` entries (used from the event loop only)."""

    def __init__(self, maxsize: int) -> None:
        self.maxsize = maxsize
        self._items: OrderedDict[Any, Entry] = OrderedDict()
        self._building: dict[Any, asyncio.Future[Entry]] = {}

    def get(self, key: Any) -> Entry | None:
        entry = self._items.get(key)
        if entry is not None:
            self._items.move_to_end(key)
        return entry

    def put(self, key: Any, entry: Entry) -> Entry:
        self._items[key] = entry
        self._items.move_to_end(key)
        while len(self._items) > self.maxsize:
            self._items.popitem(last=False)
        return entry

    def __len__(self) -> int:
        return len(self._items)

    async def get_or_build(self, key: Any, build: Callable[..., Any], *args: Any) -> Entry:
        """The entry for `key`, building its data with `build(*args)` in a worker thread when
        missing; concurrent requests for the same page wait for one build (no stampede)."""
        entry = self.get(key)
        if entry is not None:
            return entry
        loop = asyncio.get_running_loop()
        building = self._building.get(key)
        if building is not None and building.get_loop() is loop:
            return await asyncio.shield(building)
        future: asyncio.Future[Entry] = loop.create_future()
        self._building[key] = future
        try:
            entry = self.put(key, Entry(await run_in_threadpool(build, *args)))
        except BaseException as error:
            future.set_exception(error)
            future.exception()  # retrieved: nobody else may be waiting
            raise
        finally:
            if self._building.get(key) is future:
                del self._building[key]
        future.set_result(entry)
        return entry


def cache_of(request: Request) -> LRU:
    """The application's page cache (one per app and process)."""
    state = request.app.state
    cache: LRU | None = getattr(state, "portal_page_cache", None)
    if cache is None:
        cache = LRU(MAX_ENTRIES)
        state.portal_page_cache = cache
    return cache


_settings_digest: tuple[Settings, str] | None = None


def settings_key() -> str:
    """A digest of the shop's settings: pages rendered under other settings are other pages."""
    global _settings_digest
    settings = get_settings()
    if _settings_digest is None or _settings_digest[0] is not settings:
        digest = hashlib.sha256(settings.model_dump_json().encode()).hexdigest()[:16]
        _settings_digest = (settings, digest)
    return _settings_digest[1]


def render_marked(name: str, context: dict[str, Any], *, block: str | None = None) -> str:
    """Render with markers in place of the per-request parts (see `fill`)."""
    ctx = templating.page_context(
        _MarkedRequest(), csp_nonce=NONCE_MARK, csrf_token=CSRF_MARK, context=context
    )
    return templating.render_string(name, ctx, block=block)


def fill(html: str, request: Request) -> str:
    """The page for this request: its CSRF token, nonce and address in place of the markers."""
    url = request.url
    here = str(do_urlencode(url.path))
    if request.method == "GET" and url.query:
        here += "?" + url.query
    state = request.state
    return (
        html.replace(CSRF_MARK, str(escape(getattr(state, "csrf_token", ""))))
        .replace(NONCE_MARK, str(escape(getattr(state, "csp_nonce", ""))))
        .replace(HERE_MARK, str(escape(here)))
    )


def variant(entry: Entry, key: tuple[Any, ...], render: Any) -> str:
    """The entry's rendered variant for `key`, rendering it (`render()`) the first time."""
    html = entry.rendered.get(key)
    if html is None:
        html = render()
        if templating.templates_reload():
            return str(html)  # templates may change on disk: keep nothing rendered
        if len(entry.rendered) >= MAX_VARIANTS:
            entry.rendered.clear()
        entry.rendered[key] = html
    return str(html)
