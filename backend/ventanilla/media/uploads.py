"""Multipart photo uploads with every limit applied while the body streams in, before parsing.

A route that takes photos declares the dependency, and reads its text fields from it too:

    @router.post("/orders/{number}/claims")
    async def open_claim(form: PhotoFormDep, ...) -> ...:
        photos = await run_in_threadpool(
            media_service.accept_photos, [(p.data, p.filename) for p in form.photos]
        )

Declaring `PhotoFormDep` is also what lifts the app-wide body limit for that route alone
(`route_body_limit`, used by core.middleware.BodyLimitMiddleware): at most
`photo_max_count` x `photo_max_bytes` plus 1 MiB for the text fields. A refusal while parsing
is raised from the dependency (an error page in the shopper's language); a page that wants to
show its form again instead declares `dependencies=[PHOTO_UPLOAD_ROUTE]`, calls
`await read_photo_form(request)` itself and renders a `PhotoRejected` with
`core.handlers.refusal_response`. Either way the route
must not declare `Form()`/`File()` parameters (FastAPI would parse the body again, unlimited).
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, AsyncIterator
from dataclasses import dataclass, field
from typing import Annotated

from fastapi import Depends, Request
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute
from python_multipart.multipart import parse_options_header
from starlette.datastructures import Headers, UploadFile
from starlette.formparsers import MultiPartException, MultiPartParser
from starlette.routing import BaseRoute

from ventanilla.config import Settings, get_settings
from ventanilla.media.exceptions import PhotoRejected

FORM_ALLOWANCE = 1024 * 1024  # text fields, part headers and boundaries
MAX_FIELDS = 100
MAX_FIELD_BYTES = 64 * 1024


@dataclass(frozen=True)
class UploadLimits:
    max_photos: int
    max_photo_bytes: int
    max_fields: int = MAX_FIELDS
    max_field_bytes: int = MAX_FIELD_BYTES

    @property
    def max_body_bytes(self) -> int:
        return self.max_photos * self.max_photo_bytes + FORM_ALLOWANCE


def upload_limits(settings: Settings | None = None) -> UploadLimits:
    s = settings or get_settings()
    return UploadLimits(max_photos=s.photo_max_count, max_photo_bytes=s.photo_max_bytes)


@dataclass(frozen=True)
class UploadedPhoto:
    field: str
    filename: str | None
    data: bytes


@dataclass
class PhotoForm:
    """A parsed upload: text fields in order, and the files (empty file inputs left out)."""

    fields: list[tuple[str, str]] = field(default_factory=list)
    photos: list[UploadedPhoto] = field(default_factory=list)

    def get(self, name: str, default: str | None = None) -> str | None:
        return next((value for key, value in self.fields if key == name), default)

    def getlist(self, name: str) -> list[str]:
        return [value for key, value in self.fields if key == name]


async def read_photo_form(request: Request, limits: UploadLimits | None = None) -> PhotoForm:
    """Parse a multipart/form-data body under `limits` (default: the settings').

    Raises PhotoRejected: too_many_photos, photo_too_big, upload_too_big, too_many_fields,
    field_too_long (as soon as the limit is passed, without reading the rest), or
    upload_malformed (not multipart, or broken multipart).
    """
    limits = limits or upload_limits()
    content_type, _ = parse_options_header(request.headers.get("content-type"))
    if content_type != b"multipart/form-data":
        raise PhotoRejected("upload_malformed")
    parser = _LimitedParser(
        request.headers, _counted(request.stream(), limits.max_body_bytes), limits
    )
    try:
        form = await parser.parse()
    except MultiPartException as exc:
        raise PhotoRejected("upload_malformed") from exc
    try:
        result = PhotoForm()
        for name, value in form.multi_items():
            if isinstance(value, UploadFile):
                if not value.filename and not value.size:
                    continue  # a file input left empty: browsers still send the part
                data = await value.read()
                result.photos.append(UploadedPhoto(name, value.filename or None, data))
            else:
                result.fields.append((name, value))
        return result
    finally:
        await form.close()


async def photo_form(request: Request) -> PhotoForm:
    """FastAPI dependency: the request's photo form under the configured limits."""
    return await read_photo_form(request)


PhotoFormDep = Annotated[PhotoForm, Depends(photo_form)]


def photo_upload_route() -> None:
    """Marker dependency for a route that calls `read_photo_form` itself (to show its form
    again with the refusal): like PhotoFormDep, it lifts the body limit for that route."""


PHOTO_UPLOAD_ROUTE = Depends(photo_upload_route)


def route_body_limit(route: BaseRoute) -> int | None:
    """The body limit of a route that takes photos (PhotoFormDep or PHOTO_UPLOAD_ROUTE)."""
    if isinstance(route, APIRoute) and (
        _depends_on(route.dependant, photo_form)
        or _depends_on(route.dependant, photo_upload_route)
    ):
        return upload_limits().max_body_bytes
    return None


def _depends_on(dependant: Dependant, call: object) -> bool:
    return dependant.call is call or any(_depends_on(d, call) for d in dependant.dependencies)


async def _counted(stream: AsyncIterator[bytes], limit: int) -> AsyncGenerator[bytes, None]:
    total = 0
    async for chunk in stream:
        total += len(chunk)
        if total > limit:
            raise PhotoRejected("upload_too_big", limit_mb=_mb(limit))
        yield chunk


class _LimitedParser(MultiPartParser):
    """Starlette's parser with a size limit per file and one refusal code per limit.

    Starlette limits the number of files and fields and the size of text fields, but not the
    size of a file, and says which limit with an English sentence only.
    """

    def __init__(
        self, headers: Headers, stream: AsyncGenerator[bytes, None], limits: UploadLimits
    ) -> None:
        # Starlette's own counts are lifted: ours below say which limit was passed.
        super().__init__(
            headers,
            stream,
            max_files=float("inf"),
            max_fields=float("inf"),
            max_part_size=limits.max_field_bytes,
        )
        self.limits = limits
        self.files_seen = 0
        self.fields_seen = 0
        self.part_bytes = 0

    def on_headers_finished(self) -> None:
        super().on_headers_finished()
        self.part_bytes = 0
        if self._current_part.file is not None:
            self.files_seen += 1
            if self.files_seen > self.limits.max_photos:
                raise PhotoRejected("too_many_photos", limit=self.limits.max_photos)
        else:
            self.fields_seen += 1
            if self.fields_seen > self.limits.max_fields:
                raise PhotoRejected("too_many_fields")

    def on_part_data(self, data: bytes, start: int, end: int) -> None:
        self.part_bytes += end - start
        if self._current_part.file is not None:
            if self.part_bytes > self.limits.max_photo_bytes:
                raise PhotoRejected("photo_too_big", limit_mb=_mb(self.limits.max_photo_bytes))
        elif self.part_bytes > self.limits.max_field_bytes:
            raise PhotoRejected("field_too_long")
        super().on_part_data(data, start, end)


def _mb(size: int) -> str:
    return f"{size / (1024 * 1024):g}"
