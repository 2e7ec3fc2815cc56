"""Migration scripts (alembic reads the files; nothing imports this package)."""
