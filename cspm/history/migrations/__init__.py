"""Alembic migrations of the history store, run programmatically by cspm.history.store.migrate()."""
