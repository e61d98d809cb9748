"""The metadata tables, one per noun (the Scope aside: it is a file). Times are UTC seconds
since the epoch.

Change a table only together with a new migration in ``migrations/versions``;
``tests/store/test_migrations.py`` fails when the two disagree.
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

Name = String(128)
Sha = String(64)

events = Table(
    "events",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("ts", Float, nullable=False, index=True),
    Column("actor", String(256), nullable=False),
    Column("kind", String(64), nullable=False, index=True),
    Column("subject", String(256), nullable=False, default=""),
    Column("message", Text, nullable=False, default=""),
    Column("data", JSON, nullable=False, default=dict),
)

datasets = Table(
    "datasets",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("name", Name, nullable=False),
    Column("version", Integer, nullable=False),
    Column("sha256", Sha, nullable=False),
    Column("created_at", Float, nullable=False),
    Column("n_rows", BigInteger, nullable=False),
    Column("n_cols", Integer, nullable=False),
    Column("schema", JSON, nullable=False),
    Column("profile", JSON, nullable=False),
    Column("parents", JSON, nullable=False, default=list),
    Column("origin", JSON, nullable=False, default=dict),
    Column("violations", JSON, nullable=False, default=list),
    UniqueConstraint("name", "version"),
    UniqueConstraint("name", "sha256"),
)

runs = Table(
    "runs",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("name", Name, nullable=False),
    Column("parent_id", String(32), ForeignKey("runs.id"), nullable=True, index=True),
    Column("status", String(16), nullable=False, index=True),
    Column("started_at", Float, nullable=False, index=True),
    Column("ended_at", Float, nullable=True),
    Column("seed", BigInteger, nullable=True),
    Column("git_commit", String(64), nullable=True),
    Column("git_dirty", Boolean, nullable=True),
    Column("environment", JSON, nullable=False, default=dict),
    Column("dataset", String(160), nullable=True),
    Column("tags", JSON, nullable=False, default=dict),
    Column("summary", JSON, nullable=False, default=dict),
    Column("error", Text, nullable=True),
)

params = Table(
    "params",
    metadata,
    Column("run_id", String(32), ForeignKey("runs.id"), primary_key=True),
    Column("key", String(256), primary_key=True),
    Column("value", Text, nullable=False),
)

metrics = Table(
    "metrics",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("run_id", String(32), ForeignKey("runs.id"), nullable=False),
    Column("key", String(256), nullable=False),
    Column("step", BigInteger, nullable=False),
    Column("ts", Float, nullable=False),
    Column("value", Float, nullable=False),
    Index("ix_metrics_run_key_step", "run_id", "key", "step"),
)

run_artifacts = Table(
    "run_artifacts",
    metadata,
    Column("run_id", String(32), ForeignKey("runs.id"), primary_key=True),
    Column("name", String(256), primary_key=True),
    Column("sha256", Sha, nullable=False),
    Column("size", BigInteger, nullable=False),
    Column("created_at", Float, nullable=False),
)

evaluations = Table(
    "evaluations",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("run_id", String(32), ForeignKey("runs.id"), nullable=False, index=True),
    Column("split", String(64), nullable=False),
    Column("created_at", Float, nullable=False),
    Column("metrics", JSON, nullable=False),
    Column("report_sha256", Sha, nullable=True),
)

model_versions = Table(
    "model_versions",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("name", Name, nullable=False),
    Column("version", Integer, nullable=False),
    Column("run_id", String(32), ForeignKey("runs.id"), nullable=True),
    Column("created_at", Float, nullable=False),
    Column("artifact_sha256", Sha, nullable=False),
    Column("format", String(16), nullable=False),
    Column("trusted", Boolean, nullable=False, default=False),
    Column("status", String(16), nullable=False, default="ready"),
    Column("signature", JSON, nullable=False, default=dict),
    Column("classes", JSON, nullable=True),
    Column("metrics", JSON, nullable=False, default=dict),
    Column("lineage", JSON, nullable=False, default=dict),
    Column("card", Text, nullable=False, default=""),
    Column("reference_sha256", Sha, nullable=True),
    Column("decision", JSON, nullable=False, default=dict),
    Column("description", Text, nullable=False, default=""),
    UniqueConstraint("name", "version"),
)

aliases = Table(
    "aliases",
    metadata,
    Column("name", Name, primary_key=True),
    Column("alias", Name, primary_key=True),
    Column("version", Integer, nullable=False),
    Column("revision", Integer, nullable=False),
    Column("updated_at", Float, nullable=False),
)

deployments = Table(
    "deployments",
    metadata,
    Column("revision", Integer, primary_key=True, autoincrement=False),
    Column("name", Name, nullable=False),
    Column("production", Integer, nullable=True),
    Column("canary", Integer, nullable=True),
    Column("canary_share", Float, nullable=False, default=0.0),
    Column("shadow", Integer, nullable=True),
    Column("created_at", Float, nullable=False),
    Column("actor", String(256), nullable=False),
    Column("reason", Text, nullable=False, default=""),
)

log_segments = Table(
    "log_segments",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("path", String(1024), nullable=False, unique=True),
    Column("replica", String(128), nullable=False),
    Column("model", Name, nullable=False),
    Column("t_min", Float, nullable=False, index=True),
    Column("t_max", Float, nullable=False, index=True),
    Column("n_rows", BigInteger, nullable=False),
    Column("sha256", Sha, nullable=True),
    Column("sealed_at", Float, nullable=False),
    Column("versions", JSON, nullable=False, default=list),
    Column("id_min", String(64), nullable=True),
    Column("id_max", String(64), nullable=True),
)

feedback = Table(
    "feedback",
    metadata,
    Column("request_id", String(128), primary_key=True),
    Column("label", JSON, nullable=False),
    Column("ts", Float, nullable=False, index=True),
    Column("source", String(128), nullable=False, default="api"),
    Column("matched", Boolean, nullable=True),
)

label_tasks = Table(
    "label_tasks",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("batch", String(64), nullable=False, index=True),
    Column("request_id", String(128), nullable=True, index=True),
    Column("source", String(160), nullable=False),
    Column("row", JSON, nullable=False),
    Column("prediction", JSON, nullable=True),
    Column("strategy", String(32), nullable=False),
    Column("reason", Text, nullable=False),
    Column("score", Float, nullable=True),
    Column("status", String(16), nullable=False, index=True),
    Column("created_at", Float, nullable=False),
    Column("label", JSON, nullable=True),
    Column("confidence", Float, nullable=True),
)

labels = Table(
    "labels",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("task_id", Integer, ForeignKey("label_tasks.id"), nullable=False, index=True),
    Column("labeller", String(128), nullable=False),
    Column("label", JSON, nullable=False),
    Column("ts", Float, nullable=False),
    UniqueConstraint("task_id", "labeller"),
)

monitor_reports = Table(
    "monitor_reports",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("created_at", Float, nullable=False, index=True),
    Column("model", Name, nullable=False),
    Column("version", Integer, nullable=True),
    Column("window", JSON, nullable=False),
    Column("verdict", String(32), nullable=False),
    Column("summary", JSON, nullable=False),
    Column("report_sha256", Sha, nullable=True),
)

alerts = Table(
    "alerts",
    metadata,
    Column("key", String(256), primary_key=True),
    Column("opened_at", Float, nullable=False),
    Column("last_seen", Float, nullable=False),
    Column("closed_at", Float, nullable=True),
    Column("count", Integer, nullable=False, default=1),
    Column("data", JSON, nullable=False, default=dict),
)

tokens = Table(
    "tokens",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("name", Name, nullable=False, unique=True),
    Column("role", String(16), nullable=False),
    Column("hash", Sha, nullable=False, unique=True),
    Column("created_at", Float, nullable=False),
    Column("expires_at", Float, nullable=True),
    Column("revoked_at", Float, nullable=True),
)

leases = Table(
    "leases",
    metadata,
    Column("name", Name, primary_key=True),
    Column("holder", String(128), nullable=False),
    Column("expires_at", Float, nullable=False),
    Column("revision", Integer, nullable=False),
)

rollouts = Table(
    "rollouts",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("name", Name, nullable=False),
    Column("champion", Integer, nullable=True),
    Column("challenger", Integer, nullable=False),
    Column("state", String(32), nullable=False, index=True),
    Column("revision", Integer, nullable=False),
    Column("created_at", Float, nullable=False),
    Column("updated_at", Float, nullable=False),
    Column("data", JSON, nullable=False, default=dict),
)
