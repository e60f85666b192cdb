"""Multipart limits end to end over HTTP: the real app, its middleware, and a tiny photo route.

The route below is what the claims pages and API will look like: it declares PhotoFormDep, which
both parses under the photo limits and lifts the app's 1 MB body limit for that route alone.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import asdict
from typing import Any

import pytest
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from fastapi.testclient import TestClient
from starlette.concurrency import run_in_threadpool

from tests.media import pictures
from tests.s3_server import BlobStore
from ventanilla.app import create_app
from ventanilla.core import csrf, i18n
from ventanilla.core.middleware import _routes
from ventanilla.media import service
from ventanilla.media.exceptions import PhotoRejected
from ventanilla.media.uploads import (
    PHOTO_UPLOAD_ROUTE,
    PhotoFormDep,
    read_photo_form,
    route_body_limit,
    upload_limits,
)

MB = 1024 * 1024
API = "/api/v1/test-photos"
PAGE = "/test-photos"
FORM_AGAIN = "/test-photos/form"

router = APIRouter()


async def _accept(form: Any) -> dict[str, Any]:
    photos = await run_in_threadpool(
        service.accept_photos, [(p.data, p.filename) for p in form.photos]
    )
    return {"note": form.get("note"), "photos": [asdict(p) for p in photos]}


@router.post(API)
async def upload_api(form: PhotoFormDep) -> dict[str, Any]:
    return await _accept(form)


@router.post(PAGE)
async def upload_page(form: PhotoFormDep) -> dict[str, Any]:
    return await _accept(form)


@router.post(FORM_AGAIN, dependencies=[PHOTO_UPLOAD_ROUTE])
async def upload_form_again(request: Request) -> Response:
    """A page that shows its form again with the refusal, in the shopper's language."""
    i18n.activate(request)
    try:
        return JSONResponse(await _accept(await read_photo_form(request)))
    except PhotoRejected as exc:
        return HTMLResponse(f"<p role=alert>{exc.translated()}</p>", status_code=422)


@pytest.fixture
def client(blob_store: BlobStore) -> Iterator[TestClient]:
    app = create_app(blob_store.settings)
    app.include_router(router)
    with TestClient(app, base_url="http://testserver") as c:
        yield c


def photo_files(n: int, data: bytes | None = None) -> list[tuple[str, tuple[str, bytes, str]]]:
    data = data if data is not None else pictures.jpeg((64, 48))
    return [("photos", (f"IMG_{i:04}.jpg", data, "image/jpeg")) for i in range(n)]


def refused(response: Any, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()
    assert body["code"] == code
    return body


class TestAccepted:
    def test_eight_photos_of_ten_megabytes_go_through(
        self, client: TestClient, blob_store: BlobStore
    ) -> None:
        # The app-wide limit is 1 MB; this route takes 8 x 10 MB (plus the form) and no more.
        big = pictures.padded_jpeg(10 * MB - 1000)
        response = client.post(API, data={"note": "roto"}, files=photo_files(8, big))
        assert response.status_code == 200, response.text[:300]
        assert response.json()["note"] == "roto"
        assert len(response.json()["photos"]) == 8
        assert len(blob_store.keys()) == 16

    def test_an_empty_file_input_is_no_photo(self, client: TestClient) -> None:
        files = [("photos", ("", b"", "application/octet-stream"))]
        response = client.post(API, data={"note": "sin foto"}, files=files)
        assert response.status_code == 200 and response.json()["photos"] == []

    def test_a_page_form_passes_csrf_without_the_check_reading_the_photos(
        self, client: TestClient, blob_store: BlobStore, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        spooled: list[str | None] = []
        original = csrf._FieldsBeforeFiles.on_headers_finished

        def watch(parser: Any) -> None:
            original(parser)
            spooled.append(parser._current_part.field_name)

        monkeypatch.setattr(csrf._FieldsBeforeFiles, "on_headers_finished", watch)
        token = client.get("/find").cookies.get("csrftoken") or client.cookies["csrftoken"]
        response = client.post(
            PAGE, data={"csrf_token": token, "note": "x"}, files=photo_files(2)
        )
        assert response.status_code == 200, response.text[:300]
        assert len(blob_store.keys()) == 4
        assert spooled == ["csrf_token", "note"]  # stopped at the first file

    def test_a_page_form_without_the_token_is_refused_before_parsing(
        self, client: TestClient, blob_store: BlobStore
    ) -> None:
        client.get("/find")
        response = client.post(PAGE, data={"note": "x"}, files=photo_files(1))
        assert response.status_code == 403
        assert blob_store.keys() == []


class TestPages:
    @pytest.fixture
    def token(self, client: TestClient) -> str:
        client.get("/find")
        return str(client.cookies["csrftoken"])

    @pytest.mark.parametrize(
        ("language", "text"),
        [("es", "Este archivo no es una foto"), ("en", "This file is not a photo")],
    )
    def test_a_refusal_from_the_dependency_is_a_page_in_the_shoppers_language(
        self, client: TestClient, blob_store: BlobStore, token: str, language: str, text: str
    ) -> None:
        files = [("photos", ("cat.png", pictures.HTML, "image/png"))]
        response = client.post(
            PAGE,
            data={"csrf_token": token},
            files=files,
            headers={"Accept-Language": language},
        )
        assert response.status_code == 422
        assert "text/html" in response.headers["content-type"]
        assert text in response.text and "JPEG, PNG, WebP, HEIC" in response.text
        assert blob_store.keys() == []

    def test_a_page_can_show_its_form_again_with_the_refusal(
        self, client: TestClient, blob_store: BlobStore, token: str
    ) -> None:
        files = photo_files(9, pictures.padded_jpeg(200_000))  # 1.8 MB: past the app limit
        response = client.post(FORM_AGAIN, data={"csrf_token": token}, files=files)
        assert response.status_code == 422
        assert "Puedes enviar como máximo 8 fotos" in response.text
        ok = client.post(FORM_AGAIN, data={"csrf_token": token}, files=files[:8])
        assert ok.status_code == 200 and len(ok.json()["photos"]) == 8
        assert len(blob_store.keys()) == 16


class TestAbuse:
    def test_fifty_parts_in_one_request(self, client: TestClient, blob_store: BlobStore) -> None:
        body = refused(client.post(API, files=photo_files(50)), 413, "too_many_photos")
        assert "at most 8 photos" in body["detail"]
        assert blob_store.keys() == []

    def test_nine_photos_are_one_too_many(self, client: TestClient, blob_store: BlobStore) -> None:
        refused(client.post(API, files=photo_files(9)), 413, "too_many_photos")
        assert blob_store.keys() == []

    def test_too_many_text_fields(self, client: TestClient, blob_store: BlobStore) -> None:
        fields = [(f"f{i}", "x") for i in range(101)]
        response = client.post(API, data=dict(fields), files=photo_files(1))
        refused(response, 413, "too_many_fields")
        assert blob_store.keys() == []

    def test_a_30_mb_body(self, client: TestClient, blob_store: BlobStore) -> None:
        files = [("photos", ("huge.jpg", pictures.padded_jpeg(30 * MB), "image/jpeg"))]
        body = refused(client.post(API, files=files), 413, "photo_too_big")
        assert "at most 10 MB" in body["detail"]
        assert blob_store.keys() == []

    def test_a_30_mb_body_sent_in_chunks_without_a_length(
        self, client: TestClient, blob_store: BlobStore
    ) -> None:
        boundary = "b0undary"
        head = (
            f'--{boundary}\r\nContent-Disposition: form-data; name="photos"; '
            f'filename="huge.jpg"\r\nContent-Type: image/jpeg\r\n\r\n'
        ).encode()

        def chunks() -> Iterator[bytes]:
            yield head + pictures.jpeg((64, 48))
            for _ in range(30):
                yield b"\0" * MB

        response = client.post(
            API,
            content=chunks(),
            headers={"Content-Type": f"multipart/form-data; boundary={boundary}"},
        )
        refused(response, 413, "photo_too_big")
        assert blob_store.keys() == []

    def test_a_30_mb_body_to_any_other_route_meets_the_app_limit(
        self, client: TestClient, blob_store: BlobStore
    ) -> None:
        files = [("photos", ("huge.jpg", pictures.padded_jpeg(30 * MB), "image/jpeg"))]
        for path in ("/api/v1/stock", "/find"):
            refused(client.post(path, files=files), 413, "body_too_large")

    def test_the_route_limit_is_the_whole_form_not_more(
        self, client: TestClient, blob_store: BlobStore
    ) -> None:
        blob_store.configure(photo_max_count=2, photo_max_bytes=100_000)  # limit: 1.2 MiB
        fields = {f"f{i}": "x" * 60_000 for i in range(30)}  # 1.8 MB of small fields
        refused(client.post(API, data=fields), 413, "body_too_large")
        assert blob_store.keys() == []

    def test_the_photos_are_checked_one_by_one_and_nothing_is_kept(
        self, client: TestClient, blob_store: BlobStore
    ) -> None:
        files = photo_files(3) + [("photos", ("cat.png", pictures.HTML, "image/png"))]
        body = refused(client.post(API, files=files), 422, "not_an_image")
        assert "not a photo" in body["detail"]
        assert blob_store.keys() == []

    @pytest.mark.parametrize(
        ("content", "content_type"),
        [
            (b'{"photos": []}', "application/json"),
            (b"note=x", "application/x-www-form-urlencoded"),
            (b"--xx\r\nnot really multipart", "multipart/form-data; boundary=xx"),
            (b"--xx\r\n\r\n\r\n--xx--\r\n", "multipart/form-data; boundary=xx"),
            (b"whatever", "multipart/form-data"),
        ],
    )
    def test_bodies_that_are_not_a_multipart_form(
        self, client: TestClient, blob_store: BlobStore, content: bytes, content_type: str
    ) -> None:
        response = client.post(API, content=content, headers={"Content-Type": content_type})
        refused(response, 400, "upload_malformed")
        assert blob_store.keys() == []


class TestRouteLimit:
    def test_only_routes_declaring_the_photo_form_get_the_larger_limit(
        self, client: TestClient, blob_store: BlobStore
    ) -> None:
        limits = {path: route_body_limit(route) for path, _, route in _routes(client.app)}
        assert "/api/v1/products/{sku}" in limits and "/media/s/{token}" in limits  # all are seen
        expected = 8 * 10 * MB + MB
        assert upload_limits().max_body_bytes == expected
        assert {path for path, limit in limits.items() if limit} == {API, PAGE, FORM_AGAIN}
        assert limits[API] == expected
