"""The law's cases from issue 11 ("Must hold"), on SQLite and PostgreSQL.

Withdrawal: Directive 2011/83/EU arts. 9-16 (as amended by Directive 2023/2673, art. 11a) and
TRLGDCU arts. 102-108: 14 days from receipt of the last parcel, no fee, standard shipping back
on a whole-order withdrawal, exceptions only for products the shop tagged.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from pydantic import ValidationError
from sqlmodel import Session

from tests.returns.support import (
    actor_for,
    cases,
    customer_of,
    delivered_order,
    madrid,
    outbox,
    with_policy,
)
from ventanilla.config import Settings, ShopPolicy
from ventanilla.core import clock
from ventanilla.core.actors import Actor
from ventanilla.core.errors import Refused
from ventanilla.db import session_scope
from ventanilla.orders.models import Order
from ventanilla.outbox import service as outbox_service
from ventanilla.returns import service, store
from ventanilla.returns.exceptions import ReturnInvalid

SHOP = Actor.store("Tienda")


def withdraw(order: Order, selection: dict[int, int]) -> service.CaseResult:
    customer = customer_of(order)
    with session_scope() as s:
        return service.withdraw(
            s,
            actor=actor_for(customer),
            customer=customer,
            number=order.number,
            selection=selection,
            name="Lucía García",
            email="lucia@example.com",
        )


def give_back(order: Order, selection: dict[int, int], reason: str = "changed_mind"):  # type: ignore[no-untyped-def]
    customer = customer_of(order)
    with session_scope() as s:
        return service.request_return(
            s,
            actor=actor_for(customer),
            customer=customer,
            number=order.number,
            selection=selection,
            reason=reason,
        )


def quote(order: Order, kind: str = "withdrawal"):  # type: ignore[no-untyped-def]
    with session_scope(write=False) as s:
        fresh = s.get(Order, order.id)
        assert fresh is not None
        return service.get_quote(s, order=fresh, kind=kind)


def webhooks_on() -> None:
    with session_scope() as s:
        outbox_service.create_endpoint(s, actor=SHOP, url="http://127.0.0.1:9/hooks", events=[])


class TestWithdrawalWindow:
    def test_two_parcels_3_and_7_march_allow_until_21_march_2359_madrid(
        self, session: Session
    ) -> None:
        order = delivered_order(
            session, delivered=[madrid(2026, 3, 3, 11), madrid(2026, 3, 7, 18, 30)]
        )
        with clock.frozen(madrid(2026, 3, 10).astimezone(UTC)):
            q = quote(order)
        assert q.deadline == madrid(2026, 3, 21, 23, 59, 59)
        assert all(line.ok for line in q.lines)  # both parcels' items, same deadline

        with clock.frozen(madrid(2026, 3, 21, 23, 59, 58).astimezone(UTC)):
            result = withdraw(order, {1: 1, 2: 1})
        assert result.created and result.case.kind == "withdrawal"

    def test_one_second_after_the_deadline_is_refused_with_the_date(self, session: Session) -> None:
        order = delivered_order(session, delivered=[madrid(2026, 3, 3), madrid(2026, 3, 7)])
        with clock.frozen(madrid(2026, 3, 22, 0, 0, 0).astimezone(UTC)):
            with pytest.raises(Refused) as refused:
                withdraw(order, {1: 1})
        assert refused.value.code == "withdrawal_window_closed"
        assert "21/03/2026" in refused.value.message
        assert cases(order) == []

    def test_a_parcel_without_delivery_event_counts_in_the_shoppers_favour(
        self, session: Session
    ) -> None:
        # Parcel 2 shipped 2 March (no delivery event); the shop marked the order delivered on
        # 3 March: counted as received 2 March + 5 days' carrier allowance = 7 March.
        order = delivered_order(
            session, delivered=[madrid(2026, 3, 2), None], status_at=madrid(2026, 3, 3)
        )
        with clock.frozen(madrid(2026, 3, 10).astimezone(UTC)):
            assert quote(order).deadline == madrid(2026, 3, 21, 23, 59, 59)

    def test_not_received_yet_the_period_has_not_started(self, session: Session) -> None:
        order = delivered_order(session, delivered=[None], status="shipped")
        with clock.frozen(madrid(2026, 9, 1).astimezone(UTC)):
            q = quote(order)
            assert q.deadline is None and q.decision.ok

    def test_before_packing_the_shopper_cancels_instead(self, session: Session) -> None:
        order = delivered_order(session, delivered=[], status="paid")
        with pytest.raises(Refused) as refused:
            withdraw(order, {1: 1})
        assert refused.value.code == "cancel_instead"


class TestWithdrawalIsFree:
    def test_a_restocking_rule_does_not_apply_to_a_withdrawal(
        self, session: Session, settings: Settings, tmp_path: Path
    ) -> None:
        with_policy(
            settings,
            tmp_path,
            returns={
                "rules": [{"id": "restocking", "fee_percent": 10}],
            },
        )
        order = delivered_order(session, delivered=[madrid(2026, 3, 7)], prices=(3000, 2000))
        with clock.frozen(madrid(2026, 3, 9).astimezone(UTC)):
            returned = give_back(order, {1: 1})
            withdrawn = withdraw(order, {2: 1})
        assert returned.case.fee_minor == 300 and returned.case.refund_minor == 2700
        assert withdrawn.case.fee_minor == 0 and withdrawn.case.refund_minor == 2000

    def test_the_policy_check_rejects_a_fee_on_withdrawals(self) -> None:
        with pytest.raises(ValidationError) as problem:
            ShopPolicy.model_validate(
                {"returns": {"rules": [{"id": "r", "fee_percent": 10, "applies_to": "both"}]}}
            )
        assert "a withdrawal is free" in str(problem.value)

    def test_the_policy_check_rejects_forcing_store_credit_or_refusing(self) -> None:
        with pytest.raises(ValidationError) as problem:
            ShopPolicy.model_validate(
                {
                    "returns": {
                        "rules": [
                            {
                                "id": "credit",
                                "resolutions": ["keep_it"],
                                "applies_to": "withdrawal",
                            },
                            {
                                "id": "no",
                                "eligible": False,
                                "reason_en": "x",
                                "reason_es": "x",
                                "applies_to": "both",
                            },
                        ]
                    }
                }
            )
        text = str(problem.value)
        assert "refunded in money" in text and "cannot refuse a withdrawal" in text

    def test_whole_order_refunds_standard_shipping_not_the_express_surcharge(
        self, session: Session, settings: Settings, tmp_path: Path
    ) -> None:
        with_policy(settings, tmp_path, returns={"standard_shipping_minor": 495})
        order = delivered_order(
            session, delivered=[madrid(2026, 3, 7)], prices=(3000, 2000), shipping_minor=1495
        )
        with clock.frozen(madrid(2026, 3, 9).astimezone(UTC)):
            case = withdraw(order, {1: 1, 2: 1}).case
        assert case.shipping_refund_minor == 495
        assert case.refund_minor == 3000 + 2000 + 495

    def test_a_partial_withdrawal_refunds_no_shipping(
        self, session: Session, settings: Settings, tmp_path: Path
    ) -> None:
        with_policy(settings, tmp_path, returns={"standard_shipping_minor": 495})
        order = delivered_order(session, delivered=[madrid(2026, 3, 7)], shipping_minor=495)
        with clock.frozen(madrid(2026, 3, 9).astimezone(UTC)):
            case = withdraw(order, {1: 1}).case
        assert case.shipping_refund_minor == 0 and case.refund_minor == 3000

    def test_only_products_the_shop_tagged_are_excepted(
        self, session: Session, settings: Settings, tmp_path: Path
    ) -> None:
        with_policy(settings, tmp_path, returns={"withdrawal_exception_tags": ["personalised"]})
        order = delivered_order(
            session, delivered=[madrid(2026, 3, 7)], tags=(("personalised",), ("sale",))
        )
        with clock.frozen(madrid(2026, 3, 9).astimezone(UTC)):
            q = quote(order)
            assert [line.ok for line in q.lines] == [False, True]
            with pytest.raises(ReturnInvalid):
                withdraw(order, {1: 1})
            assert withdraw(order, {2: 1}).created


class TestOneCase:
    def test_withdrawing_twice_gives_one_case_one_email_one_webhook(self, session: Session) -> None:
        webhooks_on()
        order = delivered_order(session, delivered=[madrid(2026, 3, 7)])
        with clock.frozen(madrid(2026, 3, 9, 10, 15).astimezone(UTC)):
            first = withdraw(order, {1: 1})
            second = withdraw(order, {1: 1, 2: 1})
        assert first.created and not second.created
        assert second.case.rma == first.case.rma
        assert len(cases(order)) == 1
        emails = [m for m in outbox("email") if order.number in m.payload["subject"]]
        # Once, to the address given in the form, with a copy to the account's address.
        assert sorted(m.payload["to"] for m in emails) == sorted(
            ["lucia@example.com", customer_of(order).email]
        )
        assert "09/03/2026 10:15:00" in emails[0].payload["text"]  # date and time, shop zone
        hooks = [m for m in outbox("webhook") if m.payload["type"] == "withdrawal.received"]
        assert len(hooks) == 1

    def test_a_declined_case_does_not_reopen_the_window(self, session: Session) -> None:
        order = delivered_order(session, delivered=[madrid(2026, 3, 7)])
        with clock.frozen(madrid(2026, 3, 9).astimezone(UTC)):
            rma = withdraw(order, {1: 1}).case.rma
            with session_scope() as s:
                store.decline(s, actor=SHOP, rma=rma, reason="Never sent back")
        with clock.frozen(madrid(2026, 4, 30).astimezone(UTC)):
            again = withdraw(order, {1: 1, 2: 1})
            assert not quote(order).decision.ok
        assert not again.created and again.case.status == "declined"
        assert len(cases(order)) == 1


class TestDiscountShares:
    def test_returning_one_of_two_discounted_items_refunds_its_share(
        self, session: Session
    ) -> None:
        # 30 + 20 with 10 off: shares 6 and 4.
        order = delivered_order(
            session, delivered=[madrid(2026, 3, 7)], prices=(3000, 2000), discount_minor=1000
        )
        with clock.frozen(madrid(2026, 3, 9).astimezone(UTC)):
            case = give_back(order, {2: 1}).case
        assert case.refund_minor == 1600

    def test_units_of_a_line_refunded_in_several_cases_add_up_to_what_was_paid(
        self, session: Session
    ) -> None:
        order = delivered_order(
            session,
            delivered=[madrid(2026, 3, 7)],
            prices=(1000,),
            quantities=(3,),
            discount_minor=100,
        )
        with clock.frozen(madrid(2026, 3, 9).astimezone(UTC)):
            amounts = [give_back(order, {1: 1}).case.refund_minor for _ in range(3)]
            with pytest.raises(ReturnInvalid):
                give_back(order, {1: 1})
        assert sum(amounts) == 2900


def test_deadlines_end_at_midnight_shop_time_in_summer_too(session: Session) -> None:
    order = delivered_order(session, delivered=[madrid(2026, 7, 1, 9)])
    with clock.frozen(datetime(2026, 7, 2, tzinfo=UTC)):
        assert quote(order).deadline == madrid(2026, 7, 15, 23, 59, 59)
