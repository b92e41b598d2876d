"""Alembic environment: the URL comes from quantops settings unless the caller passes a connection."""

from alembic import context

from infra.db.engine import get_engine
from infra.db.models import Base
from infra.settings import get_settings

VERSION_TABLE = "quantops_alembic_version"
config = context.config
target_metadata = Base.metadata


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    url = config.get_main_option("sqlalchemy.url") or get_settings().resolved_database_url
    with get_engine(url).connect() as conn:
        _run(conn)
        conn.commit()


def _run(connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        version_table=VERSION_TABLE,
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    raise SystemExit("quantops migrations run online only: use `quantops db upgrade`")
run_migrations_online()
