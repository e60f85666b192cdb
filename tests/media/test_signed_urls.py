"""Signed, short-lived photo URLs for the shop, and the headers every served photo carries."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient

from tests.media import pictures
from tests.s3_server import BlobStore
from ventanilla.app import create_app
from ventanilla.core import clock
from ventanilla.media import service, serving, signing
from ventanilla.media.exceptions import MediaNotFound
from ventanilla.storage import blobs

NOW = datetime(2026, 5, 4, 10, 0, tzinfo=UTC)


@pytest.fixture
def client(blob_store: BlobStore) -> Iterator[TestClient]:
    with TestClient(create_app(blob_store.settings), base_url="http://testserver") as c:
        yield c


@pytest.fixture
def photo(blob_store: BlobStore) -> service.StoredPhoto:
    return service.accept_photo(pictures.phone_jpeg_with_gps(), filename="IMG_0001.jpg")


def forge(payload: dict[str, object], secret: str) -> str:
    """A token signed like ours, with any secret and payload."""
    part = base64.urlsafe_b64encode(json.dumps(payload).encode()).rstrip(b"=").decode()
    derived = hmac.new(secret.encode(), signing.PURPOSE, hashlib.sha256).digest()
    mac = hmac.new(derived, part.encode(), hashlib.sha256).digest()
    return part + "." + base64.urlsafe_b64encode(mac).rstrip(b"=").decode()


class TestTokens:
    def test_a_token_grants_its_key_until_it_expires(self, blob_store: BlobStore) -> None:
        with clock.frozen(NOW):
            token = signing.sign("photos/ab/x.jpg", 600, filename="foto.jpg")
            signed = signing.verify(token)
            assert signed.key == "photos/ab/x.jpg" and signed.filename == "foto.jpg"
            assert signed.content_type == "image/jpeg"
            assert signed.expires_at == int((NOW + timedelta(seconds=600)).timestamp())
            clock.advance(timedelta(seconds=599))
            signing.verify(token)
            clock.advance(timedelta(seconds=1))
            with pytest.raises(MediaNotFound):
                signing.verify(token)

    def test_the_default_lifetime_is_the_setting(self, blob_store: BlobStore) -> None:
        blob_store.configure(media_url_seconds=60)
        with clock.frozen(NOW):
            signed = signing.verify(signing.sign("photos/ab/x.jpg"))
        assert signed.expires_at - int(NOW.timestamp()) == 60

    def test_the_url_is_absolute_under_media_s(self, blob_store: BlobStore) -> None:
        url = signing.signed_url("photos/ab/x.jpg")
        assert url.startswith("http://testserver/media/s/")
        assert "photos" not in url  # the key is encoded, not a path
        signing.verify(url.rsplit("/", 1)[1])

    @pytest.mark.parametrize("lifetime", [0, -1, timedelta(days=7, seconds=1)])
    def test_lifetimes_are_bounded(self, blob_store: BlobStore, lifetime: object) -> None:
        with pytest.raises(ValueError):
            signing.sign("photos/ab/x.jpg", lifetime)  # type: ignore[arg-type]

    def test_unsafe_keys_cannot_be_signed(self, blob_store: BlobStore) -> None:
        with pytest.raises(blobs.InvalidKey):
            signing.sign("../var/secrets.json", 60)

    def test_tampered_forged_and_malformed_tokens_are_refused(
        self, blob_store: BlobStore
    ) -> None:
        token = signing.sign("photos/ab/x.jpg", 600)
        part, mac = token.split(".")
        other = signing.sign("photos/ab/y.jpg", 600).split(".")[0]
        expires = int(clock.now().timestamp()) + 600
        bad = [
            other + "." + mac,  # another payload under this MAC
            part + "." + mac[:-2] + ("AA" if not mac.endswith("AA") else "BB"),
            forge({"k": "photos/ab/x.jpg", "t": "image/jpeg", "x": expires}, "not-our-secret"),
            forge({"k": "../../etc/passwd", "t": "image/jpeg", "x": expires},
                  blob_store.settings.secret_key.get_secret_value()),
            forge({"k": "photos/ab/x.jpg", "t": "image/jpeg", "x": "soon"},
                  blob_store.settings.secret_key.get_secret_value()),
            forge({"k": "photos/ab/x.jpg", "t": "image/jpeg", "x": expires, "e": "a@b.c"},
                  blob_store.settings.secret_key.get_secret_value()),
            "",
            "x",
            part,
            part + ".",
            "." + mac,
            "!!!.???",
            "a" * 3000 + "." + mac,
        ]
        for token in bad:
            with pytest.raises(MediaNotFound):
                signing.verify(token)


class TestRoute:
    def test_a_signed_url_serves_the_clean_copy_with_locked_down_headers(
        self, client: TestClient, photo: service.StoredPhoto
    ) -> None:
        url = signing.signed_url(photo.key, filename='IMG "1"\r\n.jpg')
        response = client.get(url)
        assert response.status_code == 200
        assert response.content == blobs.get(photo.key)
        assert b"GPS" not in response.content and b"Exif" not in response.content
        headers = response.headers
        assert headers["content-type"] == "image/jpeg"
        assert headers["x-content-type-options"] == "nosniff"
        assert headers["content-security-policy"] == "default-src 'none'; sandbox"
        assert headers["content-disposition"] == 'inline; filename="IMG-1-.jpg"'
        cache, max_age = headers["cache-control"].split(", ")
        assert cache == "private" and 0 < int(max_age.removeprefix("max-age=")) <= 300
        assert headers["referrer-policy"] == "no-referrer"

    def test_the_thumbnail_is_served_the_same_way(
        self, client: TestClient, photo: service.StoredPhoto
    ) -> None:
        response = client.get(signing.signed_url(photo.thumbnail_key))
        assert response.status_code == 200
        assert response.content == blobs.get(photo.thumbnail_key)

    def test_an_expired_url_is_404(self, client: TestClient, photo: service.StoredPhoto) -> None:
        with clock.frozen(NOW):
            url = signing.signed_url(photo.key, 60)
            clock.advance(timedelta(seconds=61))
            response = client.get(url)
        assert response.status_code == 404
        assert response.content != blobs.get(photo.key)

    @pytest.mark.parametrize("token", ["nope", "a.b", "x" * 3000])
    def test_a_bad_token_is_404(self, client: TestClient, token: str) -> None:
        assert client.get(f"/media/s/{token}").status_code == 404

    def test_a_deleted_photo_is_404(self, client: TestClient, photo: service.StoredPhoto) -> None:
        url = signing.signed_url(photo.key)
        service.delete_photo(photo.key)
        assert client.get(url).status_code == 404

    def test_a_type_we_never_serve_is_404_even_when_signed(
        self, client: TestClient, blob_store: BlobStore
    ) -> None:
        blobs.put("photos/ab/page.jpg", pictures.HTML, content_type="text/html")
        url = signing.signed_url("photos/ab/page.jpg", content_type="text/html")
        response = client.get(url)
        assert response.status_code == 404 and b"<script>" not in response.content

    def test_only_get(self, client: TestClient, photo: service.StoredPhoto) -> None:
        url = signing.signed_url(photo.key)
        assert client.post(url).status_code in (403, 405)  # CSRF or method: never served


class TestServing:
    def test_owned_photos_are_not_cached(
        self, blob_store: BlobStore, photo: service.StoredPhoto
    ) -> None:
        response = serving.photo_response(photo.key, content_type=photo.content_type)
        assert response.headers["cache-control"] == "private, no-store"
        assert response.headers["content-disposition"] == (
            f'inline; filename="{photo.key.rsplit("/", 1)[1]}"'
        )
        assert response.headers["content-security-policy"] == "default-src 'none'; sandbox"

    @pytest.mark.parametrize("content_type", ["text/html", "image/svg+xml", "application/pdf"])
    def test_types_that_could_run_code_are_never_served(
        self, blob_store: BlobStore, photo: service.StoredPhoto, content_type: str
    ) -> None:
        with pytest.raises(ValueError):
            serving.photo_response(photo.key, content_type=content_type)

    def test_a_missing_blob_is_not_found(self, blob_store: BlobStore) -> None:
        with pytest.raises(blobs.BlobNotFound):
            serving.photo_response("photos/ab/none.jpg", content_type="image/jpeg")
