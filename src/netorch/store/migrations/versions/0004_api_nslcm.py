"""SOL005 subscriptions and the notification outbox; NS instance identifiers.

* ``ns_instances``: SOL005 §6.5.2.10 ``NsInstance`` identity (id, name, description, nsdId,
  nsdInfoId); the service record named by the id carries ``nsState``.
* ``operations.cancel_mode`` / ``operation_params``: SOL005 §6.5.2.3 ``NsLcmOpOcc.cancelMode``
  and ``operationParams``, plus an index for paging op occurrences.
* ``subscriptions`` and ``notification_outbox``: SOL005 §6.5.2.4 ``LccnSubscription`` (and the
  package / NSD equivalents) and the durable queue of notifications to deliver (SOL013 §6.x),
  retried with backoff across restarts.

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | None = None
depends_on: str | None = None


def _ts(name: str, *, nullable: bool = False) -> sa.Column[object]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    with op.batch_alter_table("operations") as batch:
        batch.add_column(sa.Column("cancel_mode", sa.String(16), nullable=True))
        batch.add_column(sa.Column("operation_params", sa.JSON(), nullable=True))
    op.create_index("ix_operations_start_time_id", "operations", ["start_time", "id"])
    op.create_table(
        "ns_instances",
        sa.Column("id", sa.String(64), nullable=False),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("nsd_id", sa.String(255), nullable=False),
        sa.Column("nsd_info_id", sa.String(255), nullable=False),
        sa.Column("flavour_id", sa.String(255), nullable=True),
        _ts("created_at"),
        sa.PrimaryKeyConstraint("id", name="pk_ns_instances"),
    )
    # nsd_id first, then the list order: a filtered page is read in order, without a sort
    op.create_index("ix_ns_instances_nsd_id_created_at_id", "ns_instances",
                    ["nsd_id", "created_at", "id"])
    op.create_index("ix_ns_instances_name", "ns_instances", ["name"])
    op.create_index("ix_ns_instances_created_at_id", "ns_instances", ["created_at", "id"])
    op.create_table(
        "subscriptions",
        sa.Column("id", sa.String(64), nullable=False),
        sa.Column("api", sa.String(16), nullable=False),
        sa.Column("callback_uri", sa.Text(), nullable=False),
        sa.Column("filter", sa.JSON(), nullable=False),
        sa.Column("authentication", sa.JSON(), nullable=True),
        sa.Column("dedup_key", sa.String(64), nullable=False),
        _ts("created_at"),
        sa.PrimaryKeyConstraint("id", name="pk_subscriptions"),
        sa.UniqueConstraint("api", "dedup_key", name="uq_subscriptions_api_dedup_key"),
    )
    op.create_table(
        "notification_outbox",
        sa.Column("seq", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("subscription_id", sa.String(64), nullable=False),
        sa.Column("api", sa.String(16), nullable=False),
        sa.Column("notification_type", sa.String(128), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        _ts("next_attempt_at"),
        _ts("created_at"),
        _ts("delivered_at", nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("seq", name="pk_notification_outbox"),
        sa.ForeignKeyConstraint(
            ["subscription_id"], ["subscriptions.id"],
            name="fk_notification_outbox_subscription_id_subscriptions", ondelete="CASCADE"),
    )
    op.create_index("ix_notification_outbox_state_next_attempt_at", "notification_outbox",
                    ["state", "next_attempt_at"])
    op.create_index("ix_notification_outbox_subscription_id", "notification_outbox",
                    ["subscription_id"])


def downgrade() -> None:
    op.drop_table("notification_outbox")
    op.drop_table("subscriptions")
    op.drop_table("ns_instances")
    op.drop_index("ix_operations_start_time_id", table_name="operations")
    with op.batch_alter_table("operations") as batch:
        batch.drop_column("operation_params")
        batch.drop_column("cancel_mode")
