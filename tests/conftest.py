"""Shared fixtures: a real SQLite file and a real PostgreSQL database, migrated by Alembic, and Prefect."""

from __future__ import annotations

import os
import re
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg
import pytest
from sqlalchemy import Engine, text
from sqlalchemy.engine import make_url

from infra.db.engine import dispose_engines, get_engine
from infra.db.migrate import upgrade
from infra.db.models import Base
from infra.settings import reset_settings_cache

REPO_ROOT = Path(__file__).resolve().parent.parent
# The real market data (README, "Real data for the tests"): QUANTOPS_REAL_DATA, default ../shared/data/real.
REAL_DATA = Path(os.environ.get("QUANTOPS_REAL_DATA") or REPO_ROOT.parent / "shared" / "data" / "real")
DEFAULT_PG_ADMIN_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
DEFAULT_TEST_DB_PREFIX = "quantops_test_"


def real_data(relative: str) -> Path:
    """A file of the real data folder; missing data fails the test rather than skipping it."""
    path = REAL_DATA / relative
    if not path.exists():
        pytest.fail(f"real data file missing: {path} (set QUANTOPS_REAL_DATA to the folder; README, "
                    f"Real data for the tests)", pytrace=False)
    return path


def scratch_db_prefix() -> str:
    """Prefix of the scratch databases (QUANTOPS_TEST_DB_PREFIX), so that test runs sharing a server can
    be told apart and cleaned up."""
    prefix = os.environ.get("QUANTOPS_TEST_DB_PREFIX", DEFAULT_TEST_DB_PREFIX)
    if not re.fullmatch(r"[a-z_][a-z0-9_]{0,40}", prefix):
        pytest.exit(f"QUANTOPS_TEST_DB_PREFIX {prefix!r}: lower-case letters, digits and _ (up to 41), "
                    "not starting with a digit", returncode=2)
    return prefix


def _pg_admin_url() -> str:
    return os.environ.get("QUANTOPS_TEST_PG_URL", DEFAULT_PG_ADMIN_URL)


def _libpq(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


@contextmanager
def _scratch_pg_database() -> Iterator[str]:
    """A new, empty PostgreSQL database, dropped afterwards. Unreachable = failure, never a skip."""
    admin = _pg_admin_url()
    name = f"{scratch_db_prefix()}{uuid.uuid4().hex[:10]}"
    try:
        with psycopg.connect(_libpq(admin), autocommit=True, connect_timeout=5) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
    except psycopg.OperationalError as exc:
        pytest.fail(f"PostgreSQL is not reachable at {make_url(admin).render_as_string()}: {exc}", pytrace=False)
    url = make_url(admin).set(drivername="postgresql+psycopg", database=name).render_as_string(hide_password=False)
    try:
        yield url
    finally:
        dispose_engines()
        with psycopg.connect(_libpq(admin), autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def pg_url() -> Iterator[str]:
    """A fresh PostgreSQL database for this test session, migrated to the head revision."""
    with _scratch_pg_database() as url:
        upgrade(url)
        yield url


@pytest.fixture(params=["sqlite", "postgres"])
def empty_db_url(request, tmp_path: Path) -> Iterator[str]:
    """A database with no tables at all (for migration tests), on SQLite and on PostgreSQL."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'empty.db'}"
        return
    with _scratch_pg_database() as url:
        yield url


def truncate_all(engine: Engine) -> None:
    tables = [t.name for t in reversed(Base.metadata.sorted_tables)]
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(text("TRUNCATE " + ", ".join(f'"{t}"' for t in tables) + " RESTART IDENTITY CASCADE"))
        else:
            for table in tables:
                conn.execute(text(f'DELETE FROM "{table}"'))


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'quantops.db'}"
    upgrade(url)
    return url


@pytest.fixture(params=["sqlite", "postgres"])
def db_url(request, tmp_path: Path) -> str:
    """Each test using this runs twice: on a real SQLite file and on the session's PostgreSQL database."""
    if request.param == "sqlite":
        return request.getfixturevalue("sqlite_url")
    url = request.getfixturevalue("pg_url")
    truncate_all(get_engine(url))
    return url


@pytest.fixture
def engine(db_url: str) -> Engine:
    return get_engine(db_url)


@pytest.fixture
def app_env(db_url: str, tmp_path: Path, monkeypatch) -> Iterator[str]:
    """Point quantops settings at the test database and a private home folder."""
    monkeypatch.setenv("QUANTOPS_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("QUANTOPS_DATABASE_URL", db_url)
    monkeypatch.setenv("QUANTOPS_DATA_SOURCE", "sample")
    monkeypatch.delenv("QUANTOPS_ALERT_URLS", raising=False)
    reset_settings_cache()
    yield db_url
    reset_settings_cache()


@pytest.fixture(scope="session")
def prefect_harness():
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=120):
        yield
