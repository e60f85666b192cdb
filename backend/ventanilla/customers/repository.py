"""Every query on customers."""

from __future__ import annotations

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from ventanilla.customers.models import Customer


def get(session: Session, customer_id: int) -> Customer | None:
    return session.get(Customer, customer_id)


def by_email(session: Session, email: str) -> Customer | None:
    return session.exec(select(Customer).where(Customer.email == email)).first()


def insert(session: Session, customer: Customer) -> bool:
    """Insert in a savepoint; False when a concurrent writer took the email first."""
    try:
        with session.begin_nested():
            session.add(customer)
    except IntegrityError:
        return False
    return True


def flush(session: Session) -> None:
    session.flush()
