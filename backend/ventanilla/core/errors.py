"""Domain errors: one base class; the app renders them as JSON, an HTMX fragment or a page."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ventanilla.core.decisions import Decision


class AppError(Exception):
    """A refusal a user can understand.

    `code` is stable (JSON `code`); `message` is English (JSON `detail`); `msgid` and
    `msg_params` say it in the request's language (JSON `reason`, pages, HTMX fragments). The
    class's own message is its msgid; an instance built with an English sentence of its own
    (store API errors naming an order) is shown as it is.
    """

    status_code = 400
    code = "error"
    message = "The request could not be completed."

    def __init__(self, message: str | None = None, *, code: str | None = None, **params: Any):
        self.message = message or self.message
        if code:
            self.code = code
        self.params = params
        super().__init__(self.message)

    @property
    def msgid(self) -> str:
        return str(self.params.get("msgid") or self.message)

    @property
    def msg_params(self) -> dict[str, Any]:
        values = self.params.get("msg_params")
        return dict(values) if isinstance(values, dict) else {}


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


class Refused(Conflict):
    """A policy's "no" (a `Decision`) as an error: the one way a rule refuses, on every route.

    `code` is the decision's reason code, so the same reason gives the same code on every route
    (e.g. `packing_started` from the address and the items APIs alike); `message` is the English
    sentence; `msgid`/`msg_params` translate it. 409 unless a subclass says otherwise.
    `params` keeps `reason` (the code), `msgid` and `msg_params` for callers that inspect it.
    """

    code = "refused"
    message = "That is not possible now."

    def __init__(self, decision: Decision) -> None:
        if decision.ok:
            raise ValueError("a yes is not a refusal")
        code = decision.reason_code or type(self).code
        super().__init__(
            decision.text() or None,
            code=code,
            reason=code,
            msgid=decision.message or type(self).message,
            msg_params=dict(decision.params),
        )
        self.decision = decision
