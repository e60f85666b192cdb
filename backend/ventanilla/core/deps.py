"""Dependencies shared by routes. A route with none of the auth aliases is public."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from sqlmodel import Session

from ventanilla.config import Settings, get_settings
from ventanilla.db import session_scope

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def get_session(request: Request) -> Iterator[Session]:
    """One unit of work per request: commit on success, roll back on any error."""
    with session_scope(write=request.method not in SAFE_METHODS) as session:
        yield session


# scope="function": commit before the response is sent, so a client that saw 201 never reads
# the old state with its next request (and a failed commit becomes an error response).
SessionDep = Annotated[Session, Depends(get_session, scope="function")]
SettingsDep = Annotated[Settings, Depends(get_settings)]
