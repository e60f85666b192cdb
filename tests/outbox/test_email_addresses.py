"""Kind 6: email addresses the shop sends us are deliverable or refused, through a real SMTP
server (aiosmtpd on loopback).

`cliente@bücher.example` goes out as `cliente@xn--bcher-kva.example` (never an encoded word); a
non-ASCII local part is refused at push (422) unless the mail server offers SMTPUTF8
(`smtp_utf8`); a permanent refusal (5xx) ends retries at once and the shop hears of it
(`email.undeliverable`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from tests.factories import make_product, order_payload
from tests.outbox.helpers import add_endpoint, message, outbox
from tests.servers import SMTPServer
from ventanilla.config import Settings
from ventanilla.customers.models import Customer
from ventanilla.db import session_scope
from ventanilla.outbox import sender, service

LINES = [("TREN-01", 2495, 1)]


@pytest.fixture
def catalog(session: Session) -> None:
    make_product(session, sku="TREN-01", price_minor=2495)
    session.commit()


def push(store: TestClient, number: str, email: str) -> Any:
    return store.put(f"/api/v1/orders/{number}", json=order_payload(LINES, email=email))


def queue(to: str) -> str:
    with session_scope() as s:
        return service.enqueue_email(s, to=to, subject="Tu pedido ES-1", text="Hola").id


def undeliverable_events() -> list[dict[str, Any]]:
    return [
        m.payload["data"]
        for m in outbox()
        if m.kind == "webhook" and m.payload["type"] == "email.undeliverable"
    ]


@pytest.mark.usefixtures("catalog")
class TestPush:
    def test_an_idn_domain_is_stored_and_sent_in_idna(
        self,
        store: TestClient,
        session: Session,
        smtp: SMTPServer,
        configure: Callable[..., Settings],
    ) -> None:
        configure(**smtp.settings())
        response = push(store, "ES-8001", "cliente@bücher.example")
        assert response.status_code == 201, response.text
        assert response.json()["customer"]["email"] == "cliente@xn--bcher-kva.example"
        queue(session.exec(select(Customer.email)).one())
        sender.drain_once()
        [received] = smtp.messages
        assert received["To"] == "cliente@xn--bcher-kva.example"
        assert smtp.envelopes[0].rcpt_tos == ["cliente@xn--bcher-kva.example"]
        assert "=?utf-8?" not in str(received["To"])

    @pytest.mark.parametrize("email", ["josé@example.com", "用户@例子.example", "ñ@bücher.example"])
    def test_a_non_ascii_local_part_is_refused_without_smtputf8(
        self, store: TestClient, settings: Settings, email: str
    ) -> None:
        response = push(store, "ES-8002", email)
        assert response.status_code == 422
        [error] = response.json()["detail"]
        assert error["loc"] == ["body", "customer", "email"]
        assert "SMTPUTF8" in error["msg"]

    def test_a_domain_that_cannot_be_one_is_refused(
        self, store: TestClient, settings: Settings
    ) -> None:
        response = push(store, "ES-8003", "ana@exa_mple..com")
        assert response.status_code == 422

    def test_with_smtputf8_it_is_accepted_and_delivered(
        self,
        store: TestClient,
        session: Session,
        smtp: SMTPServer,
        configure: Callable[..., Settings],
    ) -> None:
        smtp.stop()
        smtp.smtputf8 = True
        smtp.start()
        configure(**smtp.settings(), smtp_utf8=True)
        assert push(store, "ES-8004", "josé@bücher.example").status_code == 201
        email = session.exec(select(Customer.email)).one()
        assert email == "josé@xn--bcher-kva.example"
        message_id = queue(email)
        sender.drain_once()
        assert message(message_id).status == "sent"
        assert smtp.envelopes[0].rcpt_tos == ["josé@xn--bcher-kva.example"]


class TestPermanentRefusals:
    def test_a_5xx_at_data_ends_retries_at_once_and_tells_the_shop(
        self, smtp: SMTPServer, configure: Callable[..., Settings]
    ) -> None:
        configure(**smtp.settings())
        add_endpoint("https://shop.example/hooks")
        smtp.reply = "554 5.7.1 Message rejected as spam"
        message_id = queue("ana@example.com")
        sender.drain_once()
        row = message(message_id)
        assert (row.status, row.attempts) == ("dead", 1)
        assert "554" in (row.last_error or "")
        [event] = undeliverable_events()
        assert event["message_id"] == message_id and event["to"] == "ana@example.com"
        assert event["subject"] == "Tu pedido ES-1" and "554" in event["error"]

    def test_a_refused_recipient_is_told_too(
        self, smtp: SMTPServer, configure: Callable[..., Settings]
    ) -> None:
        configure(**smtp.settings())
        add_endpoint("https://shop.example/hooks")
        smtp.refuse_recipients.add("nadie@example.com")
        queue("nadie@example.com")
        sender.drain_once()
        [event] = undeliverable_events()
        assert event["to"] == "nadie@example.com" and "550" in event["error"]

    def test_a_4xx_is_still_retried_and_nothing_is_told(
        self, smtp: SMTPServer, configure: Callable[..., Settings]
    ) -> None:
        configure(**smtp.settings())
        add_endpoint("https://shop.example/hooks")
        smtp.reply = "452 4.3.1 Insufficient system storage"
        message_id = queue("ana@example.com")
        sender.drain_once()
        assert message(message_id).status == "pending"
        assert undeliverable_events() == []

    def test_utf8_setting_on_but_the_server_without_it_is_permanent(
        self, smtp: SMTPServer, configure: Callable[..., Settings]
    ) -> None:
        configure(**smtp.settings(), smtp_utf8=True)  # the operator was wrong
        message_id = queue("josé@example.com")
        sender.drain_once()
        row = message(message_id)
        assert (row.status, row.attempts) == ("dead", 1)
        assert "SMTPUTF8" in (row.last_error or "")
        assert smtp.messages == []

    def test_an_old_row_with_a_non_ascii_local_part_is_not_retried(
        self, smtp: SMTPServer, configure: Callable[..., Settings]
    ) -> None:
        configure(**smtp.settings())
        message_id = queue("josé@example.com")
        sender.drain_once()
        assert message(message_id).status == "dead"
