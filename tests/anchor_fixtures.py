"""Fixtures of the anchor tests: one database per test module, the peers' networks loaded once.

The anchors run hundreds of outages on one import, so a module imports its networks once into
``module_engine`` (a fresh migrated database, dropped after the module) and reads one snapshot.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy.engine import Engine, make_url

from tests.conftest import admin_sql, make_database
from twin.database import create_engine


@pytest.fixture(scope="module")
def module_engine(server_url: str, template_url: str) -> Iterator[Engine]:
    """A fresh, migrated, empty database shared by the tests of one module."""
    url = make_database(server_url, template_url)
    engine = create_engine(url)
    yield engine
    engine.dispose()
    admin_sql(server_url, f'DROP DATABASE IF EXISTS "{make_url(url).database}" WITH (FORCE)')


def pandapower_network(name: str) -> Any:
    """One of pandapower's shipped networks; loading runs a power flow that warns about
    pandapower's own data format (a DeprecationWarning we cannot fix from here)."""
    import pandapower.networks as pn

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        return getattr(pn, name)()
