"""Blob keys: opaque relative names chosen by callers, checked so none can leave the root."""

from __future__ import annotations

import re

MAX_KEY_LENGTH = 512
MAX_SEGMENT_LENGTH = 200  # file systems allow 255 bytes per name; leave room for temp names
# Segments of letters, digits, "-", "_" and "." separated by single "/": safe as a file path on
# every system and as an S3 key. A segment may not start with "." (no "..", no hidden files, and
# no clash with the folder backend's ".tmp-" files).
_SEGMENT = re.compile(r"^[A-Za-z0-9_-][A-Za-z0-9._-]*$")


class InvalidKey(ValueError):
    """A key that is empty, too long, absolute, or could escape the storage root."""


def check_key(key: str) -> str:
    """Return `key` unchanged if it is a safe relative name; raise InvalidKey otherwise.

    Refused: empty, longer than 512 characters or 200 per segment, absolute (`/x`), a NUL or
    backslash, empty segments (`a//b`, trailing `/`), `.`/`..` or any segment starting with a
    dot, and characters outside `A-Z a-z 0-9 - _ .`.
    """
    if not isinstance(key, str) or not key:
        raise InvalidKey("a blob key must be a non-empty string")
    if len(key) > MAX_KEY_LENGTH:
        raise InvalidKey(f"a blob key has at most {MAX_KEY_LENGTH} characters")
    if "\x00" in key or "\\" in key or key.startswith("/"):
        raise InvalidKey(f"unsafe blob key: {key!r}")
    for segment in key.split("/"):
        if len(segment) > MAX_SEGMENT_LENGTH or not _SEGMENT.match(segment):
            raise InvalidKey(f"unsafe blob key: {key!r}")
    return key
