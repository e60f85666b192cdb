"""Accept, store and delete claim photos. No FastAPI here; routes use `uploads` and `serving`.

    photo = accept_photo(data, filename="IMG_0042.HEIC")   # StoredPhoto, or PhotoRejected
    photos = accept_photos([(data, name), ...])            # all or none
    delete_photo(photo.key)                                # the photo and its thumbnail

Only re-encoded copies are kept (a JPEG of at most `photo_max_side` pixels and a thumbnail);
the upload itself is never stored, so its metadata and any payload hidden in it are gone.
Decoding is CPU-bound: call these from a `def` route or through `run_in_threadpool`.
"""

from __future__ import annotations

import hashlib
import logging
import re
import secrets
import unicodedata
from collections.abc import Iterable
from contextlib import suppress
from dataclasses import dataclass

from ventanilla.config import get_settings
from ventanilla.media import images
from ventanilla.media.exceptions import PhotoRejected
from ventanilla.storage import blobs

log = logging.getLogger("ventanilla.media")

KEY_PREFIX = "photos"
_PHOTO_KEY = re.compile(r"^photos/[A-Za-z0-9_-]{2}/[A-Za-z0-9_-]{32}\.jpg$")


@dataclass(frozen=True)
class StoredPhoto:
    """What to record about a stored photo; every field is ours, none comes from the file.

    `key`/`thumbnail_key` name the blobs (never put them in a URL: serve through an owned route
    or a signed URL); `width`/`height` are the stored copy's pixels after orientation;
    `size_bytes` and `sha256` (hex) describe the stored copy; `source_type` is what the upload
    was by content and `source_sha256` its hash (the upload itself is not kept), so the same
    file sent twice can be recognised; `filename` is the device's name, cleaned, for display.
    """

    key: str
    thumbnail_key: str
    content_type: str
    width: int
    height: int
    size_bytes: int
    sha256: str
    thumbnail_width: int
    thumbnail_height: int
    thumbnail_size_bytes: int
    source_type: str
    source_sha256: str
    filename: str | None


def accept_photo(data: bytes, *, filename: str | None) -> StoredPhoto:
    """Check, clean and store one uploaded photo; the name is for display only.

    Raises PhotoRejected (nothing stored) with code photo_empty, photo_too_big, not_an_image,
    unsupported_type, too_many_pixels or image_corrupt; StorageUnavailable if storage fails.
    """
    settings = get_settings()
    name = clean_filename(filename)
    try:
        if not data:
            raise PhotoRejected("photo_empty")
        if len(data) > settings.photo_max_bytes:
            raise PhotoRejected("photo_too_big", limit_mb=_mb(settings.photo_max_bytes))
        source_type = images.sniff(data)
        processed = images.process(
            data,
            source_type,
            max_pixels=settings.photo_max_pixels,
            max_side=settings.photo_max_side,
            thumbnail_side=settings.photo_thumbnail_side,
        )
    except PhotoRejected as exc:
        exc.filename = name
        log.info("photo refused: %s (%s bytes)", exc.code, len(data))
        raise
    token = secrets.token_urlsafe(24)
    key = f"{KEY_PREFIX}/{token[:2]}/{token}.jpg"
    thumb_key = thumbnail_key(key)
    full, thumb = processed.full, processed.thumbnail
    blobs.put(key, full.data, content_type=images.OUTPUT_TYPE)
    try:
        blobs.put(thumb_key, thumb.data, content_type=images.OUTPUT_TYPE)
    except BaseException:
        with suppress(Exception):
            blobs.delete(key)
        raise
    return StoredPhoto(
        key=key,
        thumbnail_key=thumb_key,
        content_type=images.OUTPUT_TYPE,
        width=full.width,
        height=full.height,
        size_bytes=len(full.data),
        sha256=hashlib.sha256(full.data).hexdigest(),
        thumbnail_width=thumb.width,
        thumbnail_height=thumb.height,
        thumbnail_size_bytes=len(thumb.data),
        source_type=source_type,
        source_sha256=hashlib.sha256(data).hexdigest(),
        filename=name,
    )


def accept_photos(files: Iterable[tuple[bytes, str | None]]) -> list[StoredPhoto]:
    """Accept several photos, all or none: `files` is (data, filename) pairs.

    Raises PhotoRejected `too_many_photos` over `photo_max_count`, or the first photo's refusal
    (its `filename` set); photos stored before the refusal are deleted again.
    """
    items = list(files)
    limit = get_settings().photo_max_count
    if len(items) > limit:
        raise PhotoRejected("too_many_photos", limit=limit)
    stored: list[StoredPhoto] = []
    try:
        for data, filename in items:
            stored.append(accept_photo(data, filename=filename))
    except BaseException:
        for photo in stored:
            with suppress(Exception):
                delete_photo(photo.key)
        raise
    return stored


def delete_photo(key: str) -> None:
    """Delete a stored photo and its thumbnail; nothing happens if they are already gone.

    Raises ValueError for a key that is not a photo key (so an invoice is never deleted by
    mistake), StorageUnavailable if storage fails.
    """
    if not _PHOTO_KEY.match(key):
        raise ValueError(f"not a photo key: {key!r}")
    blobs.delete(thumbnail_key(key))
    blobs.delete(key)


def thumbnail_key(key: str) -> str:
    """The thumbnail's key for a photo key (`photos/ab/<token>.jpg` -> `....thumb.jpg`)."""
    return key.removesuffix(".jpg") + ".thumb.jpg"


def clean_filename(filename: str | None) -> str | None:
    """The last path part of a device's file name, without control characters, at most 100
    characters; None when nothing is left. For display and download names only."""
    if not filename:
        return None
    name = re.split(r"[/\\]", filename)[-1]
    name = "".join(c for c in name if unicodedata.category(c)[0] != "C").strip()
    return name[:100] or None


def _mb(size: int) -> str:
    return f"{size / (1024 * 1024):g}"
