from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from ventanilla.apikeys import service
from ventanilla.apikeys.models import ApiKey


class TestApiKeys:
    def test_only_a_hash_of_the_key_is_stored(self, session: Session) -> None:
        created = service.create_key(session, name="Tienda")
        session.commit()
        stored = session.exec(select(ApiKey)).one()
        assert created.key not in (stored.key_hash, stored.prefix)
        assert stored.key_hash == service.hash_key(created.key)

    def test_unknown_scope_is_refused(self, session: Session) -> None:
        with pytest.raises(ValueError):
            service.create_key(session, name="x", scopes=["orders:delete"])

    @pytest.mark.parametrize(
        "header",
        [None, "Bearer nope", "Bearer vk_wrong", "Basic dXNlcjpwYXNz", "Bearer "],
    )
    def test_wrong_or_missing_key_gets_401(self, client: TestClient, header: str | None) -> None:
        headers = {"Authorization": header} if header else {}
        response = client.put(
            "/api/v1/products/SKU-1",
            json={"name": "x", "price_minor": 1, "currency": "EUR"},
            headers=headers,
        )
        assert response.status_code == 401
        assert response.json()["code"] == "unauthorized"

    def test_revoked_key_gets_401(self, client: TestClient, session: Session) -> None:
        created = service.create_key(session, name="Tienda")
        service.revoke_key(session, prefix=created.record.prefix)
        session.commit()
        response = client.put(
            "/api/v1/products/SKU-1",
            json={"name": "x", "price_minor": 1, "currency": "EUR"},
            headers={"Authorization": f"Bearer {created.key}"},
        )
        assert response.status_code == 401
