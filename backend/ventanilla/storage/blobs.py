"""The blob store: bytes under opaque keys, in a folder under var/ or in an S3 bucket.

    from ventanilla.storage import blobs
    blobs.put("photos/ab/abcdef.jpg", data, content_type="image/jpeg")
    blobs.get("photos/ab/abcdef.jpg")     # bytes; raises blobs.BlobNotFound
    blobs.exists("photos/ab/abcdef.jpg")  # bool
    blobs.delete("photos/ab/abcdef.jpg")  # no error if it is not there

Keys are chosen by callers and checked (`storage.keys.check_key`): relative, no `..`, no NUL or
backslash. Callers keep their own record of what a key holds (content type, size, owner): the
store never lists, never serves anything by itself and never deletes on its own; retention is
the caller's job. Backend: S3 when `VENTANILLA_S3_BUCKET` is set, else the folder
`VENTANILLA_STORAGE_DIR` (default `var/blobs`). See docs/storage.md.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Protocol

from ventanilla.config import Settings, get_settings
from ventanilla.core.errors import AppError, NotFound
from ventanilla.core.i18n import N_
from ventanilla.storage.keys import InvalidKey, check_key

__all__ = [
    "Backend",
    "BlobNotFound",
    "InvalidKey",
    "StorageUnavailable",
    "backend",
    "delete",
    "exists",
    "get",
    "put",
]


class BlobNotFound(NotFound):
    """Nothing is stored under the key (never stored, or deleted)."""

    code = "blob_not_found"
    message = N_("This file is no longer available.")


class StorageUnavailable(AppError):
    """The storage backend failed (S3 unreachable, disk full): try again later."""

    status_code = 503
    code = "storage_unavailable"
    message = N_("Files cannot be saved or read right now. Please try again in a few minutes.")


class Backend(Protocol):
    def put(self, key: str, data: bytes, content_type: str) -> None: ...
    def get(self, key: str) -> bytes: ...
    def delete(self, key: str) -> None: ...
    def exists(self, key: str) -> bool: ...


def put(key: str, data: bytes, *, content_type: str) -> None:
    """Store `data` under `key`, replacing what was there; readers never see half a file.

    Raises InvalidKey for an unsafe key, StorageUnavailable when the backend fails.
    """
    if not isinstance(data, bytes | bytearray | memoryview):
        raise TypeError("blob data must be bytes")
    backend().put(check_key(key), bytes(data), content_type)


def get(key: str) -> bytes:
    """The bytes stored under `key`. Raises BlobNotFound, InvalidKey, StorageUnavailable."""
    return backend().get(check_key(key))


def delete(key: str) -> None:
    """Remove `key`; nothing happens if it is not there. Raises InvalidKey, StorageUnavailable."""
    backend().delete(check_key(key))


def exists(key: str) -> bool:
    """Whether something is stored under `key`. Raises InvalidKey, StorageUnavailable."""
    return backend().exists(check_key(key))


def backend(settings: Settings | None = None) -> Backend:
    """The backend the settings choose (S3 if a bucket is configured), one per configuration."""
    s = settings or get_settings()
    if s.s3_bucket:
        secret = s.s3_secret_access_key.get_secret_value() if s.s3_secret_access_key else None
        return _s3_backend(
            s.s3_bucket, s.s3_endpoint_url, s.s3_region, s.s3_access_key_id, secret, s.s3_prefix
        )
    return _folder_backend(s.storage_dir or s.var_dir / "blobs")


@lru_cache(maxsize=8)
def _folder_backend(root: Path) -> Backend:
    from ventanilla.storage.folder import FolderBackend

    return FolderBackend(root)


@lru_cache(maxsize=8)
def _s3_backend(
    bucket: str,
    endpoint_url: str | None,
    region: str | None,
    access_key_id: str | None,
    secret_access_key: str | None,
    prefix: str,
) -> Backend:
    # boto3 is imported only when S3 is configured: it is slow to import and the folder needs none.
    from ventanilla.storage.s3 import S3Backend

    return S3Backend(
        bucket=bucket,
        endpoint_url=endpoint_url,
        region=region,
        access_key_id=access_key_id,
        secret_access_key=secret_access_key,
        prefix=prefix,
    )
