"""Helpers for tests that act as a shopper: CSRF tokens, sessions, links."""

from __future__ import annotations

import re
from datetime import timedelta

from fastapi.testclient import TestClient

from ventanilla.access import policy, service, tokens
from ventanilla.config import get_settings
from ventanilla.core import clock
from ventanilla.core.csrf import cookie_name as csrf_cookie_name
from ventanilla.db import session_scope


def csrf_token(client: TestClient) -> str:
    """The client's CSRF token (a GET of any page sets the cookie when it is missing)."""
    name = csrf_cookie_name(get_settings().secure_cookies)
    token = client.cookies.get(name)
    if not token:
        client.get("/find")
        token = client.cookies.get(name)
    assert token, "no CSRF cookie was set"
    return token


def post_form(client: TestClient, url: str, data: dict[str, str] | None = None, **kwargs):  # type: ignore[no-untyped-def]
    """POST a form the way the browser does: with the page's CSRF token."""
    form = {"csrf_token": csrf_token(client), **(data or {})}
    kwargs.setdefault("follow_redirects", False)
    return client.post(url, data=form, **kwargs)


def login(client: TestClient, customer_id: int, *, order_id: int | None = None) -> str:
    """Give the client a valid shopper session for the customer; returns the cookie value."""
    with session_scope() as s:
        token = service.start_session(s, customer_id=customer_id, order_id=order_id)
    client.cookies.set(policy.session_cookie_name(get_settings().secure_cookies), token)
    return token


def link_token(
    order_number: str,
    email: str,
    *,
    ttl: timedelta = timedelta(days=15),
    max_uses: int = 5,
) -> str:
    token, _claims = tokens.issue(
        order_number=order_number,
        email=email,
        now=clock.now(),
        ttl=ttl,
        max_uses=max_uses,
        secret=get_settings().link_secret.get_secret_value().encode(),
    )
    return token


_VOLATILE = re.compile(r'nonce-[^\'"; ]+|nonce="[^"]*"')


def stable_body(text: str) -> str:
    """A page body without what differs on every response (CSP nonces)."""
    return _VOLATILE.sub("nonce", text)
