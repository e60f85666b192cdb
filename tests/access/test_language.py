"""The language switch: a CSRF-protected POST that sets the `lang` cookie and goes back."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from tests.access.helpers import post_form


class TestLanguageSwitch:
    def test_switching_sets_a_cookie_for_a_year_and_goes_back(self, client: TestClient) -> None:
        response = post_form(client, "/lang", {"lang": "en", "next": "/find?order=ES-1"})
        assert response.status_code == 303
        assert response.headers["location"] == "/find?order=ES-1"
        cookie = response.headers["set-cookie"]
        assert cookie.startswith("lang=en") and "Max-Age=31536000" in cookie
        assert "Path=/" in cookie and "samesite=lax" in cookie.lower()
        client.headers["Accept-Language"] = "es"
        assert '<html lang="en">' in client.get("/find").text
        post_form(client, "/lang", {"lang": "es", "next": "/find"})
        client.headers["Accept-Language"] = "en"
        assert '<html lang="es">' in client.get("/find").text

    @pytest.mark.parametrize(
        "target",
        [
            "//evil.example",
            "https://evil.example/",
            "/\\evil.example",
            "javascript:alert(1)",
            "evil",
            "",
            "/ok\r\nSet-Cookie: x=1",
            " /find",
        ],
    )
    def test_only_same_site_paths_are_followed(self, client: TestClient, target: str) -> None:
        response = post_form(client, "/lang", {"lang": "en", "next": target})
        assert (response.status_code, response.headers["location"]) == (303, "/")

    @pytest.mark.parametrize("lang", ["fr", "", "EN-gb", "es;"])
    def test_unknown_language_gets_422_and_no_cookie(self, client: TestClient, lang: str) -> None:
        response = post_form(client, "/lang", {"lang": lang, "next": "/find"})
        assert response.status_code == 422
        assert "lang=" not in response.headers.get("set-cookie", "")

    def test_the_switch_is_on_every_page_and_comes_back_to_it(self, client: TestClient) -> None:
        page = client.get("/find?order=ES-1")
        assert 'action="/lang"' in page.text
        assert 'name="next" value="/find?order=ES-1"' in page.text
        assert 'name="lang" value="en"' in page.text and 'name="lang" value="es"' in page.text

    def test_without_csrf_nothing_is_set(self, client: TestClient) -> None:
        response = client.post("/lang", data={"lang": "en", "next": "/"}, follow_redirects=False)
        assert response.status_code == 403
        assert "lang=" not in response.headers.get("set-cookie", "")
