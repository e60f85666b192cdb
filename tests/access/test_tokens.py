"""Link tokens: pure functions, no database."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from datetime import UTC, datetime, timedelta

import pytest

from ventanilla.access import tokens
from ventanilla.core import clock

SECRET = b"test-link-secret-0123456789abcdef"
T0 = datetime(2026, 3, 1, 10, 0, tzinfo=UTC)
EMAIL = "ana@example.com"


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def mac(body: str, email: str = EMAIL, secret: bytes = SECRET) -> str:
    message = (body + "." + email.strip().lower()).encode()
    return b64(hmac.new(secret, message, hashlib.sha256).digest())


def sign_offline(payload: dict[str, object], email: str = EMAIL, secret: bytes = SECRET) -> str:
    """The scheme exactly as docs/shopper-links.md tells a shop to implement it."""
    body = b64(json.dumps(payload).encode())  # spacing and key order are the shop's business
    return body + "." + mac(body, email, secret)


def payload(**overrides: object) -> dict[str, object]:
    iat = int(T0.timestamp())
    values: dict[str, object] = {
        "v": 2,
        "o": "ES-1001",
        "iat": iat,
        "exp": iat + 15 * 86400,
        "jti": "abcdefgh12345678",
        "u": 5,
    }
    values.update(overrides)
    return values


def flip(text: str, index: int) -> str:
    ch = text[index]
    return text[:index] + ("A" if ch != "A" else "B") + text[index + 1 :]


def refusal(
    token: str, *, email: str | None = EMAIL, now: datetime = T0, secret: bytes = SECRET
) -> tokens.TokenError:
    with pytest.raises(tokens.TokenError) as caught:
        tokens.verify(token, email=email, secret=secret, now=now)
    return caught.value


def reason(token: str, **kwargs: object) -> str:
    return refusal(token, **kwargs).reason  # type: ignore[arg-type]


def issue(email: str = EMAIL, **overrides: object) -> tuple[str, tokens.LinkClaims]:
    values: dict[str, object] = {
        "order_number": "ES-1001",
        "email": email,
        "now": T0,
        "ttl": timedelta(days=15),
        "max_uses": 5,
        "secret": SECRET,
    }
    values.update(overrides)
    return tokens.issue(**values)  # type: ignore[arg-type]


class TestIssueAndVerify:
    def test_issued_token_verifies_with_its_claims(self) -> None:
        token, claims = issue(" Ana@Example.COM ")
        verified = tokens.verify(token, email=EMAIL, secret=SECRET, now=T0)
        assert verified == claims
        assert verified.order_number == "ES-1001"
        assert verified.expires_at_datetime == T0 + timedelta(days=15)

    def test_the_email_is_compared_trimmed_and_lower_cased(self) -> None:
        token, claims = issue()
        assert tokens.verify(token, email=" ANA@example.com", secret=SECRET, now=T0) == claims

    def test_every_token_has_its_own_id(self) -> None:
        ids = {
            issue(order_number="ES-1", ttl=timedelta(days=1), max_uses=1)[1].jti for _ in range(20)
        }
        assert len(ids) == 20

    def test_a_shop_signed_token_verifies(self) -> None:
        claims = tokens.verify(sign_offline(payload()), email=EMAIL, secret=SECRET, now=T0)
        assert (claims.order_number, claims.max_uses) == ("ES-1001", 5)

    def test_parse_reads_the_order_number_before_anything_is_trusted(self) -> None:
        token = sign_offline(payload(), email="eva@example.com")
        assert tokens.parse(token).claims.order_number == "ES-1001"
        assert reason(token) == "invalid"


class TestNoPersonalData:
    def test_the_payload_is_compact_sorted_and_holds_no_email(self) -> None:
        token, claims = issue("lucia.garcia@example.com")
        body = token.split(".")[0]
        raw = unb64(body).decode()
        assert "@" not in raw and "lucia" not in raw
        decoded = json.loads(raw)
        assert decoded == {
            "v": 2,
            "o": "ES-1001",
            "iat": claims.issued_at,
            "exp": claims.expires_at,
            "jti": claims.jti,
            "u": 5,
        }
        assert raw == json.dumps(decoded, separators=(",", ":"), sort_keys=True)

    def test_the_token_text_does_not_contain_the_email_in_any_form(self) -> None:
        email = "lucia.garcia@example.com"
        token, _claims = issue(email)
        assert "@" not in token and "lucia" not in token.lower()
        for encoded in (b64(email.encode()), base64.b64encode(email.encode()).decode()):
            assert encoded.rstrip("=")[:12] not in token

    def test_a_payload_that_carries_an_email_is_refused_even_if_well_signed(self) -> None:
        assert reason(sign_offline(payload(e=EMAIL))) == "invalid"

    def test_a_version_1_token_is_refused(self) -> None:
        old = payload(v=1, e=EMAIL)
        body = b64(json.dumps(old).encode())
        v1 = body + "." + b64(hmac.new(SECRET, body.encode(), hashlib.sha256).digest())
        assert reason(v1) == "invalid"


class TestBoundToTheCustomer:
    def test_a_token_signed_for_another_customers_email_is_invalid(self) -> None:
        token, _claims = issue("eva@example.com")
        error = refusal(token, email=EMAIL)
        assert error.reason == "invalid"
        assert error.claims is None

    def test_without_an_email_to_check_against_nothing_verifies(self) -> None:
        token, _claims = issue()
        assert reason(token, email=None) == "invalid"

    def test_an_expired_token_for_another_email_is_invalid_not_expired(self) -> None:
        token, _claims = issue("eva@example.com")
        error = refusal(token, email=EMAIL, now=T0 + timedelta(days=60))
        assert (error.reason, error.claims) == ("invalid", None)


class TestExpiry:
    def test_valid_until_the_last_second_then_expired_with_a_frozen_clock(self) -> None:
        token = sign_offline(payload())
        with clock.frozen(T0 + timedelta(days=15) - timedelta(seconds=1)):
            tokens.verify(token, email=EMAIL, secret=SECRET, now=clock.now())
        with clock.frozen(T0):
            clock.advance(timedelta(days=15))
            error = refusal(token, now=clock.now())
        assert error.reason == "expired"
        # Signed for this customer, so the order number may be offered back (to ask for a new link).
        assert error.claims is not None
        assert error.claims.order_number == "ES-1001"

    def test_issued_in_the_future_beyond_clock_skew_is_invalid(self) -> None:
        iat = int((T0 + timedelta(hours=1)).timestamp())
        assert reason(sign_offline(payload(iat=iat, exp=iat + 3600))) == "invalid"

    def test_ttl_over_30_days_is_invalid(self) -> None:
        iat = int(T0.timestamp())
        assert reason(sign_offline(payload(exp=iat + 31 * 86400))) == "invalid"


class TestTampering:
    def test_flipping_a_byte_of_the_payload_is_invalid(self) -> None:
        token = sign_offline(payload())
        for index in (0, 5, token.index(".") - 1):
            error = refusal(flip(token, index))
            assert error.reason == "invalid"
            assert error.claims is None

    def test_flipping_a_byte_of_the_signature_is_invalid(self) -> None:
        token = sign_offline(payload())
        for index in (token.index(".") + 1, len(token) - 2):
            assert reason(flip(token, index)) == "invalid"

    def test_changing_the_order_keeps_the_old_signature_and_fails(self) -> None:
        good = sign_offline(payload())
        forged = b64(json.dumps(payload(o="ES-9999")).encode()) + "." + good.split(".")[1]
        assert reason(forged) == "invalid"

    def test_another_secret_is_invalid(self) -> None:
        assert reason(sign_offline(payload(), secret=b"another-secret")) == "invalid"

    def test_a_mac_over_the_payload_alone_is_invalid(self) -> None:
        body = b64(json.dumps(payload()).encode())
        alone = body + "." + b64(hmac.new(SECRET, body.encode(), hashlib.sha256).digest())
        assert reason(alone) == "invalid"

    @pytest.mark.parametrize(
        "changes",
        [
            {"v": 1},
            {"v": 3},
            {"v": True},
            {"v": "2"},
            {"u": 0},
            {"u": 21},
            {"u": 5.0},
            {"o": ""},
            {"o": " ES-1"},
            {"o": 1001},
            {"o": "x" * 65},
            {"jti": "short"},
            {"jti": "has spaces in it"},
            {"exp": 0},
            {"extra": "x"},
        ],
    )
    def test_well_signed_but_wrong_payload_is_invalid(self, changes: dict[str, object]) -> None:
        assert reason(sign_offline(payload(**changes))) == "invalid"

    @pytest.mark.parametrize("key", ["v", "o", "iat", "exp", "jti", "u"])
    def test_missing_fields_are_invalid(self, key: str) -> None:
        incomplete = payload()
        del incomplete[key]
        assert reason(sign_offline(incomplete)) == "invalid"

    @pytest.mark.parametrize(
        "token",
        [
            "",
            ".",
            "abc",
            "abc.",
            ".abc",
            "a.b.c",
            "###.###",
            "a" * 5000,
            "é.é",
            "W10.W10",
            b64(b"[" * 300 + b"]" * 300) + ".AAAA",
        ],
    )
    def test_malformed_tokens_are_invalid(self, token: str) -> None:
        assert reason(token) == "invalid"
        with pytest.raises(tokens.TokenError):
            tokens.parse(token)

    def test_a_signed_non_object_payload_is_invalid(self) -> None:
        body = b64(b"[1, 2, 3]")
        assert reason(body + "." + mac(body)) == "invalid"
