"""`ventanilla policy check FILE` and `ventanilla policy explain ORDER`, as text lines."""

from __future__ import annotations

from pathlib import Path

from pydantic import ValidationError
from sqlmodel import Session

from ventanilla.config import get_settings, load_policy
from ventanilla.core import clock, i18n
from ventanilla.core.money import format_money
from ventanilla.orders import discounts
from ventanilla.orders import repository as orders_repository
from ventanilla.returns import options
from ventanilla.returns.exceptions import ReturnNotFound


def check(path: Path) -> list[str]:
    """Problems of the policy file (empty: valid), one per line, law layer included."""
    try:
        load_policy(path)
    except ValidationError as exc:
        return [
            f"{'.'.join(str(p) for p in error['loc']) or 'file'}: {error['msg']}"
            for error in exc.errors()
        ]
    except (OSError, ValueError) as exc:
        return [f"{path}: {exc}"]
    return []


def _money(amount: int, currency: str) -> str:
    return format_money(amount, currency, "en")


def explain(session: Session, *, number: str, reason: str | None = None) -> list[str]:
    """The decision for each line of the order now, and why (rule ids, windows, amounts), in
    English."""
    with i18n.using_locale("en"):
        return _explain(session, number=number, reason=reason)


def _explain(session: Session, *, number: str, reason: str | None) -> list[str]:
    order = orders_repository.get_by_number(session, number)
    if order is None:
        raise ReturnNotFound(f"There is no order {number}.")
    now = clock.now()
    tz = get_settings().timezone
    withdrawal = options.quote(session, order=order, kind="withdrawal", now=now)
    ret = options.quote(session, order=order, kind="return", now=now, reason=reason)
    out = [
        f"Order {order.number} ({order.status}), now {now.isoformat()}, shop time zone {tz}",
        f"Received (last parcel): {_iso(withdrawal.received_at)}",
        f"Withdrawal: {_yes_no(withdrawal.decision)}; deadline {_iso(withdrawal.deadline)}",
        f"Return (reason {reason or 'none given'}): {_yes_no(ret.decision)}",
    ]
    for w, r in zip(withdrawal.lines, ret.lines, strict=True):
        line = w.line
        paid = discounts.paid_for_line(line)
        out.append(
            f"- line {line.line_no} {line.sku} x{line.quantity} paid "
            f"{_money(paid, order.currency)} (discount share "
            f"{_money(line.discount_minor, order.currency)}), {w.available} left to send back"
        )
        out.append(f"    withdrawal: {_line(w)} [rule {w.decision.rule_id}]")
        d = r.decision
        extra = ""
        if d.decision.ok:
            extra = (
                f"; until {_iso(d.window_ends_at)}; fee {d.fee_percent}% + "
                f"{d.fee_minor_per_unit}/unit; resolutions {', '.join(d.resolutions)}; return "
                f"shipping paid by {d.return_shipping}; review {'yes' if d.review else 'no'}"
            )
        out.append(f"    return: {_line(r)} [rule {d.rule_id}]{extra}")
        out.append(f"    inputs: {r.facts.as_dict()}")
    return out


def _iso(value: object) -> str:
    return value.isoformat() if hasattr(value, "isoformat") else "not yet"


def _yes_no(decision: object) -> str:
    ok = getattr(decision, "ok", False)
    return "yes" if ok else f"no ({getattr(decision, 'reason_code', '')}: {decision.text()})"  # type: ignore[attr-defined]


def _line(option: options.LineOption) -> str:
    if option.ok:
        return "yes"
    if option.available == 0:
        return "no (nothing left)"
    return (
        "no ("
        + (option.decision.decision.reason_code or "")
        + ": "
        + (options.line_reason(option.decision))
        + ")"
    )
