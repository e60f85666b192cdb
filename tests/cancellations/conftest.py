"""Cancellation fixtures: localstripe (started only by the tests that ask for it) and its app."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from tests.stripe_server import localstripe_fixture, stripe_settings_fixture  # noqa: F401
from ventanilla.config import Settings


@pytest.fixture
def stripe_client(stripe_settings: Settings) -> Iterator[TestClient]:
    """The app on the Stripe settings (create_app installs the settings it is given)."""
    from ventanilla.app import create_app

    with TestClient(create_app(stripe_settings), base_url="http://testserver") as client:
        client.cookies.set("lang", "en")
        yield client


@pytest.fixture
def postgres_only(backend: str) -> None:
    if backend != "postgresql":
        pytest.skip("SQLite serialises writers: only PostgreSQL can race these for real")


AFTER_SALES = ("return", "withdraw")


@pytest.fixture
def without_after_sales() -> Iterator[None]:
    """The registry without withdrawal and return actions (as before the returns domain)."""
    from ventanilla.portal import actions

    saved = [a for a in actions.registered() if a.key.startswith(AFTER_SALES)]
    for action in saved:
        actions.unregister(action.key)
    yield
    for action in saved:
        actions.register(action)


@pytest.fixture
def returns_action() -> Iterator[None]:
    """A returns action in the registry: the returns domain's, or one like it."""
    from ventanilla.core.decisions import Decision
    from ventanilla.portal import actions

    if any(a.key.startswith(AFTER_SALES) for a in actions.registered()):
        yield
        return
    actions.register(
        actions.Action(
            key="return",
            label="Return items",
            decide=lambda ctx: Decision.yes(),
            href=lambda ctx: "/returns",
            position=50,
        )
    )
    yield
    actions.unregister("return")
