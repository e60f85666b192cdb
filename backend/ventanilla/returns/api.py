"""The returns API: the shop's (list, read, received with the refund, decline) and the
shopper's under /me/orders/{number} (options, withdraw, return, read), the same services as
the pages."""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query, Response
from pydantic import AwareDatetime, BeforeValidator

from ventanilla.access.deps import CurrentCustomer, OwnedOrder, ShopperActor
from ventanilla.apikeys.deps import OrdersWriter
from ventanilla.core import i18n
from ventanilla.core.deps import SessionDep
from ventanilla.core.handlers import ErrorResponse
from ventanilla.returns import options, repository, service, store
from ventanilla.returns.schemas import (
    LineOptionRead,
    ReturnCreate,
    ReturnDecline,
    ReturnList,
    ReturnOptionsRead,
    ReturnRead,
    ReturnReceived,
    SelectedLine,
    WithdrawalCreate,
)

router = APIRouter(tags=["returns"])
POSITION = 60
OPENAPI_TAGS = [
    {"name": "returns", "description": "Returns and withdrawals (RMA): docs/returns.md"}
]

Rma = Annotated[str, Path(min_length=3, max_length=20, pattern=r"^R-[A-Z0-9]+$")]
NOT_FOUND: dict[int | str, dict[str, Any]] = {
    404: {"model": ErrorResponse, "description": "No return with this RMA (`return_not_found`)"}
}


def _iso_only(value: Any) -> Any:
    # The schema says date-time; pydantic would also take "0.5" as a Unix timestamp.
    if isinstance(value, str) and not re.match(r"^\d{4}-\d{2}-\d{2}[T ]", value):
        raise ValueError("must be an ISO 8601 date-time with an offset")
    return value


def _read(view: store.CaseView) -> ReturnRead:
    return ReturnRead.of(view.case, view.lines, view.order_number)


@router.get("/returns", response_model=ReturnList)
def list_returns(
    actor: OrdersWriter,
    session: SessionDep,
    status: Literal["requested", "received", "refunded", "declined"] | None = None,
    updated_since: Annotated[
        AwareDatetime | None,
        BeforeValidator(_iso_only),
        Query(description="ISO 8601 with an offset: cases updated at or after it"),
    ] = None,
    after_id: Annotated[int | None, Query(ge=0, le=2**31 - 1)] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> ReturnList:
    """Returns and withdrawals, oldest first; filter by status and last update."""
    views = store.list_cases(
        session, status=status, updated_since=updated_since, limit=limit, after_id=after_id
    )
    data = [_read(v) for v in views]
    last = views[-1].case.id if len(views) == limit else None
    return ReturnList(data=data, count=len(data), next_after_id=last)


@router.get("/returns/{rma}", response_model=ReturnRead, responses={**NOT_FOUND})
def get_return(rma: Rma, actor: OrdersWriter, session: SessionDep) -> ReturnRead:
    """One return with its lines and the decision the shopper was shown."""
    return _read(store.get_case(session, rma=rma))


@router.post(
    "/returns/{rma}/received",
    response_model=ReturnRead,
    responses={
        **NOT_FOUND,
        409: {"model": ErrorResponse, "description": "`return_declined`"},
    },
)
def mark_received(
    rma: Rma, body: ReturnReceived, actor: OrdersWriter, session: SessionDep
) -> ReturnRead:
    """The goods are back: refund through Stripe (exactly once), credit-note request."""
    view = store.mark_received(
        session,
        actor=actor,
        rma=rma,
        adjustment_minor=body.adjustment_minor,
        adjustment_reason=body.adjustment_reason,
    )
    return _read(view)


@router.post(
    "/returns/{rma}/decline",
    response_model=ReturnRead,
    responses={
        **NOT_FOUND,
        409: {"model": ErrorResponse, "description": "`return_already_received`"},
    },
)
def decline_return(
    rma: Rma, body: ReturnDecline, actor: OrdersWriter, session: SessionDep
) -> ReturnRead:
    """Decline a return not yet received, with the reason the shopper sees."""
    return _read(store.decline(session, actor=actor, rma=rma, reason=body.reason))


# --- the shopper's JSON API (session cookie), the same services as the pages ------------------
# Writes take a JSON body: a cross-site form cannot send application/json, so with the
# SameSite=Lax cookie they need no CSRF token (as the amendments API).

ME = "/me/orders/{number}"
MINE: dict[int | str, dict[str, Any]] = {
    401: {"model": ErrorResponse, "description": "No shopper session"},
    404: {"model": ErrorResponse, "description": "order_not_found (also someone else's)"},
}


@router.get(
    ME + "/returns/options",
    response_model=ReturnOptionsRead,
    tags=["my orders"],
    responses={**MINE},
)
def my_return_options(
    session: SessionDep,
    customer: CurrentCustomer,
    order: OwnedOrder,
    kind: Literal["withdrawal", "return"] = "return",
    reason: Annotated[str | None, Query(max_length=40)] = None,
) -> ReturnOptionsRead:
    """Per line: can it go back, until when, with which rule, fee and resolutions."""
    q = service.get_quote(session, order=order, kind=kind, reason=reason)
    d = q.decision
    return ReturnOptionsRead(
        kind=kind,
        ok=d.ok,
        code=d.reason_code,
        reason=None if d.ok else i18n.gettext(d.message, **dict(d.params)),
        received_at=q.received_at,
        deadline=q.deadline,
        lines=[
            LineOptionRead(
                line_no=o.line.line_no,
                sku=o.line.sku,
                name=o.line.name,
                quantity=o.line.quantity,
                available=o.available,
                ok=o.ok,
                code=None if o.ok else (o.decision.decision.reason_code or "nothing_left"),
                reason=None if o.ok else options.line_reason(o.decision) or None,
                rule_id=o.decision.rule_id,
                window_ends_at=o.decision.window_ends_at,
                fee_percent=o.decision.fee_percent,
                resolutions=list(o.decision.resolutions),
                return_shipping=o.decision.return_shipping,
                review=o.decision.review,
            )
            for o in q.lines
        ],
    )


def _mine(
    session: SessionDep, result: service.CaseResult, number: str, response: Response
) -> ReturnRead:
    response.status_code = 201 if result.created else 200
    case = result.case
    return ReturnRead.of(case, repository.lines_of(session, [case.id or 0]), number)


@router.post(
    ME + "/withdrawal",
    response_model=ReturnRead,
    status_code=201,
    tags=["my orders"],
    responses={
        **MINE,
        200: {"model": ReturnRead, "description": "Already withdrawn: the first case, unchanged"},
        409: {
            "model": ErrorResponse,
            "description": "withdrawal_window_closed, cancel_instead, order_cancelled",
        },
        422: {"description": "return_invalid: by line"},
    },
)
def my_withdrawal(
    body: WithdrawalCreate,
    response: Response,
    session: SessionDep,
    customer: CurrentCustomer,
    order: OwnedOrder,
    actor: ShopperActor,
) -> ReturnRead:
    """Withdraw from the contract for these units; acknowledged by email at once."""
    result = service.withdraw(
        session,
        actor=actor,
        customer=customer,
        number=order.number,
        selection=_selection(body.lines),
        name=body.name,
        email=body.email,
    )
    return _mine(session, result, order.number, response)


@router.post(
    ME + "/returns",
    response_model=ReturnRead,
    status_code=201,
    tags=["my orders"],
    responses={
        **MINE,
        409: {
            "model": ErrorResponse,
            "description": "use_claim, not_delivered, cancel_instead, order_cancelled",
        },
        422: {"description": "return_invalid: by line, or the reason"},
    },
)
def my_return(
    body: ReturnCreate,
    response: Response,
    session: SessionDep,
    customer: CurrentCustomer,
    order: OwnedOrder,
    actor: ShopperActor,
) -> ReturnRead:
    """Open a return (RMA) for these units under the shop's policy."""
    result = service.request_return(
        session,
        actor=actor,
        customer=customer,
        number=order.number,
        selection=_selection(body.lines),
        reason=body.reason,
        note=body.note,
    )
    return _mine(session, result, order.number, response)


@router.get(
    ME + "/returns/{rma}", response_model=ReturnRead, tags=["my orders"], responses={**MINE}
)
def my_case(
    rma: Rma, session: SessionDep, customer: CurrentCustomer, order: OwnedOrder
) -> ReturnRead:
    """One of my returns or withdrawals."""
    case, lines = service.case_for_customer(session, customer=customer, order=order, rma=rma)
    return ReturnRead.of(case, lines, order.number)


def _selection(lines: list[SelectedLine]) -> dict[int, int]:
    selection: dict[int, int] = {}
    for line in lines:
        selection[line.line_no] = selection.get(line.line_no, 0) + line.quantity
    return selection
