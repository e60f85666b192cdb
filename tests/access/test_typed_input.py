"""Kind 8: what a shopper types is read the way a person means it (core.typed), in every form.

"Find my order" with `#20345` emails the link for order 20345; the same rule reads full-width
digits, `Nº`, case where the shop's numbers allow it, email domains in Unicode, postcodes by the
order country's rules, codes typed with spaces.
"""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from tests.access.helpers import post_form
from tests.factories import make_customer, make_order
from ventanilla.core import typed
from ventanilla.orders.models import Order, OrderAddress
from ventanilla.outbox.models import OutboxMessage


class TestTheRule:
    @pytest.mark.parametrize(
        ("typed_in", "meant"),
        [
            ("#20345", "20345"),
            (" # 20345 ", "20345"),
            ("Nº 20345", "20345"),
            ("nº20345", "20345"),
            ("No. 20345", "20345"),
            ("２０３４５", "20345"),  # full-width, from a phone keyboard
            ("\u200b20345\ufeff", "20345"),  # invisible characters from a copied email
            ("ES-1001", "ES-1001"),
            ("#ES-1001", "ES-1001"),
        ],
    )
    def test_order_numbers(self, typed_in: str, meant: str) -> None:
        assert typed.order_number(typed_in) == meant

    def test_free_text_keeps_its_letters_and_folds_only_widths(self) -> None:
        assert typed.text("  Calle\u3000Mayor ３,\u00a03º B ") == "Calle Mayor 3, 3º B"
        assert typed.text("Jose\u0301") == "José"  # NFC: one letter, as the shopper sees it
        assert typed.text(None) == ""

    def test_emails(self) -> None:
        assert typed.email(" Cliente@Bücher.Example ") == "Cliente@xn--bcher-kva.example"
        assert typed.email_key("Cliente@Bücher.example") == typed.email_key(
            "cliente@xn--bcher-kva.EXAMPLE"
        )
        assert typed.email("ana@") == "ana@"  # not an address: left for the form to refuse

    def test_postcodes_and_codes(self) -> None:
        assert typed.compact(" d02 x285 ") == "D02X285"
        assert typed.digits("１２３ ４５６") == "123456"


def emails_sent(session: Session) -> list[OutboxMessage]:
    session.commit()
    return list(session.exec(select(OutboxMessage).where(OutboxMessage.kind == "email")).all())


@pytest.fixture
def order_20345(session: Session) -> Order:
    customer = make_customer(session, email="cliente@xn--bcher-kva.example", name="Ana")
    made = make_order(session, customer=customer, number="20345")
    address = session.exec(select(OrderAddress).where(OrderAddress.order_id == made.id)).one()
    address.postcode = "08001"
    address.city, address.region = "Barcelona", "Barcelona"
    session.add(address)
    session.commit()
    return made


class TestFindMyOrder:
    @pytest.mark.parametrize(
        "fields",
        [
            {"order_number": "#20345", "email": "cliente@xn--bcher-kva.example"},  # the issue
            {"order_number": "Nº 20345", "email": "CLIENTE@Bücher.example"},
            {"order_number": "２０３４５", "postcode": "8001"},  # 08001 in Spain
            {"order_number": " 20345 ", "postcode": " 08 001 "},
        ],
    )
    def test_the_order_is_found_the_way_the_shopper_means_it(
        self, client: TestClient, session: Session, order_20345: Order, fields: dict[str, str]
    ) -> None:
        response = post_form(client, "/find", fields)
        assert (response.status_code, response.headers["location"]) == (303, "/find/sent")
        [message] = emails_sent(session)
        assert message.payload["to"] == "cliente@xn--bcher-kva.example"
        assert "20345" in message.payload["subject"]

    def test_a_wrong_postcode_still_finds_nothing(
        self, client: TestClient, session: Session, order_20345: Order
    ) -> None:
        post_form(client, "/find", {"order_number": "#20345", "postcode": "8002"})
        assert emails_sent(session) == []

    def test_case_is_ignored_only_where_the_shops_numbers_allow_it(
        self, client: TestClient, session: Session
    ) -> None:
        customer = make_customer(session, email="ana@example.com", name="Ana")
        make_order(session, customer=customer, number="AB-1")
        session.commit()
        post_form(client, "/find", {"order_number": "ab-1", "email": "ana@example.com"})
        assert len(emails_sent(session)) == 1
        # Now the shop has numbers that differ by case alone: only the exact one is found.
        other = make_customer(session, email="eve@example.com", name="Eve")
        make_order(session, customer=other, number="ab-1")
        make_order(session, customer=customer, number="CD-2")
        make_order(session, customer=other, number="cd-2")
        session.commit()
        post_form(client, "/find", {"order_number": "Cd-2", "email": "ana@example.com"})
        assert len(emails_sent(session)) == 1  # ambiguous: nothing more was sent


class TestLinksForIdnEmails:
    def test_a_link_signed_with_the_unicode_domain_opens_the_order(
        self, client: TestClient, order_20345: Order
    ) -> None:
        from tests.access.helpers import link_token

        for email in ("cliente@bücher.example", "cliente@xn--bcher-kva.example"):
            token = link_token("20345", email)
            assert client.get(f"/l/{token}").status_code == 200, email
        assert client.get(f"/l/{link_token('20345', 'otro@bücher.example')}").status_code == 400
