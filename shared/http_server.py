"""uvicorn's httptools protocol, sending each response in one write instead of two.

uvicorn writes a response's status line and headers, then its body, as two transport writes:
two send() system calls and, on loopback or a virtual NIC, two deliveries. A profile of the
gateway under load put ~26% of its CPU in those two writes (docs/performance.md). Here the
writes made during one turn of the event loop are joined and sent together at the end of the
turn: a response's head and body leave as one. Nothing is reordered or held past the turn,
and closing the connection sends what is pending first.
"""

from __future__ import annotations

import asyncio
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol


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


class CoalescingHttpToolsProtocol(HttpToolsProtocol):
    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        wrapped: Any = _CoalescingTransport(transport, self.loop)
        super().connection_made(wrapped)
