"""`ventanilla policy check FILE` and `ventanilla policy explain ORDER`; the example policy."""

from __future__ import annotations

from datetime import UTC
from pathlib import Path

from sqlmodel import Session
from typer.testing import CliRunner

from tests.returns.support import delivered_order, madrid, with_policy
from ventanilla.cli import app
from ventanilla.config import ROOT, Settings
from ventanilla.core import clock

EXAMPLE = ROOT / "docs" / "policy.example.toml"


def test_the_example_policy_is_valid() -> None:
    result = CliRunner().invoke(app, ["policy", "check", str(EXAMPLE)])
    assert result.exit_code == 0 and "valid" in result.output


def test_a_fee_on_withdrawals_is_rejected_with_the_law(tmp_path: Path) -> None:
    bad = tmp_path / "policy.toml"
    bad.write_text(
        '[returns]\n[[returns.rules]]\nid = "restock"\nfee_percent = 10\napplies_to = "both"\n'
    )
    result = CliRunner().invoke(app, ["policy", "check", str(bad)])
    assert result.exit_code == 1
    assert "rule restock: a withdrawal is free" in result.output and "art. 108" in result.output


def test_unknown_fields_and_unbuilt_resolutions_are_rejected(tmp_path: Path) -> None:
    bad = tmp_path / "policy.json"
    bad.write_text(
        '{"returns": {"rules": [{"id": "x", "resolutions": ["exchange"]}], "windw_days": 3}}'
    )
    result = CliRunner().invoke(app, ["policy", "check", str(bad)])
    assert result.exit_code == 1
    assert "windw_days" in result.output


def test_explain_prints_each_lines_decision_and_why(
    session: Session, settings: Settings, tmp_path: Path
) -> None:
    with_policy(
        settings,
        tmp_path,
        returns={
            "rules": [
                {"id": "cheap", "match": {"max_unit_price_minor": 2500}, "fee_percent": 10},
            ]
        },
    )
    order = delivered_order(session, delivered=[madrid(2026, 3, 7)], prices=(3000, 2000))
    with clock.frozen(madrid(2026, 3, 9).astimezone(UTC)):
        result = CliRunner().invoke(app, ["policy", "explain", order.number])
    assert result.exit_code == 0, result.output
    out = result.output
    assert "deadline 2026-03-21T22:59:59+00:00" in out  # 23:59:59 Madrid
    assert "[rule law.withdrawal]" in out and "[rule cheap]" in out and "[rule default]" in out
    assert "fee 10%" in out
    missing = CliRunner().invoke(app, ["policy", "explain", "NOPE-1"])
    assert missing.exit_code == 1


def test_the_demo_shows_orders_inside_and_outside_the_window_and_a_final_sale_item() -> None:
    from datetime import datetime, timedelta

    from ventanilla import demo, demo_data

    now = datetime(2026, 11, 29, 12, tzinfo=UTC)
    orders = demo_data.orders(now)
    inside = demo._pick(orders, "delivered:open", now)
    outside = demo._pick(orders, "delivered:closed", now)
    final = demo._pick(orders, "delivered:final_sale", now)

    def delivered(order: demo_data.DemoOrder) -> datetime:
        return next(at for s, at in order.events if s == "delivered")

    assert now - delivered(inside) < timedelta(days=12)
    assert now - delivered(outside) > timedelta(days=16)
    assert {line["sku"] for line in final.payload["lines"]} & {"ARTE-02"}
    assert any(p["final_sale"] for p in demo_data.product_payloads())
