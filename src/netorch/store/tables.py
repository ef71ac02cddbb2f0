"""The store's tables (SQLAlchemy Core). ``migrations/versions`` must create exactly these.

Keys are the domain identities: a template's content hash, a service's name, a resource's key,
an operation occurrence's id (SOL005 §6.5.2.3 ``NsLcmOpOcc.id``). Steps and events carry a
surrogate ``seq`` that records insertion order.

Operations and events deliberately have no foreign key to ``services``: they outlive a deleted
service, for audit.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from netorch.store.columns import UtcDateTime, json_column_type

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

metadata = MetaData(naming_convention=NAMING_CONVENTION)

templates = Table(
    "templates",
    metadata,
    Column("content_hash", String(128), primary_key=True),
    Column("name", String(255), nullable=False),
    Column("source", Text, nullable=False),
    Column("tosca_version", String(64), nullable=False),
    Column("kind", String(32), nullable=False),
    Column("model", json_column_type(), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    # 0002: onboarded packages (SOL005 VnfPkgInfo / NsdInfo identity, and the content itself)
    Column("version", String(255), nullable=True),
    Column("provider", String(255), nullable=True),
    Column("descriptor_id", String(255), nullable=True),
    Column("flavours", json_column_type(), nullable=True),
    Column("content_format", String(16), nullable=True),
    Column("content_name", String(255), nullable=True),
    Column("content_size", BigInteger, nullable=True),
    Column("content", LargeBinary, nullable=True),
    Index(None, "descriptor_id"),
)

services = Table(
    "services",
    metadata,
    Column("name", String(255), primary_key=True),
    Column("template", Text, nullable=False),
    Column("template_hash", String(128), nullable=False),
    Column("vim", String(255), nullable=False),
    Column("status", String(32), nullable=False),
    Column("inputs", json_column_type(), nullable=False),
    Column("model", json_column_type(), nullable=False),
    Column("desired", json_column_type(), nullable=True),
    Column("scale_levels", json_column_type(), nullable=False),
    Column("instantiation_level", String(255), nullable=True),
    Column("generations", json_column_type(), nullable=False),
    Column("active_op", String(255), nullable=True),
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
)

resources = Table(
    "resources",
    metadata,
    Column("key", String(255), primary_key=True),
    Column("service", String(255), ForeignKey("services.name"), nullable=False),
    Column("node_id", String(255), nullable=False),
    Column("kind", String(32), nullable=False),
    Column("vim", String(255), nullable=False),
    Column("state", String(32), nullable=False),
    Column("spec_hash", String(128), nullable=False),
    Column("node_type", String(255), nullable=False),
    Column("vim_id", String(255), nullable=True),
    Column("healthy", Boolean, nullable=False),
    Column("depends_on", json_column_type(), nullable=False),
    Column("attributes", json_column_type(), nullable=False),
    Column("spec", json_column_type(), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    UniqueConstraint("service", "node_id"),
)

operations = Table(
    "operations",
    metadata,
    Column("id", String(255), primary_key=True),
    Column("service", String(255), nullable=False),
    Column("type", String(32), nullable=False),
    Column("state", String(32), nullable=False),
    Column("start_time", UtcDateTime, nullable=False),
    Column("state_entered_time", UtcDateTime, nullable=False),
    Column("end_time", UtcDateTime, nullable=True),
    Column("error", Text, nullable=True),
    Column("params", json_column_type(), nullable=False),
    Column("owner_pid", Integer, nullable=True),
    Column("owner_host", String(255), nullable=True),
    Column("is_cancel_pending", Boolean, nullable=False),
    Column("desired_before", json_column_type(), nullable=True),
    Column("desired_after", json_column_type(), nullable=True),
    Column("plan", json_column_type(), nullable=True),
    # 0004: SOL005 NsLcmOpOcc.cancelMode and operationParams (the task's request body)
    Column("cancel_mode", String(16), nullable=True),
    Column("operation_params", json_column_type(), nullable=True),
    Index(None, "service", "start_time"),
    Index(None, "state"),
    Index(None, "start_time", "id"),
)

steps = Table(
    "steps",
    metadata,
    Column("seq", Integer, primary_key=True, autoincrement=True),
    Column("op_id", String(255), ForeignKey("operations.id", ondelete="CASCADE"), nullable=False),
    Column("step_id", String(255), nullable=False),
    Column("phase", String(32), nullable=False),
    Column("attempt", Integer, nullable=False),
    Column("node_id", String(255), nullable=False),
    Column("op", String(32), nullable=False),
    Column("state", String(32), nullable=False),
    Column("resource_key", String(255), nullable=True),
    Column("error", Text, nullable=True),
    Column("started_at", UtcDateTime, nullable=True),
    Column("ended_at", UtcDateTime, nullable=True),
    UniqueConstraint("op_id", "step_id", "phase", "attempt"),
)

events = Table(
    "events",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("time", UtcDateTime, nullable=False),
    Column("service", String(255), nullable=True),
    Column("op_id", String(255), nullable=True),
    Column("level", String(16), nullable=False),
    Column("message", Text, nullable=False),
    Index(None, "service"),
    Index(None, "op_id"),
)

# 0005: SOL005 VnfPkgInfo / NsdInfo resources (the API's view of a package: its own id, the
# onboarding / operational states, userDefinedData); ``content_hash`` names the onboarded
# template once processing succeeded. ``package_resource_users`` records who uses one (an NS
# instance using an NSD: SOL005 §5.5.2.2 ``nsdUsageState``).
package_resources = Table(
    "package_resources",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("kind", String(16), nullable=False),
    Column("onboarding_state", String(16), nullable=False),
    Column("operational_state", String(16), nullable=False),
    Column("user_defined_data", json_column_type(), nullable=False),
    Column("content_hash", String(128), nullable=True),
    Column("descriptor_id", String(255), nullable=True),
    Column("info", json_column_type(), nullable=True),
    Column("failure_details", json_column_type(), nullable=True),
    Column("upload_name", String(255), nullable=True),
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    Index(None, "kind", "created_at"),
    Index(None, "content_hash"),
    Index(None, "descriptor_id"),
)

package_resource_users = Table(
    "package_resource_users",
    metadata,
    Column("resource_id", String(64),
           ForeignKey("package_resources.id", ondelete="CASCADE"), primary_key=True),
    Column("user_id", String(255), primary_key=True),
    Column("created_at", UtcDateTime, nullable=False),
)


# -- 0004: SOL005 NS lifecycle API ---------------------------------------------------------------

ns_instances = Table(
    "ns_instances",
    metadata,
    # SOL005 §6.5.2.10 NsInstance identity; the service record (named ``id``) appears at the
    # first instantiate and carries nsState.
    Column("id", String(64), primary_key=True),
    Column("name", String(255), nullable=False),
    Column("description", Text, nullable=False),
    Column("nsd_id", String(255), nullable=False),
    Column("nsd_info_id", String(255), nullable=False),
    Column("flavour_id", String(255), nullable=True),
    Column("created_at", UtcDateTime, nullable=False),
    Index(None, "nsd_id", "created_at", "id"),
    Index(None, "name"),
    Index(None, "created_at", "id"),
)

subscriptions = Table(
    "subscriptions",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("api", String(16), nullable=False),
    Column("callback_uri", Text, nullable=False),
    Column("filter", json_column_type(), nullable=False),
    Column("authentication", json_column_type(), nullable=True),
    Column("dedup_key", String(64), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    UniqueConstraint("api", "dedup_key"),
)

notification_outbox = Table(
    "notification_outbox",
    metadata,
    Column("seq", Integer, primary_key=True, autoincrement=True),
    Column("subscription_id", String(64),
           ForeignKey("subscriptions.id", ondelete="CASCADE"), nullable=False),
    Column("api", String(16), nullable=False),
    Column("notification_type", String(128), nullable=False),
    Column("payload", json_column_type(), nullable=False),
    Column("state", String(16), nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("next_attempt_at", UtcDateTime, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("delivered_at", UtcDateTime, nullable=True),
    Column("last_error", Text, nullable=True),
    Index(None, "state", "next_attempt_at"),
    Index(None, "subscription_id"),
)

# 0003: northbound API security (SOL013 §8): OAuth 2.0 clients and the audit log

api_clients = Table(
    "api_clients",
    metadata,
    Column("client_id", String(64), primary_key=True),
    Column("name", String(255), nullable=False, unique=True),
    Column("role", String(16), nullable=False),
    Column("secret_hash", Text, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
)

audit_log = Table(
    "audit_log",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("time", UtcDateTime, nullable=False),
    Column("principal", String(255), nullable=False),
    Column("method", String(16), nullable=False),
    Column("path", Text, nullable=False),
    Column("status", Integer, nullable=False),
    Column("remote", String(255), nullable=True),
    Index(None, "time"),
)
