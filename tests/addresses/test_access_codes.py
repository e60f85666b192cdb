"""One-time codes that prove access to the customer's email (for address changes)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import Session, select

from tests.access.helpers import link_token, post_form
from tests.addresses.helpers import activities, last_code, outbox, session_record, start_session
from tests.factories import make_customer, make_order
from ventanilla.access import policy, service
from ventanilla.access.exceptions import CodeNotNeeded
from ventanilla.access.models import AccessCode, ShopperSession
from ventanilla.config import Settings, use_settings
from ventanilla.core import clock
from ventanilla.core.ratelimit import RateLimited
from ventanilla.customers.models import Customer
from ventanilla.db import session_scope
from ventanilla.outbox import sender

T0 = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)


@pytest.fixture
def frozen() -> Iterator[None]:
    with clock.frozen(T0):
        yield


@pytest.fixture
def customer(session: Session) -> Customer:
    customer = make_customer(session, email="lucia.garcia@example.com", name="Lucía")
    session.commit()
    return customer


def record_of(token: str) -> ShopperSession:
    return session_record(token)


def send(customer: Customer, token: str) -> service.SentCode:
    with session_scope() as s:
        record = s.merge(record_of(token))
        return service.send_access_code(s, shopper_session=record, customer=customer)


def verify(customer: Customer, token: str, code: str) -> service.CodeCheck:
    with session_scope() as s:
        record = s.merge(record_of(token))
        return service.verify_access_code(s, shopper_session=record, customer=customer, code=code)


def wrong(code: str) -> str:
    return f"{(int(code) + 1) % 1_000_000:06d}"


class TestSending:
    def test_the_code_goes_to_the_customers_address_and_only_its_hash_is_kept(
        self, customer: Customer, frozen: None
    ) -> None:
        token = start_session(customer.id or 0, verified=False)
        sent = send(customer, token)
        assert sent.sent_to == "l***@example.com"
        assert sent.expires_at == T0 + timedelta(minutes=10)
        [email] = outbox("email")
        assert email.payload["to"] == "lucia.garcia@example.com"
        code = last_code()
        assert code in email.payload["subject"] and "10" in email.payload["text"]
        with session_scope(write=False) as s:
            [stored] = s.exec(select(AccessCode)).all()
        assert code not in stored.code_hash and len(stored.code_hash) == 64
        assert [a.kind for a in activities("access.code_sent")] == ["access.code_sent"]

    def test_the_email_is_in_the_customers_language(self, session: Session) -> None:
        english = make_customer(session, locale="en")
        spanish = make_customer(session, locale="es")
        session.commit()
        send(english, start_session(english.id or 0, verified=False))
        send(spanish, start_session(spanish.id or 0, verified=False))
        subjects = [m.payload["subject"] for m in outbox("email")]
        assert subjects[0].startswith("Your Ventanilla code: ")
        assert subjects[1].startswith("Tu código de Ventanilla: ")

    def test_at_most_five_codes_an_hour(self, customer: Customer, frozen: None) -> None:
        token = start_session(customer.id or 0, verified=False)
        for _ in range(5):
            send(customer, token)
        with pytest.raises(RateLimited):
            send(customer, token)
        assert len(outbox("email")) == 5
        # Another session of the same customer does not get around it.
        with pytest.raises(RateLimited):
            send(customer, start_session(customer.id or 0, verified=False))
        with clock.frozen(T0 + timedelta(hours=1)):
            send(customer, token)

    def test_an_agent_session_needs_no_code(self, customer: Customer) -> None:
        token = start_session(customer.id or 0, verified=False, via="agent", agent_id="ana")
        with pytest.raises(CodeNotNeeded):
            send(customer, token)
        assert outbox("email") == []

    def test_a_delivered_code_arrives_by_real_smtp(
        self, customer: Customer, settings: Settings, smtp: object
    ) -> None:
        use_settings(settings.model_copy(update=smtp.settings()))  # type: ignore[attr-defined]
        token = start_session(customer.id or 0, verified=False)
        send(customer, token)
        sender.drain_once()
        [message] = smtp.messages  # type: ignore[attr-defined]
        assert message["To"] == "lucia.garcia@example.com"
        body = message.get_body(preferencelist=("plain",)).get_content()
        code = last_code()
        assert code in body
        assert verify(customer, token, code).ok


class TestChecking:
    def test_the_right_code_verifies_the_session_for_24_hours(
        self, customer: Customer, frozen: None
    ) -> None:
        token = start_session(customer.id or 0, verified=False)
        send(customer, token)
        clock.advance(timedelta(minutes=9))
        check = verify(customer, token, " " + last_code()[:3] + " " + last_code()[3:])
        assert check.ok and check.verified_until == clock.now() + timedelta(hours=24)
        record = record_of(token)
        assert record.verified_at == clock.now()
        assert policy.email_proof(record, now=clock.now()) == "recent"
        assert [a.kind for a in activities("access.code_verified")] == ["access.code_verified"]

    def test_a_code_is_spent_once_used(self, customer: Customer) -> None:
        token = start_session(customer.id or 0, verified=False)
        send(customer, token)
        code = last_code()
        assert verify(customer, token, code).ok
        assert verify(customer, token, code).reason == "code_missing"

    def test_an_expired_code_is_refused(self, customer: Customer, frozen: None) -> None:
        token = start_session(customer.id or 0, verified=False)
        send(customer, token)
        clock.advance(timedelta(minutes=10))
        check = verify(customer, token, last_code())
        assert (check.ok, check.reason) == (False, "code_expired")
        assert record_of(token).verified_at is None

    def test_five_wrong_tries_spend_the_code(self, customer: Customer) -> None:
        token = start_session(customer.id or 0, verified=False)
        send(customer, token)
        code = last_code()
        lefts = [verify(customer, token, wrong(code)) for _ in range(5)]
        assert [c.attempts_left for c in lefts] == [4, 3, 2, 1, 0]
        assert [c.reason for c in lefts] == ["code_invalid"] * 4 + ["code_attempts_exhausted"]
        # Even the right code no longer works: the tries were counted (committed) every time.
        assert verify(customer, token, code).reason == "code_attempts_exhausted"
        assert record_of(token).verified_at is None

    def test_a_new_code_replaces_the_old_one(self, customer: Customer) -> None:
        token = start_session(customer.id or 0, verified=False)
        send(customer, token)
        old = last_code()
        send(customer, token)
        new = last_code()
        if old != new:
            assert verify(customer, token, old).reason == "code_invalid"
        assert verify(customer, token, new).ok

    def test_a_code_of_another_session_does_not_work_here(self, customer: Customer) -> None:
        first = start_session(customer.id or 0, verified=False)
        second = start_session(customer.id or 0, verified=False)
        send(customer, first)
        assert verify(customer, second, last_code()).reason == "code_missing"

    @pytest.mark.parametrize("typed", ["", "12345", "1234567", "abcdef", "١٢٣٤٥٦"])
    def test_malformed_codes_are_refused_without_spending_a_try(
        self, customer: Customer, typed: str
    ) -> None:
        token = start_session(customer.id or 0, verified=False)
        send(customer, token)
        assert verify(customer, token, typed).reason == "code_format"
        with session_scope(write=False) as s:
            assert s.exec(select(AccessCode.attempts)).one() == 0

    def test_checking_is_rate_limited_per_session(self, customer: Customer) -> None:
        token = start_session(customer.id or 0, verified=False)
        for _ in range(policy.CODE_CHECKS_PER_HOUR):
            verify(customer, token, "123456")
        with pytest.raises(RateLimited):
            verify(customer, token, "123456")


class TestLinksAreProof:
    def test_opening_a_link_verifies_the_new_session(
        self, client: object, session: Session, frozen: None
    ) -> None:
        customer = make_customer(session, email="ana@example.com")
        order = make_order(session, customer=customer)
        session.commit()
        response = post_form(client, "/l", {"token": link_token(order.number, "ana@example.com")})  # type: ignore[arg-type]
        assert response.status_code == 303
        with session_scope(write=False) as s:
            [record] = s.exec(select(ShopperSession)).all()
        assert record.via == "link" and record.verified_at == T0

    def test_a_link_issued_days_ago_is_no_recent_proof(
        self, client: object, session: Session, frozen: None
    ) -> None:
        customer = make_customer(session, email="ana@example.com")
        order = make_order(session, customer=customer)
        session.commit()
        with clock.frozen(T0 - timedelta(days=3)):
            token = link_token(order.number, "ana@example.com")
        response = post_form(client, "/l", {"token": token})  # type: ignore[arg-type]
        assert response.status_code == 303
        with session_scope(write=False) as s:
            [record] = s.exec(select(ShopperSession)).all()
        assert record.verified_at == T0 - timedelta(days=3)
        assert policy.email_proof(record, now=T0) is None

    def test_proof_lasts_24_hours(self) -> None:
        record = ShopperSession(
            token_hash="x",
            customer_id=1,
            via="link",
            verified_at=T0,
            last_seen_at=T0,
            expires_at=T0,
        )
        assert policy.email_proof(record, now=T0 + timedelta(hours=24)) == "recent"
        assert policy.email_proof(record, now=T0 + timedelta(hours=24, seconds=1)) is None
        record.verified_at = None
        assert policy.email_proof(record, now=T0) is None
        record.via = "agent"
        assert policy.email_proof(record, now=T0) == "agent"
