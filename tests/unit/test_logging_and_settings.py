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
