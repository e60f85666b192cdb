"""Customers are one per email address, compared case-insensitively."""

from __future__ import annotations

import pytest
from pydantic import ValidationError
from sqlmodel import Session, select

from ventanilla.customers import service
from ventanilla.customers.models import Customer
from ventanilla.customers.schemas import CustomerCreate


def customer_in(**overrides: object) -> CustomerCreate:
    values: dict[str, object] = {
        "email": "Lucia.Garcia@Example.com",
        "name": "Lucía García",
        "phone": "+34600111222",
        "locale": "es",
    }
    values.update(overrides)
    return CustomerCreate.model_validate(values)


class TestUpsertCustomer:
    def test_a_new_email_creates_a_customer_stored_lower_cased(self, session: Session) -> None:
        upsert = service.upsert_customer(session, data=customer_in())
        assert upsert.result == "created"
        assert upsert.customer.email == "lucia.garcia@example.com"

    def test_the_same_email_in_other_case_updates_the_same_customer(self, session: Session) -> None:
        first = service.upsert_customer(session, data=customer_in()).customer
        second = service.upsert_customer(
            session,
            data=customer_in(email="LUCIA.GARCIA@EXAMPLE.COM", name="Lucía G.", locale="en"),
        )
        assert second.result == "updated"
        assert second.customer.id == first.id
        assert (second.customer.name, second.customer.locale) == ("Lucía G.", "en")
        assert second.customer.updated_at is not None
        assert len(session.exec(select(Customer)).all()) == 1

    def test_the_same_data_again_is_unchanged(self, session: Session) -> None:
        service.upsert_customer(session, data=customer_in())
        assert service.upsert_customer(session, data=customer_in()).result == "unchanged"

    def test_find_by_email_ignores_case_and_spaces(self, session: Session) -> None:
        created = service.upsert_customer(session, data=customer_in()).customer
        assert service.find_by_email(session, "  LUCIA.garcia@example.COM ") is created


class TestCustomerIn:
    @pytest.mark.parametrize(
        "email", ["no-at-sign", "a@b", "two@@example.com", "sp ace@example.com", ""]
    )
    def test_something_that_is_not_an_address_is_refused(self, email: str) -> None:
        with pytest.raises(ValidationError):
            customer_in(email=email)

    @pytest.mark.parametrize("locale", ["español", "e", "es-ES-x-y-z-long"])
    def test_a_malformed_locale_is_refused(self, locale: str) -> None:
        with pytest.raises(ValidationError):
            customer_in(locale=locale)
