"""Data versions: the statement trigger on every table bumps its version in the writing
transaction and announces the table on ``twin_data`` when the write commits."""

from __future__ import annotations

import psycopg
import pytest
import sqlalchemy as sa

import layers  # noqa: F401  (registers every table)
import twin.live  # noqa: F401
import twin.scenarios  # noqa: F401
from twin.changes import CHANNEL, TRIGGER, UNTRACKED
from twin.schema import metadata
from web.versions import data_version

TABLES = ("scenarios",)


def test_every_table_but_the_logs_tracks_its_changes(shared_engine):
    with shared_engine.connect() as conn:
        tracked = set(conn.execute(sa.text(
            "SELECT DISTINCT event_object_table FROM information_schema.triggers "
            "WHERE trigger_name = :name"), {"name": TRIGGER}).scalars())
    assert tracked == set(metadata.tables) - UNTRACKED


def insert_scenario(conn: sa.Connection, name: str) -> None:
    conn.execute(sa.text("INSERT INTO scenarios (name, kind, parameters, result) "
                         "VALUES (:name, 'outage', '{}', '{}')"), {"name": name})


def test_each_committed_write_moves_the_version_and_a_rolled_back_one_does_not(engine):
    seen = []
    with engine.connect() as conn:
        seen.append(data_version(conn, TABLES))
    for statement in ("INSERT", "UPDATE scenarios SET kind = 'lighting'",
                      "DELETE FROM scenarios", "TRUNCATE scenarios"):
        with engine.begin() as conn:
            if statement == "INSERT":
                insert_scenario(conn, "a")
            else:
                conn.execute(sa.text(statement))
        with engine.connect() as conn:
            seen.append(data_version(conn, TABLES))
    assert len(set(seen)) == len(seen), "every write gives a new version"
    with engine.connect() as conn:
        with conn.begin() as transaction:
            insert_scenario(conn, "b")
            transaction.rollback()
        assert data_version(conn, TABLES) == seen[-1]


def test_a_write_is_announced_when_it_commits(engine):
    url = engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(url, autocommit=True) as listener:
        listener.execute(f"LISTEN {CHANNEL}")
        with engine.connect() as conn, conn.begin():
            insert_scenario(conn, "c")
            assert list(listener.notifies(timeout=0.3)) == [], "nothing before the commit"
        announced = [n.payload for n in listener.notifies(timeout=5, stop_after=1)]
    assert announced == ["scenarios"]


def test_a_table_without_a_version_cannot_be_cached(shared_engine):
    with shared_engine.connect() as conn, pytest.raises(ValueError, match="live_history"):
        data_version(conn, ("live_history",))
