"""The one place that reads the time, so tests can freeze it."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta, tzinfo

_frozen: datetime | None = None


def now() -> datetime:
    """Current time, UTC-aware."""
    return _frozen if _frozen is not None else datetime.now(UTC)


@contextmanager
def frozen(at: datetime) -> Iterator[None]:
    global _frozen
    previous = _frozen
    _frozen = at
    try:
        yield
    finally:
        _frozen = previous


def advance(delta: timedelta) -> None:
    global _frozen
    if _frozen is None:
        raise RuntimeError("advance() needs a frozen clock")
    _frozen = _frozen + delta


def as_utc(value: datetime) -> datetime:
    """Aware in UTC; naive values are taken to be UTC already."""
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def in_zone(value: datetime, zone: tzinfo) -> datetime:
    """`value` (naive = UTC) in `zone`. At the calendar's edges (year 1, year 9999, which older
    data may hold) the local time may not exist: then it stays in UTC rather than failing."""
    utc = as_utc(value)
    try:
        return utc.astimezone(zone)
    except OverflowError:
        return utc
