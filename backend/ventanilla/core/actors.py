"""Who is acting: recorded on every write and in the activity log."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Actor:
    type: str  # customer | agent | store | system
    id: str | None = None
    # The customer an agent acts for; None when customers act themselves.
    on_behalf_of: int | None = None
    # The language a shopper is using in this request (access.deps.ShopperActor sets it): the
    # emails their own action causes go out in it. None for everyone else.
    locale: str | None = None

    @classmethod
    def system(cls) -> Actor:
        return cls("system", "ventanilla")

    @classmethod
    def store(cls, key_name: str) -> Actor:
        return cls("store", key_name)

    @classmethod
    def customer(cls, customer_id: int, *, locale: str | None = None) -> Actor:
        return cls("customer", str(customer_id), locale=locale)
