"""/docs shows the store API reference under the same strict CSP as every page."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from e2e.conftest import screenshot

pytestmark = pytest.mark.e2e


def test_docs_render_the_operations_with_no_csp_violation(page: Page, start_server) -> None:  # type: ignore[no-untyped-def]
    server = start_server()
    console: list[str] = []
    page.on("console", lambda message: console.append(message.text))
    page.goto(server.url + "/docs")
    expect(page.get_by_text("/api/v1/products/{sku}")).to_be_visible()
    expect(page.get_by_text("/api/v1/orders/{number}/packing")).to_be_visible()
    screenshot(page, "40-api-reference")
    assert [m for m in console if "Content Security Policy" in m] == []
