"""SOL005 package and NSD resource state (onboarding, operational and usage states).

``package_resources`` holds one row per ``VnfPkgInfo`` (SOL005 §9.5.2.5) or ``NsdInfo``
(§5.5.2.2) created through the API: its id, states, ``userDefinedData``, what processing found
(``info``) or why it failed (``failure_details``), and the onboarded template's content hash.
``package_resource_users`` lists who uses a resource (an NS instance using an NSD).

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.create_table(
        "package_resources",
        sa.Column("id", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("onboarding_state", sa.String(16), nullable=False),
        sa.Column("operational_state", sa.String(16), nullable=False),
        sa.Column("user_defined_data", sa.JSON(), nullable=False),
        sa.Column("content_hash", sa.String(128), nullable=True),
        sa.Column("descriptor_id", sa.String(255), nullable=True),
        sa.Column("info", sa.JSON(), nullable=True),
        sa.Column("failure_details", sa.JSON(), nullable=True),
        sa.Column("upload_name", sa.String(255), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_package_resources"),
    )
    op.create_index("ix_package_resources_kind_created_at", "package_resources",
                    ["kind", "created_at"])
    op.create_index("ix_package_resources_content_hash", "package_resources", ["content_hash"])
    op.create_index("ix_package_resources_descriptor_id", "package_resources",
                    ["descriptor_id"])
    op.create_table(
        "package_resource_users",
        sa.Column("resource_id", sa.String(64), nullable=False),
        sa.Column("user_id", sa.String(255), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["resource_id"], ["package_resources.id"],
                                name="fk_package_resource_users_resource_id_package_resources",
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("resource_id", "user_id", name="pk_package_resource_users"),
    )


def downgrade() -> None:
    op.drop_table("package_resource_users")
    op.drop_index("ix_package_resources_descriptor_id", table_name="package_resources")
    op.drop_index("ix_package_resources_content_hash", table_name="package_resources")
    op.drop_index("ix_package_resources_kind_created_at", table_name="package_resources")
    op.drop_table("package_resources")
