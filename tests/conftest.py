"""Fixtures: every database test runs on SQLite and on PostgreSQL."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr
from sqlmodel import Session

from tests import dbutil
from tests.servers import smtp_fixture, webhook_receiver_fixture  # noqa: F401  (fixtures)
from ventanilla.config import Settings, use_settings
from ventanilla.db import engine_for

BACKENDS = ["sqlite", "postgresql"]


def pytest_configure(config: pytest.Config) -> None:
    if os.environ.get("CI") and not dbutil.postgres_base_url():
        raise pytest.UsageError(
            f"CI is set but {dbutil.PG_ENV} is not: refusing to run without PostgreSQL"
        )


@pytest.fixture(scope="session")
def database_urls(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str | None]]:
    """Migrate one SQLite file and (if configured) one fresh PostgreSQL database per run."""
    sqlite_url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"
    dbutil.migrate(sqlite_url)
    urls: dict[str, str | None] = {"sqlite": sqlite_url, "postgresql": None}
    base = dbutil.postgres_base_url()
    if base:
        # Named but unreachable is an error, never a skip.
        urls["postgresql"] = dbutil.create_postgres_database(base)
        dbutil.migrate(urls["postgresql"])
    yield urls
    for url in urls.values():
        if url:
            engine_for(url).dispose()
    if base and urls["postgresql"]:
        dbutil.drop_postgres_database(base, urls["postgresql"])


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def db_url(backend: str, database_urls: dict[str, str | None]) -> Iterator[str]:
    url = database_urls[backend]
    if url is None:
        pytest.skip(f"PostgreSQL not configured: set {dbutil.PG_ENV} (make test does)")
    yield url
    dbutil.wipe(engine_for(url))


def make_settings(db_url: str, var_dir: Path, **overrides: object) -> Settings:
    values: dict[str, object] = {
        "env": "test",
        "database_url": db_url,
        "var_dir": var_dir,
        "secret_key": SecretStr("test-secret-key-0123456789abcdef"),
        "link_secret": SecretStr("test-link-secret-0123456789abcdef"),
        "base_url": "http://testserver",
        "run_worker_in_process": False,
        "outbox_backoff_base_seconds": 1.0,
    }
    values.update(overrides)
    return Settings(**values)  # type: ignore[arg-type]


@pytest.fixture
def settings(db_url: str, tmp_path: Path) -> Iterator[Settings]:
    s = make_settings(db_url, tmp_path / "var")
    use_settings(s)
    yield s
    use_settings(None)


@pytest.fixture
def engine(settings: Settings):  # type: ignore[no-untyped-def]
    return engine_for(settings.database_url)


@pytest.fixture
def session(engine) -> Iterator[Session]:  # type: ignore[no-untyped-def]
    """A plain session for service-level tests; commit when the API must see the data."""
    with Session(engine, expire_on_commit=False) as s:
        yield s


@pytest.fixture
def app(settings: Settings):  # type: ignore[no-untyped-def]
    from ventanilla.app import create_app

    return create_app(settings)


@pytest.fixture
def client(app) -> Iterator[TestClient]:  # type: ignore[no-untyped-def]
    # Like a browser on our own pages: JSON writes with the shopper's cookie must be same-origin
    # (core/csrf.py); tests of cross-site requests send their own Origin or none.
    with TestClient(
        app, base_url="http://testserver", headers={"Origin": "http://testserver"}
    ) as c:
        yield c


@pytest.fixture
def api_key(settings: Settings) -> str:
    from ventanilla.apikeys import service
    from ventanilla.db import session_scope

    with session_scope() as s:
        return service.create_key(s, name="Tienda de prueba").key


@pytest.fixture
def store(client: TestClient, api_key: str) -> TestClient:
    """The shop's systems: a client that sends the API key."""
    client.headers["Authorization"] = f"Bearer {api_key}"
    return client


@pytest.fixture(autouse=True)
def _clock_left_running() -> Iterator[None]:
    """A test that leaves the clock frozen would date every later test's data in its past (the
    store API's time window then refuses it): fail that test, and reset the clock."""
    from ventanilla.core import clock

    yield
    if clock._frozen is not None:
        left = clock._frozen
        clock._frozen = None
        pytest.fail(f"the test left the clock frozen at {left.isoformat()}")
