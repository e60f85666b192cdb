"""The offline signing examples in docs/shopper-links.md, run against the real verification."""

from __future__ import annotations

import base64
import os
import re
import shutil
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from ventanilla.access import tokens

DOC = Path(__file__).resolve().parents[2] / "docs" / "shopper-links.md"
SECRET = "shop-link-secret-0123456789abcdef"
EMAIL = "lucia.garcia@example.com"


def example(language: str) -> str:
    found = re.search(rf"```{language}\n(.*?)```", DOC.read_text(), re.S)
    assert found, f"no {language} example in {DOC.name}"
    return found.group(1)


def assert_works(url: str, *, uses: int) -> None:
    assert url.startswith("https://shop.example/l/")
    token = url.rsplit("/", 1)[1]
    body = token.split(".")[0]
    assert "@" not in base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)).decode()
    now = datetime.now(UTC)
    claims = tokens.verify(token, email=EMAIL, secret=SECRET.encode(), now=now)
    assert (claims.order_number, claims.max_uses) == ("ES-1001", uses)
    with pytest.raises(tokens.TokenError):
        tokens.verify(token, email="eva@example.com", secret=SECRET.encode(), now=now)
    with pytest.raises(tokens.TokenError) as caught:
        tokens.verify(token, email=EMAIL, secret=SECRET.encode(), now=now + timedelta(days=31))
    assert caught.value.reason == "expired"


def test_the_python_example_signs_links_ventanilla_accepts() -> None:
    namespace: dict[str, Any] = {}
    exec(compile(example("python"), str(DOC), "exec"), namespace)  # noqa: S102 (our own docs)
    url = namespace["order_link"](
        "https://shop.example", SECRET, "ES-1001", " Lucia.Garcia@Example.com"
    )
    assert_works(url, uses=5)


@pytest.mark.skipif(shutil.which("node") is None, reason="Node.js is not installed")
def test_the_node_example_signs_links_ventanilla_accepts() -> None:
    script = example("js") + (
        "console.log(orderLink('https://shop.example', process.env.LINK_SECRET, 'ES-1001',"
        " ' Lucia.Garcia@Example.COM ', { maxUses: 3 }));\n"
    )
    done = subprocess.run(
        ["node", "-e", script],
        env={**os.environ, "LINK_SECRET": SECRET},
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    assert_works(done.stdout.strip(), uses=3)
