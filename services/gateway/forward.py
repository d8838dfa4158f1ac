"""Forwarding to a service's internal API over pooled keep-alive connections.

The client is chosen by measurement (docs/performance.md): an httpx-based hop reached ~0.06×
of a direct call, aiohttp's ClientSession ~0.5×; shared/http_pool.py spends a quarter of
aiohttp's CPU per request.
"""

from __future__ import annotations

from contextlib import nullcontext
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from opentelemetry import trace

from services.gateway.idempotency import StoredResponse
from shared.errors import DependencyUnavailable
from shared.http_pool import HttpPool, HttpPoolError
from shared.observability.tracing import current_trace_headers, tracing_enabled

tracer = trace.get_tracer("wuding.gateway")
_PASSED_BACK = ("content-type", "etag", "location", "retry-after")


class ServiceUnavailable(DependencyUnavailable):
    slug = "service-unavailable"
    title = "A service behind the gateway did not answer"


@dataclass(frozen=True)
class Forwarded:
    status: int
    headers: dict[str, str]
    body: bytes

    def as_stored(self) -> StoredResponse:
        return StoredResponse(self.status, self.headers, self.body)


class Forwarder:
    def __init__(self, name: str, base_url: str, timeout_seconds: float) -> None:
        self.name = name
        self.base_url = base_url.rstrip("/")
        self.timeout_seconds = timeout_seconds
        self._pool: HttpPool | None = None

    async def start(self) -> None:
        self._pool = HttpPool(self.base_url, timeout_seconds=self.timeout_seconds)

    async def close(self) -> None:
        if self._pool is not None:
            await self._pool.close()

    async def send(
        self,
        method: str,
        path: str,
        *,
        headers: dict[str, str],
        body: bytes | None = None,
        params: dict[str, Any] | None = None,
    ) -> Forwarded:
        """`path` as the gateway's routes decoded it (path parameters raw): every character a
        path may not hold as it is (a space, a line break, `?`, `%`, non-ASCII) is
        percent-encoded here, so a parameter can never change the request line."""
        assert self._pool is not None, "Forwarder.start() was not awaited"
        path = quote(path, safe="/")
        span = (
            tracer.start_as_current_span(
                f"{self.name} {method}", kind=trace.SpanKind.CLIENT, attributes={"http.url": path}
            )
            if tracing_enabled()
            else nullcontext()
        )
        with span:
            out = {**headers, **current_trace_headers()}
            if body is not None:
                out["content-type"] = "application/json"
            try:
                response = await self._pool.request(
                    method, path, headers=out, body=body, params=params
                )
            except HttpPoolError as exc:
                raise ServiceUnavailable(f"the {self.name} service did not answer") from exc
            kept = {k: v for k, v in response.headers.items() if k in _PASSED_BACK}
            return Forwarded(response.status, kept, response.body)
