"""Test images made on the fly: photos with EXIF/GPS, bombs, fakes and broken files."""

from __future__ import annotations

import io
import struct
from functools import cache

import pillow_heif
from PIL import Image, ImageCms

pillow_heif.register_heif_opener()

GPS_IFD = 0x8825
ORIENTATION = 0x0112
XMP = (
    b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-'
    b'syntax-ns#"><rdf:Description xmlns:exif="http://ns.adobe.com/exif/1.0/" '
    b'exif:GPSLatitude="40,25.2N" exif:GPSLongitude="3,42.1W"/></rdf:RDF></x:xmpmeta>'
)


def two_colours(size: tuple[int, int] = (400, 200)) -> Image.Image:
    """Left half red, right half blue: shows which way an image was turned."""
    image = Image.new("RGB", size, (220, 20, 20))
    image.paste((20, 20, 220), (size[0] // 2, 0, size[0], size[1]))
    return image


def gps_exif(orientation: int = 1) -> Image.Exif:
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    exif[0x0110] = "Phone 15"  # Model
    exif[ORIENTATION] = orientation
    exif[GPS_IFD] = {
        1: "N",
        2: (40.0, 25.0, 12.0),
        3: "W",
        4: (3.0, 42.0, 5.0),
    }
    return exif


def encode(image: Image.Image, fmt: str, **params: object) -> bytes:
    out = io.BytesIO()
    image.save(out, format=fmt, **params)
    return out.getvalue()


# Cached: the same bytes serve both backends' runs of a test (HEIC encoding is slow).
@cache
def jpeg(size: tuple[int, int] = (400, 300), **params: object) -> bytes:
    return encode(Image.effect_noise(size, 40).convert("RGB"), "JPEG", **params)


@cache
def png(size: tuple[int, int] = (400, 300)) -> bytes:
    return encode(Image.effect_noise(size, 40).convert("RGB"), "PNG")


@cache
def webp(size: tuple[int, int] = (400, 300)) -> bytes:
    return encode(Image.effect_noise(size, 40).convert("RGB"), "WEBP")


@cache
def heic(size: tuple[int, int] = (400, 300), **params: object) -> bytes:
    # A smooth picture: noise takes the HEVC encoder ten times as long.
    gradient = Image.linear_gradient("L").resize(size).convert("RGB")
    return encode(gradient, "HEIF", **params)


def srgb_icc() -> bytes:
    return bytes(ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes())


def phone_jpeg_with_gps() -> bytes:
    """A 'phone photo': EXIF with GPS and orientation 6, XMP with GPS, an ICC profile, a
    comment hiding HTML."""
    return encode(
        two_colours(),
        "JPEG",
        exif=gps_exif(orientation=6),
        xmp=XMP,
        icc_profile=srgb_icc(),
        comment=b"<script>alert(1)</script>",
        quality=95,
    )


@cache
def png_bomb(side: int = 10_000) -> bytes:
    """A side x side PNG (1 bit per pixel, all black) that compresses to kilobytes."""
    return encode(Image.new("1", (side, side)), "PNG")


def padded_jpeg(total: int) -> bytes:
    """A valid small JPEG followed by zeros after its end marker, `total` bytes in all."""
    data = jpeg((200, 150))
    assert len(data) < total
    return data + b"\0" * (total - len(data))


def jpeg_segments(data: bytes) -> list[int]:
    """The markers of a JPEG's segments up to the image data (0xE0 = APP0, 0xE1 = APP1...)."""
    assert data[:2] == b"\xff\xd8", "not a JPEG"
    markers, pos = [], 2
    while pos < len(data):
        assert data[pos] == 0xFF, f"bad marker at {pos}"
        marker = data[pos + 1]
        markers.append(marker)
        if marker == 0xDA:  # start of scan: image data follows
            break
        (length,) = struct.unpack(">H", data[pos + 2 : pos + 4])
        pos += 2 + length
    return markers


HTML = b"<!DOCTYPE html><html><body><script>fetch('/api/v1/me')</script></body></html>\n"
SVG = (
    b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" width="10" height="10">'
    b"<script>alert(1)</script></svg>"
)
