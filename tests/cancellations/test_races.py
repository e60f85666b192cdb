"""Real concurrency on PostgreSQL: cancellations racing the warehouse's packing claim, and many
submits of one cancellation. Exactly one of a cancellation and a claim wins; money moves once."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlmodel import Session

from tests.cancellations.support import cancel, ledger
from tests.changes.support import changes_of, reload_order, shop
from tests.changes.test_races import claim, run_together
from tests.stripe_server import LocalStripe
from ventanilla.cancellations.service import CancelResult
from ventanilla.config import Settings
from ventanilla.orders.exceptions import AlreadyClaimed, ChangeNotAllowed, OrderCancelled

RACERS = 20


class TestCancelRacingThePackingClaim:
    def test_exactly_one_of_twenty_cancels_and_claims_wins(
        self,
        postgres_only: None,
        session: Session,
        localstripe: LocalStripe,
        stripe_settings: Settings,
    ) -> None:
        winners = set()
        for _round in range(3):
            intent = localstripe.paid_intent(3630)
            order = shop(session, payment_reference=intent, extra_products=())[0]
            jobs: list[Callable[[], Any]] = []
            for _ in range(RACERS // 2):
                jobs.append(lambda o=order: cancel(o))
                jobs.append(lambda o=order: claim(o.number))
            results = run_together(*jobs)
            cancels, claims = results[0::2], results[1::2]
            won_cancels = [
                r for r in cancels if isinstance(r, CancelResult) and r.outcome == "cancelled"
            ]
            won_claims = [r for r in claims if isinstance(r, tuple)]
            assert len(won_cancels) + len(won_claims) == 1, results
            stored, _lines = reload_order(order.number)
            cancel_changes = [c for c in changes_of(order) if c.kind == "cancel"]
            if won_cancels:
                winners.add("cancel")
                assert stored.status == "cancelled"
                assert all(isinstance(r, OrderCancelled) for r in claims), claims
                assert all(
                    isinstance(r, CancelResult) and r.outcome in ("cancelled", "unchanged")
                    for r in cancels
                ), cancels
                assert len(cancel_changes) == 1
                [entry] = ledger(order)
                assert (entry.amount_minor, entry.status) == (3630, "succeeded")
                assert [r.amount for r in localstripe.refunds(intent)] == [3630]
            else:
                winners.add("claim")
                assert stored.status == "packing"
                assert all(
                    isinstance(r, ChangeNotAllowed) and r.code == "packing_started" for r in cancels
                ), cancels
                assert all(isinstance(r, tuple | AlreadyClaimed) for r in claims), claims
                assert cancel_changes == [] and ledger(order) == []
                assert localstripe.refunds(intent) == []
        assert winners  # which side wins is up to the scheduler; each round has one winner

    def test_twenty_concurrent_submits_cancel_once(
        self, postgres_only: None, session: Session, stripe_settings: Settings
    ) -> None:
        order = shop(session, status="placed", stock=5, extra_products=())[0]
        results = run_together(*[lambda: cancel(order) for _ in range(RACERS)])
        outcomes = sorted(r.outcome for r in results if isinstance(r, CancelResult))
        assert outcomes == ["cancelled"] + ["unchanged"] * (RACERS - 1), results
        assert len([c for c in changes_of(order) if c.kind == "cancel"]) == 1
