"""Blobs by key, kept as files under `<var_dir>/blobs`.

A minimal stand-in with exactly the API of the blob store built in branch `wave1-media`
(`put(key, data, *, content_type)`, `get(key) -> bytes` raising `BlobNotFound`, `delete(key)`,
`exists(key)`); when both land, that branch's module replaces this one.

Keys are relative paths of safe segments (`invoices/pdf/<sha256>.pdf`): letters, digits, '.', '_'
and '-', never '..'. Writes are atomic (a temporary file renamed into place), so a reader never
sees half a document.
"""

from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path

from ventanilla.config import get_settings

_SEGMENT = re.compile(r"^[A-Za-z0-9_-][A-Za-z0-9._-]{0,127}$")


class BlobNotFound(Exception):
    """No blob is stored under this key."""


def _root() -> Path:
    return get_settings().var_dir / "blobs"


def _path(key: str) -> Path:
    parts = key.split("/")
    if not 1 <= len(parts) <= 8 or not all(
        _SEGMENT.match(part) and part not in (".", "..") for part in parts
    ):
        raise ValueError(f"not a blob key: {key!r}")
    return _root().joinpath(*parts)


def put(key: str, data: bytes, *, content_type: str) -> None:
    """Store `data` under `key` (replacing what was there)."""
    if not content_type:
        raise ValueError("content_type is required")
    path = _path(key)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def get(key: str) -> bytes:
    """The bytes stored under `key`; BlobNotFound if there are none."""
    try:
        return _path(key).read_bytes()
    except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
        raise BlobNotFound(key) from None


def delete(key: str) -> None:
    """Remove the blob; removing a missing one is not an error."""
    _path(key).unlink(missing_ok=True)


def exists(key: str) -> bool:
    return _path(key).is_file()
