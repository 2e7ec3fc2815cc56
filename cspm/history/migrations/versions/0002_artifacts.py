"""Model artifacts read with --inspect-artifacts: what each scan found in each object, so that a
later scan reuses the verdict of an object whose ETag and size have not changed.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    op.create_table(
        "cspm_artifacts",
        sa.Column("scan_id", sa.String(64), sa.ForeignKey("cspm_scans.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("uri", sa.String(2048), primary_key=True),
        sa.Column("etag", sa.String(256), nullable=True),
        sa.Column("size", sa.BigInteger, nullable=True),
        sa.Column("sha256", sa.String(64), nullable=True),
        sa.Column("data", JSON, nullable=False),  # the report's artifacts[] entry
    )
    op.create_index("ix_cspm_artifacts_uri", "cspm_artifacts", ["uri"])


def downgrade() -> None:
    op.drop_table("cspm_artifacts")
