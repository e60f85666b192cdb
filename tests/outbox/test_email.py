"""Outbox emails through a real SMTP server (aiosmtpd on loopback), and .eml files in demo mode."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from email import message_from_bytes
from email.policy import default as default_policy

import pytest

from tests.factories import make_customer
from tests.outbox.helpers import add_endpoint, message, outbox
from tests.servers import SMTPServer
from ventanilla.config import Settings
from ventanilla.core import clock
from ventanilla.db import session_scope
from ventanilla.outbox import sender, service

T0 = datetime(2025, 3, 1, 10, 0, tzinfo=UTC)


def queue_emails(count: int) -> list[str]:
    """A committed change that queues `count` emails in its own transaction."""
    with session_scope() as session:
        customer = make_customer(session)
        return [
            service.enqueue_email(
                session, to=customer.email, subject=f"Tu pedido {i}", text=f"Hola {i}"
            ).id
            for i in range(count)
        ]


class TestSmtpDelivery:
    def test_smtp_down_then_back_delivers_every_message_exactly_once(
        self, smtp: SMTPServer, configure: Callable[..., Settings]
    ) -> None:
        configure(**smtp.settings())
        smtp.stop()
        with clock.frozen(T0):
            ids = queue_emails(2) + queue_emails(2)

            assert sender.drain_once() == 4
            for message_id in ids:
                row = message(message_id)
                assert (row.status, row.attempts) == ("pending", 1)
                assert "unreachable" in (row.last_error or "")
                assert row.next_attempt_at > T0
                assert row.locked_until is None
            assert sender.drain_once() == 0, "nothing is due before the backoff has passed"

            smtp.start()
            clock.advance(timedelta(minutes=1))
            assert sender.drain_once() == 4
            clock.advance(timedelta(days=1))
            assert sender.drain_once() == 0

        received = sorted(m["Message-ID"] for m in smtp.messages)
        assert received == sorted(f"<{i}@example.com>" for i in ids)
        for row in outbox():
            assert (row.status, row.attempts, row.last_error) == ("sent", 2, None)
            assert row.sent_at == T0 + timedelta(minutes=1)

    def test_email_has_headers_text_and_html(
        self, smtp: SMTPServer, configure: Callable[..., Settings]
    ) -> None:
        configure(**smtp.settings(), mail_from="Juguetes Pepa <hola@juguetes.example>")
        with session_scope() as session:
            queued = service.enqueue_email(
                session,
                to="ana@example.com",
                subject="Tu enlace\r\n para el pedido",
                text="Abre tu pedido: https://example.com/x",
                html="<p>Abre <a href='https://example.com/x'>tu pedido</a></p>",
            )
        assert sender.drain_once() == 1

        (received,) = smtp.messages
        assert received["From"] == "Juguetes Pepa <hola@juguetes.example>"
        assert received["To"] == "ana@example.com"
        assert received["Subject"] == "Tu enlace para el pedido"  # no header injection
        assert received["Message-ID"] == f"<{queued.id}@juguetes.example>"
        assert received["Auto-Submitted"] == "auto-generated"
        assert received.get_content_type() == "multipart/alternative"
        text = received.get_body(preferencelist=("plain",))
        html = received.get_body(preferencelist=("html",))
        assert text is not None and "https://example.com/x" in text.get_content()
        assert html is not None and "<a href=" in html.get_content()

    def test_temporary_refusal_is_retried(
        self, smtp: SMTPServer, configure: Callable[..., Settings]
    ) -> None:
        configure(**smtp.settings())
        smtp.reply = "451 4.3.0 Try again later"
        with clock.frozen(T0):
            (message_id,) = queue_emails(1)
            sender.drain_once()
            row = message(message_id)
            assert row.status == "pending"
            assert "451" in (row.last_error or "")

            smtp.reply = None
            clock.advance(timedelta(minutes=1))
            sender.drain_once()
        assert message(message_id).status == "sent"
        assert len(smtp.messages) == 1

    def test_refused_recipient_is_given_up_at_once_and_others_still_go(
        self, smtp: SMTPServer, configure: Callable[..., Settings]
    ) -> None:
        configure(**smtp.settings())
        smtp.refuse_recipients.add("nadie@example.com")
        with session_scope() as s:
            bad = service.enqueue_email(s, to="nadie@example.com", subject="x", text="x").id
            good = service.enqueue_email(s, to="ana@example.com", subject="y", text="y").id
        assert sender.drain_once() == 2

        dead = message(bad)
        assert (dead.status, dead.attempts) == ("dead", 1)
        assert "550" in (dead.last_error or "")
        assert message(good).status == "sent"
        assert [m["To"] for m in smtp.messages] == ["ana@example.com"]

    def test_bad_address_is_refused_when_queued(self, settings: Settings) -> None:
        with session_scope() as session, pytest.raises(ValueError):
            service.enqueue_email(session, to="ana@example.com\r\nBcc: x@y.z", subject="", text="")


class TestTransactions:
    def test_messages_roll_back_with_the_change_and_are_never_sent(
        self, smtp: SMTPServer, configure: Callable[..., Settings]
    ) -> None:
        configure(**smtp.settings())
        add_endpoint("http://127.0.0.1:9/hooks")
        with pytest.raises(RuntimeError), session_scope() as s:
            customer = make_customer(s)
            service.enqueue_email(s, to=customer.email, subject="Cambio", text="Hecho")
            assert service.emit_event(s, type="order.amended", data={"number": "ES-1"})
            raise RuntimeError("the change failed after queueing its messages")

        assert outbox() == []
        assert sender.drain_once() == 0
        assert smtp.messages == []


class TestDemoMode:
    def test_without_smtp_host_emails_are_written_as_eml_files(
        self, configure: Callable[..., Settings]
    ) -> None:
        settings = configure(smtp_host=None)
        (message_id,) = queue_emails(1)
        assert sender.drain_once() == 1

        folder = settings.var_dir / "mail"
        assert [p.name for p in folder.iterdir()] == [f"{message_id}.eml"]
        raw = (folder / f"{message_id}.eml").read_bytes()
        parsed = message_from_bytes(raw, policy=default_policy)
        assert parsed["Subject"] == "Tu pedido 0"
        assert parsed["Message-ID"] == f"<{message_id}@example.com>"
        assert message(message_id).status == "sent"


class TestLongOutage:
    def test_dead_emails_are_delivered_once_an_operator_queues_them_again(
        self, smtp: SMTPServer, configure: Callable[..., Settings]
    ) -> None:
        from typer.testing import CliRunner

        from ventanilla.cli import app as cli

        configure(**smtp.settings(), outbox_max_attempts=2)
        smtp.stop()
        with clock.frozen(T0):
            [message_id] = queue_emails(1)
            sender.drain_once()
            clock.advance(timedelta(hours=1))
            sender.drain_once()
            assert message(message_id).status == "dead"

            smtp.start()
            result = CliRunner().invoke(cli, ["outbox", "retry-dead", "--kind", "email"])
            assert result.exit_code == 0, result.output
            assert "queued 1 message(s) again" in result.output
            assert sender.drain_once() == 1
        assert message(message_id).status == "sent"
        assert [m["Message-ID"] for m in smtp.messages] == [f"<{message_id}@example.com>"]
