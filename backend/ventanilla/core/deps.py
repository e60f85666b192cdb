"""Dependencies shared by routes. A route with none of the auth aliases is public."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated, Any

from fastapi import BackgroundTasks, Depends, Request
from sqlmodel import Session

from ventanilla.config import Settings, get_settings
from ventanilla.core.errors import FieldErrors
from ventanilla.db import session_scope

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def get_session(background: BackgroundTasks) -> Iterator[Session]:
    """One unit of work per request: commit on success, roll back on any error; work scheduled
    with `db.after_commit` runs after the response is sent (never after a rollback).

    It starts as a read transaction whatever the method: on SQLite the write lock is taken at
    the first write (`db._upgrade_to_write`), inside the route's own step, not while the
    dependencies authenticate and load (which is what let 32 pushes deadlock the pool)."""
    with session_scope(write=False, run_after_commit=background.add_task) as session:
        yield session


# scope="function": commit before the response is sent, so a client that saw 201 never reads
# the old state with its next request (and a failed commit becomes an error response).
SessionDep = Annotated[Session, Depends(get_session, scope="function")]
SettingsDep = Annotated[Settings, Depends(get_settings)]


def forbid_unknown_query(request: Request) -> None:
    """Unknown query parameters get 422 like unknown body fields: a typo must not be ignored."""
    route = request.scope.get("route")
    dependant = getattr(route, "dependant", None)
    if dependant is None or not request.query_params:
        return
    known = _query_names(dependant)
    unknown = sorted(set(request.query_params.keys()) - known)
    if unknown:
        raise FieldErrors(
            [(("query", name), "Unknown query parameter.", "extra_forbidden") for name in unknown]
        )


def _query_names(dependant: Any) -> set[str]:
    names = {param.alias for param in dependant.query_params}
    for sub in dependant.dependencies:
        names |= _query_names(sub)
    return names
