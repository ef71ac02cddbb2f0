"""Onboarded packages: identity columns and the package content on ``templates``.

Adds what SOL005 ``VnfPkgInfo`` / ``NsdInfo`` report about a package (version, provider or
designer, ``vnfdId`` / ``nsdId``, flavours) and the content itself, so that an onboarded package
no longer depends on the path it was onboarded from. Every new column is nullable: rows written
before this revision (templates recorded by a deployment from a path) hold no content.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | None = None
depends_on: str | None = None

_COLUMNS = ("version", "provider", "descriptor_id", "flavours", "content_format",
            "content_name", "content_size", "content")


def upgrade() -> None:
    with op.batch_alter_table("templates") as batch:
        batch.add_column(sa.Column("version", sa.String(255), nullable=True))
        batch.add_column(sa.Column("provider", sa.String(255), nullable=True))
        batch.add_column(sa.Column("descriptor_id", sa.String(255), nullable=True))
        batch.add_column(sa.Column("flavours", sa.JSON(), nullable=True))
        batch.add_column(sa.Column("content_format", sa.String(16), nullable=True))
        batch.add_column(sa.Column("content_name", sa.String(255), nullable=True))
        batch.add_column(sa.Column("content_size", sa.BigInteger(), nullable=True))
        batch.add_column(sa.Column("content", sa.LargeBinary(), nullable=True))
    op.create_index("ix_templates_descriptor_id", "templates", ["descriptor_id"])


def downgrade() -> None:
    op.drop_index("ix_templates_descriptor_id", table_name="templates")
    with op.batch_alter_table("templates") as batch:
        for name in reversed(_COLUMNS):
            batch.drop_column(name)
