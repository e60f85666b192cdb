"""What a shopper can do now with an order: the registry the order page's box reads.

Each domain registers its own actions in its `actions.py` (found by `ventanilla.discovery`; a new
domain touches no other file):

    from ventanilla.orders import policy as orders_policy
    from ventanilla.portal import actions, urls

    actions.register(
        actions.Action(
            key="return",
            label=N_("Return items"),
            decide=lambda ctx: returns_policy.can_return(ctx.order, ctx.now),
            href=lambda ctx: urls.order_url(ctx.order.number) + "/returns/new",
            position=50,
            done=N_("Your return is registered. We have emailed you the label."),
        )
    )
    actions.tell_in_timeline("return.requested", N_("You asked to return items"))

An action decides from what the order page has already loaded (`ActionContext`: no queries of
its own, so the page's statement count stays constant) and explains every "no" with the
decision's reason. Labels and reasons are English msgids; the page translates them.

This module imports nothing but `core` (domains import it; it must not import them back).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from ventanilla.core.decisions import Decision

if TYPE_CHECKING:
    from ventanilla.orders.models import Order
    from ventanilla.portal.view import InvoiceView, ShipmentView

__all__ = ["Action", "ActionContext", "ActionOption", "Decision", "options", "register"]


@dataclass(frozen=True)
class ActionContext:
    """What an action may look at: the order and what the page loaded for it."""

    order: Order
    shipments: Sequence[ShipmentView]
    invoices: Sequence[InvoiceView]
    now: datetime


@dataclass(frozen=True)
class Action:
    key: str
    label: str  # msgid
    decide: Callable[[ActionContext], Decision]
    href: Callable[[ActionContext], str | None]
    external: bool = False  # the link leaves the portal (a carrier's site)
    position: int = 100
    # Said on the order page when the action's flow ends there with `?changed=<key>` (a msgid).
    done: str | None = None


@dataclass(frozen=True)
class ActionOption:
    """One line of the "what you can do now" box."""

    key: str
    label: str
    ok: bool
    reason: str | None
    href: str | None
    external: bool
    params: dict[str, str] = field(default_factory=dict)


_registry: dict[str, Action] = {}
_timeline: dict[str, str] = {}
_discovered = False


def register(action: Action) -> Action:
    """Add (or replace, by key) a self-service action."""
    _registry[action.key] = action
    return action


def unregister(key: str) -> None:
    _registry.pop(key, None)


def registered() -> list[Action]:
    """Every action, in display order (each domain's `actions` module is imported first)."""
    global _discovered
    if not _discovered:  # importing is once per process; finding the modules costs ~100 µs
        from ventanilla import discovery  # the registry itself imports no domain

        discovery.load("actions")
        _discovered = True
    return sorted(_registry.values(), key=lambda a: (a.position, a.key))


def tell_in_timeline(kind: str, label: str) -> None:
    """How the order's timeline tells an activity kind an action records (`edit.record(kind)`):
    a msgid; %(number)s and %(carrier)s come from the activity's data. Unnamed kinds show as
    "Update on your order"."""
    _timeline[kind] = label


def timeline_label(kind: str) -> str | None:
    registered()  # the domains' actions modules name their kinds when imported
    return _timeline.get(kind)


def done_notice(key: str) -> str | None:
    """What the order page says after an action's flow redirected to it (`?changed=key`)."""
    action = next((a for a in registered() if a.key == key), None)
    return action.done if action is not None else None


def options(ctx: ActionContext) -> list[ActionOption]:
    """Every registered action with its decision for this order, in display order."""
    result = []
    for action in registered():
        decision = action.decide(ctx)
        result.append(
            ActionOption(
                key=action.key,
                label=action.label,
                ok=decision.ok,
                reason=None if decision.ok else decision.message,
                href=action.href(ctx) if decision.ok else None,
                external=action.external,
                params=dict(decision.params),
            )
        )
    return result
