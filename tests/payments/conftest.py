"""Payments fixtures: localstripe, and charge handlers recorded (and restored afterwards)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from tests.payments.helpers import HandlerCalls
from tests.stripe_server import localstripe_fixture, stripe_settings_fixture  # noqa: F401
from ventanilla.config import Settings
from ventanilla.payments import service


@pytest.fixture
def handler_calls() -> Iterator[HandlerCalls]:
    """Register recording on_charge_* handlers; the ones registered before come back after."""
    from ventanilla.app import api_router

    api_router()  # imports every domain first, so a handler registered at import can't win
    previous = dict(service._handlers)
    calls = HandlerCalls()
    service.on_charge_succeeded(calls.succeeded)
    service.on_charge_failed(calls.failed)
    yield calls
    service._handlers.clear()
    service._handlers.update(previous)


@pytest.fixture
def stripe_client(stripe_settings: Settings) -> Iterator[TestClient]:
    """The app on the Stripe settings (create_app installs the settings it is given)."""
    from ventanilla.app import create_app

    with TestClient(
        create_app(stripe_settings),
        base_url="http://testserver",
        headers={"Origin": "http://testserver"},  # same-origin JSON writes (core/csrf.py)
    ) as client:
        yield client
