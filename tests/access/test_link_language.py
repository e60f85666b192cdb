"""The "my order" link page and the order page it leads to speak the same language: one rule
(`i18n.decide`: the switch, the customer's language, the browser's, the shop's default)."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from tests.access.helpers import link_token, post_form
from tests.factories import make_customer, make_order


def lang_of(html: str) -> str:
    match = re.search(r'<html lang="([a-z]+)">', html)
    assert match is not None
    return match.group(1)


@pytest.mark.parametrize(
    ("customer_locale", "browser", "cookie", "expected"),
    [
        ("en", "es", None, "en"),  # the customer's language beats the browser's
        ("es", "en", None, "es"),
        (None, "en", None, "en"),  # unknown customer language: the browser's on both pages
        ("es", "es", "en", "en"),  # the switch wins on both
    ],
)
def test_link_page_and_order_page_agree(
    client: TestClient,
    session: Session,
    customer_locale: str | None,
    browser: str,
    cookie: str | None,
    expected: str,
) -> None:
    customer = make_customer(session, email="ana@example.com", locale=customer_locale)
    order = make_order(session, customer=customer, number="ES-6001", locale=None)
    session.commit()
    client.headers["Accept-Language"] = browser
    if cookie:
        client.cookies.set("lang", cookie)
    token = link_token(order.number, "ana@example.com")

    landing = client.get(f"/l/{token}")
    assert landing.status_code == 200
    opened = post_form(client, "/l", {"token": token})
    assert opened.status_code == 303
    page = client.get(opened.headers["location"])
    assert page.status_code == 200
    assert (lang_of(landing.text), lang_of(page.text)) == (expected, expected)
