"""Alembic environment for the history store: always run with a connection passed in by cspm.

``cspm.history.store.migrate`` puts an open SQLAlchemy connection into
``config.attributes["connection"]``; there is no alembic.ini and no logging setup here.
"""

from __future__ import annotations

from alembic import context

VERSION_TABLE = "cspm_schema_version"

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=None, version_table=VERSION_TABLE)
with context.begin_transaction():
    context.run_migrations()
