"""Domain errors: one base class; the app renders them as JSON, an HTMX fragment or a page."""

from __future__ import annotations

from typing import Any


class AppError(Exception):
    """A refusal a user can understand. `message` is English; pages translate `code`."""

    status_code = 400
    code = "error"
    message = "The request could not be completed."

    def __init__(self, message: str | None = None, *, code: str | None = None, **params: Any):
        self.message = message or self.message
        if code:
            self.code = code
        self.params = params
        super().__init__(self.message)


class NotFound(AppError):
    status_code = 404
    code = "not_found"
    message = "Not found."


class Conflict(AppError):
    status_code = 409
    code = "conflict"
    message = "The request conflicts with the current state."


class Unauthorized(AppError):
    status_code = 401
    code = "unauthorized"
    message = "A valid API key is required."


class Forbidden(AppError):
    status_code = 403
    code = "forbidden"
    message = "Not allowed."


class TooManyRequests(AppError):
    status_code = 429
    code = "rate_limited"
    message = "Too many attempts. Please wait and try again."


class FieldErrors(AppError):
    """Input that parsed but breaks a rule (unknown sku, currency mismatch): 422 with fields."""

    status_code = 422
    code = "validation_error"
    message = "Some fields are not valid."

    def __init__(self, errors: list[tuple[tuple[str | int, ...], str, str]]):
        # each error: (location, message, type)
        super().__init__()
        self.errors = [{"loc": list(loc), "msg": msg, "type": kind} for loc, msg, kind in errors]
