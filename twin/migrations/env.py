"""Alembic environment: migrations run on the engine the twin hands over (see twin.database)."""

from alembic import context
from geoalchemy2 import alembic_helpers

import layers  # noqa: F401  (registers every layer's table in the metadata)
import simulation.planning.tables  # noqa: F401  (unit costs, targets, planning parameters)
import twin.audit  # noqa: F401  (the audit log)
import twin.auth  # noqa: F401  (users, tokens, sessions)
import twin.changes  # noqa: F401  (data versions)
import twin.devices  # noqa: F401  (device credentials)
import twin.live  # noqa: F401  (live state, history, dead letters, incidents)
import twin.scenarios  # noqa: F401  (and the tables of the twin's own: scenarios, ...)
from twin.schema import metadata

config = context.config
engine = config.attributes["engine"]

with engine.begin() as connection:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        include_object=alembic_helpers.include_object,
        process_revision_directives=alembic_helpers.writer,
        render_item=alembic_helpers.render_item,
        include_schemas=False,
    )
    context.run_migrations()
