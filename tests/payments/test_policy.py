"""Pure money decisions: what was captured, what is left, which refund an attempt made."""

from __future__ import annotations

import re

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse
from starlette.routing import Route
from starlette.testclient import TestClient

from ventanilla.config import Settings
from ventanilla.core.middleware import (
    SecurityHeadersMiddleware,
    allow_payment_scripts,
    csp,
    payment_origins,
)
from ventanilla.payments import policy


class TestCaptured:
    def test_stripe_reports_amount_received(self) -> None:
        assert policy.captured_minor({"amount": 5000, "amount_received": 4000}) == 4000

    def test_localstripe_has_only_the_expanded_charge(self) -> None:
        charge = {"status": "succeeded", "captured": True, "amount": 5000}
        assert policy.captured_minor({"amount": 5000, "latest_charge": charge}) == 5000

    def test_an_uncaptured_or_failed_charge_took_nothing(self) -> None:
        held = {"status": "succeeded", "captured": False, "amount": 5000}
        failed = {"status": "failed", "captured": True, "amount": 5000}
        assert policy.captured_minor({"latest_charge": held}) == 0
        assert policy.captured_minor({"latest_charge": failed}) == 0
        assert policy.captured_minor({"latest_charge": "ch_123"}) == 0


class TestRefunds:
    refunds = [
        {"id": "re_1", "amount": 1000, "status": "succeeded", "metadata": {"ledger_id": "7"}},
        {"id": "re_2", "amount": 500, "status": "failed", "metadata": {"ledger_id": "8"}},
        {"id": "re_3", "amount": 300, "status": "pending", "metadata": {}},
    ]

    def test_failed_refunds_gave_nothing_back(self) -> None:
        assert policy.refunded_minor(self.refunds) == 1300

    def test_an_earlier_attempt_is_found_by_ledger_id(self) -> None:
        assert policy.refund_for_entry(self.refunds, 7) == self.refunds[0]
        assert policy.refund_for_entry(self.refunds, 8) is None  # failed: try again
        assert policy.refund_for_entry(self.refunds, 9) is None

    def test_never_more_than_is_left(self) -> None:
        assert policy.refund_fits(amount_minor=3700, captured=5000, already_refunded=1300)
        assert not policy.refund_fits(amount_minor=3701, captured=5000, already_refunded=1300)
        assert not policy.refund_fits(amount_minor=0, captured=5000, already_refunded=0)


class TestKeys:
    def test_keys_name_what_they_pay_back(self) -> None:
        assert policy.refund_key_for_change(12) == "refund:change:12"
        assert policy.charge_key_for_change(12) == "charge:change:12"
        assert policy.refunded_charge_id(policy.refund_key_for_charge(5)) == 5
        assert policy.refunded_charge_id("refund:change:5") is None
        assert policy.refunded_charge_id("refund:charge:x") is None


class TestContentSecurityPolicy:
    def test_pages_stay_strict_without_payment_origins(self) -> None:
        header = csp("n0nce")
        assert "frame-src" not in header
        assert "connect-src 'self';" in header
        assert "script-src 'self' 'nonce-n0nce';" in header

    def test_real_stripe_js_needs_its_api_and_frames(self) -> None:
        origins = payment_origins("https://js.stripe.com/v3/")
        assert origins == (
            "https://js.stripe.com",
            "https://api.stripe.com",
            "https://hooks.stripe.com",
        )
        header = csp("n", script=origins, frame=origins, connect=origins)
        assert "script-src 'self' 'nonce-n' https://js.stripe.com" in header
        assert "frame-src https://js.stripe.com" in header

    def test_localstripe_stand_in_calls_back_to_its_own_origin(self) -> None:
        assert payment_origins("http://127.0.0.1:8420/js.stripe.com/v3/") == (
            "http://127.0.0.1:8420",
        )
        assert payment_origins("not a url") == ()


class TestPaymentPageHeaders:
    def _client(self, *, allow: bool) -> TestClient:
        async def page(request: Request) -> HTMLResponse:
            if allow:
                allow_payment_scripts(request)
            return HTMLResponse("<p>pay</p>")

        app = Starlette(routes=[Route("/pay", page)])
        return TestClient(SecurityHeadersMiddleware(app, hsts=False))

    def test_only_the_page_that_asks_may_load_stripe_js(self, stripe_settings: Settings) -> None:
        origin = stripe_settings.stripe_js_url.split("/js.stripe.com")[0]
        strict = self._client(allow=False).get("/pay").headers["content-security-policy"]
        paying = self._client(allow=True).get("/pay").headers["content-security-policy"]
        assert origin not in strict
        assert f"frame-src {origin}" in paying
        assert f"connect-src 'self' {origin}" in paying
        assert re.search(rf"script-src 'self' 'nonce-[^']+' {re.escape(origin)}", paying)
