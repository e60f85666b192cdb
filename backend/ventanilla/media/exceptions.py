"""Why a photo or an upload was refused: one stable code and one es/en message per problem."""

from __future__ import annotations

from typing import Any

from ventanilla.core import i18n
from ventanilla.core.errors import AppError, NotFound
from ventanilla.core.i18n import N_

ACCEPTED_NAMES = "JPEG, PNG, WebP, HEIC"

# code -> (HTTP status, English msgid with %(name)s placeholders filled from the params)
MESSAGES: dict[str, tuple[int, str]] = {
    "photo_empty": (422, N_("The file is empty. Please choose a photo.")),
    "photo_too_big": (
        413,
        N_("Each photo can be at most %(limit_mb)s MB. Please choose a smaller photo."),
    ),
    "too_many_photos": (
        413,
        N_("You can send at most %(limit)s photos. Please remove some and try again."),
    ),
    "upload_too_big": (
        413,
        N_("The upload is too large (at most %(limit_mb)s MB). Please send fewer photos."),
    ),
    "too_many_fields": (
        413,
        N_("The form has too many fields. Please reload the page and try again."),
    ),
    "field_too_long": (
        413,
        N_("A text in the form is too long. Please shorten it and try again."),
    ),
    "upload_malformed": (
        400,
        N_("The upload could not be read. Please reload the page and try again."),
    ),
    "not_an_image": (
        422,
        N_("This file is not a photo. Please send a photo in one of these formats: %(formats)s."),
    ),
    "unsupported_type": (
        422,
        N_("This kind of image is not accepted. Please send a photo in one of these formats: "
           "%(formats)s."),
    ),
    "too_many_pixels": (
        422,
        N_("The photo has too many pixels (at most %(limit_mp)s megapixels). Please send a "
           "smaller photo."),
    ),
    "image_corrupt": (
        422,
        N_("The photo seems damaged or incomplete. Please take or choose it again."),
    ),
}


class PhotoRejected(AppError):
    """A photo or upload refused before anything was stored.

    `code` is one of MESSAGES; `message` is the English text (JSON `detail`); `msgid` and
    `msg_params` translate it (JSON `reason`, pages; `translated()` in the current locale).
    `filename` names the file concerned, if known.
    """

    status_code = 422
    code = "photo_rejected"

    def __init__(self, code: str, *, filename: str | None = None, **params: Any) -> None:
        status, msgid = MESSAGES[code]
        if "formats" in msgid:
            params.setdefault("formats", ACCEPTED_NAMES)
        english = msgid % params if params else msgid
        super().__init__(english, code=code, msgid=msgid, msg_params=params)
        self.status_code = status
        self.filename = filename

    def translated(self) -> str:
        """The message in the current locale (core.i18n), placeholders filled."""
        return i18n.translate_error(self)


class MediaNotFound(NotFound):
    """A signed photo URL that is malformed, forged or expired, or whose photo is gone."""

    code = "media_not_found"
    message = N_("This photo link is not valid or has expired.")
