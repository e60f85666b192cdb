"""Decode untrusted images safely and re-encode them clean (Pillow, pillow-heif, puremagic).

In order: the type comes from the content's magic bytes (puremagic), never from the name; Pillow
opens the file with only that format's decoder; the pixel count from the header is checked
before any pixel is decoded (and Pillow's own DecompressionBombWarning is an error too);
truncated files are errors (Pillow's LOAD_TRUNCATED_IMAGES stays off); the EXIF orientation is
applied; colours are converted to sRGB; and new JPEGs are written from the pixels alone, so no
EXIF, GPS, XMP, IPTC, ICC profile or comment of the upload survives.
"""

from __future__ import annotations

import io
import logging
import threading
import warnings
from dataclasses import dataclass

import pillow_heif
import puremagic
from PIL import Image, ImageCms, ImageFile, ImageOps

from ventanilla.media.exceptions import PhotoRejected

log = logging.getLogger("ventanilla.media")

pillow_heif.register_heif_opener()

# MIME type by content -> the one Pillow decoder allowed to read it.
ACCEPTED_TYPES: dict[str, str] = {
    "image/jpeg": "JPEG",
    "image/png": "PNG",
    "image/webp": "WEBP",
    "image/heic": "HEIF",
    "image/heif": "HEIF",
}
OUTPUT_TYPE = "image/jpeg"
FULL_QUALITY = 85
THUMBNAIL_QUALITY = 80
_SIXTEEN_BIT = frozenset({"I", "I;16", "I;16B", "I;16L", "I;16N"})
_SRGB = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB"))
# A 50 MP photo takes about 150 MB decoded: at most two at a time per process (2 cores here).
_DECODING = threading.BoundedSemaphore(2)


@dataclass(frozen=True)
class Encoded:
    data: bytes
    width: int
    height: int


@dataclass(frozen=True)
class Processed:
    full: Encoded
    thumbnail: Encoded


def sniff(data: bytes) -> str:
    """The accepted MIME type of `data` by its magic bytes (e.g. "image/heif").

    Raises PhotoRejected `unsupported_type` for other images (GIF, TIFF, SVG...) and
    `not_an_image` for anything else.
    """
    try:
        matches = puremagic.magic_string(data)
    except (puremagic.PureError, ValueError):
        matches = []
    # Best match first; an ISO media file (HEIC) also matches "video/mp4", so look further.
    for match in matches:
        if match.mime_type in ACCEPTED_TYPES:
            return str(match.mime_type)
    if any(str(m.mime_type).startswith("image/") for m in matches):
        raise PhotoRejected("unsupported_type")
    raise PhotoRejected("not_an_image")


def process(
    data: bytes, mime_type: str, *, max_pixels: int, max_side: int, thumbnail_side: int
) -> Processed:
    """Decode `data` as `mime_type` and return clean JPEGs: the photo and its thumbnail.

    The photo keeps its aspect ratio, upright, with its long side at most `max_side` pixels; the
    thumbnail at most `thumbnail_side`. Raises PhotoRejected `too_many_pixels` (width x height
    over `max_pixels`, checked from the header before decoding) or `image_corrupt` (truncated,
    damaged, or not what its magic bytes said).
    """
    with _DECODING:
        full = _to_rgb(_decode(data, ACCEPTED_TYPES[mime_type], max_pixels, max_side))
        full.thumbnail((max_side, max_side), Image.Resampling.LANCZOS)
        thumbnail = full.copy()
        thumbnail.thumbnail((thumbnail_side, thumbnail_side), Image.Resampling.LANCZOS)
        return Processed(_encode(full, FULL_QUALITY), _encode(thumbnail, THUMBNAIL_QUALITY))


def _decode(data: bytes, pillow_format: str, max_pixels: int, max_side: int) -> Image.Image:
    if ImageFile.LOAD_TRUNCATED_IMAGES:  # pragma: no cover - a global someone must not flip
        raise RuntimeError("PIL.ImageFile.LOAD_TRUNCATED_IMAGES must stay False")
    # Not thread-safe in the strict sense (the filter list is global), but the explicit pixel
    # check below is the guarantee; this only makes Pillow's own check fail rather than warn.
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            image = Image.open(io.BytesIO(data), formats=[pillow_format])
            width, height = image.size
            if width * height > max_pixels:
                raise _too_many_pixels(max_pixels)
            if pillow_format == "JPEG":
                # Let the JPEG decoder scale down by 1/2, 1/4 or 1/8 while decoding: big
                # photos are shrunk anyway, and this saves most of the memory and time.
                image.draft("RGB", (max_side, max_side))
            image.load()
            return ImageOps.exif_transpose(image)
        except PhotoRejected:
            raise
        except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
            raise _too_many_pixels(max_pixels) from exc
        except Exception as exc:  # any decoder failure on untrusted bytes is a bad image
            log.info("image refused as corrupt (%s): %s", pillow_format, exc)
            raise PhotoRejected("image_corrupt") from exc


def _too_many_pixels(max_pixels: int) -> PhotoRejected:
    return PhotoRejected("too_many_pixels", limit_mp=f"{max_pixels / 1_000_000:g}")


def _to_rgb(image: Image.Image) -> Image.Image:
    """8-bit RGB in sRGB: alpha flattened onto white, the ICC profile applied, then dropped."""
    icc = image.info.get("icc_profile")
    if image.mode in _SIXTEEN_BIT:
        image = image.convert("I").point(lambda v: v * (1 / 256)).convert("L")
    if image.mode in ("P", "PA"):
        image = image.convert("RGBA")
    if image.mode in ("RGBA", "LA", "RGBa", "La"):
        rgba = image.convert("RGBA")
        flat = Image.new("RGB", rgba.size, (255, 255, 255))
        flat.paste(rgba, mask=rgba.getchannel("A"))
        image = flat
    if icc:
        try:
            source = ImageCms.ImageCmsProfile(io.BytesIO(icc))
            converted = ImageCms.profileToProfile(image, source, _SRGB, outputMode="RGB")
            if converted is not None:
                return converted
        except (ImageCms.PyCMSError, OSError, ValueError, TypeError) as exc:
            log.info("ignoring an unusable ICC profile: %s", exc)
    return image.convert("RGB")


def _encode(image: Image.Image, quality: int) -> Encoded:
    # Pillow writes some of `info` (a JPEG comment, for one) unless told otherwise: start empty.
    image.info = {}
    out = io.BytesIO()
    # Baseline, not progressive: progressive encoding took 4x as long for no gain here.
    image.save(out, format="JPEG", quality=quality, optimize=True)
    return Encoded(out.getvalue(), image.width, image.height)
