"""Pure checks on a PDF the shop pushes: its hash, that it is a readable, unencrypted PDF.

Every refusal raises a `PdfRefused` (or subclass) with a stable code, so the shop sees exactly
why nothing was stored:

| code | status | when |
|---|---|---|
| `unsupported_media_type` | 415 | the request's Content-Type is not `application/pdf` |
| `body_too_large` | 413 | more bytes than `VENTANILLA_INVOICE_PDF_MAX_BYTES` (the app's body
  limit answers before the route reads on; `pdf_too_large` if bytes reach this check) |
| `sha256_missing` | 422 | neither `?sha256=` nor a `Content-Digest: sha-256=:…:` header |
| `sha256_invalid` | 422 | a digest that is not 32 bytes (64 hex digits / 44 base64 chars) |
| `sha256_conflict` | 422 | the query parameter and the header name different digests |
| `sha256_mismatch` | 422 | the body's SHA-256 is not the one given (damaged in transit) |
| `not_a_pdf` | 422 | no `%PDF-` header, or pypdf cannot read its page tree |
| `pdf_encrypted` | 422 | the PDF is encrypted (shoppers could not open or print it freely) |
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import io
import logging
import re
from dataclasses import dataclass

from ventanilla.invoices.exceptions import PdfRefused, PdfTooLarge

PDF_MAGIC = b"%PDF-"
_HEX = re.compile(r"^[0-9a-fA-F]{64}$")
# RFC 9530: `Content-Digest: sha-256=:<base64>:` (other algorithms may be listed beside it).
_DIGEST_ITEM = re.compile(r"^\s*sha-256\s*=\s*:([A-Za-z0-9+/=]*):\s*$", re.IGNORECASE)


def expected_sha256(query_value: str | None, content_digest: str | None) -> str:
    """The hex SHA-256 the shop says it sent, from `?sha256=` or `Content-Digest`.

    Raises PdfRefused (`sha256_missing`, `sha256_invalid`, `sha256_conflict`).
    """
    from_query = _hex_digest(query_value) if query_value is not None else None
    from_header = _header_digest(content_digest) if content_digest is not None else None
    if from_query and from_header and from_query != from_header:
        raise PdfRefused(
            "The sha256 query parameter and the Content-Digest header disagree.",
            code="sha256_conflict",
        )
    digest = from_query or from_header
    if digest is None:
        raise PdfRefused(
            "Give the PDF's SHA-256: ?sha256=<64 hex digits> or Content-Digest: sha-256=:…:.",
            code="sha256_missing",
        )
    return digest


@dataclass(frozen=True)
class CheckedPdf:
    """Bytes that passed `check_pushed_pdf`; only that function makes one."""

    data: bytes
    sha256: str  # hex, lower case


def check_pushed_pdf(data: bytes, *, sha256: str, max_bytes: int) -> CheckedPdf:
    """Accept `data` only if it is within `max_bytes`, hashes to `sha256` (hex) and is a
    readable PDF without encryption. Raises PdfTooLarge or PdfRefused."""
    if len(data) > max_bytes:
        raise PdfTooLarge(f"The PDF is larger than {max_bytes} bytes.")
    actual = hashlib.sha256(data).hexdigest()
    if not hmac.compare_digest(actual, sha256.lower()):
        raise PdfRefused(
            f"The body's SHA-256 is {actual}, not {sha256.lower()}: it was changed or cut "
            "on the way. Send it again.",
            code="sha256_mismatch",
        )
    if not data.startswith(PDF_MAGIC):
        raise PdfRefused("The body is not a PDF (it does not start with %PDF-).", code="not_a_pdf")
    _check_readable(data)
    return CheckedPdf(data, actual)


def _check_readable(data: bytes) -> None:
    from pypdf import PdfReader  # imported here: only pushes need it

    # pypdf logs every oddity it repairs; a refusal already says what matters.
    logging.getLogger("pypdf").setLevel(logging.ERROR)
    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        encrypted = reader.is_encrypted
        pages = 0 if encrypted else len(reader.pages)
    except Exception as exc:  # any parser failure means "not a PDF we can serve"
        raise PdfRefused(
            f"The PDF cannot be read ({type(exc).__name__}).", code="not_a_pdf"
        ) from None
    if encrypted:
        raise PdfRefused(
            "The PDF is encrypted: push it without a password or restrictions.",
            code="pdf_encrypted",
        )
    if pages < 1:
        raise PdfRefused("The PDF has no pages.", code="not_a_pdf")


def _hex_digest(value: str) -> str:
    if not _HEX.match(value):
        raise PdfRefused("sha256 must be 64 hexadecimal digits.", code="sha256_invalid")
    return value.lower()


def _header_digest(header: str) -> str | None:
    for item in header.split(","):
        match = _DIGEST_ITEM.match(item)
        if match is None:
            continue
        try:
            raw = base64.b64decode(match.group(1), validate=True)
        except (binascii.Error, ValueError):
            raw = b""
        if len(raw) != 32:
            raise PdfRefused(
                "Content-Digest sha-256 must be 32 bytes in base64.", code="sha256_invalid"
            )
        return raw.hex()
    return None
