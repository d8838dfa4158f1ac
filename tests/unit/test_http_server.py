"""shared/http_server.py: writes within one turn of the loop leave as one, in order."""

from __future__ import annotations

import asyncio
from typing import Any

from shared.http_server import _CoalescingTransport


class RecordingTransport:
    def __init__(self) -> None:
        self.writes: list[bytes] = []
        self.closed = False

    def write(self, data: bytes) -> None:
        assert not self.closed, "written after close"
        self.writes.append(data)

    def is_closing(self) -> bool:
        return self.closed

    def close(self) -> None:
        self.closed = True

    def get_extra_info(self, name: str) -> Any:
        return f"info:{name}"


async def test_a_head_and_body_written_in_one_turn_leave_as_one_write() -> None:
    inner = RecordingTransport()
    transport = _CoalescingTransport(inner, asyncio.get_running_loop())  # type: ignore[arg-type]
    transport.write(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\n")
    transport.write(b"{}")
    assert inner.writes == []  # nothing yet: the turn has not ended
    await asyncio.sleep(0)
    assert inner.writes == [b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\n{}"]
    transport.write(b"next")
    await asyncio.sleep(0)
    assert inner.writes[-1] == b"next"  # a later turn is a later write
    assert transport.get_extra_info("peername") == "info:peername"  # the rest passes through


async def test_closing_sends_what_is_pending_first() -> None:
    inner = RecordingTransport()
    transport = _CoalescingTransport(inner, asyncio.get_running_loop())  # type: ignore[arg-type]
    transport.write(b"last words")
    transport.close()
    assert inner.writes == [b"last words"] and inner.closed
    await asyncio.sleep(0)  # the flush scheduled by the write finds nothing left
    assert inner.writes == [b"last words"]
