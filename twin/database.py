"""Connecting to the twin's database and bringing its schema up to date.

With ``TWIN_DATABASE_URL`` the twin uses that server; without it, the embedded cluster under
``TWIN_HOME`` (started on demand). Either way PostGIS is created and Alembic migrates to head.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.engine import Engine, make_url

from twin.config import Settings

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS = Path(__file__).parent / "migrations"


class DatabaseError(RuntimeError):
    """The database cannot be reached or prepared; the message says which and why."""


def normalise_url(url: str) -> str:
    """Accept ``postgresql://`` and ``postgres://`` URLs and use the psycopg 3 driver."""
    parsed = make_url(url.replace("postgres://", "postgresql://", 1))
    if parsed.get_backend_name() != "postgresql":
        raise DatabaseError(f"TWIN_DATABASE_URL must be a PostgreSQL URL, got '{parsed.drivername}'")
    return parsed.set(drivername="postgresql+psycopg").render_as_string(hide_password=False)


def database_url(settings: Settings, start: bool = True) -> str:
    """The URL of the twin's database: the configured server, or the embedded cluster's."""
    if settings.database_url:
        return normalise_url(settings.database_url)
    cluster = settings.cluster()
    return cluster.start() if start else cluster.url()


def create_engine(url: str) -> Engine:
    return sa.create_engine(normalise_url(url), pool_pre_ping=True)


def alembic_config(engine: Engine) -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["engine"] = engine
    return config


def prepare(engine: Engine) -> None:
    """Create PostGIS if needed and migrate the schema to the newest revision."""
    try:
        with engine.begin() as conn:
            conn.exec_driver_sql("CREATE EXTENSION IF NOT EXISTS postgis")
    except sa.exc.OperationalError as exc:
        raise DatabaseError(f"cannot reach {engine.url.render_as_string()}: {exc.orig}") from exc
    except sa.exc.DBAPIError as exc:
        raise DatabaseError(
            f"cannot create PostGIS in {engine.url.render_as_string()}: {exc.orig} "
            "(install postgresql-N-postgis-3 on that server, or connect as a user who may "
            "create extensions)"
        ) from exc
    from alembic import command

    command.upgrade(alembic_config(engine), "head")


def open_twin(settings: Settings) -> Engine:
    """An engine on a ready twin database (started, PostGIS created, migrated)."""
    engine = create_engine(database_url(settings))
    prepare(engine)
    return engine
