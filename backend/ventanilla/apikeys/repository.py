from __future__ import annotations

from sqlmodel import Session, col, select

from ventanilla.apikeys.models import ApiKey


def add(session: Session, record: ApiKey) -> None:
    session.add(record)
    session.flush()


def by_hash(session: Session, key_hash: str) -> ApiKey | None:
    return session.exec(select(ApiKey).where(ApiKey.key_hash == key_hash)).first()


def by_prefix(session: Session, prefix: str) -> list[ApiKey]:
    return list(session.exec(select(ApiKey).where(col(ApiKey.prefix).startswith(prefix))).all())


def all_keys(session: Session) -> list[ApiKey]:
    return list(session.exec(select(ApiKey).order_by(col(ApiKey.id))).all())


def by_name(session: Session, name: str) -> list[ApiKey]:
    return list(session.exec(select(ApiKey).where(ApiKey.name == name)).all())
