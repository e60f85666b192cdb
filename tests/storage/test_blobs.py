"""The blob store: the same behaviour in a folder under var/ and in a real S3 server (moto)."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from tests.s3_server import BlobStore, blob_store_for
from tests.servers import free_port
from ventanilla.config import ROOT, use_settings
from ventanilla.storage import blobs

UNSAFE_KEYS = [
    "",
    "/etc/passwd",
    "../outside",
    "photos/../../outside",
    "photos/./x",
    "photos//x",
    "photos/",
    "photos\\x",
    "photos/x\x00.jpg",
    ".hidden",
    "photos/.tmp-123",
    "photos/a b.jpg",
    "photos/ñ.jpg",
    "C:/x",
    "x" * 201,
    ("x" * 200 + "/") * 2 + "x" * 111,
]


class TestKeys:
    @pytest.mark.parametrize("key", UNSAFE_KEYS)
    def test_unsafe_keys_are_refused_by_every_operation(
        self, blob_store: BlobStore, key: str
    ) -> None:
        with pytest.raises(blobs.InvalidKey):
            blobs.put(key, b"x", content_type="text/plain")
        for operation in (blobs.get, blobs.delete, blobs.exists):
            with pytest.raises(blobs.InvalidKey):
                operation(key)
        assert blob_store.keys() == []

    @pytest.mark.parametrize(
        "key",
        ["photos/ab/Zx-_9.jpg", "invoices/2026/F-0001.pdf", "a", ("x" * 200 + "/") * 2 + "x" * 110],
    )
    def test_ordinary_keys_work(self, blob_store: BlobStore, key: str) -> None:
        blobs.put(key, b"data", content_type="application/octet-stream")
        assert blobs.get(key) == b"data"
        assert blob_store.keys() == [key]


class TestBlobs:
    def test_put_then_get_gives_the_same_bytes(self, blob_store: BlobStore) -> None:
        data = bytes(range(256)) * 4096  # 1 MiB, every byte value
        blobs.put("photos/ab/one.jpg", data, content_type="image/jpeg")
        assert blobs.get("photos/ab/one.jpg") == data
        assert blobs.exists("photos/ab/one.jpg")

    def test_a_missing_key_is_blob_not_found(self, blob_store: BlobStore) -> None:
        with pytest.raises(blobs.BlobNotFound) as caught:
            blobs.get("photos/ab/missing.jpg")
        assert caught.value.status_code == 404
        assert not blobs.exists("photos/ab/missing.jpg")
        blobs.put("photos/ab/file.jpg", b"x", content_type="image/jpeg")
        with pytest.raises(blobs.BlobNotFound):
            blobs.get("photos/ab")  # a "folder" is not a blob
        with pytest.raises(blobs.BlobNotFound):
            blobs.get("photos/ab/file.jpg/below")
        assert not blobs.exists("photos/ab")

    def test_put_replaces(self, blob_store: BlobStore) -> None:
        blobs.put("invoices/F-1.pdf", b"old", content_type="application/pdf")
        blobs.put("invoices/F-1.pdf", b"new", content_type="application/pdf")
        assert blobs.get("invoices/F-1.pdf") == b"new"
        assert blob_store.keys() == ["invoices/F-1.pdf"]

    def test_delete_removes_and_a_second_delete_is_fine(self, blob_store: BlobStore) -> None:
        blobs.put("photos/ab/one.jpg", b"1", content_type="image/jpeg")
        blobs.put("photos/ab/two.jpg", b"2", content_type="image/jpeg")
        blobs.delete("photos/ab/one.jpg")
        blobs.delete("photos/ab/one.jpg")
        blobs.delete("photos/never/stored.jpg")
        assert not blobs.exists("photos/ab/one.jpg")
        assert blob_store.keys() == ["photos/ab/two.jpg"]

    def test_empty_blobs_are_blobs(self, blob_store: BlobStore) -> None:
        blobs.put("empty", b"", content_type="application/octet-stream")
        assert blobs.exists("empty") and blobs.get("empty") == b""

    def test_data_must_be_bytes(self, blob_store: BlobStore) -> None:
        with pytest.raises(TypeError):
            blobs.put("x", "text", content_type="text/plain")  # type: ignore[arg-type]


class TestFolder:
    @pytest.fixture
    def folder(self, tmp_path: Path, request: pytest.FixtureRequest) -> BlobStore:
        store = blob_store_for("folder", tmp_path, request)
        request.addfinalizer(lambda: use_settings(None))
        return store

    def test_files_live_under_var_outside_the_web_root(self, folder: BlobStore) -> None:
        blobs.put("photos/ab/one.jpg", b"x", content_type="image/jpeg")
        path = folder.settings.var_dir / "blobs" / "photos" / "ab" / "one.jpg"
        assert path.read_bytes() == b"x"
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        assert not path.resolve().is_relative_to((ROOT / "frontend").resolve())

    def test_the_default_folder_is_var_blobs(self) -> None:
        from ventanilla.config import Settings

        settings = Settings()
        backend = blobs.backend(settings)
        assert getattr(backend, "root") == settings.var_dir / "blobs"  # noqa: B009
        assert settings.var_dir == ROOT / "var"

    def test_a_failed_write_keeps_the_old_file_and_leaves_no_temp_file(
        self, folder: BlobStore, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        blobs.put("invoices/F-1.pdf", b"old", content_type="application/pdf")

        def disk_full(src: str, dst: str) -> None:
            raise OSError(28, "No space left on device")

        monkeypatch.setattr(os, "replace", disk_full)
        with pytest.raises(blobs.StorageUnavailable) as caught:
            blobs.put("invoices/F-1.pdf", b"new", content_type="application/pdf")
        assert caught.value.status_code == 503
        monkeypatch.undo()
        assert blobs.get("invoices/F-1.pdf") == b"old"
        assert folder.keys() == ["invoices/F-1.pdf"]

    def test_a_symlink_out_of_the_folder_is_not_followed(
        self, folder: BlobStore, tmp_path: Path
    ) -> None:
        secret = tmp_path / "secret.txt"
        secret.write_text("not yours")
        (folder.folder / "photos").mkdir(parents=True)
        (folder.folder / "photos" / "link").symlink_to(secret)
        with pytest.raises(blobs.InvalidKey):
            blobs.get("photos/link")
        with pytest.raises(blobs.InvalidKey):
            blobs.put("photos/link", b"overwrite", content_type="text/plain")
        assert secret.read_text() == "not yours"

    def test_static_files_do_not_serve_the_folder(self, folder: BlobStore) -> None:
        from fastapi.testclient import TestClient

        from ventanilla.app import create_app

        blobs.put("photos/ab/one.jpg", b"secret", content_type="image/jpeg")
        with TestClient(create_app(folder.settings)) as client:
            for path in (
                "/static/../var/blobs/photos/ab/one.jpg",
                "/static/%2e%2e/%2e%2e/var/blobs/photos/ab/one.jpg",
                "/var/blobs/photos/ab/one.jpg",
                "/blobs/photos/ab/one.jpg",
            ):
                response = client.get(path)
                assert response.status_code == 404, path
                assert b"secret" not in response.content


class TestS3:
    @pytest.fixture
    def s3(self, tmp_path: Path, request: pytest.FixtureRequest) -> BlobStore:
        store = blob_store_for("s3", tmp_path, request)
        request.addfinalizer(lambda: use_settings(None))
        return store

    def test_objects_carry_the_content_type(self, s3: BlobStore) -> None:
        assert s3.s3 is not None
        blobs.put("invoices/F-1.pdf", b"%PDF-1.7", content_type="application/pdf")
        head = s3.s3.client.head_object(Bucket="ventanilla-test", Key="invoices/F-1.pdf")
        assert head["ContentType"] == "application/pdf"

    def test_a_prefix_shares_the_bucket(self, s3: BlobStore) -> None:
        s3.configure(s3_prefix="shop-1/")
        blobs.put("photos/ab/one.jpg", b"x", content_type="image/jpeg")
        assert s3.keys() == ["shop-1/photos/ab/one.jpg"]
        assert blobs.get("photos/ab/one.jpg") == b"x"

    def test_an_unreachable_server_is_storage_unavailable(self, s3: BlobStore) -> None:
        s3.configure(s3_endpoint_url=f"http://127.0.0.1:{free_port()}")
        for call in (
            lambda: blobs.put("a", b"x", content_type="text/plain"),
            lambda: blobs.get("a"),
            lambda: blobs.exists("a"),
            lambda: blobs.delete("a"),
        ):
            with pytest.raises(blobs.StorageUnavailable):
                call()
