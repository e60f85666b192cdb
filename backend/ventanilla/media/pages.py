"""GET /media/s/{token}: a stored photo by signed, short-lived URL (404 when not valid)."""

from __future__ import annotations

from fastapi import APIRouter
from starlette.responses import Response

from ventanilla.core import clock
from ventanilla.media import serving, signing
from ventanilla.media.exceptions import MediaNotFound
from ventanilla.storage import blobs

router = APIRouter(include_in_schema=False)
POSITION = 900  # after the shopper's pages; nothing else lives under /media

# A browser may keep a signed photo this long at most (and never past the URL's expiry).
MAX_CACHE_SECONDS = 300


@router.get("/media/s/{token}")
def signed_photo(token: str) -> Response:
    """A stored photo for whoever holds a valid signed URL (the shop's systems)."""
    signed = signing.verify(token)
    if signed.content_type not in serving.SERVABLE_TYPES:
        raise MediaNotFound()
    remaining = signed.expires_at - int(clock.now().timestamp())
    try:
        return serving.photo_response(
            signed.key,
            content_type=signed.content_type,
            filename=signed.filename,
            max_age=max(1, min(remaining, MAX_CACHE_SECONDS)),
        )
    except blobs.BlobNotFound as exc:
        raise MediaNotFound() from exc
