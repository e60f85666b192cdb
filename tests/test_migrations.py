"""The models and the migrations describe the same schema, on both databases."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from ventanilla import migrations
from ventanilla.core.models import metadata
from ventanilla.db import engine_for


class TestMigrations:
    def test_models_and_migrations_agree(self, db_url: str) -> None:
        with engine_for(db_url).connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True})
            diff = compare_metadata(context, metadata())
        assert diff == []

    def test_downgrade_to_base_and_back_up(self, db_url: str) -> None:
        migrations.downgrade(db_url, "base")
        try:
            with engine_for(db_url).connect() as conn:
                tables = engine_for(db_url).dialect.get_table_names(conn)
            assert set(tables) <= {"alembic_version"}
        finally:
            migrations.upgrade(db_url)
