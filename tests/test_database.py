"""Both ways to a database: the embedded default cluster, and an existing server by URL."""

import json
import os
import shutil
import socket
import tempfile
import uuid
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from geoalchemy2 import alembic_helpers

import layers  # noqa: F401  (registers every table)
from tests.conftest import run_twin
from twin.database import DatabaseError, alembic_config, normalise_url
from twin.schema import metadata


@pytest.fixture
def fresh_home():
    home = Path(tempfile.mkdtemp(prefix="twin-home-"))
    home.chmod(0o755)
    yield home / ".twin"
    run_twin("db", "stop", env={"TWIN_HOME": str(home / ".twin")}, check=False)
    shutil.rmtree(home, ignore_errors=True)


def test_embedded_cluster_lifecycle(fresh_home):
    env = {"TWIN_HOME": str(fresh_home)}
    assert "not initialised" in run_twin("db", "status", env=env).stdout

    assert "running on 127.0.0.1:" in run_twin("db", "start", env=env).stdout
    url = run_twin("db", "url", env=env).stdout.strip()
    assert url.startswith("postgresql+psycopg://twin:")
    # the private cluster holds a migrated twin with PostGIS
    engine = sa.create_engine(url, poolclass=sa.NullPool)
    with engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT postgis_version()").scalar()
        assert conn.exec_driver_sql("SELECT count(*) FROM luminaires").scalar() == 0
        conn.exec_driver_sql("CREATE TABLE keep_me (x int)")
        conn.commit()
    engine.dispose()
    stats = json.loads(run_twin("stats", "--json", env=env).stdout)
    assert stats["layers"]["luminaires"] == 0

    assert "stopped" in run_twin("db", "stop", env=env).stdout
    assert "stopped" in run_twin("db", "status", env=env).stdout
    # a later run reuses the same cluster and its data
    run_twin("db", "start", env=env)
    url = run_twin("db", "url", env=env).stdout.strip()
    engine = sa.create_engine(url, poolclass=sa.NullPool)
    with engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT count(*) FROM keep_me").scalar() == 0
    engine.dispose()
    info = json.loads((fresh_home / "cluster.json").read_text())
    assert (fresh_home / "cluster.json").stat().st_mode & 0o777 == 0o600
    assert info["password"] not in (fresh_home / "postgres.log").read_text()


def test_existing_server_by_url_gets_postgis_and_schema(server_url):
    name = f"twin_test_by_url_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(server_url, isolation_level="AUTOCOMMIT", poolclass=sa.NullPool)
    with admin.connect() as c:
        c.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        c.exec_driver_sql(f'CREATE DATABASE "{name}"')
    url = sa.make_url(server_url).set(database=name).render_as_string(hide_password=False)
    plain = url.replace("postgresql+psycopg://", "postgresql://")
    try:
        stats = json.loads(run_twin("stats", "--json", env={"TWIN_DATABASE_URL": plain}).stdout)
        assert set(stats["layers"]) == set(layers.LAYERS)
        result = run_twin("db", "status", env={"TWIN_DATABASE_URL": plain}, check=False)
        assert result.returncode == 1 and "TWIN_DATABASE_URL is set" in result.stderr
    finally:
        with admin.connect() as c:
            c.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


def test_unreachable_server_is_one_clear_line():
    result = run_twin("stats", env={"TWIN_DATABASE_URL": "postgresql://nobody@127.0.0.1:1/x"},
                      check=False)
    assert result.returncode == 1
    first = result.stderr.strip().splitlines()[0]
    assert first.startswith("error: cannot reach") and "127.0.0.1:1" in first
    assert "Traceback" not in result.stderr


def test_non_postgres_url_is_refused():
    with pytest.raises(DatabaseError, match="must be a PostgreSQL URL"):
        normalise_url("mysql://root@localhost/x")


def test_models_and_migrations_do_not_drift(shared_engine):
    with shared_engine.connect() as conn:
        context = MigrationContext.configure(
            conn, opts={"include_object": alembic_helpers.include_object, "compare_type": True})
        assert compare_metadata(context, metadata) == []


def test_migrations_downgrade_and_upgrade_cleanly(engine):
    config = alembic_config(engine)
    command.downgrade(config, "base")
    with engine.connect() as conn:
        assert not sa.inspect(conn).has_table("luminaires")
    command.upgrade(config, "head")
    with engine.connect() as conn:
        assert sa.inspect(conn).has_table("luminaires")


@pytest.mark.skipif(os.geteuid() != 0, reason="only root runs the server as another user")
def test_root_with_a_private_home_keeps_data_where_the_server_user_can_reach():
    private = Path(tempfile.mkdtemp(prefix="twin-private-"))
    private.chmod(0o700)  # like /root: the unprivileged server user cannot enter
    env = {"TWIN_HOME": str(private / ".twin")}
    try:
        assert "running" in run_twin("db", "start", env=env).stdout
        link = private / ".twin" / "postgres"
        assert link.is_symlink() and (link / "PG_VERSION").exists()
        assert json.loads(run_twin("stats", "--json", env=env).stdout)["assets"] == 0
    finally:
        run_twin("db", "stop", env=env, check=False)
        link = private / ".twin" / "postgres"
        if link.is_symlink():
            shutil.rmtree(link.resolve().parent, ignore_errors=True)
        shutil.rmtree(private, ignore_errors=True)


def test_a_cluster_whose_port_was_taken_starts_on_another(fresh_home):
    from twin.cluster import EmbeddedCluster

    cluster = EmbeddedCluster(fresh_home)
    cluster.start()
    port = cluster.info().port
    cluster.stop()
    with socket.socket() as squatter:
        squatter.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # past the old TIME_WAIT
        squatter.bind(("127.0.0.1", port))
        squatter.listen()
        cluster.start()
        assert cluster.info().port != port
        assert cluster.is_running()
    cluster.stop()
