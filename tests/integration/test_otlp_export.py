"""WUDING_TRACE_EXPORTER=otlp: spans reach an OTLP/HTTP collector (here a stand-in receiver)."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider

from shared.observability.tracing import span_processor
from tests.integration.asgi_server import read_body, running

received: list[dict[str, Any]] = []


async def collector(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """Accepts what an OpenTelemetry collector's OTLP/HTTP receiver accepts, and keeps it."""
    if scope["type"] != "http":
        return
    body = await read_body(receive)
    headers = dict(scope["headers"])
    received.append({"path": scope["path"], "type": headers.get(b"content-type"), "body": body})
    await send({"type": "http.response.start", "status": 200,
                "headers": [(b"content-type", b"application/x-protobuf")]})  # fmt: skip
    await send({"type": "http.response.body", "body": b""})


async def test_spans_are_sent_to_the_otlp_endpoint(monkeypatch: pytest.MonkeyPatch) -> None:
    async with running(collector) as url:
        monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", url)
        provider = TracerProvider(resource=Resource.create({"service.name": "registry"}))
        provider.add_span_processor(span_processor("otlp"))
        with provider.get_tracer("test").start_as_current_span("POST /communities"):
            pass
        try:
            # The exporter posts from its own thread with a blocking client: flush off the loop.
            assert await asyncio.to_thread(provider.force_flush, 10_000)
        finally:
            await asyncio.to_thread(provider.shutdown)
    [export] = received
    assert export["path"] == "/v1/traces" and export["type"] == b"application/x-protobuf"
    assert b"POST /communities" in export["body"] and b"registry" in export["body"]


def test_an_unknown_exporter_is_refused() -> None:
    with pytest.raises(ValueError, match="none, console or otlp"):
        span_processor("jaeger")
