"""uvicorn's httptools protocol, sending each response in one write instead of two.

uvicorn writes a response's status line and headers, then its body, as two transport writes:
two send() system calls and, on loopback or a virtual NIC, two deliveries. A profile of the
gateway under load put ~26% of its CPU in those two writes (docs/performance.md). Here the
writes made during one turn of the event loop are joined and sent together at the end of the
turn: a response's head and body leave as one. Nothing is reordered or held past the turn,
and closing the connection sends what is pending first.

It also bounds a request's head (request line and headers), which httptools and uvicorn do not:
more than MAX_HEAD_BYTES or MAX_HEADERS is refused with a 431 problem and the connection
closed, before the app sees the request and before the head is buffered without end.
"""

from __future__ import annotations

import asyncio
from typing import Any

import orjson
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

MAX_HEAD_BYTES = 32 * 1024  # request line + headers (nginx: 4 × 8 KiB); ours are under 2 KiB
MAX_HEADERS = 64
LINGER_SECONDS = 1.0


class _CoalescingTransport:
    """Wraps a transport; every other attribute is the wrapped transport's."""

    def __init__(self, transport: asyncio.Transport, loop: asyncio.AbstractEventLoop) -> None:
        self._transport = transport
        self._loop = loop
        self._pending: list[bytes] = []

    def write(self, data: bytes) -> None:
        if not self._pending:
            self._loop.call_soon(self._flush)
        self._pending.append(bytes(data))

    def _flush(self) -> None:
        if self._pending:
            data = b"".join(self._pending)
            self._pending.clear()
            if not self._transport.is_closing():
                self._transport.write(data)

    def close(self) -> None:
        self._flush()
        self._transport.close()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._transport, name)


def _too_large_response() -> bytes:
    body = orjson.dumps(
        {
            "type": "urn:wuding:problem:request-header-too-large",
            "title": "Request header fields too large",
            "status": 431,
            "detail": f"at most {MAX_HEADERS} header fields and {MAX_HEAD_BYTES} bytes of head",
        }
    )
    head = (
        "HTTP/1.1 431 Request Header Fields Too Large\r\n"
        "content-type: application/problem+json\r\n"
        f"content-length: {len(body)}\r\nconnection: close\r\n\r\n"
    )
    return head.encode() + body


class CoalescingHttpToolsProtocol(HttpToolsProtocol):
    _in_head = False  # between a message's first byte and its headers' end
    _head_bytes = 0  # bytes received since the message began (bounds a head still arriving)
    _head_exact = 0  # the request line and header fields parsed so far
    _head_fields = 0
    _refused = False

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        wrapped: Any = _CoalescingTransport(transport, self.loop)
        super().connection_made(wrapped)

    def data_received(self, data: bytes) -> None:
        if self._refused:
            return
        self._head_bytes += len(data)
        super().data_received(data)
        if self._refused or (self._in_head and self._head_bytes > MAX_HEAD_BYTES):
            self._refuse()

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._in_head, self._head_bytes, self._head_exact, self._head_fields = True, 0, 0, 0

    def on_url(self, url: bytes) -> None:
        self._count(len(url))
        super().on_url(url)

    def on_header(self, name: bytes, value: bytes) -> None:
        self._head_fields += 1
        self._count(len(name) + len(value))
        if not self._refused:
            super().on_header(name, value)

    def on_headers_complete(self) -> None:
        self._in_head = False
        if not self._refused:  # a refused request never reaches the app
            super().on_headers_complete()

    def on_body(self, body: bytes) -> None:
        if not self._refused:
            super().on_body(body)

    def on_message_complete(self) -> None:
        if not self._refused:
            super().on_message_complete()

    def _count(self, size: int) -> None:
        self._head_exact += size
        if self._head_exact > MAX_HEAD_BYTES or self._head_fields > MAX_HEADERS:
            self._refused = True

    def _refuse(self) -> None:
        self._refused = True
        self.transport.write(_too_large_response())
        # Close a moment later, reading (and dropping) what is still coming meanwhile: closing
        # with unread bytes sends a reset, which can destroy the 431 before the client reads it.
        self.loop.call_later(LINGER_SECONDS, self.transport.close)
