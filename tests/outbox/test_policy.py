"""Pure outbox decisions: the backoff schedule and acceptable webhook URLs."""

from __future__ import annotations

import random
import re

import pytest

from ventanilla.outbox import policy


class TestRetryDelay:
    @pytest.mark.parametrize(("attempts", "nominal"), [(1, 10), (2, 20), (3, 40), (6, 320)])
    def test_doubles_each_attempt_within_ten_percent(self, attempts: int, nominal: float) -> None:
        rng = random.Random(attempts)
        for _ in range(50):
            delay = policy.retry_delay(attempts, base_seconds=10, max_seconds=3600, rng=rng)
            assert nominal * 0.9 <= delay.total_seconds() <= nominal * 1.1

    def test_is_capped_at_the_maximum(self) -> None:
        for attempts in (13, 40, 5000):
            delay = policy.retry_delay(attempts, base_seconds=10, max_seconds=6 * 3600)
            assert delay.total_seconds() <= 6 * 3600 * 1.1

    def test_jitter_spreads_messages_that_failed_together(self) -> None:
        rng = random.Random(7)
        delays = {
            policy.retry_delay(3, base_seconds=10, max_seconds=60, rng=rng) for _ in range(20)
        }
        assert len(delays) > 10

    def test_exhausted_after_max_attempts(self) -> None:
        assert not policy.is_exhausted(11, max_attempts=12)
        assert policy.is_exhausted(12, max_attempts=12)


class TestWebhookUrl:
    @pytest.mark.parametrize(
        "url",
        ["https://tienda.example/hooks", "https://tienda.example:8443/h?x=1", "https://10.0.0.2"],
    )
    def test_https_is_accepted(self, url: str) -> None:
        assert policy.webhook_url_problem(url, allow_http=False) is None

    def test_http_only_when_allowed(self) -> None:
        assert policy.webhook_url_problem("http://127.0.0.1:9000/h", allow_http=True) is None
        assert policy.webhook_url_problem("http://tienda.example/h", allow_http=False)

    @pytest.mark.parametrize(
        "url",
        [
            "ftp://tienda.example/h",
            "tienda.example/h",
            "https://",
            "https://user:pw@tienda.example/h",
            "https://tienda.example/h#frag",
            "https://tienda.example:99999/h",
            "https://tienda.example/a b",
            "https://tienda.example/\x00",
            "javascript:alert(1)",
            "HTTPS://tienda.example/h",
            "https://[::1]/h",
            "https://tienda\\example/h",
        ],
    )
    def test_bad_urls_are_refused_with_a_reason(self, url: str) -> None:
        assert policy.webhook_url_problem(url, allow_http=True)

    def test_the_documented_pattern_accepts_what_the_policy_accepts(self) -> None:
        pattern = re.compile(policy.WEBHOOK_URL_PATTERN)
        for url in ("https://a.example", "http://127.0.0.1:65535/h?q=1&r=%20", "https://a/b@c"):
            assert policy.webhook_url_problem(url, allow_http=True) is None
            assert pattern.match(url)
