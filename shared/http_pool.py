"""A small HTTP/1.1 client for one internal service: pooled keep-alive connections, nothing else.

Why not a general client: the gateway's hop to a service is the platform's hottest path, and
measured on this machine (docs/performance.md) aiohttp's ClientSession spends ~65 µs of CPU
per request on features this hop never uses (cookies, redirects, proxies, compression,
tracing hooks), against ~16 µs here. What this client does: one base URL, requests with an
optional body and Content-Length, responses of any framing (parsed by httptools, the parser
uvicorn uses), connections reused while both sides keep them alive, a total timeout per
request. What it does not: TLS, redirects, cookies, streaming. Inside a cluster a service
mesh or network policy secures the hop; across networks use a full client.

A connection that was idle may have been closed by the server just as we reuse it; such a
request fails before any byte of an answer and is retried once on a new connection. That is
safe for every request the gateway sends: reads, and commands that carry a command id the
service deduplicates on.
"""

from __future__ import annotations

import asyncio
from collections import deque
from dataclasses import dataclass
from typing import cast
from urllib.parse import urlencode, urlsplit

import httptools


class HttpPoolError(Exception):
    """The service could not be reached, closed the connection, or did not answer in time."""


@dataclass(frozen=True)
class HttpResponse:
    status: int
    headers: dict[str, str]  # names lower-cased; a repeated header keeps its last value
    body: bytes


class _Connection(asyncio.Protocol):
    """One keep-alive connection; one request at a time."""

    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.closed = False
        self.received_any = False
        self._parser = httptools.HttpResponseParser(self)
        self._answer: asyncio.Future[HttpResponse] | None = None
        self._headers: dict[str, str] = {}
        self._body: list[bytes] = []
        self.keep_alive = True

    # asyncio.Protocol
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # uvloop's transports implement asyncio.Transport without subclassing it.
        self.transport = cast(asyncio.Transport, transport)

    def data_received(self, data: bytes) -> None:
        self.received_any = True
        try:
            self._parser.feed_data(data)
        except httptools.HttpParserError as exc:
            self._fail(HttpPoolError(f"malformed response: {exc}"))
            self.close()

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        self._fail(HttpPoolError("the service closed the connection"))

    # httptools callbacks
    def on_message_begin(self) -> None:
        self._headers, self._body = {}, []

    def on_header(self, name: bytes, value: bytes) -> None:
        self._headers[name.decode("latin-1").lower()] = value.decode("latin-1")

    def on_body(self, body: bytes) -> None:
        self._body.append(body)

    def on_message_complete(self) -> None:
        self.keep_alive = self._parser.should_keep_alive()
        if self._answer is not None and not self._answer.done():
            status = self._parser.get_status_code()
            self._answer.set_result(HttpResponse(status, self._headers, b"".join(self._body)))

    # ours
    async def exchange(self, request: bytes) -> HttpResponse:
        assert self.transport is not None
        self.received_any = False
        self._answer = asyncio.get_running_loop().create_future()
        self.transport.write(request)
        return await self._answer

    def _fail(self, exc: Exception) -> None:
        if self._answer is not None and not self._answer.done():
            self._answer.set_exception(exc)

    def close(self) -> None:
        self.closed = True
        if self.transport is not None:
            self.transport.close()


class HttpPool:
    def __init__(self, base_url: str, *, timeout_seconds: float, max_connections: int = 256):
        parts = urlsplit(base_url)
        if parts.scheme != "http" or not parts.hostname:
            raise ValueError(f"an http:// base URL is needed, not {base_url!r}")
        self.host, self.port = parts.hostname, parts.port or 80
        self.prefix = parts.path.rstrip("/")
        self.timeout = timeout_seconds
        self._host_header = f"{self.host}:{self.port}".encode()
        self._idle: deque[_Connection] = deque()
        self._slots = asyncio.Semaphore(max_connections)

    async def request(
        self,
        method: str,
        path: str,
        *,
        headers: dict[str, str] | None = None,
        body: bytes | None = None,
        params: dict[str, str] | None = None,
    ) -> HttpResponse:
        target = self.prefix + path + (f"?{urlencode(params)}" if params else "")
        wire = self._wire(method, target, headers or {}, body)
        try:
            async with asyncio.timeout(self.timeout), self._slots:
                return await self._send(wire)
        except TimeoutError as exc:
            raise HttpPoolError(f"no answer within {self.timeout} s") from exc
        except OSError as exc:
            raise HttpPoolError(f"cannot reach {self.host}:{self.port}: {exc}") from exc

    async def _send(self, wire: bytes) -> HttpResponse:
        conn, reused = await self._connection()
        try:
            response = await conn.exchange(wire)
        except HttpPoolError:
            conn.close()
            if not (reused and not conn.received_any):
                raise
            conn, _ = await self._connection(fresh=True)  # the idle one had been closed
            try:
                response = await conn.exchange(wire)
            except BaseException:
                conn.close()
                raise
        except BaseException:  # cancelled or timed out mid-answer: the connection is unusable
            conn.close()
            raise
        if conn.keep_alive and not conn.closed:
            self._idle.append(conn)
        else:
            conn.close()
        return response

    async def _connection(self, fresh: bool = False) -> tuple[_Connection, bool]:
        while self._idle and not fresh:
            conn = self._idle.pop()
            if not conn.closed:
                return conn, True
        loop = asyncio.get_running_loop()
        _, conn = await loop.create_connection(_Connection, self.host, self.port)
        return conn, False

    def _wire(self, method: str, target: str, headers: dict[str, str], body: bytes | None) -> bytes:
        if not target.isascii() or not target.isprintable() or " " in target:
            raise ValueError(f"request target {target!r} must be percent-encoded")
        lines = [f"{method} {target} HTTP/1.1".encode(), b"host: " + self._host_header]
        for name, value in headers.items():
            if "\r" in value or "\n" in value or "\r" in name or "\n" in name:
                raise ValueError(f"header {name!r} holds a line break")
            lines.append(f"{name}: {value}".encode("latin-1"))
        if body is not None:
            lines.append(b"content-length: " + str(len(body)).encode())
        return b"\r\n".join(lines) + b"\r\n\r\n" + (body or b"")

    async def close(self) -> None:
        while self._idle:
            self._idle.pop().close()
