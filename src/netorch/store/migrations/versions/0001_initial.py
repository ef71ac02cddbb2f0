"""Initial schema: templates, services, resources, operations, steps, events.

Revision ID: 0001
Revises: (none)
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | None = None
depends_on: str | None = None


def _ts(name: str, *, nullable: bool = False) -> sa.Column[object]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def _json(name: str, *, nullable: bool = False) -> sa.Column[object]:
    return sa.Column(name, sa.JSON(), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "templates",
        sa.Column("content_hash", sa.String(128), nullable=False),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("tosca_version", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        _json("model"),
        _ts("created_at"),
        sa.PrimaryKeyConstraint("content_hash", name="pk_templates"),
    )
    op.create_table(
        "services",
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("template", sa.Text(), nullable=False),
        sa.Column("template_hash", sa.String(128), nullable=False),
        sa.Column("vim", sa.String(255), nullable=False),
        sa.Column("status", sa.String(32), nullable=False),
        _json("inputs"),
        _json("model"),
        _json("desired", nullable=True),
        _json("scale_levels"),
        sa.Column("instantiation_level", sa.String(255), nullable=True),
        _json("generations"),
        sa.Column("active_op", sa.String(255), nullable=True),
        _ts("created_at"),
        _ts("updated_at"),
        sa.PrimaryKeyConstraint("name", name="pk_services"),
    )
    op.create_table(
        "resources",
        sa.Column("key", sa.String(255), nullable=False),
        sa.Column("service", sa.String(255), nullable=False),
        sa.Column("node_id", sa.String(255), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("vim", sa.String(255), nullable=False),
        sa.Column("state", sa.String(32), nullable=False),
        sa.Column("spec_hash", sa.String(128), nullable=False),
        sa.Column("node_type", sa.String(255), nullable=False),
        sa.Column("vim_id", sa.String(255), nullable=True),
        sa.Column("healthy", sa.Boolean(), nullable=False),
        _json("depends_on"),
        _json("attributes"),
        _json("spec"),
        _ts("created_at"),
        _ts("updated_at"),
        sa.PrimaryKeyConstraint("key", name="pk_resources"),
        sa.ForeignKeyConstraint(
            ["service"], ["services.name"], name="fk_resources_service_services"
        ),
        sa.UniqueConstraint("service", "node_id", name="uq_resources_service_node_id"),
    )
    op.create_table(
        "operations",
        sa.Column("id", sa.String(255), nullable=False),
        sa.Column("service", sa.String(255), nullable=False),
        sa.Column("type", sa.String(32), nullable=False),
        sa.Column("state", sa.String(32), nullable=False),
        _ts("start_time"),
        _ts("state_entered_time"),
        _ts("end_time", nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        _json("params"),
        sa.Column("owner_pid", sa.Integer(), nullable=True),
        sa.Column("owner_host", sa.String(255), nullable=True),
        sa.Column("is_cancel_pending", sa.Boolean(), nullable=False),
        _json("desired_before", nullable=True),
        _json("desired_after", nullable=True),
        _json("plan", nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_operations"),
    )
    op.create_index("ix_operations_service_start_time", "operations", ["service", "start_time"])
    op.create_index("ix_operations_state", "operations", ["state"])
    op.create_table(
        "steps",
        sa.Column("seq", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("op_id", sa.String(255), nullable=False),
        sa.Column("step_id", sa.String(255), nullable=False),
        sa.Column("phase", sa.String(32), nullable=False),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column("node_id", sa.String(255), nullable=False),
        sa.Column("op", sa.String(32), nullable=False),
        sa.Column("state", sa.String(32), nullable=False),
        sa.Column("resource_key", sa.String(255), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        _ts("started_at", nullable=True),
        _ts("ended_at", nullable=True),
        sa.PrimaryKeyConstraint("seq", name="pk_steps"),
        sa.ForeignKeyConstraint(
            ["op_id"], ["operations.id"], name="fk_steps_op_id_operations", ondelete="CASCADE"
        ),
        sa.UniqueConstraint(
            "op_id", "step_id", "phase", "attempt", name="uq_steps_op_id_step_id_phase_attempt"
        ),
    )
    op.create_table(
        "events",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        _ts("time"),
        sa.Column("service", sa.String(255), nullable=True),
        sa.Column("op_id", sa.String(255), nullable=True),
        sa.Column("level", sa.String(16), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_events"),
    )
    op.create_index("ix_events_service", "events", ["service"])
    op.create_index("ix_events_op_id", "events", ["op_id"])


def downgrade() -> None:
    op.drop_table("events")
    op.drop_table("steps")
    op.drop_table("operations")
    op.drop_table("resources")
    op.drop_table("services")
    op.drop_table("templates")
