"""Kind 9 and the timeline items: every date shown is the shop's date (text and `<time datetime>`),
across daylight-saving changes; invoices are dated by their issue date; a cancelled order does not
promise an invoice; an invoice issued before an amendment says it no longer matches."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from tests.factories import make_order
from tests.portal.test_pages import (  # noqa: F401 - fixtures
    add_activity,
    add_invoice,
    customer,
    html_of,
    shipped_order,
    signed_in,
)
from ventanilla.config import Settings, use_settings
from ventanilla.core import clock, i18n
from ventanilla.core.templating import templates
from ventanilla.customers.models import Customer

LATE_NOVEMBER = datetime(2026, 11, 20, 23, 30, tzinfo=UTC)  # 21 Nov 00:30 in Madrid


def filters(value: object, locale: str = "es") -> tuple[str, str, str, str]:
    env = templates().env
    with i18n.using_locale(locale):
        return (
            env.filters["date"](value),
            env.filters["iso_date"](value),
            env.filters["datetime"](value, "d MMM y, HH:mm"),
            env.filters["iso_datetime"](value),
        )


class TestTheRule:
    def test_late_evening_utc_is_the_next_day_in_madrid_text_and_attribute_alike(
        self, settings: Settings
    ) -> None:
        shown, iso_day, when, iso_when = filters(LATE_NOVEMBER)
        assert shown == "21 de noviembre de 2026" and iso_day == "2026-11-21"
        assert when == "21 nov 2026, 00:30" and iso_when == "2026-11-21T00:30+01:00"

    @pytest.mark.parametrize(
        ("utc", "local"),
        [
            # Spring forward, 29 March 2026: 02:00 CET becomes 03:00 CEST at 01:00 UTC.
            (datetime(2026, 3, 29, 0, 59, tzinfo=UTC), "2026-03-29T01:59+01:00"),
            (datetime(2026, 3, 29, 1, 0, tzinfo=UTC), "2026-03-29T03:00+02:00"),
            # Fall back, 25 October 2026: 02:30 happens twice, with two offsets.
            (datetime(2026, 10, 25, 0, 30, tzinfo=UTC), "2026-10-25T02:30+02:00"),
            (datetime(2026, 10, 25, 1, 30, tzinfo=UTC), "2026-10-25T02:30+01:00"),
            # Summer: 22:30 UTC is already the next day (UTC+2).
            (datetime(2026, 7, 31, 22, 30, tzinfo=UTC), "2026-08-01T00:30+02:00"),
        ],
    )
    def test_daylight_saving_changes(self, settings: Settings, utc: datetime, local: str) -> None:
        assert filters(utc)[3] == local
        assert filters(utc)[1] == local[:10]

    def test_naive_values_are_utc_and_dates_stay_dates(self, settings: Settings) -> None:
        naive = LATE_NOVEMBER.replace(tzinfo=None)  # how SQLite hands them back
        assert filters(naive)[1] == "2026-11-21"
        env = templates().env
        with i18n.using_locale("es"):
            day = date(2026, 11, 20)
            assert (env.filters["date"](day), env.filters["iso_date"](day)) == (
                "20 de noviembre de 2026",
                "2026-11-20",
            )

    def test_the_shop_time_zone_is_a_setting(self, settings: Settings) -> None:
        use_settings(settings.model_copy(update={"timezone": "America/New_York"}))
        assert filters(LATE_NOVEMBER, "en")[1:] == (
            "2026-11-20",
            "20 Nov 2026, 18:30",
            "2026-11-20T18:30-05:00",
        )


class TestOrderPage:
    def test_placed_at_2330_utc_shows_21_november_in_the_attribute_too(
        self,
        client: TestClient,
        session: Session,
        signed_in: Customer,  # noqa: F811
    ) -> None:
        order = make_order(session, customer=signed_in, placed_at=LATE_NOVEMBER)
        session.commit()
        with clock.frozen(LATE_NOVEMBER + timedelta(hours=1)):
            html = html_of(client.get(f"/orders/{order.number}"))
        assert '<time datetime="2026-11-21">21 de noviembre de 2026</time>' in html
        assert "2026-11-20" not in html
        assert '<time datetime="2026-11-21T00:30+01:00">21 nov 2026, 00:30</time>' in html

    def test_the_orders_list_too(
        self,
        client: TestClient,
        session: Session,
        signed_in: Customer,  # noqa: F811
    ) -> None:
        make_order(session, customer=signed_in, placed_at=LATE_NOVEMBER)
        session.commit()
        html = html_of(client.get("/orders"))
        assert '<time datetime="2026-11-21">' in html and "2026-11-20" not in html


def labels_with_times(html: str) -> list[tuple[str, str]]:
    timeline = html[html.index('id="timeline"') :]
    return re.findall(
        r'<p class="timeline__label">([^<]+)</p>.*?<time datetime="([^"]+)"', timeline, re.S
    )


class TestTimeline:
    def test_an_invoice_is_dated_by_its_issue_date_and_sorted_before_delivery(
        self,
        client: TestClient,
        session: Session,
        signed_in: Customer,  # noqa: F811
    ) -> None:
        order = shipped_order(session, signed_in, events=0)  # invoice F-… issued 2026-03-03
        t0 = order.placed_at
        add_activity(session, order, "order.status_changed", t0 + timedelta(days=3), to="delivered")
        # The shop pushed the invoice ten days later.
        add_activity(
            session, order, "invoice.issued", t0 + timedelta(days=13), number=f"F-{order.number}"
        )
        session.commit()
        client.cookies.set("lang", "en")
        html = html_of(client.get(f"/orders/{order.number}"))
        entries = labels_with_times(html)
        assert entries[0] == ("Your order was delivered", "2026-03-05T10:00+01:00")
        invoice = next(e for e in entries if e[0].startswith("Invoice"))
        assert invoice == (f"Invoice F-{order.number} issued", "2026-03-03")
        labels = [label for label, _at in entries]
        assert labels.index("Your order was delivered") < labels.index(invoice[0])

    def test_an_invoice_pushed_on_its_issue_day_keeps_its_place_that_day(
        self,
        client: TestClient,
        session: Session,
        signed_in: Customer,  # noqa: F811
    ) -> None:
        order = shipped_order(session, signed_in, events=0)
        pushed = datetime(2026, 3, 3, 8, 0, tzinfo=UTC)  # 09:00 in Madrid, the issue day
        add_activity(session, order, "invoice.issued", pushed, number=f"F-{order.number}")
        add_activity(
            session, order, "order.status_changed", pushed + timedelta(hours=2), to="delivered"
        )
        session.commit()
        client.cookies.set("lang", "en")
        labels = [
            label
            for label, _at in labels_with_times(html_of(client.get(f"/orders/{order.number}")))
        ]
        assert labels.index("Your order was delivered") < labels.index(
            f"Invoice F-{order.number} issued"
        )

    def test_a_cancelled_order_does_not_promise_an_invoice(
        self,
        client: TestClient,
        session: Session,
        signed_in: Customer,  # noqa: F811
    ) -> None:
        order = make_order(session, customer=signed_in, status="cancelled")
        session.commit()
        client.cookies.set("lang", "en")
        html = html_of(client.get(f"/orders/{order.number}"))
        assert "This order was cancelled before an invoice was issued." in html
        assert "The invoice appears here once the shop issues it." not in html
        assert "will appear" not in html.replace("News about your order will appear here", "")

    def test_an_invoice_before_an_amendment_says_it_no_longer_matches(
        self,
        client: TestClient,
        session: Session,
        signed_in: Customer,  # noqa: F811
    ) -> None:
        order = make_order(session, customer=signed_in, status="paid")
        add_invoice(session, order, number="F-1")
        session.commit()
        client.cookies.set("lang", "en")
        note = "Issued before your order changed, so it no longer matches the order."
        assert note not in html_of(client.get(f"/orders/{order.number}"))

        add_activity(session, order, "order.amended", clock.now() + timedelta(minutes=1))
        session.commit()
        assert note in html_of(client.get(f"/orders/{order.number}"))

        # The shop answers with a credit note: the note goes.
        credit = add_invoice(session, order, number="R-1")
        credit.kind, credit.corrects_number = "credit_note", "F-1"
        credit.created_at = clock.now() + timedelta(minutes=2)
        session.commit()
        assert note not in html_of(client.get(f"/orders/{order.number}"))
