"""localstripe on loopback for tests and e2e: the real `stripe` SDK talks to it over HTTP.

    with localstripe_server() as ls:            # a subprocess on 127.0.0.1:<free port>
        ls.settings()                           # Settings overrides pointing Ventanilla at it
        pi = ls.paid_intent(4990, "eur")        # a PaymentIntent paid with pm_card_visa
        ls.refunds(pi)                          # what localstripe holds for it
        ls.register_webhook(url, secret)        # localstripe POSTs signed events there
        ls.pause(); ls.resume()                 # hangs (SIGSTOP): requests time out
        ls.require_authentication(pi)           # lets the Stripe.js stand-in finish a payment
        ls.reset()                              # DELETE /_config/data

Fixtures (import them into a conftest): `localstripe` (one server per test session, per xdist
worker) and `stripe_settings` (function-scoped: wipes localstripe's data and installs the test
settings with the Stripe values filled in).

localstripe's own CLI listens on every interface and pickles its state to /tmp after every
write; the wrapper below binds 127.0.0.1 only and keeps the state in memory, so parallel runs
never share a file.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
import stripe
from pydantic import SecretStr

from tests.servers import LOOPBACK, free_port
from ventanilla.config import Settings, use_settings

SECRET_KEY = "sk_test_ventanilla_localstripe"
PUBLISHABLE_KEY = "pk_test_ventanilla_localstripe"
WEBHOOK_SECRET = "whsec_test_ventanilla_localstripe"

_RUNNER = """
import sys
from aiohttp import web
from localstripe import resources, server
resources.Store.dump_to_disk = lambda self: None
web.run_app(server.app, host=sys.argv[1], port=int(sys.argv[2]), print=None)
"""


class LocalStripe:
    """A localstripe process on loopback, started and stopped by the test that owns it."""

    def __init__(self) -> None:
        self.host = LOOPBACK
        self.port = free_port()
        self._process: subprocess.Popen[bytes] | None = None
        self._log = tempfile.NamedTemporaryFile(  # noqa: SIM115 (closed in stop())
            prefix="localstripe-", suffix=".log", delete=False
        )
        self._paused = False

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def js_url(self) -> str:
        """localstripe's stand-in for Stripe.js."""
        return f"{self.url}/js.stripe.com/v3/"

    @property
    def log_path(self) -> Path:
        return Path(self._log.name)

    def start(self) -> None:
        if self._process is not None:
            return
        self._process = subprocess.Popen(
            [sys.executable, "-c", _RUNNER, self.host, str(self.port)],
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + 30
        while True:
            if self._process.poll() is not None:
                raise RuntimeError(
                    f"localstripe exited with {self._process.returncode}: "
                    + self.log_path.read_text(errors="replace")[-2000:]
                )
            try:
                httpx.get(self.js_url, timeout=1.0).raise_for_status()
                return
            except httpx.HTTPError:
                if time.monotonic() > deadline:
                    self.stop()
                    raise RuntimeError("localstripe did not answer within 30 s") from None
                time.sleep(0.05)

    def stop(self) -> None:
        process, self._process = self._process, None
        if process is not None:
            if self._paused:
                os.kill(process.pid, signal.SIGCONT)
                self._paused = False
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)
        self._log.close()
        self.log_path.unlink(missing_ok=True)

    def pause(self) -> None:
        """Freeze the process: connections are accepted but never answered (a timeout)."""
        assert self._process is not None
        os.kill(self._process.pid, signal.SIGSTOP)
        self._paused = True

    def resume(self) -> None:
        assert self._process is not None
        os.kill(self._process.pid, signal.SIGCONT)
        self._paused = False

    def reset(self) -> None:
        """Forget every object (webhook registrations stay)."""
        httpx.delete(f"{self.url}/_config/data", timeout=10).raise_for_status()

    def register_webhook(
        self, url: str, secret: str = WEBHOOK_SECRET, events: list[str] | None = None
    ) -> None:
        """localstripe POSTs signed events to `url` (one attempt, about a second later)."""
        data: dict[str, Any] = {"url": url, "secret": secret}
        if events is not None:
            data["events"] = events
        httpx.post(
            f"{self.url}/_config/webhooks/ventanilla", json=data, timeout=10
        ).raise_for_status()

    def unregister_webhook(self) -> None:
        """localstripe cannot forget a webhook: subscribe it to an event that never happens."""
        self.register_webhook(f"{self.url}/nowhere", events=["ventanilla.never"])

    def client(self) -> stripe.StripeClient:
        return stripe.StripeClient(
            SECRET_KEY,
            base_addresses={"api": self.url},
            max_network_retries=0,
            http_client=stripe.HTTPXClient(timeout=10, allow_sync_methods=True),
        )

    def paid_intent(self, amount_minor: int, currency: str = "eur") -> str:
        """A PaymentIntent paid in full with pm_card_visa (an order's original payment)."""
        intent = self.client().v1.payment_intents.create(
            params={
                "amount": amount_minor,
                "currency": currency.lower(),
                "payment_method": "pm_card_visa",
                "confirm": True,
            }
        )
        assert intent.status == "succeeded", intent.status
        return str(intent.id)

    def pay(self, intent_id: str, payment_method: str = "pm_card_visa") -> Any:
        """What Stripe.js does on the page: attach a card and confirm."""
        client = self.client()
        client.v1.payment_intents.update(intent_id, params={"payment_method": payment_method})
        return client.v1.payment_intents.confirm(intent_id)

    def require_authentication(self, intent_id: str, card: str = "4000002760003184") -> None:
        """Make the page's Stripe.js stand-in able to finish this payment (e2e).

        localstripe's stand-in `confirmCardPayment()` ignores the card field and only performs
        the 3-D Secure step (its "Complete authentication" button): the PaymentIntent must
        already be in `requires_action`. This attaches a 3-D Secure test card and confirms it,
        which is what real Stripe.js does before showing its challenge.
        """
        client = self.client()
        method = client.v1.payment_methods.create(
            params={
                "type": "card",
                "card": {"number": card, "exp_month": 12, "exp_year": 2030, "cvc": "123"},
            }
        )
        client.v1.payment_intents.update(intent_id, params={"payment_method": method.id})
        confirmed = client.v1.payment_intents.confirm(intent_id)
        assert confirmed.status == "requires_action", confirmed.status

    def authenticate(self, intent_id: str, client_secret: str, *, success: bool = True) -> Any:
        """The HTTP call the stand-in's "Complete/Fail authentication" buttons make."""
        response = httpx.post(
            f"{self.url}/v1/payment_intents/{intent_id}/_authenticate",
            params={"success": "true" if success else "false"},
            json={"key": PUBLISHABLE_KEY, "client_secret": client_secret},
            timeout=10,
        )
        response.raise_for_status()
        return response.json()

    def intent(self, intent_id: str) -> Any:
        return self.client().v1.payment_intents.retrieve(intent_id)

    def refunds(self, intent_id: str) -> list[Any]:
        listed = self.client().v1.refunds.list(params={"payment_intent": intent_id, "limit": 100})
        return list(listed.data)

    def events(self, type: str | None = None) -> list[Any]:  # noqa: A002
        params: dict[str, Any] = {"limit": 100}
        if type:
            params["type"] = type
        return list(self.client().v1.events.list(params=params).data)

    def settings(self) -> dict[str, Any]:
        """Settings overrides that point Ventanilla at this server."""
        return {
            "stripe_secret_key": SecretStr(SECRET_KEY),
            "stripe_publishable_key": PUBLISHABLE_KEY,
            "stripe_api_base": self.url,
            "stripe_js_url": self.js_url,
            "stripe_webhook_secret": SecretStr(WEBHOOK_SECRET),
            "stripe_timeout_seconds": 5.0,
        }


@contextmanager
def localstripe_server() -> Iterator[LocalStripe]:
    server = LocalStripe()
    server.start()
    try:
        yield server
    finally:
        server.stop()


def sign(
    payload: str | bytes, *, secret: str = WEBHOOK_SECRET, timestamp: int | None = None
) -> str:
    """A Stripe-Signature header for `payload`, computed as Stripe computes it."""
    text = payload.decode() if isinstance(payload, bytes) else payload
    return str(stripe.WebhookSignature.generate_signature_header(text, secret, timestamp=timestamp))


# --- pytest fixtures (registered by importing them into a conftest) ------------------------


@pytest.fixture(scope="session", name="localstripe")
def localstripe_fixture() -> Iterator[LocalStripe]:
    """One localstripe process for the test session (per xdist worker)."""
    with localstripe_server() as server:
        yield server


@pytest.fixture(name="stripe_settings")
def stripe_settings_fixture(localstripe: LocalStripe, settings: Settings) -> Iterator[Settings]:
    """The test settings with Stripe pointed at a wiped localstripe."""
    if localstripe._paused:
        localstripe.resume()
    localstripe.reset()
    changed = settings.model_copy(update=localstripe.settings())
    use_settings(changed)
    yield changed
    use_settings(settings)
