"""The one place that reads the time, so tests can freeze it."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from functools import lru_cache
from zoneinfo import ZoneInfo

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


@lru_cache(maxsize=8)
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def shop_zone() -> ZoneInfo:
    """The shop's time zone (`VENTANILLA_TIMEZONE`, an IANA name such as Europe/Madrid)."""
    from ventanilla.config import get_settings  # config is below everything; read at call time

    return _zone(get_settings().timezone)


def shop_local(value: datetime) -> datetime:
    """A stored instant as the shop's wall-clock time, with that moment's UTC offset.

    The one rule for every date and time shown (pages, `<time datetime>`, emails): naive values
    are UTC (how SQLite returns them); daylight-saving changes follow the IANA database; at the
    calendar's edges it stays in UTC (`in_zone`).
    """
    return in_zone(value, shop_zone())


def shop_date(value: date | datetime) -> date:
    """The shop's calendar day of an instant (a `date` is already a day and is kept)."""
    if isinstance(value, datetime):
        return shop_local(value).date()
    return value


def end_of_shop_day(day: date) -> datetime:
    """The last second of `day` in the shop's time zone, in UTC (for ordering dated events)."""
    return datetime.combine(day, time(23, 59, 59), tzinfo=shop_zone()).astimezone(UTC)
