"""Logs are JSON with trace and correlation ids; settings refuse secret defaults in production."""

from __future__ import annotations

import json
import logging

import pytest
import structlog
from opentelemetry.sdk.trace import TracerProvider
from pydantic import ValidationError

from services.gateway.settings import GatewaySettings
from shared.observability.context import correlation_id
from shared.observability.logging import configure_logging
from shared.settings import KernelSettings


def test_log_lines_are_json_with_trace_and_correlation_ids(
    capsys: pytest.CaptureFixture[str],
) -> None:
    configure_logging("registry")
    tracer = TracerProvider().get_tracer("test")
    token = correlation_id.set("corr-42")
    try:
        with tracer.start_as_current_span("work") as span:
            structlog.get_logger("t").info(
                "community.registered", code="33021100400110006", 名称="勤勇"
            )
    finally:
        correlation_id.reset(token)
        structlog.reset_defaults()
    line = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert line["event"] == "community.registered" and line["名称"] == "勤勇"
    assert line["service"] == "registry" and line["correlation_id"] == "corr-42"
    assert line["trace_id"] == format(span.get_span_context().trace_id, "032x")
    assert line["level"] == "info" and "timestamp" in line


def test_library_log_lines_are_json_too(capsys: pytest.CaptureFixture[str]) -> None:
    """uvicorn, aiokafka and asyncpg log through the standard logging module."""
    configure_logging("gateway")
    try:
        logging.getLogger("uvicorn.error").warning("Started server process [%d]", 7)
    finally:
        structlog.reset_defaults()
    line = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert line["event"] == "Started server process [7]" and line["logger"] == "uvicorn.error"
    assert line["service"] == "gateway" and line["level"] == "warning" and "timestamp" in line


def test_production_refuses_default_database_and_clients(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("WUDING_DATABASE_URL", "WUDING_CLIENTS_FILE"):
        monkeypatch.delenv(name, raising=False)
    with pytest.raises(ValidationError, match="WUDING_DATABASE_URL"):
        KernelSettings(env="production")
    with pytest.raises(ValidationError, match="WUDING_CLIENTS_FILE"):
        GatewaySettings(env="production", database_url="postgresql://db/x")
    assert KernelSettings(service="registry").resolved_database_url().endswith("/wuding_registry")


def test_settings_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WUDING_KAFKA_BOOTSTRAP_SERVERS", "kafka:9092")
    monkeypatch.setenv("WUDING_KAFKA_IDEMPOTENT_PRODUCER", "true")
    settings = KernelSettings()
    assert settings.kafka_bootstrap_servers == "kafka:9092" and settings.kafka_idempotent_producer


def test_one_settings_path_for_the_broker_and_the_embedded_ports(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Guards issue 9 point 7: the services, the launcher and the CLI read the broker under
    one name, WUDING_KAFKA_BOOTSTRAP_SERVERS, with KAFKA_BOOTSTRAP_SERVERS its documented
    alias (the WUDING_ name wins); the CLI's derived database URLs follow WUDING_PG_PORT, the
    embedded stack's port; the launcher's ports are settings, one per topology service."""
    from services.launcher import launcher_settings
    from services.topology import SERVICES
    from shared.settings import StackSettings

    for name in ("WUDING_KAFKA_BOOTSTRAP_SERVERS", "WUDING_DATABASE_URL", "WUDING_REGISTRY_PORT"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("KAFKA_BOOTSTRAP_SERVERS", "alias:9092")
    assert KernelSettings().kafka_bootstrap_servers == "alias:9092"
    assert StackSettings().kafka_bootstrap_servers == "alias:9092"
    monkeypatch.setenv("WUDING_KAFKA_BOOTSTRAP_SERVERS", "wuding:9092")
    assert KernelSettings().kafka_bootstrap_servers == "wuding:9092"
    assert StackSettings().kafka_bootstrap_servers == "wuding:9092"
    assert KernelSettings(kafka_bootstrap_servers="given:1").kafka_bootstrap_servers == "given:1"

    monkeypatch.setenv("WUDING_PG_PORT", "55432")
    settings = KernelSettings(service="registry")
    assert settings.resolved_database_url() == (
        "postgresql://wuding_registry@127.0.0.1:55432/wuding_registry"
    )
    assert ":55432/" in settings.resolved_migration_database_url()
    assert StackSettings().pg_port == 55432

    monkeypatch.setenv("WUDING_GATEWAY_PORT", "18000")
    ports = launcher_settings()
    assert getattr(ports, "gateway_port") == 18000  # noqa: B009
    assert getattr(ports, "registry_port") == SERVICES["registry"].default_port  # noqa: B009
