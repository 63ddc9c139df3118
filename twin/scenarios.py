"""Named scenarios: a simulation's parameters and its result, kept so they can be reopened, compared
and drawn on the map.

A result is stored as the JSON its simulation produces (affected assets by layer, actions, timeline,
figures per road, ...); each simulation owns the shape of its own result. Saving under a name that
exists replaces it only when asked.
"""

from __future__ import annotations

from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy import CheckConstraint, Column, DateTime, Table, Text, func
from sqlalchemy.dialects.postgresql import JSONB, insert
from sqlalchemy.engine import Connection, Engine

from twin.errors import InvalidInput
from twin.schema import metadata

scenarios = Table(
    "scenarios",
    metadata,
    Column("name", Text, primary_key=True, comment="name the user gave the scenario"),
    Column("kind", Text, nullable=False, comment="the simulation that made it: outage, lighting, ..."),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("parameters", JSONB, nullable=False, comment="what the simulation was asked"),
    Column("result", JSONB, nullable=False, comment="what it answered, as its own JSON"),
    CheckConstraint("length(name) BETWEEN 1 AND 200", name="name_length"),
    comment="Simulation results kept under a name",
)


@dataclass(frozen=True)
class Scenario:
    name: str
    kind: str
    created_at: datetime
    parameters: dict[str, Any]
    result: dict[str, Any]


def save_scenario(db: Engine | Connection, name: str, kind: str, parameters: dict[str, Any],
                  result: dict[str, Any], *, replace: bool = False) -> Scenario:
    """Store a result under ``name``; an existing name is refused unless ``replace``."""
    statement = insert(scenarios).values(name=name, kind=kind, parameters=parameters, result=result)
    if replace:
        statement = statement.on_conflict_do_update(
            index_elements=["name"],
            set_={"kind": kind, "parameters": parameters, "result": result, "created_at": func.now()})
    else:
        statement = statement.on_conflict_do_nothing(index_elements=["name"])
    with _transaction(db) as conn:
        row = conn.execute(statement.returning(*scenarios.c)).one_or_none()
    if row is None:
        raise InvalidInput(f"a scenario named '{name}' exists: choose another name or replace it")
    return Scenario(**row._mapping)


def load_scenario(db: Engine | Connection, name: str) -> Scenario:
    with _transaction(db) as conn:
        row = conn.execute(sa.select(scenarios).where(scenarios.c.name == name)).one_or_none()
    if row is None:
        raise InvalidInput(f"no scenario named '{name}'")
    return Scenario(**row._mapping)


def list_scenarios(db: Engine | Connection, kind: str | None = None) -> list[Scenario]:
    """Every stored scenario (of one kind when given), newest first."""
    query = sa.select(scenarios).order_by(scenarios.c.created_at.desc(), scenarios.c.name)
    if kind is not None:
        query = query.where(scenarios.c.kind == kind)
    with _transaction(db) as conn:
        return [Scenario(**row._mapping) for row in conn.execute(query)]


def delete_scenario(db: Engine | Connection, name: str) -> None:
    with _transaction(db) as conn:
        if conn.execute(sa.delete(scenarios).where(scenarios.c.name == name)).rowcount == 0:
            raise InvalidInput(f"no scenario named '{name}'")


def _transaction(db: Engine | Connection) -> AbstractContextManager[Connection]:
    """A transaction on an engine, or the caller's own connection (and transaction) as it is."""
    return db.begin() if isinstance(db, Engine) else nullcontext(db)
