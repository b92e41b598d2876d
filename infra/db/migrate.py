"""Schema changes go through Alembic only; this runs them from code and the CLI."""

from __future__ import annotations

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from infra.db.engine import get_engine, normalise_url
from infra.settings import PROJECT_ROOT

VERSION_TABLE = "quantops_alembic_version"


def _config(url: str) -> Config:
    cfg = Config(str(PROJECT_ROOT / "alembic.ini"))
    cfg.set_main_option("script_location", str(PROJECT_ROOT / "alembic"))
    cfg.set_main_option("sqlalchemy.url", normalise_url(url).replace("%", "%%"))
    return cfg


def upgrade(url: str, revision: str = "heads") -> str:
    """Bring the database at `url` to `revision`; returns the revision it is at afterwards."""
    engine = get_engine(url)
    cfg = _config(url)
    with engine.begin() as connection:
        cfg.attributes["connection"] = connection
        command.upgrade(cfg, revision)
    return current_revision(url) or ""


def current_revision(url: str) -> str | None:
    with get_engine(url).connect() as connection:
        heads = MigrationContext.configure(connection, opts={"version_table": VERSION_TABLE}).get_current_heads()
        return ",".join(sorted(heads)) or None


def head_revisions() -> str:
    return ",".join(sorted(ScriptDirectory.from_config(_config("sqlite://")).get_heads()))
