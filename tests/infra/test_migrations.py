"""Alembic migrations: they build exactly the schema the models describe, go down and up again, keep data."""

from __future__ import annotations

import datetime as dt

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, text

from infra.db.engine import get_engine
from infra.db.migrate import VERSION_TABLE, _config, current_revision, head_revisions, upgrade
from infra.db.models import Base

BAR_ROW = ("INSERT INTO daily_bars (symbol, date, open, high, low, close, adj_close, volume, source) "
           "VALUES ('SPY', :day, 1, 2, 0.5, 1.5, 1.5, 10, 'test')")


def schema_differences(url: str) -> list:
    with get_engine(url).connect() as conn:
        context = MigrationContext.configure(conn, opts={"version_table": VERSION_TABLE})
        return compare_metadata(context, Base.metadata)


def downgrade(url: str, revision: str) -> None:
    cfg = _config(url)
    with get_engine(url).begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, revision)


def test_the_migrated_schema_is_the_models_schema(empty_db_url):
    assert upgrade(empty_db_url) == head_revisions()
    assert schema_differences(empty_db_url) == []


def test_every_migration_goes_down_to_nothing_and_up_again(empty_db_url):
    upgrade(empty_db_url)
    downgrade(empty_db_url, "base")
    assert current_revision(empty_db_url) is None
    assert set(inspect(get_engine(empty_db_url)).get_table_names()) <= {VERSION_TABLE}
    upgrade(empty_db_url)
    assert schema_differences(empty_db_url) == []


def test_bars_stored_with_surrogate_ids_survive_the_natural_key_migration(empty_db_url):
    upgrade(empty_db_url, "0002_portfolio")
    engine = get_engine(empty_db_url)
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO instruments (symbol, asset_class) VALUES ('SPY', 'etf')"))
        for day in (dt.date(2024, 7, 1), dt.date(2024, 7, 2)):
            conn.execute(text(BAR_ROW), {"day": day})
    upgrade(empty_db_url)
    assert inspect(engine).get_pk_constraint("daily_bars")["constrained_columns"] == ["symbol", "date"]
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM daily_bars")).scalar_one() == 2
    downgrade(empty_db_url, "0002_portfolio")
    with engine.connect() as conn:
        ids = conn.execute(text("SELECT id FROM daily_bars ORDER BY date")).scalars().all()
    assert ids == [1, 2]
    with engine.begin() as conn:  # the restored id hands out new values by itself again
        conn.execute(text(BAR_ROW), {"day": dt.date(2024, 7, 3)})
