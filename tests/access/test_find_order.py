"""Find my order: a link goes to the order's own address, and the page never tells."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from tests.access.helpers import post_form, stable_body
from tests.factories import make_customer, make_order
from tests.servers import SMTPServer
from ventanilla.activity.models import Activity
from ventanilla.config import Settings
from ventanilla.core.ratelimit import RateLimitHit
from ventanilla.orders.models import Order, OrderAddress
from ventanilla.outbox import sender
from ventanilla.outbox.models import OutboxMessage


def emails(session: Session) -> list[OutboxMessage]:
    session.commit()  # a fresh read on SQLite
    return list(session.exec(select(OutboxMessage).where(OutboxMessage.kind == "email")).all())


@pytest.fixture
def order(session: Session) -> Order:
    customer = make_customer(session, email="ana@example.com", name="Ana", locale="es")
    made = make_order(session, customer=customer, number="ES-5001")
    address = session.exec(select(OrderAddress).where(OrderAddress.order_id == made.id)).one()
    address.postcode = "SW1A 1AA"
    session.add(address)
    session.commit()
    return made


def find(client: TestClient, **fields: str):  # type: ignore[no-untyped-def]
    return post_form(client, "/find", fields)


class TestForm:
    def test_the_form_is_labelled_and_prefillable(self, client: TestClient) -> None:
        page = client.get("/find?order=ES-5001")
        assert page.status_code == 200
        for field_id in ("find-order-number", "find-email", "find-postcode"):
            assert f'<label class="field__label" for="{field_id}">' in page.text
        assert 'autocomplete="email"' in page.text and 'autocomplete="postal-code"' in page.text
        assert 'value="ES-5001"' in page.text
        assert 'name="csrf_token"' in page.text

    def test_empty_fields_rerender_with_messages_and_422(self, client: TestClient) -> None:
        response = find(client, order_number="  ", email="", postcode="")
        assert response.status_code == 422
        assert 'id="find-order-number-error"' in response.text
        assert 'id="find-contact-error"' in response.text
        assert 'aria-describedby="find-order-number-hint find-order-number-error"' in response.text
        assert 'aria-invalid="true"' in response.text

    def test_a_bad_email_is_pointed_out_and_the_input_kept(self, client: TestClient) -> None:
        response = find(client, order_number="ES-5001", email="ana at example")
        assert response.status_code == 422
        assert 'id="find-email-error"' in response.text
        assert 'value="ana at example"' in response.text

    def test_absurd_input_gets_a_4xx_never_a_500(
        self, client: TestClient, session: Session
    ) -> None:
        response = find(client, order_number="x" * 5000, email="a" * 5000, postcode="\x00" * 50)
        assert response.status_code == 422
        assert emails(session) == []


class TestMatching:
    @pytest.mark.parametrize(
        "fields",
        [
            {"order_number": "ES-5001", "email": "ana@example.com"},
            {"order_number": " ES-5001 ", "email": "  ANA@Example.com "},
            {"order_number": "es-5001", "email": "ana@example.com"},
            {"order_number": "ES-5001", "postcode": "sw1a1aa"},
            {"order_number": "ES-5001", "postcode": " SW1A  1AA "},
        ],
    )
    def test_matching_details_email_exactly_one_link_to_the_order_address(
        self, client: TestClient, session: Session, order: Order, fields: dict[str, str]
    ) -> None:
        response = find(client, **fields)
        assert (response.status_code, response.headers["location"]) == (303, "/find/sent")
        [message] = emails(session)
        assert message.payload["to"] == "ana@example.com"
        assert "ES-5001" in message.payload["subject"]
        assert '<html lang="es">' in message.payload["html"]  # the customer's language
        assert message.payload["subject"] != "Your link to order ES-5001"  # translated
        url = re.search(r"http://testserver/l/\S+", message.payload["text"])
        assert url is not None
        # The emailed link really opens the order.
        token = url.group(0).rsplit("/", 1)[1]
        assert client.get(f"/l/{token}").status_code == 200
        opened = post_form(client, "/l", {"token": token})
        assert opened.headers["location"] == "/orders/ES-5001"

    def test_email_is_in_english_for_an_english_customer(
        self, client: TestClient, session: Session
    ) -> None:
        customer = make_customer(session, email="bob@example.com", locale="en")
        make_order(session, customer=customer, number="ES-5002")
        session.commit()
        find(client, order_number="ES-5002", email="bob@example.com")
        [message] = emails(session)
        assert '<html lang="en">' in message.payload["html"]

    def test_a_typed_address_never_receives_anything(
        self, client: TestClient, session: Session, order: Order
    ) -> None:
        # Right postcode, someone else's email: the link still goes only to the order's address.
        find(client, order_number="ES-5001", email="mallory@example.net", postcode="SW1A1AA")
        assert [m.payload["to"] for m in emails(session)] == ["ana@example.com"]

    def test_the_answer_is_the_same_whether_or_not_anything_matched(
        self, client: TestClient, session: Session, order: Order
    ) -> None:
        attempts = [
            {"order_number": "ES-5001", "email": "ana@example.com"},  # matches
            {"order_number": "ES-5001", "email": "eve@example.com"},  # wrong email
            {"order_number": "ES-5001", "postcode": "28013"},  # wrong postcode
            {"order_number": "ES-0000", "email": "ana@example.com"},  # no such order
        ]
        answers = []
        for fields in attempts:
            response = find(client, **fields)
            page = client.get(response.headers["location"])
            answers.append(
                (
                    response.status_code,
                    response.headers["location"],
                    page.status_code,
                    stable_body(page.text),
                )
            )
        assert all(answer == answers[0] for answer in answers)
        assert len(emails(session)) == 1

    def test_nothing_typed_is_recorded(
        self, client: TestClient, session: Session, order: Order
    ) -> None:
        find(client, order_number="ES-5001", email="eve@example.com", postcode="99999")
        find(client, order_number="ES-5001", email="ana@example.com")
        session.commit()
        keys = " ".join(row.key for row in session.exec(select(RateLimitHit)).all())
        for typed in ("eve@example.com", "99999", "ES-5001", "ana@example.com", "testclient"):
            assert typed.lower() not in keys.lower()
        activity = session.exec(select(Activity)).all()
        assert [a.kind for a in activity] == ["access.link_emailed"]
        assert "eve" not in str(activity[0].data)


class TestDelivery:
    def test_the_link_arrives_by_smtp_and_opens_the_order(
        self, client: TestClient, settings: Settings, order: Order, smtp: SMTPServer
    ) -> None:
        for name, value in smtp.settings().items():
            setattr(settings, name, value)
        find(client, order_number="ES-5001", email="ana@example.com")
        sender.drain_once()
        [received] = smtp.messages
        assert received["To"] == "ana@example.com"
        body = received.get_body(("plain",))
        assert body is not None
        url = re.search(r"http://testserver/l/\S+", body.get_content())
        assert url is not None
        token = url.group(0).rsplit("/", 1)[1]
        opened = post_form(client, "/l", {"token": token})
        assert opened.headers["location"] == "/orders/ES-5001"
        assert client.get("/orders/ES-5001").status_code == 200
