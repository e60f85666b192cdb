"""Customers: one per email address (lower-cased), kept up to date by the shop's pushes."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from sqlmodel import Session

from ventanilla.core import clock
from ventanilla.customers import repository
from ventanilla.customers.models import Customer
from ventanilla.customers.schemas import CustomerCreate, normalize_email

UpsertResult = Literal["created", "updated", "unchanged"]


@dataclass(frozen=True)
class CustomerUpsert:
    customer: Customer
    result: UpsertResult


def find_by_email(session: Session, email: str) -> Customer | None:
    """The customer with this address, compared case-insensitively."""
    return repository.by_email(session, normalize_email(email))


def get_customer(session: Session, customer_id: int) -> Customer | None:
    return repository.get(session, customer_id)


def upsert_customer(session: Session, *, data: CustomerCreate) -> CustomerUpsert:
    """Create the customer for this email, or bring name, phone and locale up to date."""
    email = normalize_email(data.email)
    customer = repository.by_email(session, email)
    if customer is None:
        customer = Customer(email=email, name=data.name, phone=data.phone, locale=data.locale)
        if repository.insert(session, customer):
            return CustomerUpsert(customer, "created")
        # Another transaction created it between our read and our insert: update theirs.
        customer = repository.by_email(session, email)
        if customer is None:  # pragma: no cover - the unique index said it exists
            raise RuntimeError(f"customer {email} vanished")
    wanted = {"name": data.name, "phone": data.phone, "locale": data.locale}
    if all(getattr(customer, key) == value for key, value in wanted.items()):
        return CustomerUpsert(customer, "unchanged")
    for key, value in wanted.items():
        setattr(customer, key, value)
    customer.updated_at = clock.now()
    repository.flush(session)
    return CustomerUpsert(customer, "updated")
