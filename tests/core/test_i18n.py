"""Catalogs are complete in Spanish, and each request gets the right language and formats."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po
from fastapi import FastAPI, Request
from fastapi.testclient import TestClient
from sqlmodel import Session

from tests.access.helpers import login
from tests.factories import make_customer, make_order
from ventanilla.access.deps import CurrentCustomer, current_customer
from ventanilla.config import ROOT, Settings
from ventanilla.core import i18n
from ventanilla.core.templating import templates
from ventanilla.customers.models import Customer

PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]")


def extracted() -> dict[str | tuple[str, ...], list[str]]:
    """Every msgid used in code and templates, found the way `pybabel extract` finds them."""
    with (ROOT / "babel.cfg").open() as fh:
        method_map, options_map = parse_mapping_cfg(fh)
    found: dict[str | tuple[str, ...], list[str]] = {}
    for filename, lineno, message, _comments, _context in extract_from_dir(
        str(ROOT), method_map, options_map
    ):
        key = message if isinstance(message, str) else tuple(m for m in message if m)
        if key:
            found.setdefault(key, []).append(f"{filename}:{lineno}")
    return found


def catalog(locale: str) -> Catalog:
    path = Path(i18n.LOCALES_DIR) / locale / "LC_MESSAGES" / "messages.po"
    with path.open("rb") as fh:
        return read_po(fh, locale=locale)


class TestCatalogs:
    def test_code_and_templates_use_messages(self) -> None:
        found = extracted()
        assert "Skip to content" in found
        assert "Order %(number)s" in found

    def test_every_message_has_a_spanish_translation(self) -> None:
        es = catalog("es")
        missing = []
        for msgid, where in sorted(extracted().items(), key=lambda kv: str(kv[0])):
            lookup = msgid[0] if isinstance(msgid, tuple) else msgid
            message = es.get(lookup)
            translated = message is not None and (
                all(message.string) if isinstance(message.string, tuple) else bool(message.string)
            )
            if not translated or (message is not None and message.fuzzy):
                missing.append(f"{msgid!r} ({where[0]})")
        assert not missing, (
            "messages without a Spanish translation (run pybabel extract/update, then translate "
            "frontend/locales/es/LC_MESSAGES/messages.po):\n" + "\n".join(missing)
        )

    def test_spanish_translations_keep_their_placeholders(self) -> None:
        wrong = []
        for message in catalog("es"):
            if not message.id or not message.string:
                continue
            ids = message.id if isinstance(message.id, tuple) else (message.id,)
            strings = message.string if isinstance(message.string, tuple) else (message.string,)
            expected = set(PLACEHOLDER.findall(ids[-1]))
            for text in strings:
                if set(PLACEHOLDER.findall(text)) != expected:
                    wrong.append(f"{ids[0]!r} -> {text!r}")
        assert not wrong, "\n".join(wrong)

    def test_english_catalog_lists_every_message(self) -> None:
        en = catalog("en")
        absent = [
            msgid
            for msgid in extracted()
            if en.get(msgid[0] if isinstance(msgid, tuple) else msgid) is None
        ]
        assert not absent, f"run pybabel update for en: {absent}"


class TestNegotiation:
    @pytest.mark.parametrize(
        ("header", "expected"),
        [
            ("en-GB,en;q=0.9", "en"),
            ("fr-FR,fr;q=0.9,en;q=0.5", "en"),
            ("en;q=0.3,es;q=0.8", "es"),
            ("de", None),
            ("", None),
            ("en;q=nonsense", None),
        ],
    )
    def test_accept_language_honours_quality(self, header: str, expected: str | None) -> None:
        assert i18n.negotiate(header) == expected


@pytest.fixture
def shopper(app: FastAPI, client: TestClient, session: Session) -> Iterator[Customer]:
    customer = make_customer(session, locale=None)
    make_order(session, customer=customer)
    session.commit()
    login(client, customer.id or 0)  # the pages check the cookie themselves
    app.dependency_overrides[current_customer] = lambda: customer  # the JSON probe below
    yield customer
    app.dependency_overrides.pop(current_customer, None)


def lang_of(html: str) -> str:
    match = re.search(r'<html lang="(\w+)">', html)
    assert match, html[:200]
    return match.group(1)


class TestLanguageChoice:
    def test_shop_default_is_spanish(self, client: TestClient, shopper: Customer) -> None:
        html = client.get("/orders").text
        assert lang_of(html) == "es" and "Mis pedidos" in html

    def test_browser_language_is_used(self, client: TestClient, shopper: Customer) -> None:
        html = client.get("/orders", headers={"Accept-Language": "en-GB,en;q=0.9"}).text
        assert lang_of(html) == "en" and "My orders" in html

    def test_customer_locale_beats_the_browser(
        self, client: TestClient, session: Session, shopper: Customer
    ) -> None:
        shopper.locale = "es"
        session.commit()
        html = client.get("/orders", headers={"Accept-Language": "en"}).text
        assert lang_of(html) == "es"

    def test_language_switch_beats_customer_and_browser(
        self, client: TestClient, session: Session, shopper: Customer
    ) -> None:
        shopper.locale = "es"
        session.commit()
        client.cookies.set(i18n.LANG_COOKIE, "en")
        html = client.get("/orders", headers={"Accept-Language": "es"}).text
        assert lang_of(html) == "en"

    def test_unknown_cookie_value_falls_back(self, client: TestClient, shopper: Customer) -> None:
        client.cookies.set(i18n.LANG_COOKIE, "xx")
        html = client.get("/orders", headers={"Accept-Language": "en"}).text
        assert lang_of(html) == "en"

    def test_error_pages_are_translated_too(self, client: TestClient, shopper: Customer) -> None:
        spanish = client.get("/orders/NOPE-1")
        english = client.get("/orders/NOPE-1", headers={"Accept-Language": "en"})
        assert spanish.status_code == english.status_code == 404
        assert "Ir a mis pedidos" in spanish.text
        assert "Go to my orders" in english.text


class TestTheOneRule:
    """i18n.decide: the switch, then the customer's language, then the browser's, then the
    shop's default; every request and every email a shopper causes goes through it."""

    def test_each_step_beats_the_ones_after_it(self) -> None:
        assert i18n.decide(switch="en", customer="es", browser="es", shop_default="es") == "en"
        assert i18n.decide(switch=None, customer="en", browser="es", shop_default="es") == "en"
        assert i18n.decide(switch=None, customer=None, browser="en", shop_default="es") == "en"
        assert i18n.decide(switch=None, customer=None, browser=None, shop_default="en") == "en"
        assert i18n.decide(switch="fr", customer="xx", browser=None, shop_default="es") == "es"

    def test_preferences_decide_once_the_customer_is_known(self) -> None:
        said = i18n.Preferences(switch=None, browser="en")
        assert said.for_customer("es") == "es"
        assert said.for_customer(None, "en") == "en"
        assert said.for_customer(None) == "en"
        assert i18n.Preferences(switch="en", browser=None).for_customer("es") == "en"

    def test_the_json_api_has_no_switch_the_customers_language_comes_first(
        self, client: TestClient, shopper: Customer
    ) -> None:
        seen: dict[str, str] = {}

        def probe(request: Request, customer: CurrentCustomer) -> dict[str, str]:
            seen["locale"] = request.state.locale
            return {}

        client.app.router.add_api_route("/api/v1/me/language-probe", probe)  # type: ignore[attr-defined]
        shopper.locale = "es"
        client.cookies.set(i18n.LANG_COOKIE, "en")
        response = client.get("/api/v1/me/language-probe", headers={"Accept-Language": "en"})
        assert response.status_code == 200, response.text
        assert seen["locale"] == "es"
        shopper.locale = None
        client.get("/api/v1/me/language-probe", headers={"Accept-Language": "en"})
        assert seen["locale"] == "en"


class TestFormats:
    @pytest.fixture(autouse=True)
    def _shop_in_madrid(self, settings: Settings) -> None:
        assert settings.timezone == "Europe/Madrid"

    def render(self, source: str, locale: str, **context: object) -> str:
        token = i18n.current_locale.set(locale)
        try:
            return templates().env.from_string(source).render(**context)
        finally:
            i18n.current_locale.reset(token)

    def test_money_follows_the_locale(self) -> None:
        source = "{{ 12345678|money('EUR') }}"
        assert self.render(source, "es") == "123.456,78\xa0€"
        assert self.render(source, "en") == "€123,456.78"

    def test_dates_are_shown_in_the_shop_time_zone(self) -> None:
        late = datetime(2026, 3, 2, 23, 30, tzinfo=UTC)  # already 3 March in Madrid
        assert self.render("{{ at|date }}", "es", at=late) == "3 de marzo de 2026"
        assert self.render("{{ at|date }}", "en", at=late) == "March 3, 2026"
        assert "0:30" in self.render("{{ at|datetime('short') }}", "es", at=late)

    def test_plain_dates_are_not_shifted(self) -> None:
        assert self.render("{{ d|date }}", "es", d=date(2026, 3, 2)) == "2 de marzo de 2026"
