"""Serve a stored photo as an HTTP response that no browser will run or sniff.

    return photo_response(photo.key, content_type=photo.content_type, filename="photo-1.jpg")

Ownership is the caller's job (see docs/storage.md): call this only after checking that the
shopper owns the case (404 otherwise, as for a missing one), that an agent is signed in, or
that a signed URL verified. A missing blob is BlobNotFound (404).
"""

from __future__ import annotations

import re

from starlette.responses import Response

from ventanilla.storage import blobs

SERVABLE_TYPES = frozenset({"image/jpeg", "image/png", "image/webp"})
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def photo_response(
    key: str, *, content_type: str, filename: str | None = None, max_age: int | None = None
) -> Response:
    """The blob under `key` with `content_type` from our record and locked-down headers.

    `max_age` (seconds) allows a private cache (signed URLs); without it nothing is cached.
    Raises BlobNotFound, StorageUnavailable; ValueError for a type we never serve.
    """
    if content_type not in SERVABLE_TYPES:
        raise ValueError(f"refusing to serve {content_type!r}")
    data = blobs.get(key)
    cache = f"private, max-age={max_age}" if max_age and max_age > 0 else "private, no-store"
    return Response(
        content=data,
        media_type=content_type,
        headers={
            "X-Content-Type-Options": "nosniff",
            # Opened on its own, the file gets no origin, no scripts, no plugins, no requests.
            "Content-Security-Policy": "default-src 'none'; sandbox",
            "Cache-Control": cache,
            "Content-Disposition": f'inline; filename="{download_name(key, filename)}"',
        },
    )


def download_name(key: str, filename: str | None = None) -> str:
    """A header-safe ASCII file name: the caller's (cleaned) or the key's last part."""
    name = _UNSAFE.sub("-", filename or "").strip(".-")[:80]
    return name or key.rsplit("/", 1)[-1]
