"""Blobs as files in a folder (default `var/blobs`), outside the web root and never mounted.

Writes go to a temporary file in the same folder, are flushed to disk and then renamed over the
target, so a reader sees the old file or the new one, never half of one, and a crash leaves at
most a `.tmp-*` file (keys cannot start with a dot, so it can never be read as a blob).
"""

from __future__ import annotations

import contextlib
import logging
import os
import tempfile
from pathlib import Path

from ventanilla.storage.blobs import BlobNotFound, StorageUnavailable
from ventanilla.storage.keys import InvalidKey

log = logging.getLogger("ventanilla.storage")


class FolderBackend:
    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def _path(self, key: str) -> Path:
        # Keys are checked already; resolving also refuses a symlink planted inside the root.
        root = self.root.resolve()
        path = (root / key).resolve()
        if not path.is_relative_to(root) or path == root:
            raise InvalidKey(f"blob key leaves the storage folder: {key!r}")
        return path

    def put(self, key: str, data: bytes, content_type: str) -> None:
        path = self._path(key)
        try:
            path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
        except OSError as exc:
            log.error("cannot write blob %s: %s", key, exc)
            raise StorageUnavailable() from exc
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, path)
        except OSError as exc:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            log.error("cannot write blob %s: %s", key, exc)
            raise StorageUnavailable() from exc
        _fsync_dir(path.parent)

    def get(self, key: str) -> bytes:
        try:
            return self._path(key).read_bytes()
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError) as exc:
            raise BlobNotFound() from exc
        except OSError as exc:
            raise StorageUnavailable() from exc

    def delete(self, key: str) -> None:
        path = self._path(key)
        try:
            path.unlink(missing_ok=True)
        except (IsADirectoryError, NotADirectoryError, PermissionError) as exc:
            if path.is_dir() or not path.parent.is_dir():
                return  # a folder, or under a file: no blob there
            raise StorageUnavailable() from exc
        except OSError as exc:
            raise StorageUnavailable() from exc

    def exists(self, key: str) -> bool:
        return self._path(key).is_file()


def _fsync_dir(folder: Path) -> None:
    """Make the rename durable (POSIX); best effort where folders cannot be opened."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
