"""Photo intake: type by content, safe decoding, clean re-encoding; nothing stored on refusal.

Every test runs on both blob backends (a folder and a real S3 server on loopback).
"""

from __future__ import annotations

import hashlib
import io

import pytest
from PIL import Image

from tests.media import pictures
from tests.s3_server import BlobStore
from ventanilla.core.i18n import using_locale
from ventanilla.media import service
from ventanilla.media.exceptions import PhotoRejected
from ventanilla.storage import blobs


def rejected(data: bytes, filename: str | None, code: str) -> PhotoRejected:
    with pytest.raises(PhotoRejected) as caught:
        service.accept_photo(data, filename=filename)
    assert caught.value.code == code, caught.value.message
    return caught.value


def stored_images(photo: service.StoredPhoto) -> list[tuple[bytes, Image.Image]]:
    copies = []
    for key in (photo.key, photo.thumbnail_key):
        data = blobs.get(key)
        image = Image.open(io.BytesIO(data))
        image.load()
        copies.append((data, image))
    return copies


class TestAccepted:
    @pytest.mark.parametrize(
        ("make", "source_type"),
        [
            (pictures.jpeg, "image/jpeg"),
            (pictures.png, "image/png"),
            (pictures.webp, "image/webp"),
            (pictures.heic, "image/heif"),
        ],
    )
    def test_each_accepted_type_is_stored_as_two_clean_jpegs(
        self, blob_store: BlobStore, make: object, source_type: str
    ) -> None:
        data = make()  # type: ignore[operator]
        photo = service.accept_photo(data, filename="photo.bin")
        assert photo.source_type == source_type
        assert photo.content_type == "image/jpeg"
        assert (photo.width, photo.height) == (400, 300)
        assert (photo.thumbnail_width, photo.thumbnail_height) == (320, 240)
        assert sorted(blob_store.keys()) == sorted([photo.key, photo.thumbnail_key])
        (full, full_image), (thumb, thumb_image) = stored_images(photo)
        assert full_image.format == thumb_image.format == "JPEG"
        assert full != data  # the upload itself is never kept
        assert photo.size_bytes == len(full) and photo.thumbnail_size_bytes == len(thumb)
        assert photo.sha256 == hashlib.sha256(full).hexdigest()
        assert photo.source_sha256 == hashlib.sha256(data).hexdigest()

    def test_a_png_named_jpg_is_taken_as_a_png(self, blob_store: BlobStore) -> None:
        photo = service.accept_photo(pictures.png(), filename="holiday.jpg")
        assert photo.source_type == "image/png"
        assert photo.filename == "holiday.jpg"

    def test_a_heic_named_jpg_is_taken_as_heic(self, blob_store: BlobStore) -> None:
        assert service.accept_photo(pictures.heic(), filename="x.jpg").source_type == "image/heif"

    def test_names_are_random_and_say_nothing_of_the_upload(self, blob_store: BlobStore) -> None:
        data = pictures.jpeg()
        one = service.accept_photo(data, filename="Ana García DNI.jpg")
        two = service.accept_photo(data, filename="Ana García DNI.jpg")
        assert one.key != two.key
        for key in (one.key, one.thumbnail_key):
            assert key.startswith("photos/") and "Ana" not in key and "DNI" not in key
        assert one.source_sha256 == two.source_sha256  # the same file sent twice shows

    @pytest.mark.parametrize("make", [pictures.jpeg, pictures.png], ids=["jpeg", "png"])
    def test_big_photos_are_shrunk_and_thumbnailed(
        self, blob_store: BlobStore, make: object
    ) -> None:
        blob_store.configure(photo_max_side=100, photo_thumbnail_side=40)  # as 2560 and 320
        photo = service.accept_photo(make((800, 600)), filename=None)  # type: ignore[operator]
        assert (photo.width, photo.height) == (100, 75)
        assert (photo.thumbnail_width, photo.thumbnail_height) == (40, 30)

    def test_transparency_is_flattened_onto_white(self, blob_store: BlobStore) -> None:
        image = Image.new("RGBA", (100, 100), (0, 0, 0, 0))
        photo = service.accept_photo(pictures.encode(image, "PNG"), filename=None)
        (_, full), _ = stored_images(photo)
        assert all(channel > 245 for channel in full.convert("RGB").getpixel((50, 50)))

    @pytest.mark.parametrize(("mode", "value"), [("CMYK", (0, 0, 0, 0)), ("I;16", 40000)])
    def test_unusual_colour_modes_become_rgb(
        self, blob_store: BlobStore, mode: str, value: object
    ) -> None:
        image = Image.new(mode, (64, 64), value)  # type: ignore[arg-type]
        data = pictures.encode(image, "JPEG" if mode == "CMYK" else "PNG")
        photo = service.accept_photo(data, filename=None)
        (_, full), _ = stored_images(photo)
        assert full.mode == "RGB"
        if mode == "I;16":
            assert abs(full.getpixel((5, 5))[0] - 40000 // 256) <= 3  # type: ignore[index]


class TestMetadataIsGone:
    def test_a_jpeg_with_gps_keeps_none_of_it_in_any_stored_copy(
        self, blob_store: BlobStore
    ) -> None:
        upload = pictures.phone_jpeg_with_gps()
        source = Image.open(io.BytesIO(upload))
        assert source.getexif().get_ifd(pictures.GPS_IFD)  # the upload does carry GPS
        photo = service.accept_photo(upload, filename="IMG_0001.jpg")
        copies = stored_images(photo)
        assert len(copies) == 2 and len(blob_store.keys()) == 2
        for data, image in copies:
            assert not image.getexif()
            assert not image.getexif().get_ifd(pictures.GPS_IFD)
            assert not {"exif", "xmp", "icc_profile", "comment", "photoshop"} & set(image.info)
            # No APP1 (EXIF, XMP), APP2 (ICC), APP13 (IPTC) or comment segment at all.
            assert set(pictures.jpeg_segments(data)) & {0xE1, 0xE2, 0xED, 0xFE} == set()
            for trace in (b"Exif", b"GPS", b"PhoneMaker", b"adobe:ns:meta", b"<script"):
                assert trace not in data

    @pytest.mark.parametrize("fmt", ["JPEG", "HEIF"])
    def test_the_orientation_is_applied_before_it_is_dropped(
        self, blob_store: BlobStore, fmt: str
    ) -> None:
        # Stored 400x200 red|blue with orientation 6 ("turn 90° clockwise to view"): upright,
        # it is 200x400 with red on top.
        # Given EXIF bytes, pillow-heif writes the turn as the HEIF transform (irot), as phones
        # do; HEIF viewers follow irot, not the EXIF tag.
        upload = pictures.encode(pictures.two_colours(), fmt, exif=pictures.gps_exif(6).tobytes())
        photo = service.accept_photo(upload, filename=None)
        (_, full), _ = stored_images(photo)
        assert full.size == (200, 400)
        top, bottom = full.getpixel((100, 50)), full.getpixel((100, 350))
        assert top[0] > 150 and top[2] < 100  # type: ignore[index]
        assert bottom[2] > 150 and bottom[0] < 100  # type: ignore[index]

    def test_a_heic_with_gps_keeps_none_of_it(self, blob_store: BlobStore) -> None:
        upload = pictures.heic(exif=pictures.gps_exif().tobytes())
        assert Image.open(io.BytesIO(upload)).getexif().get_ifd(pictures.GPS_IFD)
        photo = service.accept_photo(upload, filename="IMG_0002.HEIC")
        for data, image in stored_images(photo):
            assert not image.getexif() and b"GPS" not in data and b"PhoneMaker" not in data


class TestRefused:
    def test_an_html_file_named_png_is_not_an_image(self, blob_store: BlobStore) -> None:
        error = rejected(pictures.HTML, "cat.png", "not_an_image")
        assert error.status_code == 422 and error.filename == "cat.png"
        assert "JPEG, PNG, WebP, HEIC" in error.message
        assert blob_store.keys() == []

    @pytest.mark.parametrize(
        "data",
        [
            pictures.SVG,
            pictures.encode(Image.new("RGB", (10, 10)), "GIF"),
            pictures.encode(Image.new("RGB", (10, 10)), "TIFF"),
            pictures.encode(Image.new("RGB", (10, 10)), "BMP"),
        ],
        ids=["svg", "gif", "tiff", "bmp"],
    )
    def test_other_image_types_are_unsupported(self, blob_store: BlobStore, data: bytes) -> None:
        rejected(data, "photo.jpg", "unsupported_type")
        assert blob_store.keys() == []

    @pytest.mark.parametrize(
        "data",
        [b"", b"\0" * 1000, b"%PDF-1.7\n" + b"x" * 100, b"MZ\x90\x00" + b"\0" * 100],
        ids=["empty", "zeros", "pdf", "exe"],
    )
    def test_other_files_are_refused(self, blob_store: BlobStore, data: bytes) -> None:
        rejected(data, "photo.jpg", "photo_empty" if not data else "not_an_image")
        assert blob_store.keys() == []

    def test_a_10000_by_10000_png_of_a_few_kilobytes_is_too_many_pixels(
        self, blob_store: BlobStore
    ) -> None:
        bomb = pictures.png_bomb()
        assert len(bomb) < 50_000  # 100 million pixels in kilobytes
        error = rejected(bomb, "bomb.png", "too_many_pixels")
        assert "50 megapixels" in error.message
        assert blob_store.keys() == []

    def test_pillows_own_bomb_check_is_an_error_too(self, blob_store: BlobStore) -> None:
        # With our limit above Pillow's (89 MP), Pillow's warning must refuse the file anyway.
        blob_store.configure(photo_max_pixels=1_000_000_000)
        rejected(pictures.png_bomb(), "bomb.png", "too_many_pixels")
        rejected(pictures.png_bomb(side=14_000), "bomb.png", "too_many_pixels")  # Pillow's error
        assert blob_store.keys() == []

    def test_the_pixel_limit_is_a_setting(self, blob_store: BlobStore) -> None:
        blob_store.configure(photo_max_pixels=100_000)
        error = rejected(pictures.jpeg((400, 300)), None, "too_many_pixels")
        assert "0.1 megapixels" in error.message
        assert service.accept_photo(pictures.jpeg((300, 300)), filename=None)

    @pytest.mark.parametrize(
        "make", [pictures.jpeg, pictures.png, pictures.webp, pictures.heic],
        ids=["jpeg", "png", "webp", "heic"],
    )
    def test_a_truncated_image_is_corrupt(self, blob_store: BlobStore, make: object) -> None:
        data = make((300, 200))  # type: ignore[operator]
        rejected(data[: len(data) * 2 // 3], "half.jpg", "image_corrupt")
        assert blob_store.keys() == []

    def test_magic_bytes_followed_by_garbage_are_corrupt(self, blob_store: BlobStore) -> None:
        rejected(b"\x89PNG\r\n\x1a\n" + b"<html>" * 100, "x.png", "image_corrupt")
        rejected(b"\xff\xd8\xff\xe0" + b"<html>" * 100, "x.jpg", "image_corrupt")
        assert blob_store.keys() == []

    def test_a_photo_over_the_size_limit_is_too_big(self, blob_store: BlobStore) -> None:
        blob_store.configure(photo_max_bytes=1024 * 1024)
        error = rejected(pictures.padded_jpeg(1024 * 1024 + 1), "big.jpg", "photo_too_big")
        assert error.status_code == 413 and "1 MB" in error.message
        assert blob_store.keys() == []


class TestMessages:
    @pytest.mark.parametrize(
        ("code", "params", "es", "en"),
        [
            ("photo_too_big", {"limit_mb": "10"}, "como máximo 10 MB", "at most 10 MB"),
            ("too_many_photos", {"limit": 8}, "como máximo 8 fotos", "at most 8 photos"),
            ("not_an_image", {}, "no es una foto", "not a photo"),
            ("too_many_pixels", {"limit_mp": "50"}, "50 megapíxeles", "50 megapixels"),
            ("image_corrupt", {}, "dañada", "damaged"),
        ],
    )
    def test_refusals_speak_spanish_and_english(
        self, code: str, params: dict[str, object], es: str, en: str
    ) -> None:
        error = PhotoRejected(code, **params)
        with using_locale("es"):
            assert es in error.translated()
        with using_locale("en"):
            assert en in error.translated()


class TestSeveral:
    def test_all_or_none(self, blob_store: BlobStore) -> None:
        files = [(pictures.jpeg(), "a.jpg"), (pictures.png(), "b.png"), (pictures.HTML, "c.png")]
        with pytest.raises(PhotoRejected) as caught:
            service.accept_photos(files)
        assert caught.value.code == "not_an_image" and caught.value.filename == "c.png"
        assert blob_store.keys() == []

    def test_more_than_the_limit_is_refused_before_decoding(self, blob_store: BlobStore) -> None:
        with pytest.raises(PhotoRejected) as caught:
            service.accept_photos([(b"not even looked at", None)] * 9)
        assert caught.value.code == "too_many_photos"
        photos = service.accept_photos([(pictures.jpeg(), f"{i}.jpg") for i in range(8)])
        assert len(blob_store.keys()) == 16 and len({p.key for p in photos}) == 8


class TestDelete:
    def test_delete_removes_the_photo_and_its_thumbnail_once(self, blob_store: BlobStore) -> None:
        keep = service.accept_photo(pictures.jpeg(), filename=None)
        photo = service.accept_photo(pictures.jpeg(), filename=None)
        service.delete_photo(photo.key)
        service.delete_photo(photo.key)
        assert blob_store.keys() == sorted([keep.key, keep.thumbnail_key])

    @pytest.mark.parametrize("key", ["invoices/2026/F-1.pdf", "photos/../x.jpg", "photos/ab"])
    def test_only_photo_keys_can_be_deleted_here(self, blob_store: BlobStore, key: str) -> None:
        with pytest.raises(ValueError):
            service.delete_photo(key)


class TestFilenames:
    @pytest.mark.parametrize(
        ("given", "clean"),
        [
            ("IMG_0001.HEIC", "IMG_0001.HEIC"),
            ("C:\\Users\\ana\\foto.jpg", "foto.jpg"),
            ("../../etc/passwd", "passwd"),
            ("a\r\nb\x00.jpg", "ab.jpg"),
            ("", None),
            (None, None),
            ("x" * 300, "x" * 100),
        ],
    )
    def test_device_names_are_cleaned(self, given: str | None, clean: str | None) -> None:
        assert service.clean_filename(given) == clean


def test_rendering_an_invoice_first_does_not_let_truncated_photos_in() -> None:
    """WeasyPrint flips Pillow's LOAD_TRUNCATED_IMAGES on import; the app keeps it off."""
    from PIL import ImageFile

    from ventanilla.invoices import render

    render._weasyprint()
    assert ImageFile.LOAD_TRUNCATED_IMAGES is False
