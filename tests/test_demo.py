"""`ventanilla demo` (make demo): the toy shop loads through the store API's rules, and re-running
it prints the same API key instead of minting a new one each time (older demo keys revoked)."""

from __future__ import annotations

from sqlmodel import Session, select

from ventanilla import demo
from ventanilla.apikeys import service as apikeys_service
from ventanilla.apikeys.models import ApiKey
from ventanilla.config import Settings
from ventanilla.db import session_scope


def active_demo_keys(session: Session) -> list[ApiKey]:
    session.commit()
    rows = session.exec(select(ApiKey).where(ApiKey.name == "demo")).all()
    return [row for row in rows if row.revoked_at is None]


class TestDemoKey:
    def test_a_second_run_prints_the_same_key_and_loads_nothing_again(
        self, settings: Settings, session: Session
    ) -> None:
        first = demo.load()
        second = demo.load()
        assert (first.loaded, second.loaded) == (True, False)
        assert first.api_key == second.api_key
        [active] = active_demo_keys(session)
        assert active.prefix == first.api_key[:10]
        key_file = settings.var_dir / "demo-api-key"
        assert key_file.read_text().strip() == first.api_key
        assert key_file.stat().st_mode & 0o077 == 0  # only the owner can read it

    def test_old_demo_keys_are_revoked_and_a_revoked_kept_key_is_replaced(
        self, settings: Settings, session: Session
    ) -> None:
        with session_scope() as s:
            old = apikeys_service.create_key(s, name="demo").key  # from an earlier version
            other = apikeys_service.create_key(s, name="warehouse").key
        with session_scope() as s:
            kept = demo.demo_api_key(s)
        with session_scope() as s:
            assert apikeys_service.active_key(s, old) is None
            assert apikeys_service.active_key(s, other) is not None  # not a demo key
            apikeys_service.revoke_key(s, prefix=kept[:10])
        with session_scope() as s:
            fresh = demo.demo_api_key(s)
        assert fresh != kept
        assert [k.prefix for k in active_demo_keys(session)] == [fresh[:10]]
