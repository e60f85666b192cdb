"""Access control generated from the route table: routes added later are checked automatically.

A shopper route is one under /orders or /me, or one that depends on CurrentCustomer or
OwnedOrder (directly or through other dependencies). For every such route with a {number}:
a second customer, with a valid session of their own, gets exactly the 404 a missing order
gets, on every method (writes carry a valid CSRF token). Without a session: a redirect to
"find my order" (pages) or 401 (JSON).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from sqlmodel import Session

from tests.access.helpers import csrf_token, login, stable_body
from tests.factories import make_customer, make_order
from ventanilla.access.deps import OwnedOrder, current_customer, owned_order

SHOPPER_DEPENDENCIES = {current_customer, owned_order}
PATH_PARAM = re.compile(r"\{([^}:]+)(?::[^}]*)?\}")


@dataclass(frozen=True)
class RouteInfo:
    path: str
    methods: frozenset[str]
    dependant: Any
    dependencies: tuple[Any, ...]


def flat_routes(routes: list[Any]) -> Iterator[RouteInfo]:
    """Every API route, including those of included routers (FastAPI keeps them nested)."""
    for route in routes:
        if hasattr(route, "effective_route_contexts"):
            for ctx in route.effective_route_contexts():
                if ctx.dependant is not None:
                    yield RouteInfo(
                        ctx.path, frozenset(ctx.methods), ctx.dependant, tuple(ctx.dependencies)
                    )
        elif isinstance(route, APIRoute):
            yield RouteInfo(
                route.path, frozenset(route.methods), route.dependant, tuple(route.dependencies)
            )


def _depends_on_shopper(dependant: Any) -> bool:
    if dependant is None:
        return False
    return any(
        dep.call in SHOPPER_DEPENDENCIES or _depends_on_shopper(dep)
        for dep in dependant.dependencies
    )


def is_shopper_route(info: RouteInfo) -> bool:
    if info.path.startswith(("/orders", "/me/")) or info.path == "/me":  # not /media
        return True
    return _depends_on_shopper(info.dependant) or any(
        d.dependency in SHOPPER_DEPENDENCIES for d in info.dependencies
    )


def plain_routes(routes: list[Any]) -> Iterator[RouteInfo]:
    """Plain Starlette routes (the busiest pages, `portal.pages`): no dependant, judged by path."""
    for route in routes:
        if hasattr(route, "effective_route_contexts"):
            for ctx in route.effective_route_contexts():
                plain = ctx.starlette_route or ctx.original_route
                if ctx.dependant is None and getattr(plain, "methods", None):
                    yield RouteInfo(plain.path, frozenset(plain.methods), None, ())


def shopper_routes(app: FastAPI) -> list[RouteInfo]:
    found = [*flat_routes(app.routes), *plain_routes(app.routes)]
    return [info for info in found if is_shopper_route(info)]


def concrete(path: str, number: str) -> str:
    def fill(match: re.Match[str]) -> str:
        return quote(number, safe="") if match.group(1) == "number" else "1"

    return PATH_PARAM.sub(fill, path)


NEXT_FIELD = re.compile(r'name="next" value="[^"]*"')


def same_page(text: str) -> str:
    """The page without what depends on the URL asked for (the language switch's way back)."""
    return NEXT_FIELD.sub('name="next"', stable_body(text))


def call(client: TestClient, method: str, url: str) -> Any:
    if method in ("GET", "HEAD"):
        return client.request(method, url, follow_redirects=False)
    if url.startswith("/api/"):  # a JSON write, same-origin (the client's default Origin)
        return client.request(method, url, json={}, follow_redirects=False)
    token = csrf_token(client)
    return client.request(
        method,
        url,
        data={"csrf_token": token} if method == "POST" else None,
        headers={"X-CSRF-Token": token},
        follow_redirects=False,
    )


def _probe(order: OwnedOrder) -> dict[str, str]:
    return {"number": order.number}


@pytest.fixture
def app_with_probe(app: FastAPI) -> FastAPI:
    """One route of our own, so the generator is proven to find what it must."""
    app.router.add_api_route("/orders/{number}/access-probe", _probe, methods=["GET", "POST"])
    return app


@pytest.fixture
def two_customers(session: Session) -> tuple[int, int, str]:
    first = make_customer(session, email="first@example.com")
    second = make_customer(session, email="second@example.com")
    order = make_order(session, customer=first, number="ES-A 1")  # a space, to check the quoting
    make_order(session, customer=second)
    session.commit()
    assert first.id is not None and second.id is not None
    return first.id, second.id, order.number


class TestGeneratedAccessControl:
    def test_the_generator_finds_shopper_routes(self, app_with_probe: FastAPI) -> None:
        paths = {info.path for info in shopper_routes(app_with_probe)}
        assert "/orders/{number}/access-probe" in paths
        assert "/orders/{number}" in paths  # the order page
        assert not any(p.startswith("/api/v1/orders") for p in paths)  # the store API is not

    def test_second_customer_gets_the_404_of_a_missing_order_on_every_route(
        self,
        app_with_probe: FastAPI,
        client: TestClient,
        two_customers: tuple[int, int, str],
    ) -> None:
        first_id, second_id, number = two_customers
        routes = [r for r in shopper_routes(app_with_probe) if "{number}" in r.path]
        assert routes
        checked: list[str] = []

        owner = TestClient(app_with_probe, headers={"Origin": "http://testserver"})
        login(owner, first_id)
        assert call(owner, "GET", concrete("/orders/{number}/access-probe", number)).json() == {
            "number": number
        }

        login(client, second_id)
        failures = []
        for info in routes:
            for method in sorted(info.methods - {"HEAD", "OPTIONS"}):
                theirs = call(client, method, concrete(info.path, number))
                missing = call(client, method, concrete(info.path, "ES-NO-SUCH-ORDER"))
                checked.append(f"{method} {info.path}")
                if theirs.status_code != 404 or same_page(theirs.text) != same_page(missing.text):
                    failures.append((method, info.path, theirs.status_code, missing.status_code))
        assert not failures, f"another customer's order must look missing: {failures}"
        assert "POST /orders/{number}/access-probe" in checked

    def test_no_session_is_sent_to_find_my_order_or_gets_401(
        self, app_with_probe: FastAPI, client: TestClient, two_customers: tuple[int, int, str]
    ) -> None:
        _first, _second, number = two_customers
        failures = []
        for info in shopper_routes(app_with_probe):
            for method in sorted(info.methods - {"HEAD", "OPTIONS"}):
                response = call(client, method, concrete(info.path, number))
                if info.path.startswith("/api/"):
                    ok = response.status_code == 401
                else:
                    ok = response.status_code == 303 and response.headers["location"].startswith(
                        "/find"
                    )
                if not ok:
                    failures.append((method, info.path, response.status_code))
        assert not failures
