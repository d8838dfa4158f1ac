"""Settings every process reads from its environment (pydantic-settings), built at start-up.

Defaults run the embedded stack on a laptop or in CI. Outside `development`, nothing that can
hold a secret (database URLs carry passwords) may fall back to a default. This is the one way
a process reads its environment: the launcher (StackSettings) and the CLI too.

The broker's name is `WUDING_KAFKA_BOOTSTRAP_SERVERS`; `KAFKA_BOOTSTRAP_SERVERS`, the name
Kafka tooling and CI images commonly set, is accepted as an alias (the WUDING_ name wins).
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AliasChoices, Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from shared.kafka import DEFAULT_PARTITIONS

Environment = Literal["development", "test", "production"]

EMBEDDED_PG_PORT = 54329
EMBEDDED_KAFKA_PORT = 19092
# The broker's one setting, under its one name and its documented alias (module docstring).
KAFKA_BOOTSTRAP = AliasChoices("WUDING_KAFKA_BOOTSTRAP_SERVERS", "KAFKA_BOOTSTRAP_SERVERS")


class KernelSettings(BaseSettings):
    """What the kernel needs in every service process. Env vars are prefixed `WUDING_`."""

    model_config = SettingsConfigDict(env_prefix="WUDING_", extra="ignore", populate_by_name=True)

    env: Environment = "development"
    service: str = "registry"
    # The service's own role: INSERT and SELECT on its log, never its owner (shared/db.py).
    database_url: str | None = None
    # The owner role, for `wuding migrate` only: it creates the tables and grants the above.
    migration_database_url: str | None = None
    # The embedded stack's PostgreSQL port (`wuding run`): the database URLs derived without
    # WUDING_DATABASE_URL point there.
    pg_port: int = EMBEDDED_PG_PORT
    kafka_bootstrap_servers: str = Field(
        default=f"127.0.0.1:{EMBEDDED_KAFKA_PORT}", validation_alias=KAFKA_BOOTSTRAP
    )
    # Apache Kafka supports the idempotent producer; the embedded Tansu broker answers
    # InitProducerId with an error, so it is off by default and on in the k8s overlays.
    kafka_idempotent_producer: bool = False
    http_host: str = "127.0.0.1"
    http_port: int = 8101
    log_level: str = "INFO"
    # none | console | otlp: where spans go. otlp sends them over OTLP/HTTP in batches to
    # OTEL_EXPORTER_OTLP_ENDPOINT (OpenTelemetry's own variable; default localhost:4318).
    # Tests install an in-memory exporter themselves.
    trace_exporter: Literal["none", "console", "otlp"] = "none"
    relay_enabled: bool = True
    relay_batch_size: int = 500
    # Partitions of the service's topic: the relay creates it with this many and refuses a
    # topic with another count (keys would move). deploy/k8s's KafkaTopic says 12.
    kafka_topic_partitions: int = Field(default=DEFAULT_PARTITIONS, ge=1)
    # How often the relay compares the broker's end offsets with what it acknowledged.
    relay_offset_check_seconds: float = Field(default=10.0, gt=0)
    poll_interval_seconds: float = 0.1
    # Background tasks restart after an error with this backoff, doubling up to the cap.
    task_backoff_initial_seconds: float = Field(default=0.5, gt=0)
    task_backoff_max_seconds: float = Field(default=10.0, gt=0)
    # The relay's Ed25519 key for sealing the log (shared/sealing.py): base64 of its 32 raw
    # bytes, from a Secret; required in production. Verifiers need only the public key.
    seal_signing_key: SecretStr | None = None
    seal_public_key: str | None = None
    # A seal names the head of each stream it covers: bounded, so it stays a small message.
    seal_every_events: Annotated[int, Field(ge=1, le=5000)] = 1000
    seal_interval_seconds: Annotated[float, Field(gt=0)] = 60.0

    @model_validator(mode="after")
    def _no_secret_defaults_outside_development(self) -> KernelSettings:
        if self.env == "production" and not self.database_url:
            raise ValueError("WUDING_DATABASE_URL must be set explicitly in production")
        return self

    def resolved_database_url(self) -> str:
        """The database URL, or the embedded stack's database for this service, as its role."""
        if self.database_url:
            return self.database_url
        return f"postgresql://wuding_{self.service}@127.0.0.1:{self.pg_port}/wuding_{self.service}"

    def resolved_migration_database_url(self) -> str:
        """The owner's URL; without one (and with a database URL) migrations run as the service."""
        if self.migration_database_url:
            return self.migration_database_url
        if self.database_url:
            return self.database_url
        owner = f"wuding_{self.service}_owner"
        return f"postgresql://{owner}@127.0.0.1:{self.pg_port}/wuding_{self.service}"

    def seal_verifying_key_text(self) -> str | None:
        """The public key seals are checked with: set, or derived from the signing key."""
        if self.seal_public_key:
            return self.seal_public_key
        if self.seal_signing_key is not None:
            from shared.sealing import public_key_text, signing_key

            return public_key_text(signing_key(self.seal_signing_key.get_secret_value()))
        return None


class StackSettings(BaseSettings):
    """What `wuding run` (services/launcher.py) and the test session start or use: the
    servers given here, else the embedded ones on these ports. Each service's own port is
    `WUDING_<SERVICE>_PORT` (the launcher adds one field per service of the topology)."""

    model_config = SettingsConfigDict(env_prefix="WUDING_", extra="ignore", populate_by_name=True)

    # A PostgreSQL server's admin URL: the launcher creates each service's roles and database.
    postgres_admin_url: str | None = None
    kafka_bootstrap_servers: str | None = Field(default=None, validation_alias=KAFKA_BOOTSTRAP)
    pg_port: int = EMBEDDED_PG_PORT
    kafka_port: int = EMBEDDED_KAFKA_PORT
