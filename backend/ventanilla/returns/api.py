"""The shop's returns API: list, read, mark received (refund), decline."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query

from ventanilla.apikeys.deps import OrdersWriter
from ventanilla.core.deps import SessionDep
from ventanilla.core.handlers import ErrorResponse
from ventanilla.returns import store
from ventanilla.returns.schemas import ReturnDecline, ReturnList, ReturnRead, ReturnReceived

router = APIRouter(tags=["returns"])
POSITION = 60
OPENAPI_TAGS = [
    {"name": "returns", "description": "Returns and withdrawals (RMA): docs/returns.md"}
]

Rma = Annotated[str, Path(min_length=3, max_length=20, pattern=r"^R-[A-Z0-9]+$")]
NOT_FOUND: dict[int | str, dict[str, Any]] = {
    404: {"model": ErrorResponse, "description": "No return with this RMA (`return_not_found`)"}
}


def _read(view: store.CaseView) -> ReturnRead:
    return ReturnRead.of(view.case, view.lines, view.order_number)


@router.get("/returns", response_model=ReturnList)
def list_returns(
    actor: OrdersWriter,
    session: SessionDep,
    status: Literal["requested", "received", "refunded", "declined"] | None = None,
    updated_since: datetime | None = None,
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
