"""The worker runs the tasks every domain registers, in their order, knowing none of them."""

from __future__ import annotations

from ventanilla import discovery
from ventanilla.core import tasks


class TestRegisteredTasks:
    def test_refunds_first_then_clean_ups_then_the_outbox(self) -> None:
        discovery.load("tasks")
        names = [task.name for task in tasks.registered()]
        assert names == [
            "payments.refunds",
            "changes.expire_abandoned",
            # After the refunds (their outcome is fresh), before the outbox (same pass).
            "returns.refund_outcomes",
            "returns.deadline_alarms",
            "access.purge_rate_limits",
            "outbox.send",
        ]
