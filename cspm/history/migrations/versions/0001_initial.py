"""The history store: scans, per-account scores, findings, collection errors, and dashboard views.

Revision ID: 0001
Revises:
Create Date: 2026-05-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
TIME = sa.DateTime(timezone=True)

VIEWS = {
    "cspm_v_failures": """
        SELECT s.provider, s.started_at, s.scope_key, f.scan_id, f.uid, f.check_id, f.title, f.severity,
               f.baseline, f.resource_uid, f.resource_type, f.account, f.region, f.message
        FROM cspm_findings f JOIN cspm_scans s ON s.id = f.scan_id
        WHERE f.status = 'FAIL' AND f.muted = false""",
    "cspm_v_score_trend": """
        SELECT s.id AS scan_id, s.provider, s.scope_key, s.started_at, c.account, c.baseline, c.score
        FROM cspm_scan_scores c JOIN cspm_scans s ON s.id = c.scan_id""",
    "cspm_v_latest_scans": """
        SELECT s.* FROM cspm_scans s
        WHERE s.started_at = (SELECT MAX(t.started_at) FROM cspm_scans t WHERE t.scope_key = s.scope_key)""",
}


def upgrade() -> None:
    op.create_table(
        "cspm_scans",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("provider", sa.String(16), nullable=False),
        sa.Column("scope_key", sa.String(1024), nullable=False),
        sa.Column("scopes", JSON, nullable=False),
        sa.Column("started_at", TIME, nullable=False),
        sa.Column("finished_at", TIME, nullable=False),
        sa.Column("complete", sa.Boolean, nullable=False),
        sa.Column("checks_run", sa.Integer, nullable=False),
        sa.Column("tool_version", sa.String(32), nullable=False),
        sa.Column("schema_version", sa.String(8), nullable=False),
        sa.Column("pass_count", sa.Integer, nullable=False),
        sa.Column("fail_count", sa.Integer, nullable=False),
        sa.Column("error_count", sa.Integer, nullable=False),
        sa.Column("muted_count", sa.Integer, nullable=False),
        sa.Column("fail_by_severity", JSON, nullable=False),
        sa.Column("scores", JSON, nullable=False),
        sa.Column("saved_at", TIME, nullable=False),
    )
    op.create_index("ix_cspm_scans_scope_started", "cspm_scans", ["scope_key", "started_at"])
    op.create_index("ix_cspm_scans_started", "cspm_scans", ["started_at"])
    op.create_table(
        "cspm_scan_scores",
        sa.Column("scan_id", sa.String(64), sa.ForeignKey("cspm_scans.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("account", sa.String(256), primary_key=True),  # "*" = the whole scan
        sa.Column("baseline", sa.String(32), primary_key=True),  # "overall" or a baseline
        sa.Column("score", sa.Float, nullable=True),
    )
    op.create_index("ix_cspm_scan_scores_account", "cspm_scan_scores", ["account", "baseline"])
    op.create_table(
        "cspm_findings",
        sa.Column("scan_id", sa.String(64), sa.ForeignKey("cspm_scans.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("uid", sa.String(64), primary_key=True),
        sa.Column("check_id", sa.String(256), nullable=False),
        sa.Column("title", sa.Text, nullable=False),
        sa.Column("status", sa.String(8), nullable=False),
        sa.Column("muted", sa.Boolean, nullable=False),
        sa.Column("severity", sa.String(16), nullable=False),
        sa.Column("baseline", sa.String(32), nullable=False),
        sa.Column("resource_uid", sa.Text, nullable=False),
        sa.Column("resource_type", sa.String(128), nullable=False),
        sa.Column("account", sa.String(256), nullable=False),
        sa.Column("region", sa.String(64), nullable=False),
        sa.Column("message", sa.Text, nullable=False),
        sa.Column("evidence", JSON, nullable=False),
        sa.Column("remediation", sa.Text, nullable=False),
        sa.Column("compliance", JSON, nullable=False),
        sa.Column("attack", JSON, nullable=False),
    )
    op.create_index("ix_cspm_findings_uid", "cspm_findings", ["uid"])
    op.create_index("ix_cspm_findings_check", "cspm_findings", ["check_id"])
    op.create_table(
        "cspm_errors",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("scan_id", sa.String(64), sa.ForeignKey("cspm_scans.id", ondelete="CASCADE"), nullable=False),
        sa.Column("account", sa.String(256), nullable=False),
        sa.Column("region", sa.String(64), nullable=False),
        sa.Column("service", sa.String(64), nullable=False),
        sa.Column("operation", sa.String(128), nullable=False),
        sa.Column("code", sa.String(128), nullable=False),
        sa.Column("message", sa.Text, nullable=False),
    )
    op.create_index("ix_cspm_errors_scan", "cspm_errors", ["scan_id"])
    for name, sql in VIEWS.items():
        op.execute(f"CREATE VIEW {name} AS {sql}")


def downgrade() -> None:
    for name in VIEWS:
        op.execute(f"DROP VIEW IF EXISTS {name}")
    for table in ("cspm_errors", "cspm_findings", "cspm_scan_scores", "cspm_scans"):
        op.drop_table(table)
