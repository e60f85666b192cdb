"""PUT /api/v1/invoices/{number}/pdf: only a verified, readable, unencrypted PDF is stored."""

from __future__ import annotations

import base64
import hashlib
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlmodel import Session

from tests.factories import make_order
from tests.invoices.support import blob_files, pdf_bytes, sha256, store_invoice
from ventanilla.apikeys import service as apikeys_service
from ventanilla.config import Settings
from ventanilla.db import session_scope
from ventanilla.orders.models import Order

NUMBER = "F2026-0001"
URL = f"/api/v1/invoices/{NUMBER}/pdf"


@pytest.fixture
def order(session: Session) -> Order:
    order = make_order(session)
    store_invoice(session, order, NUMBER)
    return order


def put_pdf(store: TestClient, data: bytes, *, digest: str | None = None, **kw: Any) -> Any:
    headers = {"Content-Type": "application/pdf", **kw.pop("headers", {})}
    params = {"sha256": digest if digest is not None else sha256(data)}
    return store.put(URL, content=data, params=params, headers=headers, **kw)


def pdf_columns(engine: Engine) -> tuple[Any, ...]:
    with engine.connect() as conn:
        row = conn.execute(
            text("SELECT pdf_key, pdf_sha256, pdf_size FROM invoices WHERE number = :n"),
            {"n": NUMBER},
        ).one()
    return tuple(row)


class TestPushedPdfIsStored:
    def test_a_valid_pdf_is_stored_and_shown_on_the_invoice(
        self, store: TestClient, order: Order, engine: Engine
    ) -> None:
        data = pdf_bytes(pages=2)
        response = put_pdf(store, data)
        assert response.status_code == 201, response.text
        body = response.json()
        assert body["number"] == NUMBER
        assert body["sha256"] == sha256(data) and body["size"] == len(data)
        assert store.get(f"/api/v1/invoices/{NUMBER}").json()["pdf"] == body
        key, digest, size = pdf_columns(engine)
        assert (digest, size) == (sha256(data), len(data))
        assert blob_files() == [key]

    def test_the_same_bytes_again_are_unchanged(
        self, store: TestClient, order: Order, engine: Engine
    ) -> None:
        data = pdf_bytes()
        first = put_pdf(store, data)
        again = put_pdf(store, data)
        assert (first.status_code, again.status_code) == (201, 200)
        assert again.json() == first.json()
        assert len(blob_files()) == 1

    def test_other_bytes_for_an_invoice_with_a_pdf_are_409_and_the_first_stays(
        self, store: TestClient, order: Order, engine: Engine
    ) -> None:
        first = pdf_bytes(pages=1)
        put_pdf(store, first)
        before = (pdf_columns(engine), blob_files())
        response = put_pdf(store, pdf_bytes(pages=3))
        assert response.status_code == 409
        assert response.json()["code"] == "invoice_pdf_immutable"
        assert (pdf_columns(engine), blob_files()) == before

    def test_the_digest_may_come_as_an_rfc_9530_content_digest_header(
        self, store: TestClient, order: Order
    ) -> None:
        data = pdf_bytes()
        b64 = base64.b64encode(hashlib.sha256(data).digest()).decode()
        response = store.put(
            URL,
            content=data,
            headers={"Content-Type": "application/pdf", "Content-Digest": f"sha-256=:{b64}:"},
        )
        assert response.status_code == 201, response.text
        assert response.json()["sha256"] == sha256(data)

    def test_a_pdf_over_the_json_body_limit_is_accepted_on_this_route_only(
        self, store: TestClient, order: Order
    ) -> None:
        data = pdf_bytes(padding=1_500_000)  # over the app's 1 MB, under the PDF limit
        assert len(data) > 1_000_000
        assert put_pdf(store, data).status_code == 201
        big_json = store.put(
            "/api/v1/invoices/F-OTHER",
            content=b'{"x": "' + b"a" * 1_100_000 + b'"}',
            headers={"Content-Type": "application/json"},
        )
        assert big_json.status_code == 413


class TestPushedPdfIsRefused:
    @pytest.mark.parametrize(
        ("make", "digest", "status", "code"),
        [
            (lambda: pdf_bytes(), "0" * 64, 422, "sha256_mismatch"),
            (lambda: b"<html>not a pdf</html>", None, 422, "not_a_pdf"),
            (lambda: b"%PDF-1.7\n" + b"garbage " * 200, None, 422, "not_a_pdf"),
            (lambda: pdf_bytes()[:400], None, 422, "not_a_pdf"),
            (lambda: pdf_bytes(password="secreto"), None, 422, "pdf_encrypted"),
            (lambda: pdf_bytes(), "xyz", 422, "sha256_invalid"),
        ],
        ids=["hash-mismatch", "html", "magic-then-garbage", "truncated", "encrypted", "bad-hex"],
    )
    def test_refused_with_a_clear_code_and_nothing_stored(
        self,
        store: TestClient,
        order: Order,
        engine: Engine,
        make: Any,
        digest: str | None,
        status: int,
        code: str,
    ) -> None:
        response = put_pdf(store, make(), digest=digest)
        assert response.status_code == status, response.text
        assert response.json()["code"] == code
        assert isinstance(response.json()["detail"], str) and response.json()["detail"]
        assert pdf_columns(engine) == (None, None, None)
        assert blob_files() == []

    def test_without_a_digest_it_is_refused(self, store: TestClient, order: Order) -> None:
        response = store.put(URL, content=pdf_bytes(), headers={"Content-Type": "application/pdf"})
        assert response.status_code == 422
        assert response.json()["code"] == "sha256_missing"
        assert blob_files() == []

    def test_a_query_digest_and_a_header_digest_that_disagree_are_refused(
        self, store: TestClient, order: Order
    ) -> None:
        data = pdf_bytes()
        other = base64.b64encode(b"\1" * 32).decode()
        response = put_pdf(store, data, headers={"Content-Digest": f"sha-256=:{other}:"})
        assert response.json()["code"] == "sha256_conflict"

    def test_another_content_type_is_415(self, store: TestClient, order: Order) -> None:
        data = pdf_bytes()
        response = put_pdf(store, data, headers={"Content-Type": "application/octet-stream"})
        assert response.status_code == 415
        assert response.json()["code"] == "unsupported_media_type"
        assert blob_files() == []

    def test_an_unknown_invoice_is_404(self, store: TestClient, order: Order) -> None:
        data = pdf_bytes()
        response = store.put(
            "/api/v1/invoices/F-NOPE/pdf",
            content=data,
            params={"sha256": sha256(data)},
            headers={"Content-Type": "application/pdf"},
        )
        assert response.status_code == 404
        assert response.json()["code"] == "invoice_not_found"
        assert blob_files() == []

    def test_without_an_api_key_it_is_401(self, client: TestClient, order: Order) -> None:
        assert put_pdf(client, pdf_bytes()).status_code == 401
        assert blob_files() == []

    def test_a_key_without_the_invoices_scope_is_403(
        self, client: TestClient, order: Order
    ) -> None:
        with session_scope() as s:
            key = apikeys_service.create_key(s, name="almacén", scopes=["orders:write"]).key
        response = put_pdf(client, pdf_bytes(), headers={"Authorization": f"Bearer {key}"})
        assert response.status_code == 403
        assert blob_files() == []


class TestSizeLimit:
    @pytest.fixture
    def small_limit(self, settings: Settings) -> Settings:
        # Before the app is built: the body limit middleware reads it at start.
        settings.invoice_pdf_max_bytes = 2_000
        return settings

    def test_over_the_limit_is_413_and_nothing_is_stored(
        self, small_limit: Settings, store: TestClient, order: Order, engine: Engine
    ) -> None:
        data = pdf_bytes(padding=5_000)
        response = put_pdf(store, data)
        assert response.status_code == 413
        # Under the app-wide limit, the route's own check refuses it (above it, the middleware).
        assert response.json()["code"] == "pdf_too_large"
        assert "2000" in response.json()["detail"]
        # Without a Content-Length (a chunked upload) the limit holds as well.
        chunked = store.put(
            URL,
            content=iter([data[:1500], data[1500:]]),
            params={"sha256": sha256(data)},
            headers={"Content-Type": "application/pdf"},
        )
        assert chunked.status_code == 413
        assert pdf_columns(engine) == (None, None, None) and blob_files() == []
        small = pdf_bytes()
        assert len(small) < 2_000
        assert put_pdf(store, small).status_code == 201  # the setting is the limit
        assert pdf_columns(engine)[1] == sha256(small)
